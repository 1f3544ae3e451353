import Policy

/// Called by libFuzzer for each input: the text is read as manifests twice, once with the
/// block-style scanner first (falling back to libyaml where the text leaves its subset) and
/// once by libyaml's event parser alone. Both must give the same documents (every entry, byte
/// and tag), warnings and located errors; the scanner must never read outside the text
/// (AddressSanitizer) or trap. Inputs are at most `-max_len` bytes (4,096 by default in run.sh),
/// and nesting deeper than the loader's limit (64) is libyaml's to refuse, which this also checks.
func yamlScannerFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let difference = ManifestReadingCheck.difference(in: text) {
        fatalError("the block-style scanner reads differently from libyaml:\n\(difference)")
    }
    return 0
}
