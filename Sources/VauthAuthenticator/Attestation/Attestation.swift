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

    /// `packed` (§8.2): `sig` over authenticatorData ‖ clientDataHash. Self attestation signs with
    /// the credential key and has no `x5c`; basic attestation signs with the batch key and carries
    /// its certificate in `x5c`.
    static func packed(authenticatorData: [UInt8], clientDataHash: [UInt8], signingKey: SigningKey,
                       certificateChain: [[UInt8]]?,
                       sign: (SigningKey, [UInt8]) throws -> [UInt8] = { key, message in try key.sign(message) }) throws -> AttestationStatement {
        var statement: [CBORValue: CBORValue] = [
            "alg": .int(signingKey.algorithm.rawValue),
            "sig": .bytes(try sign(signingKey, authenticatorData + clientDataHash)),
        ]
        if let certificateChain { statement["x5c"] = .array(certificateChain.map(CBORValue.bytes)) }
        return AttestationStatement(format: "packed", statement: statement)
    }
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
