/// Writes a ``JSONValue`` the way `JSON.stringify` does, so vauth's output reads like a
/// browser's: members in the value's order, strings escaped as ECMA-262 `QuoteJSONString` does
/// (`\"`, `\\`, `\b \f \n \r \t`, other controls as `\u00xx`, everything else raw UTF-8).
public enum JSONSerializer {
    public enum Style: Sendable {
        /// One line, no spaces: `JSON.stringify(value)`.
        case compact
        /// Two-space indentation: `JSON.stringify(value, null, 2)`.
        case pretty
    }

    /// The JSON text, without a trailing newline.
    public static func serialize(_ value: JSONValue, style: Style = .pretty) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        write(value, style: style, indent: 0, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    // Written as UTF-8 bytes into one buffer: appending to a String scalar by scalar made
    // serializing a response cost more than signing it.
    private static func write(_ value: JSONValue, style: Style, indent: Int, into out: inout [UInt8]) {
        switch value {
        case .null: out += "null".utf8
        case .bool(let b): out += (b ? "true" : "false").utf8
        case .number(let n): out += number(n).utf8
        case .string(let s): quote(s, into: &out)
        case .array(let items):
            guard !items.isEmpty else { out += "[]".utf8; return }
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                newline(style, indent + 1, &out)
                write(item, style: style, indent: indent + 1, into: &out)
            }
            newline(style, indent, &out)
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            guard !members.isEmpty else { out += "{}".utf8; return }
            out.append(UInt8(ascii: "{"))
            for (index, (name, member)) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                newline(style, indent + 1, &out)
                quote(name, into: &out)
                out.append(UInt8(ascii: ":"))
                if style == .pretty { out.append(UInt8(ascii: " ")) }
                write(member, style: style, indent: indent + 1, into: &out)
            }
            newline(style, indent, &out)
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func newline(_ style: Style, _ indent: Int, _ out: inout [UInt8]) {
        guard style == .pretty else { return }
        out.append(UInt8(ascii: "\n"))
        out += repeatElement(UInt8(ascii: " "), count: 2 * indent)
    }

    /// Integers without a fraction (all WebAuthn numbers are); others in Swift's shortest
    /// round-trip form; non-finite values as `null`, as `JSON.stringify` writes them.
    static func number(_ n: Double) -> String {
        guard n.isFinite else { return "null" }
        if n == n.rounded(), abs(n) < 9_007_199_254_740_992 { return String(Int64(n)) }
        return String(n)
    }

    /// `QuoteJSONString` (ECMA-262 §25.5.2.3).
    static func quoted(_ s: String) -> String {
        var out: [UInt8] = []
        quote(s, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `QuoteJSONString` on UTF-8: only `"`, `\` and controls (all ASCII) are escaped, so every
    /// other byte, including each byte of a multi-byte character, is copied as it is.
    static func quote(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += "\\\"".utf8
            case UInt8(ascii: "\\"): out += "\\\\".utf8
            case 0x08: out += "\\b".utf8
            case 0x0C: out += "\\f".utf8
            case UInt8(ascii: "\n"): out += "\\n".utf8
            case UInt8(ascii: "\r"): out += "\\r".utf8
            case UInt8(ascii: "\t"): out += "\\t".utf8
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += "\\u00".utf8
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xf)])
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension JSONValue {
    /// ``JSONSerializer/serialize(_:style:)``.
    public func serialized(_ style: JSONSerializer.Style = .pretty) -> String {
        JSONSerializer.serialize(self, style: style)
    }
}
