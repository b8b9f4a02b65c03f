import VauthCBOR
import VauthCrypto

/// Authenticator data (WebAuthn L3 §6.1): what the authenticator signs, together with the client
/// data hash.
public struct AuthenticatorData: Equatable, Sendable {
    public var rpIdHash: [UInt8]
    public var flags: AuthenticatorFlags
    public var signCount: UInt32
    public var attestedCredentialData: AttestedCredentialData?
    /// Authenticator extension outputs: a CBOR map keyed by extension identifier (L3 §9).
    public var extensions: [CBORValue: CBORValue]?

    public init(rpIdHash: [UInt8], flags: AuthenticatorFlags, signCount: UInt32,
                attestedCredentialData: AttestedCredentialData? = nil, extensions: [CBORValue: CBORValue]? = nil) {
        self.rpIdHash = rpIdHash
        self.signCount = signCount
        self.attestedCredentialData = attestedCredentialData
        self.extensions = extensions.flatMap { $0.isEmpty ? nil : $0 }
        // AT and ED say whether the optional parts follow; they are derived, never set by hand.
        var flags = flags.subtracting([.attestedCredentialData, .extensionData])
        if attestedCredentialData != nil { flags.insert(.attestedCredentialData) }
        if self.extensions != nil { flags.insert(.extensionData) }
        self.flags = flags
    }

    /// rpIdHash (32) ‖ flags (1) ‖ signCount (4, big-endian) ‖ [attestedCredentialData] ‖ [extensions].
    public var bytes: [UInt8] {
        var out = rpIdHash
        out.append(flags.rawValue)
        out += [UInt8(signCount >> 24), UInt8(signCount >> 16 & 0xff), UInt8(signCount >> 8 & 0xff), UInt8(signCount & 0xff)]
        if let attestedCredentialData { out += attestedCredentialData.bytes }
        if let extensions { out += CBORValue.map(extensions).encoded }
        return out
    }

    /// Parses authenticator data strictly: lengths must agree with the flags, the COSE key and
    /// extensions must be canonical CBOR, and nothing may follow.
    public init(bytes: [UInt8]) throws(CTAPError) {
        guard bytes.count >= 37 else { throw CTAPError(.invalidLength, "authenticator data shorter than 37 bytes") }
        rpIdHash = Array(bytes[0..<32])
        flags = AuthenticatorFlags(rawValue: bytes[32])
        signCount = UInt32(bytes[33]) << 24 | UInt32(bytes[34]) << 16 | UInt32(bytes[35]) << 8 | UInt32(bytes[36])
        var offset = 37
        let decoder = CBORDecoder(limits: .ctap)
        if flags.contains(.attestedCredentialData) {
            guard bytes.count >= offset + 18 else { throw CTAPError(.invalidLength, "attested credential data truncated") }
            let aaguid = AAGUID(bytes: bytes[offset..<offset + 16])!
            let idLength = Int(bytes[offset + 16]) << 8 | Int(bytes[offset + 17])
            offset += 18
            guard bytes.count >= offset + idLength else { throw CTAPError(.invalidLength, "credential id truncated") }
            let credentialId = Array(bytes[offset..<offset + idLength])
            offset += idLength
            do {
                let (value, consumed) = try decoder.decodePrefix(bytes[offset...])
                offset += consumed
                attestedCredentialData = AttestedCredentialData(aaguid: aaguid, credentialId: credentialId, publicKey: try COSEKey(cbor: value))
            } catch {
                throw CTAPError(.invalidCBOR, "credential public key: \(error)")
            }
        } else {
            attestedCredentialData = nil
        }
        if flags.contains(.extensionData) {
            do {
                let (value, consumed) = try decoder.decodePrefix(bytes[offset...])
                guard let map = value.mapValue else { throw CTAPError(.cborUnexpectedType, "extensions are not a map") }
                extensions = map
                offset += consumed
            } catch let error as CTAPError {
                throw error
            } catch {
                throw CTAPError(.invalidCBOR, "extensions: \(error)")
            }
        } else {
            extensions = nil
        }
        guard offset == bytes.count else { throw CTAPError(.invalidLength, "\(bytes.count - offset) bytes after authenticator data") }
    }
}
