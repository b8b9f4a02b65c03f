/// The `largeBlob` extension (WebAuthn L3 §10.1.5) on an authenticator without large-blob storage:
/// vauth's getInfo has no `largeBlobs` option (CTAP 2.2 §6.4), so a client must report what a
/// browser reports for such an authenticator (measured against Chromium's virtual authenticator):
/// a registration that asks for support gets `{supported: false}`, or fails with
/// NotAllowedError when support is `required`; an assertion that reads gets `{}` (no blob) and
/// one that writes `{written: false}`.
public struct LargeBlobInputs: Equatable, Sendable {
    /// `support`: "required" or "preferred" (registration only).
    public var support: String?
    /// `read` (authentication only).
    public var read: Bool?
    /// `write` (authentication only).
    public var write: [UInt8]?

    public init(support: String? = nil, read: Bool? = nil, write: [UInt8]? = nil) {
        self.support = support
        self.read = read
        self.write = write
    }

    init(_ json: JSONMember) throws(WebAuthnClientError) {
        support = try json.optional("support")?.string()
        read = try json.optional("read")?.bool()
        write = try json.optional("write")?.base64url()
    }

    /// L3 §10.1.5 client extension processing (registration).
    func registrationOutput() throws(WebAuthnClientError) -> LargeBlobOutputs {
        guard read == nil, write == nil else { throw .init(.notSupported, "extensions.largeBlob: read and write are for get(), not create()") }
        guard support != "required" else {
            throw .init(.notAllowed, "extensions.largeBlob.support is required, but the authenticator has no large-blob storage")
        }
        return LargeBlobOutputs(supported: false)
    }

    /// L3 §10.1.5 client extension processing (authentication): checked before the ceremony.
    func checkAuthentication() throws(WebAuthnClientError) {
        guard support == nil else { throw .init(.notSupported, "extensions.largeBlob.support is for create(), not get()") }
        guard !(read == true && write != nil) else { throw .init(.notSupported, "extensions.largeBlob: read and write together") }
    }

    /// What the assertion reports: nothing read, nothing written.
    var authenticationOutput: LargeBlobOutputs {
        LargeBlobOutputs(written: write != nil ? false : nil)
    }
}

/// `AuthenticationExtensionsLargeBlobOutputs` (L3 §10.1.5).
public struct LargeBlobOutputs: Equatable, Sendable {
    public var supported: Bool?
    public var written: Bool?

    public init(supported: Bool? = nil, written: Bool? = nil) {
        self.supported = supported
        self.written = written
    }

    var json: JSONValue {
        var members: [(String, JSONValue)] = []
        if let supported { members.append(("supported", .bool(supported))) }
        if let written { members.append(("written", .bool(written))) }
        return .object(members)
    }
}
