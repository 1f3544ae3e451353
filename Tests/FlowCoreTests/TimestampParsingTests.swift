import FlowCore
import Testing

/// RFC 3339 input: every accepted text converts exactly, every other text is a `.parse` error
/// with a column and a reason, and no text can trap (issue: more than 9 fraction digits and
/// years after 2554 used to).
struct TimestampParsingTests {
    func failure(_ text: String) -> FlowlogError? {
        do {
            _ = try Timestamp.parse(rfc3339: text)
            return nil
        } catch let error as FlowlogError {
            return error
        } catch {
            Issue.record("unexpected error type \(error)")
            return nil
        }
    }

    @Test func moreThanNineFractionDigitsIsAnError() throws {
        let error = try #require(failure("2026-11-23T09:00:00.1234567890Z"))
        #expect(error.code == .parse)
        #expect(error.message.contains("more than 9 fraction digits"))
        #expect(error.location?.column == 30)
        #expect(Timestamp(rfc3339: "2026-11-23T09:00:00.1234567890Z") == nil)
        #expect(try Timestamp.parse(rfc3339: "2026-11-23T09:00:00.123456789Z").nanoseconds % 1_000_000_000 == 123_456_789)
    }

    @Test func yearsPastTheRepresentableRangeAreErrors() throws {
        for text in ["2555-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "2554-07-21T23:34:34Z"] {
            let error = try #require(failure(text), "\(text)")
            #expect(error.message.contains("latest time flowlog can represent"))
            #expect(error.message.contains("2554-07-21T23:34:33.709551615Z"))
        }
        #expect(try Timestamp.parse(rfc3339: "2554-07-21T23:34:33.709551615Z") == Timestamp.latest)
        #expect(try Timestamp.parse(rfc3339: Timestamp.latest.rfc3339) == Timestamp.latest)
        // An offset can carry an in-range wall time past the end, or before the epoch.
        #expect(failure("2554-07-21T23:34:33-01:00") != nil)
        #expect(failure("1970-01-01T00:30:00+01:00")?.message.contains("before 1970") == true)
    }

    @Test func errorsSayWhatAndWhere() throws {
        let cases: [(String, Int, String)] = [
            ("2026-11-23", 11, "'T'"),
            ("2026-11-23T07:08", 17, "minutes"),
            ("2026-02-30T00:00:00Z", 9, "day 30"),
            ("2026-13-01T00:00:00Z", 6, "month 13"),
            ("2026-11-23T24:00:00Z", 12, "hour 24"),
            ("2026-11-23T07:08:24.Z", 21, "at least one digit"),
            ("2026-11-23T07:08:24", 20, "time zone"),
            ("2026-11-23T07:08:24Zjunk", 21, "after the time"),
            ("2026-11-23T07:08:24+1:00", 22, "offset hours"),
            ("2026-11-23T07:08:24+01:00x", 26, "after the time"),
        ]
        for (text, column, words) in cases {
            let error = try #require(failure(text), "\(text)")
            #expect(error.location?.column == column, "\(text): \(error)")
            #expect(error.message.contains(words), "\(text): \(error)")
        }
        #expect(try Timestamp.parse(rfc3339: "2024-02-29T12:00:00Z").rfc3339 == "2024-02-29T12:00:00.000000000Z")
    }

    /// Every string of a small alphabet up to a few characters, and long digit runs, parse or
    /// fail without trapping.
    @Test func arbitraryTextNeverTraps() {
        let base = Array("2026-11-23T07:08:24".utf8)
        for tail in [".", ".9", ".99999999999999999999999", "Z", "+99:99", "-00:00", "+", "ZZ", "\u{00e9}"] {
            _ = Timestamp(rfc3339: String(decoding: base, as: UTF8.self) + tail)
        }
        for year in ["0000", "1969", "1970", "2554", "2555", "9999"] {
            _ = Timestamp(rfc3339: "\(year)-01-01T00:00:00Z")
            _ = Timestamp(rfc3339: "\(year)-12-31T23:59:60.999999999+23:59")
            _ = Timestamp(rfc3339: "\(year)-12-31T23:59:60.999999999-23:59")
        }
    }
}
