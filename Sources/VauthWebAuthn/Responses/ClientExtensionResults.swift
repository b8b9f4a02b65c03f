/// `AuthenticationExtensionsClientOutputs` (L3 §5.8): what `getClientExtensionResults()` returns,
/// for the extensions vauth's client processes. Only extensions the RP asked for appear. Each
/// extension's file adds its typed member (``credProps``, ``prf``).
public struct ClientExtensionResults: Equatable, Sendable {
    var outputs: [String: any ClientExtensionOutput] = [:]

    public init() {}

    subscript<T: ClientExtensionOutput>(_ identifier: String) -> T? {
        get { outputs[identifier] as? T }
        set { outputs[identifier] = newValue }
    }

    /// The `toJSON()` form: binary values base64url, members in the registered extensions' order.
    public var json: JSONValue {
        .object(ClientExtensions.registered.compactMap { type in outputs[type.identifier].map { (type.identifier, $0.json) } })
    }

    public static func == (lhs: ClientExtensionResults, rhs: ClientExtensionResults) -> Bool {
        guard lhs.outputs.keys == rhs.outputs.keys else { return false }
        return lhs.outputs.allSatisfy { key, value in rhs.outputs[key].map { equal(value, $0) } ?? false }
    }

    private static func equal<T: ClientExtensionOutput>(_ lhs: T, _ rhs: any ClientExtensionOutput) -> Bool {
        lhs == (rhs as? T)
    }
}
