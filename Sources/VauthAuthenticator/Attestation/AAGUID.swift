import VauthCrypto

/// The Authenticator Attestation GUID (WebAuthn L3 §6.5.1): 16 bytes naming the authenticator model.
public struct AAGUID: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        self.bytes = Array(bytes)
    }

    /// Parses the UUID text form (`8-4-4-4-12` hex digits), case-insensitive.
    public init?(string: String) {
        let hex = string.filter { $0 != "-" }
        guard string.count == 36, hex.count == 32, let bytes = Hex.decode(hex) else { return nil }
        self.bytes = bytes
    }

    /// All zeros: what a client substitutes when attestation conveyance is `none` (L3 §5.1.3).
    public static let zero = AAGUID(bytes: [UInt8](repeating: 0, count: 16))!

    /// vauth's default AAGUID, a fixed random (version 4) UUID so RPs can recognise it.
    public static let vauthDefault = AAGUID(string: "7a56c1a3-5f2e-4d0b-9b61-2f1c0e8d3a47")!

    /// A random version 4 UUID.
    public static func random() throws(CryptoError) -> AAGUID {
        var bytes = try SecureRandom.bytes(16)
        bytes[6] = bytes[6] & 0x0f | 0x40
        bytes[8] = bytes[8] & 0x3f | 0x80
        return AAGUID(bytes: bytes)!
    }

    public var description: String {
        let hex = Hex.encode(bytes)
        let chars = Array(hex)
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(chars[$0]) }.joined(separator: "-")
    }
}
