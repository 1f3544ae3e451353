import FlowCore
import Query

/// Called by libFuzzer for each input: any text is a time, a duration or an error that says
/// which option; an RFC 3339 time prints back to text that parses to the same instant.
func timeFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let parsed = try Timestamp.parse(rfc3339: text)
        guard try Timestamp.parse(rfc3339: parsed.rfc3339) == parsed else {
            fatalError("\(text.debugDescription) → \(parsed.rfc3339) does not read back")
        }
    } catch let error as FlowlogError {
        guard error.code == .parse, error.location?.column != nil else { fatalError("time error without a column: \(error)") }
    } catch {
        fatalError("unexpected error type \(error)")
    }
    let now = Timestamp(nanoseconds: 1_795_417_704_000_000_000)
    do {
        let bound = try TimeWindow.parseBound(text, now: now, option: "--since")
        guard bound <= now || Timestamp(rfc3339: text) != nil else { fatalError("a duration back from now lies after now: \(text)") }
        _ = try? TimeWindow(since: text, until: "now", now: now)
    } catch let error as FlowlogError {
        guard error.location?.field == "--since" else { fatalError("bound error without its option: \(error)") }
    } catch {
        fatalError("unexpected error type \(error)")
    }
    return 0
}
