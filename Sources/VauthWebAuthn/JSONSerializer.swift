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
        var out = ""
        write(value, style: style, indent: 0, into: &out)
        return out
    }

    private static func write(_ value: JSONValue, style: Style, indent: Int, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += number(n)
        case .string(let s): out += quoted(s)
        case .array(let items):
            guard !items.isEmpty else { out += "[]"; return }
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                newline(style, indent + 1, &out)
                write(item, style: style, indent: indent + 1, into: &out)
            }
            newline(style, indent, &out)
            out += "]"
        case .object(let members):
            guard !members.isEmpty else { out += "{}"; return }
            out += "{"
            for (index, (name, member)) in members.enumerated() {
                if index > 0 { out += "," }
                newline(style, indent + 1, &out)
                out += quoted(name)
                out += style == .pretty ? ": " : ":"
                write(member, style: style, indent: indent + 1, into: &out)
            }
            newline(style, indent, &out)
            out += "}"
        }
    }

    private static func newline(_ style: Style, _ indent: Int, _ out: inout String) {
        guard style == .pretty else { return }
        out += "\n"
        out += String(repeating: "  ", count: indent)
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
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

extension JSONValue {
    /// ``JSONSerializer/serialize(_:style:)``.
    public func serialized(_ style: JSONSerializer.Style = .pretty) -> String {
        JSONSerializer.serialize(self, style: style)
    }
}
