import FlowCore
import SIEMConfig

/// RFC 5424 messages and their RFC 5425/6587 octet-counting frames.
///
///     <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ID@PEN name="value" …] MSG
///
/// PRI is facility × 8 + severity. Header fields are printable US-ASCII without spaces, cut to
/// the RFC's lengths (HOSTNAME 255, APP-NAME 48, PROCID 128, MSGID 32) with `-` for an empty
/// one. In a PARAM-VALUE `"`, `\` and `]` are escaped with a backslash (RFC 5424 §6.3.3); a
/// PARAM-NAME is at most 32 printable characters other than `=`, space, `]` and `"`. MSG is
/// the record's JSON, UTF-8, without the optional BOM. Over TCP and TLS each message goes as
/// `LENGTH SP MESSAGE` (octet counting), so no length is ever cut and a message may hold line
/// ends; over UDP a datagram is one message.
enum SyslogMessage {
    /// A header field as sent: non-printable bytes replaced by `_`, cut to `limit`, `-` when empty.
    static func appendHeaderField(_ text: String, limit: Int, to out: inout [UInt8]) {
        appendHeaderField(bytes: text.utf8, limit: limit, to: &out)
    }

    static func appendHeaderField<Bytes: Sequence>(bytes: Bytes, limit: Int, to out: inout [UInt8]) where Bytes.Element == UInt8 {
        var written = 0
        for byte in bytes where written < limit {
            out.append(byte >= 33 && byte <= 126 ? byte : UInt8(ascii: "_"))
            written += 1
        }
        if written == 0 { out.append(UInt8(ascii: "-")) }
    }

    /// Appends one message (no frame) for `record`.
    static func append(_ record: ExportRecord, options: SIEMConfiguration.SyslogOptions, fallbackHost: String, to out: inout [UInt8]) {
        let severity = record.alert ? options.alertSeverity : options.severity
        out.append(UInt8(ascii: "<"))
        JSONBytes.appendDecimal(UInt64(options.facility * 8 + severity), to: &out)
        JSONBytes.appendStatic(">1 ", to: &out)
        appendTimestamp(record.time, to: &out)
        out.append(0x20)
        record.text.withUnsafeBufferPointer { text in
            if let hostname = options.hostname {
                appendHeaderField(bytes: hostname.utf8, limit: 255, to: &out)
            } else if record.host.isEmpty {
                appendHeaderField(bytes: fallbackHost.utf8, limit: 255, to: &out)
            } else {
                appendHeaderField(bytes: UnsafeBufferPointer(rebasing: text[record.host]), limit: 255, to: &out)
            }
            out.append(0x20)
            appendHeaderField(bytes: options.appName.utf8, limit: 48, to: &out)
            JSONBytes.appendStatic(" - ", to: &out)
            let kind = record.kind.singular
            appendHeaderField(bytes: kind.utf8, limit: 32, to: &out)
            out.append(0x20)
            out.append(UInt8(ascii: "["))
            appendHeaderField(bytes: kind.utf8, limit: 32 - 1 - 10, to: &out)
            out.append(UInt8(ascii: "@"))
            JSONBytes.appendDecimal(UInt64(options.enterpriseNumber), to: &out)
            for parameter in record.parameters {
                out.append(0x20)
                appendParameterName(UnsafeBufferPointer(rebasing: text[parameter.name]), to: &out)
                out.append(UInt8(ascii: "="))
                out.append(UInt8(ascii: "\""))
                appendParameterValue(UnsafeBufferPointer(rebasing: text[parameter.value]), to: &out)
                out.append(UInt8(ascii: "\""))
            }
            out.append(UInt8(ascii: "]"))
            out.append(0x20)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: text[record.body]))
        }
    }

    static func appendParameterName(_ name: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        for byte in name.prefix(32) {
            let allowed = byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=") && byte != UInt8(ascii: "]") && byte != UInt8(ascii: "\"")
            out.append(allowed ? byte : UInt8(ascii: "_"))
        }
    }

    /// RFC 5424 §6.3.3: `"`, `\` and `]` get a backslash; everything else (UTF-8) as is.
    static func appendParameterValue(_ value: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        // Runs without those three bytes are copied whole.
        var run = 0
        for i in value.indices {
            let byte = value[i]
            guard byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "]") else { continue }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: value[run..<i]))
            out.append(UInt8(ascii: "\\"))
            run = i
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: value[run...]))
    }

    /// `2026-11-23T07:08:24.123456Z`: RFC 5424 allows at most six fraction digits.
    static func appendTimestamp(_ time: Timestamp, to out: inout [UInt8]) {
        let seconds = time.seconds
        let (y, m, d) = Timestamp.civilDate(daysSinceEpoch: Int64(seconds / 86_400))
        let s = seconds % 86_400
        func two(_ v: UInt64) { out.append(UInt8(ascii: "0") + UInt8(v / 10)); out.append(UInt8(ascii: "0") + UInt8(v % 10)) }
        let year = UInt64(max(0, min(9999, y)))
        out.append(UInt8(ascii: "0") + UInt8(year / 1000)); out.append(UInt8(ascii: "0") + UInt8(year / 100 % 10))
        two(year % 100)
        out.append(UInt8(ascii: "-")); two(UInt64(m)); out.append(UInt8(ascii: "-")); two(UInt64(d))
        out.append(UInt8(ascii: "T")); two(s / 3600); out.append(UInt8(ascii: ":")); two(s / 60 % 60)
        out.append(UInt8(ascii: ":")); two(s % 60)
        out.append(UInt8(ascii: "."))
        let micro = time.nanoseconds % 1_000_000_000 / 1_000
        var divisor: UInt64 = 100_000
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(micro / divisor % 10))
            divisor /= 10
        }
        out.append(UInt8(ascii: "Z"))
    }

    /// The octet-counting frame of RFC 5425 §4.3 (and RFC 6587 §3.4.1): `LENGTH SP MESSAGE`.
    static func appendFrame(_ message: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        appendFrameLength(message.count, to: &out)
        out.append(contentsOf: message)
    }

    /// The frame's `LENGTH SP`, which the message follows.
    static func appendFrameLength(_ count: Int, to out: inout [UInt8]) {
        JSONBytes.appendDecimal(UInt64(count), to: &out)
        out.append(0x20)
    }
}
