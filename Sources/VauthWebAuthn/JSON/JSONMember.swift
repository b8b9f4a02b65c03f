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
    /// The path is made only when an error names it: a member per element of a long array must
    /// not cost a string each (issue 18 item 6: 62 MiB of options once took 1.38 GiB).
    private let parent: String
    private let step: Step

    private enum Step {
        case whole
        case name(String)
        case index(Int)
    }

    init(_ value: JSONValue, path: String) {
        self.value = value
        self.parent = path
        self.step = .whole
    }

    private init(_ value: JSONValue, parent: String, step: Step) {
        self.value = value
        self.parent = parent
        self.step = step
    }

    /// `publicKey.user.id`, `excludeCredentials[2].id`; empty for the document itself.
    var path: String {
        switch step {
        case .whole: return parent
        case .name(let name): return parent.isEmpty ? name : parent + "." + name
        case .index(let index): return "\(parent)[\(index)]"
        }
    }

    private func child(_ name: String) -> String { path.isEmpty ? name : path + "." + name }

    private func childMember(_ value: JSONValue, name: String) -> JSONMember {
        switch step {
        case .whole: return JSONMember(value, parent: parent, step: .name(name))
        default: return JSONMember(value, parent: path, step: .name(name))
        }
    }

    /// The member `name`, or `nil` when absent or `null`.
    func optional(_ name: String) throws(WebAuthnClientError) -> JSONMember? {
        guard case .object = value else { throw .syntax("\(path.isEmpty ? "options" : path) must be an object, not \(value.kindDescription)") }
        guard let member = value[name] else { return nil }
        if case .null = member { return nil }
        return childMember(member, name: name)
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

    func array() throws(WebAuthnClientError) -> Items {
        guard case .array(let items) = value else { throw typeMismatch("an array") }
        return Items(items: items, path: path)
    }

    /// The elements of an array as members, each made when it is visited.
    struct Items: RandomAccessCollection {
        static let empty = Items(items: [], path: "")
        let items: [JSONValue]
        let path: String

        var startIndex: Int { items.startIndex }
        var endIndex: Int { items.endIndex }
        subscript(position: Int) -> JSONMember { JSONMember(items[position], parent: path, step: .index(position)) }
    }

    /// The members of an object, in order (a repeated name keeps its last value, as `JSON.parse`).
    func members() throws(WebAuthnClientError) -> [(String, JSONMember)] {
        guard case .object(let members) = value else { throw typeMismatch("an object") }
        var seen: [String: Int] = [:]
        var out: [(String, JSONMember)] = []
        for (name, member) in members {
            let entry = (name, childMember(member, name: name))
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
        guard case .array(let items) = value else { throw typeMismatch("an array") }
        var out: [String] = []
        out.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard case .string(let text) = item else { throw JSONMember(item, parent: path, step: .index(index)).typeMismatch("a string") }
            out.append(text)
        }
        return out
    }

    fileprivate func typeMismatch(_ expected: String) -> WebAuthnClientError {
        .syntax("\(path) must be \(expected), not \(value.kindDescription)")
    }
}
