import VauthCrypto
import VauthWebAuthn

/// Typed reads from a Dfns JSON document whose errors name the member (`challenge.user.id`), so a
/// malformed challenge gives one line that says what is wrong with it.
struct DfnsJSONFields {
    let value: JSONValue
    let path: String

    init(_ value: JSONValue, path: String) throws(DfnsError) {
        guard value.objectValue != nil else { throw .malformed("\(path) must be a JSON object") }
        self.value = value
        self.path = path
    }

    func string(_ name: String) throws(DfnsError) -> String {
        guard let text = try optionalString(name) else { throw .malformed("\(path).\(name) is missing") }
        return text
    }

    func nonEmptyString(_ name: String) throws(DfnsError) -> String {
        let text = try string(name)
        guard !text.isEmpty else { throw .malformed("\(path).\(name) is empty") }
        return text
    }

    func optionalString(_ name: String) throws(DfnsError) -> String? {
        guard let member = value[name], member != .null else { return nil }
        guard let text = member.stringValue else { throw .malformed("\(path).\(name) must be a string") }
        return text
    }

    func object(_ name: String) throws(DfnsError) -> DfnsJSONFields {
        guard let member = value[name], member != .null else { throw .malformed("\(path).\(name) is missing") }
        return try DfnsJSONFields(member, path: "\(path).\(name)")
    }

    func optionalObject(_ name: String) throws(DfnsError) -> DfnsJSONFields? {
        guard let member = value[name], member != .null else { return nil }
        return try DfnsJSONFields(member, path: "\(path).\(name)")
    }

    func optionalArray(_ name: String) throws(DfnsError) -> [JSONValue]? {
        guard let member = value[name], member != .null else { return nil }
        guard let items = member.arrayValue else { throw .malformed("\(path).\(name) must be an array") }
        return items
    }

    func strings(_ name: String) throws(DfnsError) -> [String] {
        guard let items = try optionalArray(name) else { throw .malformed("\(path).\(name) is missing") }
        var out: [String] = []
        for (index, item) in items.enumerated() {
            guard let text = item.stringValue else { throw .malformed("\(path).\(name)[\(index)] must be a string") }
            out.append(text)
        }
        return out
    }

    /// A credential id: unpadded base64url of 1 to 1023 bytes (WebAuthn L3 §5.8.3's limit).
    static func credentialId(_ text: String, path: String) throws(DfnsError) -> [UInt8] {
        guard let bytes = Base64.urlDecode(text), (1...1023).contains(bytes.count) else {
            throw .malformed("\(path) is not a base64url credential id")
        }
        return bytes
    }
}
