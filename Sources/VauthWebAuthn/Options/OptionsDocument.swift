/// Reads the options document: the dictionary itself, or a `CredentialCreationOptions` /
/// `CredentialRequestOptions`-like `{"publicKey": {...}}` wrapper around it.
enum OptionsDocument {
    static func root(_ json: JSONValue) throws(WebAuthnClientError) -> JSONMember {
        guard case .object = json else { throw .syntax("options must be a JSON object, not \(json.kindDescription)") }
        if let inner = json["publicKey"], case .object = inner { return JSONMember(inner, path: "publicKey") }
        return JSONMember(json, path: "")
    }
}
