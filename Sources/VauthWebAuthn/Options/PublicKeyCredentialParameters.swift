/// `PublicKeyCredentialParameters` (L3 §5.3): a credential type and a COSE algorithm identifier.
public struct PublicKeyCredentialParameters: Equatable, Sendable {
    public var type: String
    public var alg: Int

    public init(type: String = "public-key", alg: Int) {
        self.type = type
        self.alg = alg
    }

    init(_ json: JSONMember) throws(WebAuthnClientError) {
        type = try json.required("type").string()
        // COSEAlgorithmIdentifier is a WebIDL `long`.
        alg = try json.required("alg").integer(in: Int(Int32.min)...Int(Int32.max))
    }
}
