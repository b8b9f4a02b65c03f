import VauthCBOR

/// Typed access to a CBOR map from a CTAP request, turning absent members into
/// `CTAP2_ERR_MISSING_PARAMETER` and mistyped ones into `CTAP2_ERR_CBOR_UNEXPECTED_TYPE`
/// (CTAP 2.2 §8.2).
struct CTAPMap {
    let entries: [CBORValue: CBORValue]
    let context: String

    static let empty = CTAPMap(entries: [:], context: "")

    private init(entries: [CBORValue: CBORValue], context: String) {
        self.entries = entries
        self.context = context
    }

    init(_ value: CBORValue, context: String) throws(CTAPError) {
        guard let map = value.mapValue else { throw CTAPError(.cborUnexpectedType, "\(context) is a \(value.kindDescription), not a map") }
        entries = map
        self.context = context
    }

    func optional<T>(_ key: CBORValue, _ name: String, _ extract: (CBORValue) -> T?) throws(CTAPError) -> T? {
        guard let value = entries[key] else { return nil }
        guard let typed = extract(value) else {
            throw CTAPError(.cborUnexpectedType, "\(context).\(name) has the wrong type (\(value.kindDescription))")
        }
        return typed
    }

    func required<T>(_ key: CBORValue, _ name: String, _ extract: (CBORValue) -> T?) throws(CTAPError) -> T {
        guard let typed = try optional(key, name, extract) else { throw CTAPError(.missingParameter, "\(context).\(name) is missing") }
        return typed
    }
}
