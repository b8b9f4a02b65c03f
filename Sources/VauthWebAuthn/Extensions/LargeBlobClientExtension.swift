import VauthAuthenticator

/// largeBlob (L3 §10.1.5) on an authenticator without large-blob storage: vauth's getInfo has no
/// `largeBlobs` option (CTAP 2.2 §6.4), so the client reports what a browser reports for such an
/// authenticator (measured against Chromium's virtual authenticator, docs/bridge.md): a
/// registration that asks gets `{supported: false}`, or NotAllowedError when support is
/// `required`; an assertion that reads gets `{}` (no blob), one that writes `{written: false}`.
/// Nothing is sent to the authenticator.
enum LargeBlobClientExtension: ClientRegistrationExtension, ClientAuthenticationExtension {
    static let identifier = "largeBlob"

    static func registrationInput(from extensions: JSONMember) throws(WebAuthnClientError) -> LargeBlobInputs? {
        try extensions.optional("largeBlob").map { (member) throws(WebAuthnClientError) in try LargeBlobInputs(member) }
    }

    static func authenticationInput(from extensions: JSONMember) throws(WebAuthnClientError) -> LargeBlobInputs? {
        try registrationInput(from: extensions)
    }

    // MARK: create()

    /// L3 §10.1.5 registration: `read` and `write` belong to get(); `required` needs an
    /// authenticator with large-blob storage, which this one is not.
    static func prepareRegistration(_ input: LargeBlobInputs, _ context: ClientExtensionContext,
                                    _ authenticatorInputs: inout MakeCredentialExtensionInputs) throws(WebAuthnClientError) {
        guard input.read == nil, input.write == nil else { throw .notSupported("extensions.largeBlob: read and write are for get(), not create()") }
        if input.support == "required", context.info.options["largeBlobs"] != true {
            throw .notAllowed("extensions.largeBlob.support is required, but the authenticator has no large-blob storage")
        }
    }

    static func registrationOutput(_ input: LargeBlobInputs, _ state: Void, _ response: MakeCredentialResponse) throws(WebAuthnClientError) -> LargeBlobOutputs? {
        LargeBlobOutputs(supported: false)
    }

    // MARK: get()

    /// L3 §10.1.5 authentication: `support` belongs to create(); read and write exclude each other.
    static func beginAuthentication(_ input: LargeBlobInputs, _ options: PublicKeyCredentialRequestOptions) throws(WebAuthnClientError) -> LargeBlobInputs {
        guard input.support == nil else { throw .notSupported("extensions.largeBlob.support is for create(), not get()") }
        guard !(input.read == true && input.write != nil) else { throw .notSupported("extensions.largeBlob: read and write together") }
        return input
    }

    static func prepareAttempt(_ state: inout LargeBlobInputs, allowList: [CredentialDescriptor], _ context: ClientExtensionContext,
                               _ authenticatorInputs: inout GetAssertionExtensionInputs) throws(WebAuthnClientError) {}

    static func authenticationOutput(_ state: LargeBlobInputs, _ response: GetAssertionResponse) throws(WebAuthnClientError) -> LargeBlobOutputs? {
        LargeBlobOutputs(written: state.write != nil ? false : nil)
    }
}

/// `AuthenticationExtensionsLargeBlobInputs` (L3 §10.1.5).
public struct LargeBlobInputs: Equatable, Sendable {
    /// "required" or "preferred" (create() only).
    public var support: String?
    /// get() only.
    public var read: Bool?
    /// get() only.
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
}

/// `AuthenticationExtensionsLargeBlobOutputs` (L3 §10.1.5).
public struct LargeBlobOutputs: ClientExtensionOutput {
    public var supported: Bool?
    public var written: Bool?

    public init(supported: Bool? = nil, written: Bool? = nil) {
        self.supported = supported
        self.written = written
    }

    public var json: JSONValue {
        var members: [(String, JSONValue)] = []
        if let supported { members.append(("supported", .bool(supported))) }
        if let written { members.append(("written", .bool(written))) }
        return .object(members)
    }
}

extension RegistrationExtensionInputs {
    /// `largeBlob` (L3 §10.1.5).
    public var largeBlob: LargeBlobInputs? {
        get { values[LargeBlobClientExtension.identifier] }
        set { values[LargeBlobClientExtension.identifier] = newValue }
    }
}

extension AuthenticationExtensionInputs {
    /// `largeBlob` (L3 §10.1.5).
    public var largeBlob: LargeBlobInputs? {
        get { values[LargeBlobClientExtension.identifier] }
        set { values[LargeBlobClientExtension.identifier] = newValue }
    }
}

extension ClientExtensionResults {
    /// `largeBlob` (L3 §10.1.5).
    public var largeBlob: LargeBlobOutputs? {
        get { self[LargeBlobClientExtension.identifier] }
        set { self[LargeBlobClientExtension.identifier] = newValue }
    }
}
