/// libFuzzer's own entry point for a program that brings its own `main` (libFuzzer 13 and later).
/// Declared by hand because libFuzzer ships no header for it; the arguments are plain pointers
/// and an integer, passed the same way under the Swift and C conventions on the targets we build.
@_silgen_name("LLVMFuzzerRunDriver")
func llvmFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ testOneInput: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

/// Hands the process to libFuzzer's driver, which reads the usual libFuzzer flags from `argv`
/// and calls `testOneInput` for every input.
///
/// Each target still exports two symbols of its own, because both must be named in its own
/// executable: `LLVMFuzzerTestOneInput` (the libFuzzer runtime links against it) and
/// `<module>_main` (SwiftPM links every executable with `main` aliased to that name, and with
/// `-parse-as-library` there is no top-level code to provide it).
public func runLibFuzzer(
    _ argc: CInt,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ testOneInput: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt {
    var count = argc
    var vector = argv
    return llvmFuzzerRunDriver(&count, &vector, testOneInput)
}
