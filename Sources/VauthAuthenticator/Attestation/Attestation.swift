import VauthCBOR
import VauthCrypto

/// An attestation statement and its format identifier (WebAuthn L3 §6.5.4, §8).
public struct AttestationStatement: Equatable, Sendable {
    public var format: String
    public var statement: [CBORValue: CBORValue]

    public init(format: String, statement: [CBORValue: CBORValue]) {
        self.format = format
        self.statement = statement
    }

    /// `none` (§8.7): an empty statement.
    public static let none = AttestationStatement(format: "none", statement: [:])
}

/// The attestation object (WebAuthn L3 §6.5.4): `{"fmt", "attStmt", "authData"}` in CBOR.
public struct AttestationObject: Equatable, Sendable {
    public var authenticatorData: [UInt8]
    public var attestation: AttestationStatement

    public init(authenticatorData: [UInt8], attestation: AttestationStatement) {
        self.authenticatorData = authenticatorData
        self.attestation = attestation
    }

    public var cborValue: CBORValue {
        ["fmt": .text(attestation.format), "attStmt": .map(attestation.statement), "authData": .bytes(authenticatorData)]
    }

    /// Canonical CBOR; keys come out as "fmt", "attStmt", "authData" (shortest first).
    public var encoded: [UInt8] { cborValue.encoded }

    public init(encoded: [UInt8]) throws(CTAPError) {
        let value: CBORValue
        do { value = try CBORDecoder(limits: .ctap).decode(encoded) } catch { throw CTAPError(.invalidCBOR, "attestation object: \(error)") }
        let map = try CTAPMap(value, context: "attestation object")
        self.init(authenticatorData: try map.required("authData", "authData", \.bytesValue),
                  attestation: AttestationStatement(format: try map.required("fmt", "fmt", \.textValue),
                                                    statement: try map.required("attStmt", "attStmt", \.mapValue)))
    }
}
