import VauthCBOR

/// The extension inputs of one authenticatorMakeCredential, parsed by the registered extensions
/// (``AuthenticatorExtensions/registered``). Members no registered extension knows are ignored,
/// as CTAP 2.2 §6.1.2 step 9 says authenticators do. Each extension's file adds a typed property
/// (``credProtect``, ``hmacSecret``, ``hmacSecretMC``).
public struct MakeCredentialExtensionInputs: Sendable {
    private var inputs: [String: any Sendable] = [:]

    public init() {}

    /// The input of extension `E`, if the request carries one.
    public subscript<E: AuthenticatorExtension>(_ extensionType: E.Type) -> E.MakeCredentialInput? {
        get { inputs[E.identifier] as? E.MakeCredentialInput }
        set { inputs[E.identifier] = newValue }
    }

    var cborValue: CBORValue? {
        var map: [CBORValue: CBORValue] = [:]
        for extensionType in AuthenticatorExtensions.registered {
            if let value = encoded(extensionType) { map[.text(extensionType.identifier)] = value }
        }
        return map.isEmpty ? nil : .map(map)
    }

    private func encoded<E: AuthenticatorExtension>(_ extensionType: E.Type) -> CBORValue? {
        self[extensionType].map(E.encodeMakeCredentialInput)
    }

    init(cbor: CBORValue?) throws(CTAPError) {
        self.init()
        guard let cbor else { return }
        let map = try CTAPMap(cbor, context: "extensions")
        for extensionType in AuthenticatorExtensions.registered { try parse(extensionType, map) }
    }

    private mutating func parse<E: AuthenticatorExtension>(_ extensionType: E.Type, _ map: CTAPMap) throws(CTAPError) {
        guard let value = map.entries[.text(E.identifier)] else { return }
        self[extensionType] = try E.makeCredentialInput(from: value)
    }

    /// Runs the makeCredential hook of every requested extension, in registration order, and
    /// collects their outputs for the authenticator data.
    func process(_ context: inout MakeCredentialExtensionContext) throws(CTAPError) -> [CBORValue: CBORValue] {
        var outputs: [CBORValue: CBORValue] = [:]
        for extensionType in AuthenticatorExtensions.registered {
            if let output = try run(extensionType, &context) { outputs[.text(extensionType.identifier)] = output }
        }
        return outputs
    }

    private func run<E: AuthenticatorExtension>(_ extensionType: E.Type, _ context: inout MakeCredentialExtensionContext) throws(CTAPError) -> CBORValue? {
        guard let input = self[extensionType] else { return nil }
        return try E.makeCredential(input, &context)
    }
}

/// The extension inputs of one authenticatorGetAssertion, parsed by the registered extensions.
public struct GetAssertionExtensionInputs: Sendable {
    private var inputs: [String: any Sendable] = [:]

    public init() {}

    /// The input of extension `E`, if the request carries one.
    public subscript<E: AuthenticatorExtension>(_ extensionType: E.Type) -> E.GetAssertionInput? {
        get { inputs[E.identifier] as? E.GetAssertionInput }
        set { inputs[E.identifier] = newValue }
    }

    var cborValue: CBORValue? {
        var map: [CBORValue: CBORValue] = [:]
        for extensionType in AuthenticatorExtensions.registered {
            if let value = encoded(extensionType) { map[.text(extensionType.identifier)] = value }
        }
        return map.isEmpty ? nil : .map(map)
    }

    private func encoded<E: AuthenticatorExtension>(_ extensionType: E.Type) -> CBORValue? {
        self[extensionType].map(E.encodeGetAssertionInput)
    }

    init(cbor: CBORValue?) throws(CTAPError) {
        self.init()
        guard let cbor else { return }
        let map = try CTAPMap(cbor, context: "extensions")
        for extensionType in AuthenticatorExtensions.registered { try parse(extensionType, map) }
    }

    private mutating func parse<E: AuthenticatorExtension>(_ extensionType: E.Type, _ map: CTAPMap) throws(CTAPError) {
        guard let value = map.entries[.text(E.identifier)] else { return }
        self[extensionType] = try E.getAssertionInput(from: value)
    }

    /// Runs the getAssertion hook of every requested extension, in registration order.
    func process(_ context: GetAssertionExtensionContext) throws(CTAPError) -> [CBORValue: CBORValue] {
        var outputs: [CBORValue: CBORValue] = [:]
        for extensionType in AuthenticatorExtensions.registered {
            if let output = try run(extensionType, context) { outputs[.text(extensionType.identifier)] = output }
        }
        return outputs
    }

    private func run<E: AuthenticatorExtension>(_ extensionType: E.Type, _ context: GetAssertionExtensionContext) throws(CTAPError) -> CBORValue? {
        guard let input = self[extensionType] else { return nil }
        return try E.getAssertion(input, context)
    }
}
