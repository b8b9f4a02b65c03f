import VauthCBOR
import VauthCrypto

/// Attested credential data (WebAuthn L3 §6.5.1): AAGUID, credential id, credential public key.
public struct AttestedCredentialData: Equatable, Sendable {
    public var aaguid: AAGUID
    public var credentialId: [UInt8]
    public var publicKey: COSEKey

    public init(aaguid: AAGUID, credentialId: [UInt8], publicKey: COSEKey) {
        self.aaguid = aaguid
        self.credentialId = credentialId
        self.publicKey = publicKey
    }

    /// aaguid (16) ‖ credentialIdLength (2, big-endian) ‖ credentialId ‖ COSE_Key.
    public var bytes: [UInt8] {
        aaguid.bytes + [UInt8(credentialId.count >> 8), UInt8(credentialId.count & 0xff)] + credentialId + publicKey.encoded
    }
}
