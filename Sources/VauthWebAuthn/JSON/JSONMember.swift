import VauthCrypto

/// A value inside an options document together with its path (`publicKey.user.id`,
/// `excludeCredentials[2].id`), so every conversion error can name the member it is about.
///
/// The conversions are stricter than WebIDL's (which would turn `"yes"` into `true` and `12` into
/// `"12"`): a member of the wrong JSON type is an error, because in a JSON document it is
/// always a mistake. `null` counts as absent for optional members, since servers that build
/// options from objects with unset fields often write `null` for them.
struct JSONMember {
    let value: JSONValue
    let path: String

    init(_ value: JSONValue, path: String) {
        self.value = value
        self.path = path
    }

    private func child(_ name: String) -> String { path.isEmpty ? name : path + "." + name }

    /// The member `name`, or `nil` when absent or `null`.
    func optional(_ name: String) throws(WebAuthnClientError) -> JSONMember? {
        guard case .object = value else { throw .syntax("\(path.isEmpty ? "options" : path) must be an object, not \(value.kindDescription)") }
        guard let member = value[name], member != .null else { return nil }
        return JSONMember(member, path: child(name))
    }

    /// The member `name`; missing or `null` is an error naming it.
    func required(_ name: String) throws(WebAuthnClientError) -> JSONMember {
        guard let member = try optional(name) else { throw .syntax("missing member \(child(name))") }
        return member
    }

    func string() throws(WebAuthnClientError) -> String {
        guard case .string(let s) = value else { throw typeMismatch("a string") }
        return s
    }

    func bool() throws(WebAuthnClientError) -> Bool {
        guard case .bool(let b) = value else { throw typeMismatch("a boolean") }
        return b
    }

    /// A JSON number that is an integer in `range`.
    func integer(in range: ClosedRange<Int>) throws(WebAuthnClientError) -> Int {
        guard case .number(let n) = value else { throw typeMismatch("a number") }
        guard n == n.rounded(), n >= Double(range.lowerBound), n <= Double(range.upperBound) else {
            throw .syntax("\(path) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return Int(n)
    }

    func array() throws(WebAuthnClientError) -> [JSONMember] {
        guard case .array(let items) = value else { throw typeMismatch("an array") }
        return items.enumerated().map { JSONMember($1, path: "\(path)[\($0)]") }
    }

    /// The members of an object, in order (a repeated name keeps its last value, as `JSON.parse`).
    func members() throws(WebAuthnClientError) -> [(String, JSONMember)] {
        guard case .object(let members) = value else { throw typeMismatch("an object") }
        var seen: [String: Int] = [:]
        var out: [(String, JSONMember)] = []
        for (name, member) in members {
            let entry = (name, JSONMember(member, path: child(name)))
            if let index = seen[name] { out[index] = entry } else {
                seen[name] = out.count
                out.append(entry)
            }
        }
        return out
    }

    /// A `Base64URLString` (L3 §5.1 IDL): base64url, padding tolerated as browsers do.
    func base64url() throws(WebAuthnClientError) -> [UInt8] {
        let text = try string()
        guard let bytes = Base64.urlDecode(text) else { throw .syntax("\(path) is not base64url") }
        return bytes
    }

    /// A DOMString enumeration: an unknown value is `nil`, to be treated as absent (L3 §2.1.1).
    func enumeration<T: RawRepresentable>(_ type: T.Type) throws(WebAuthnClientError) -> T? where T.RawValue == String {
        T(rawValue: try string())
    }

    func stringArray() throws(WebAuthnClientError) -> [String] {
        var out: [String] = []
        for item in try array() { out.append(try item.string()) }
        return out
    }

    private func typeMismatch(_ expected: String) -> WebAuthnClientError {
        .syntax("\(path) must be \(expected), not \(value.kindDescription)")
    }
}
