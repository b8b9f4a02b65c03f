/// `PublicKeyCredentialDescriptorJSON` (L3 §5.8.3).
public struct PublicKeyCredentialDescriptor: Equatable, Sendable {
    public var type: String
    public var id: [UInt8]
    public var transports: [String]?

    public init(type: String = "public-key", id: [UInt8], transports: [String]? = nil) {
        self.type = type
        self.id = id
        self.transports = transports
    }

    init(_ json: JSONMember) throws(WebAuthnClientError) {
        type = try json.required("type").string()
        id = try json.required("id").base64url()
        transports = try json.optional("transports")?.stringArray()
    }
}
