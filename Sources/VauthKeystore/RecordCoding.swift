import VauthAuthenticator
import VauthCBOR
import VauthCrypto

/// Plaintext of sealed sections: `u32 metadataLength ‖ CBOR metadata ‖ secret bytes`.
///
/// Secrets (private keys, hmac-secret keys) come after the CBOR rather than inside it, so that on
/// the way in they go straight from the decrypted buffer into wipe-on-free ``SecretBytes`` and
/// never sit in an ordinary Swift array that nobody clears.
enum SectionPlaintext {
    static func encode(metadata: CBORValue, secrets: [SecretBytes]) -> SecretBytes {
        let meta = metadata.encoded
        var total = 4 + meta.count
        for secret in secrets { total += secret.count }
        return SecretBytes(count: total) { out in
            let length = UInt32(meta.count)
            out[0] = UInt8(length >> 24); out[1] = UInt8(length >> 16 & 0xff); out[2] = UInt8(length >> 8 & 0xff); out[3] = UInt8(length & 0xff)
            out.baseAddress!.advanced(by: 4).copyMemory(from: meta, byteCount: meta.count)
            var offset = 4 + meta.count
            for secret in secrets {
                secret.withUnsafeBytes { out.baseAddress!.advanced(by: offset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                offset += secret.count
            }
        }
    }

    /// Splits a plaintext into its metadata and a cursor over the secrets.
    ///
    /// The plaintext has passed its GCM tag, so it is what vauth itself wrote: the CBOR limit is
    /// the section's own length (at least 1 MiB), so that a record an older vauth wrote without
    /// bounds on its fields (issue 18 item 1) still reads back.
    static func decode(_ plaintext: SecretBytes, section: String, path: String) throws(KeystoreError) -> (CBORValue, SecretCursor) {
        try plaintext.withUnsafeBytes { (buffer) throws(KeystoreError) in
            guard buffer.count >= 4 else { throw KeystoreError.malformedSection(path: path, section: section, reason: "too short") }
            let length = Int(buffer.u32(at: 0))
            guard length <= buffer.count - 4 else { throw KeystoreError.malformedSection(path: path, section: section, reason: "bad metadata length") }
            do {
                let limits = CBORDecoder.Limits(maxInputLength: max(1 << 20, length), maxDepth: 8, maxItems: 4096)
                let meta = try CBORDecoder(limits: limits).decode(buffer[4..<4 + length])
                return (meta, SecretCursor(plaintext: plaintext, offset: 4 + length))
            } catch {
                throw KeystoreError.malformedSection(path: path, section: section, reason: "\(error)")
            }
        }
    }
}

/// Takes secrets off the end of a section plaintext, copying each into its own ``SecretBytes``.
struct SecretCursor {
    let plaintext: SecretBytes
    var offset: Int

    mutating func take(_ count: Int) -> SecretBytes? {
        guard count >= 0, offset + count <= plaintext.count else { return nil }
        defer { offset += count }
        return plaintext.withUnsafeBytes { SecretBytes(UnsafeRawBufferPointer(rebasing: $0[offset..<offset + count])) }
    }

    var isAtEnd: Bool { offset == plaintext.count }
}

/// Metadata keys of a credential record. Short, stable names: they are part of the format.
enum RecordCoding {
    /// The plaintext of a record. New records are checked against ``RecordLimits`` before
    /// anything is written (``check(_:)``); a record read back and sealed again (a counter fold,
    /// `passwd`) was readable, and still is.
    static func encode(_ record: CredentialRecord) -> SecretBytes {
        var meta: [CBORValue: CBORValue] = [
            "id": .bytes(record.id), "rp": .text(record.rp.id), "uid": .bytes(record.user.id),
            "alg": .int(record.algorithm.rawValue), "cnt": .unsigned(UInt64(record.signCount)),
            "cm": .text(record.signCounterMode.rawValue), "rk": .boolean(record.discoverable), "ts": .int(Int(record.createdAt)),
            "cp": .int(record.protection.rawValue), "be": .boolean(record.backupEligible), "bs": .boolean(record.backedUp),
            "kl": .int(record.privateKey.count), "hs": .boolean(record.hmacSecret != nil),
        ]
        if let name = record.rp.name { meta["rpn"] = .text(name) }
        // Absent for WebAuthn credentials, so their records are exactly what they always were.
        if record.kind != .webAuthn { meta["kind"] = .text(record.kind.rawValue) }
        if let name = record.user.name { meta["un"] = .text(name) }
        if let name = record.user.displayName { meta["udn"] = .text(name) }
        var secrets = [record.privateKey]
        if let keys = record.hmacSecret { secrets += [keys.withUV, keys.withoutUV] }
        return SectionPlaintext.encode(metadata: .map(meta), secrets: secrets)
    }

    /// Whether `record` can be stored: every field within its bound.
    static func check(_ record: CredentialRecord) throws(KeystoreError) {
        if let (field, size, limit) = RecordLimits.violation(in: record) {
            throw KeystoreError.recordTooLarge(id: Base64.urlEncode(record.id.prefix(64)), field: field, size: size, limit: limit)
        }
    }

    /// A record read back, with what had to be changed to read it: names an older vauth stored
    /// over ``RecordLimits/name`` bytes are cut to that (at a character boundary), as CTAP 2.2
    /// §6.1.2 lets an authenticator do, so that every later write of the record fits.
    struct Decoded {
        var record: CredentialRecord
        var truncated: [String] = []
    }

    static func decode(_ plaintext: SecretBytes, path: String) throws(KeystoreError) -> CredentialRecord {
        try decodeChecked(plaintext, path: path).record
    }

    static func decodeChecked(_ plaintext: SecretBytes, path: String) throws(KeystoreError) -> Decoded {
        let section = "credential record"
        let (meta, cursorStart) = try SectionPlaintext.decode(plaintext, section: section, path: path)
        var cursor = cursorStart
        func fail(_ reason: String) -> KeystoreError { .malformedSection(path: path, section: section, reason: reason) }
        guard let id = meta["id"]?.bytesValue, let rpId = meta["rp"]?.textValue, let userId = meta["uid"]?.bytesValue,
              let alg = meta["alg"]?.intValue, let algorithm = COSEAlgorithm(rawValue: alg),
              let count = meta["cnt"]?.unsignedValue, count <= UInt64(UInt32.max),
              let modeName = meta["cm"]?.textValue, let mode = SignCounterMode(rawValue: modeName),
              let discoverable = meta["rk"]?.boolValue, let createdAt = meta["ts"]?.intValue,
              let level = meta["cp"]?.intValue, let protection = CredentialProtection(rawValue: level),
              let be = meta["be"]?.boolValue, let bs = meta["bs"]?.boolValue,
              let keyLength = meta["kl"]?.intValue, let hasHMAC = meta["hs"]?.boolValue else {
            throw fail("missing or mistyped field")
        }
        var kind = CredentialKind.webAuthn
        if let name = meta["kind"] {
            guard let parsed = name.textValue.flatMap(CredentialKind.init(rawValue:)) else { throw fail("unknown credential kind") }
            kind = parsed
        }
        guard let privateKey = cursor.take(keyLength) else { throw fail("private key truncated") }
        var hmac: HMACSecretKeys?
        if hasHMAC {
            guard let withUV = cursor.take(32), let withoutUV = cursor.take(32) else { throw fail("hmac-secret keys truncated") }
            hmac = HMACSecretKeys(withUV: withUV, withoutUV: withoutUV)
        }
        guard cursor.isAtEnd else { throw fail("trailing bytes") }
        var truncated: [String] = []
        func name(_ key: CBORValue, _ field: String) -> String? {
            guard let text = meta[key]?.textValue else { return nil }
            guard text.utf8.count > RecordLimits.name else { return text }
            truncated.append("\(field) was \(text.utf8.count) bytes, read as its first \(RecordLimits.name)")
            return RecordLimits.truncated(text, to: RecordLimits.name)
        }
        let record = CredentialRecord(
            id: id, rp: RelyingPartyEntity(id: rpId, name: name("rpn", "rp.name")),
            user: UserEntity(id: userId, name: name("un", "user.name"), displayName: name("udn", "user.displayName")),
            algorithm: algorithm, privateKey: privateKey, signCount: UInt32(count), signCounterMode: mode,
            discoverable: discoverable, createdAt: Int64(createdAt), protection: protection, hmacSecret: hmac,
            backupEligible: be, backedUp: bs, kind: kind)
        return Decoded(record: record, truncated: truncated)
    }
}

/// The identity section: AAGUID, attestation CA and leaf (keys and certificates), default policy.
enum IdentityCoding {
    /// The identity section: identity, policy, creation time and, when one was ever stored, the
    /// clientPIN state (its PIN hash LEFT(SHA-256(PIN), 16) is the third secret, after the keys).
    static func encode(identity: AuthenticatorIdentity, policy: AuthenticatorPolicy, createdAt: Int64,
                       pin: PINState? = nil) throws(KeystoreError) -> SecretBytes {
        do {
            let rootKey = try identity.rootKey.pkcs8DER(), attestationKey = try identity.attestationKey.pkcs8DER()
            var meta: CBORValue = [
                "aaguid": .bytes(identity.aaguid.bytes),
                "rootCert": .bytes(try identity.rootCertificate.der()),
                "attCert": .bytes(try identity.attestationCertificate.der()),
                "rootKeyLen": .int(rootKey.count), "attKeyLen": .int(attestationKey.count),
                "policy": PolicyCoding.encode(policy), "created": .int(Int(createdAt)),
            ]
            var secrets = [rootKey, attestationKey]
            if let pin {
                meta = .map(meta.mapValue!.merging([
                    "pin": [
                        "hashLen": .int(pin.pinHash?.count ?? 0), "len": .int(pin.pinLength), "retries": .int(pin.retries),
                        "minLen": .int(pin.minimumLength), "force": .boolean(pin.forceChange),
                    ],
                ]) { $1 })
                if let hash = pin.pinHash { secrets.append(hash) }
            }
            return SectionPlaintext.encode(metadata: meta, secrets: secrets)
        } catch {
            throw KeystoreError.crypto("identity: \(error)")
        }
    }

    /// The metadata and the creation time, without parsing keys: commands that only sign
    /// assertions need the policy, not the attestation chain.
    static func decodePolicy(_ plaintext: SecretBytes, path: String) throws(KeystoreError) -> (AuthenticatorPolicy, Int64) {
        let (meta, _) = try SectionPlaintext.decode(plaintext, section: "identity", path: path)
        guard let policy = meta["policy"], let created = meta["created"]?.intValue else {
            throw KeystoreError.malformedSection(path: path, section: "identity", reason: "missing policy")
        }
        return (try PolicyCoding.decode(policy, path: path), Int64(created))
    }

    /// The AAGUID alone: what an authenticator that does not attest needs of its identity.
    static func decodeAAGUID(_ plaintext: SecretBytes, path: String) throws(KeystoreError) -> AAGUID {
        let (meta, _) = try SectionPlaintext.decode(plaintext, section: "identity", path: path)
        guard let bytes = meta["aaguid"]?.bytesValue, let aaguid = AAGUID(bytes: bytes) else {
            throw KeystoreError.malformedSection(path: path, section: "identity", reason: "missing aaguid")
        }
        return aaguid
    }

    /// The clientPIN state; a keystore that never stored one has no PIN and full retries.
    static func decodePIN(_ plaintext: SecretBytes, path: String) throws(KeystoreError) -> PINState {
        let (meta, cursorStart) = try SectionPlaintext.decode(plaintext, section: "identity", path: path)
        guard let pin = meta["pin"] else { return PINState() }
        var cursor = cursorStart
        func fail(_ reason: String) -> KeystoreError { .malformedSection(path: path, section: "identity", reason: reason) }
        guard let hashLength = pin["hashLen"]?.intValue, hashLength == 0 || hashLength == 16,
              let length = pin["len"]?.intValue, let retries = pin["retries"]?.intValue, (0...PINState.maximumRetries).contains(retries),
              let minimum = pin["minLen"]?.intValue, let force = pin["force"]?.boolValue,
              let rootKeyLength = meta["rootKeyLen"]?.intValue, let attKeyLength = meta["attKeyLen"]?.intValue,
              cursor.take(rootKeyLength) != nil, cursor.take(attKeyLength) != nil else {
            throw fail("bad PIN state")
        }
        var hash: SecretBytes?
        if hashLength > 0 {
            guard let taken = cursor.take(hashLength) else { throw fail("PIN hash missing") }
            hash = taken
        }
        return PINState(pinHash: hash, pinLength: length, retries: retries, minimumLength: minimum, forceChange: force)
    }

    static func decodeIdentity(_ plaintext: SecretBytes, path: String) throws(KeystoreError) -> AuthenticatorIdentity {
        let (meta, cursorStart) = try SectionPlaintext.decode(plaintext, section: "identity", path: path)
        var cursor = cursorStart
        func fail(_ reason: String) -> KeystoreError { .malformedSection(path: path, section: "identity", reason: reason) }
        guard let aaguidBytes = meta["aaguid"]?.bytesValue, let aaguid = AAGUID(bytes: aaguidBytes),
              let rootCert = meta["rootCert"]?.bytesValue, let attCert = meta["attCert"]?.bytesValue,
              let rootKeyLength = meta["rootKeyLen"]?.intValue, let attKeyLength = meta["attKeyLen"]?.intValue,
              let rootKeyDER = cursor.take(rootKeyLength), let attKeyDER = cursor.take(attKeyLength),
              cursor.take(meta["pin"]?["hashLen"]?.intValue ?? 0) != nil, cursor.isAtEnd else {
            throw fail("missing or mistyped field")
        }
        do {
            return AuthenticatorIdentity(
                aaguid: aaguid,
                rootKey: try rootKeyDER.withUnsafeBytes { (der) throws(CryptoError) in try SigningKey(pkcs8DER: der) },
                rootCertificate: try X509Certificate(der: rootCert),
                attestationKey: try attKeyDER.withUnsafeBytes { (der) throws(CryptoError) in try SigningKey(pkcs8DER: der) },
                attestationCertificate: try X509Certificate(der: attCert))
        } catch {
            throw fail("\(error)")
        }
    }
}

/// The default authenticator policy as a CBOR map.
enum PolicyCoding {
    static func encode(_ policy: AuthenticatorPolicy) -> CBORValue {
        [
            "attestation": .text(policy.attestation.rawValue), "uv": .text(policy.userVerification.rawValue),
            "counter": .text(policy.signCounter.rawValue), "be": .boolean(policy.backupEligible), "bs": .boolean(policy.backedUp),
            "algs": .array(policy.algorithms.map { .int($0.rawValue) }),
        ]
    }

    static func decode(_ value: CBORValue, path: String) throws(KeystoreError) -> AuthenticatorPolicy {
        guard let attestation = value["attestation"]?.textValue.flatMap(AttestationKind.init(rawValue:)),
              let uv = value["uv"]?.textValue.flatMap(UserVerificationCapability.init(rawValue:)),
              let counter = value["counter"]?.textValue.flatMap(SignCounterMode.init(rawValue:)),
              let be = value["be"]?.boolValue, let bs = value["bs"]?.boolValue,
              let algs = value["algs"]?.arrayValue?.compactMap({ $0.intValue.flatMap(COSEAlgorithm.init(rawValue:)) }) else {
            throw KeystoreError.malformedSection(path: path, section: "identity", reason: "bad policy")
        }
        return AuthenticatorPolicy(attestation: attestation, userVerification: uv, signCounter: counter,
                                   backupEligible: be, backedUp: bs, algorithms: algs)
    }
}
