/// A strict RFC 8259 parser for ``JSONValue``.
///
/// Strict like `JSON.parse`: no comments, no trailing commas, no single quotes, no lone
/// surrogates, no raw control characters in strings. The input must be UTF-8; a leading byte
/// order mark is skipped because editors on other systems write one. Nesting is limited so a
/// hostile document cannot exhaust the stack.
///
/// It reads the bytes in place: the input is validated as UTF-8 without a copy, a string without
/// escapes becomes a `String` in one allocation of its exact size, and an integer is read
/// without going through text. The options of a ceremony are parsed on every `get`, so this is
/// on the path the JSON client's rate depends on, and a large input costs little more memory
/// than the values it holds (issue 18 item 6).
public enum JSONParser {
    public static let maxDepth = 64

    public static func parse(_ text: String) throws(WebAuthnClientError) -> JSONValue {
        var text = text
        // A native String is contiguous UTF-8 already: parse its bytes without a copy.
        let result = text.withUTF8 { (buffer) -> Result<JSONValue, WebAuthnClientError> in
            do throws(WebAuthnClientError) { return .success(try parse(buffer)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    public static func parse(_ bytes: [UInt8]) throws(WebAuthnClientError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buffer) throws(WebAuthnClientError) -> JSONValue in try parse(buffer) }
    }

    public static func parse(_ buffer: UnsafeBufferPointer<UInt8>) throws(WebAuthnClientError) -> JSONValue {
        if let offset = UTF8Validation.firstInvalidOffset(buffer) {
            throw .syntax("malformed JSON: the input is not valid UTF-8 (at byte \(offset))")
        }
        var reader = Reader(bytes: buffer)
        if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { reader.offset = 3 }
        reader.skipWhitespace()
        guard !reader.atEnd else { throw .syntax("malformed JSON: the input is empty") }
        let value = try reader.value(depth: 0)
        reader.skipWhitespace()
        guard reader.atEnd else { throw reader.error("unexpected data after the JSON value") }
        return value
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var offset = 0

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        var atEnd: Bool { offset >= bytes.count }
        var current: UInt8? { offset < bytes.count ? bytes[offset] : nil }

        func error(_ what: String) -> WebAuthnClientError {
            .syntax("malformed JSON at byte \(offset): \(what)")
        }

        mutating func skipWhitespace() {
            while offset < bytes.count {
                let c = bytes[offset]
                guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
                offset += 1
            }
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws(WebAuthnClientError) {
            guard current == byte else { throw error("expected \(what)") }
            offset += 1
        }

        mutating func value(depth: Int) throws(WebAuthnClientError) -> JSONValue {
            guard depth < JSONParser.maxDepth else { throw error("nested deeper than \(JSONParser.maxDepth) levels") }
            guard let c = current else { throw error("unexpected end of input") }
            switch c {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default:
                // Outside a string only ASCII can be JSON; show a character, not a lone byte.
                let shown = c < 0x80 ? String(Unicode.Scalar(c)) : String(String(decoding: bytes[offset..<min(offset + 4, bytes.count)], as: UTF8.self).prefix(1))
                throw error("unexpected character '\(shown)'")
            }
        }

        mutating func literal(_ word: StaticString) throws(WebAuthnClientError) {
            let count = word.utf8CodeUnitCount
            guard offset + count <= bytes.count,
                  memcmpEqual(word.utf8Start, bytes.baseAddress! + offset, count) else {
                throw error("invalid literal, expected \(word)")
            }
            offset += count
        }

        mutating func object(depth: Int) throws(WebAuthnClientError) -> JSONValue {
            offset += 1
            var members: [(String, JSONValue)] = []
            skipWhitespace()
            if current == UInt8(ascii: "}") {
                offset += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else { throw error("expected a member name in double quotes") }
                let name = try string()
                skipWhitespace()
                try expect(UInt8(ascii: ":"), "':' after a member name")
                skipWhitespace()
                members.append((name, try value(depth: depth + 1)))
                skipWhitespace()
                if current == UInt8(ascii: ",") {
                    offset += 1
                    continue
                }
                try expect(UInt8(ascii: "}"), "',' or '}' in an object")
                return .object(members)
            }
        }

        mutating func array(depth: Int) throws(WebAuthnClientError) -> JSONValue {
            offset += 1
            var items: [JSONValue] = []
            skipWhitespace()
            if current == UInt8(ascii: "]") {
                offset += 1
                return .array(items)
            }
            while true {
                skipWhitespace()
                items.append(try value(depth: depth + 1))
                skipWhitespace()
                if current == UInt8(ascii: ",") {
                    offset += 1
                    continue
                }
                try expect(UInt8(ascii: "]"), "',' or ']' in an array")
                return .array(items)
            }
        }

        mutating func string() throws(WebAuthnClientError) -> String {
            offset += 1
            let start = offset
            // The common case: no escapes. The input is valid UTF-8, so the bytes up to the
            // closing quote are the string, made in one allocation.
            while offset < bytes.count {
                let c = bytes[offset]
                if c == UInt8(ascii: "\"") {
                    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
                    offset += 1
                    return text
                }
                if c == UInt8(ascii: "\\") { break }
                if c < 0x20 { throw error("control character in a string must be escaped") }
                offset += 1
            }
            guard offset < bytes.count else { throw error("unterminated string") }
            // Escapes: copy what came before, then go on byte by byte.
            var out: [UInt8] = []
            out.reserveCapacity(offset - start + 16)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<offset]))
            while true {
                guard let c = current else { throw error("unterminated string") }
                switch c {
                case UInt8(ascii: "\""):
                    offset += 1
                    // The whole input was validated as UTF-8 and escapes append valid UTF-8.
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    offset += 1
                    try escape(into: &out)
                case 0x00..<0x20:
                    throw error("control character in a string must be escaped")
                default:
                    out.append(c)
                    offset += 1
                }
            }
        }

        mutating func escape(into out: inout [UInt8]) throws(WebAuthnClientError) {
            guard let c = current else { throw error("unterminated escape") }
            offset += 1
            switch c {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    guard current == UInt8(ascii: "\\"), offset + 1 < bytes.count, bytes[offset + 1] == UInt8(ascii: "u") else {
                        throw error("a high surrogate escape must be followed by a low surrogate")
                    }
                    offset += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw error("invalid low surrogate escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw error("lone low surrogate escape")
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw error("invalid unicode escape") }
                out.append(contentsOf: UTF8.encode(unicode)!)
            default:
                throw error("invalid escape '\\\(Unicode.Scalar(c))'")
            }
        }

        mutating func hex4() throws(WebAuthnClientError) -> UInt32 {
            guard offset + 4 <= bytes.count else { throw error("truncated \\u escape") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[offset]
                let digit: UInt8
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
                default: throw error("invalid hex digit in \\u escape")
                }
                value = value << 4 | UInt32(digit)
                offset += 1
            }
            return value
        }

        mutating func number() throws(WebAuthnClientError) -> Double {
            let start = offset
            let negative = current == UInt8(ascii: "-")
            if negative { offset += 1 }
            guard let first = current, isDigit(first) else { throw error("expected a digit") }
            offset += 1
            if first != UInt8(ascii: "0") {
                while let c = current, isDigit(c) { offset += 1 }
            } else if let c = current, isDigit(c) {
                throw error("a number may not have a leading zero")
            }
            var integral = true
            if current == UInt8(ascii: ".") {
                integral = false
                offset += 1
                guard let c = current, isDigit(c) else { throw error("expected a digit after '.'") }
                while let c = current, isDigit(c) { offset += 1 }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                integral = false
                offset += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { offset += 1 }
                guard let c = current, isDigit(c) else { throw error("expected a digit in the exponent") }
                while let c = current, isDigit(c) { offset += 1 }
            }
            let digitsStart = negative ? start + 1 : start
            // An integer of up to 15 digits is exact in a Double: read it directly (the usual
            // `alg`, `timeout`, `signCount`).
            if integral, offset - digitsStart <= 15 {
                var value: Int64 = 0
                for index in digitsStart..<offset { value = value * 10 + Int64(bytes[index] &- UInt8(ascii: "0")) }
                return negative ? -Double(value) : Double(value)
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
            guard let value = Double(text) else { throw error("unreadable number \(text.prefix(40))") }
            // RFC 8259 §6 lets a parser limit the range; beyond a Double it would become infinity,
            // which JSON cannot write back (found by the options-json fuzz harness).
            guard value.isFinite else { throw error("number \(text.prefix(40)) is out of range") }
            return value
        }

        func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

        func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
            for index in 0..<count where a[index] != b[index] { return false }
            return true
        }
    }
}

/// UTF-8 validation (RFC 3629 §4: no overlong forms, no surrogates, nothing above U+10FFFF)
/// without making a `String`, so checking a large input costs no second copy of it.
enum UTF8Validation {
    /// The offset of the first byte that starts no valid sequence, or `nil` if all is valid.
    static func firstInvalidOffset(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let count = bytes.count
        var index = 0
        while index < count {
            // ASCII runs, eight bytes at a time.
            while index + 8 <= count,
                  UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                index += 8
            }
            guard index < count else { break }
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xBF  // the range of the second byte
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return index
            }
            guard index + length <= count else { return index }
            let second = bytes[index + 1]
            guard second >= low && second <= high else { return index }
            for next in 2..<length where bytes[index + next] & 0xC0 != 0x80 { return index }
            index += length
        }
        return nil
    }
}
