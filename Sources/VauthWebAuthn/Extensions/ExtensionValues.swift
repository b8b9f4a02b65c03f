/// Values keyed by extension identifier, each of its extension's own type: the storage behind the
/// extension inputs of the options and the client extension results, so that an extension's
/// file alone declares its typed members (`extensions.prf`, `results.credProps`).
struct ExtensionValues: Equatable, Sendable {
    private var values: [String: any Equatable & Sendable] = [:]

    var isEmpty: Bool { values.isEmpty }

    subscript<T: Equatable & Sendable>(_ identifier: String) -> T? {
        get { values[identifier] as? T }
        set { values[identifier] = newValue }
    }

    static func == (lhs: ExtensionValues, rhs: ExtensionValues) -> Bool {
        guard lhs.values.keys == rhs.values.keys else { return false }
        return lhs.values.allSatisfy { key, value in rhs.values[key].map { equal(value, $0) } ?? false }
    }

    private static func equal<T: Equatable>(_ lhs: T, _ rhs: any Equatable & Sendable) -> Bool {
        lhs == (rhs as? T)
    }
}

/// `AuthenticationExtensionsClientInputs` of create() (L3 §5.8): the inputs of the registered
/// extensions; any other member of `extensions` is ignored, as a browser ignores extensions it
/// does not know (L3 §9). Each extension's file adds its typed members.
public struct RegistrationExtensionInputs: Equatable, Sendable {
    var values = ExtensionValues()

    public init() {}

    init(_ json: JSONMember?) throws(WebAuthnClientError) {
        guard let json else { return }
        values = try ClientExtensions.registrationInputs(json)
    }
}

/// `AuthenticationExtensionsClientInputs` of get() (L3 §5.8), as ``RegistrationExtensionInputs``.
public struct AuthenticationExtensionInputs: Equatable, Sendable {
    var values = ExtensionValues()

    public init() {}

    init(_ json: JSONMember?) throws(WebAuthnClientError) {
        guard let json else { return }
        values = try ClientExtensions.authenticationInputs(json)
    }
}
