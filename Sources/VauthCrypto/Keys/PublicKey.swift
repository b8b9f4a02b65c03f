import COpenSSL

/// A public key that verifies signatures of one ``COSEAlgorithm``.
public final class PublicKey: @unchecked Sendable {
    public let algorithm: COSEAlgorithm
    let key: EVPKey
    /// The P-256 point (`04 ‖ x ‖ y`) or Ed25519 key when known, so SPKI and COSE_Key need no
    /// OpenSSL encoder.
    let rawPublicKey: [UInt8]?

    init(key: EVPKey, algorithm: COSEAlgorithm, rawPublicKey: [UInt8]? = nil) {
        self.key = key
        self.algorithm = algorithm
        self.rawPublicKey = rawPublicKey
    }

    /// Parses SubjectPublicKeyInfo DER; the algorithm follows from the key type.
    public convenience init(spkiDER: some Collection<UInt8>) throws(CryptoError) {
        let key = try EVPKey.fromSPKI(spkiDER)
        self.init(key: key, algorithm: try key.coseAlgorithm())
    }

    /// Builds the key a COSE_Key describes. The point of an EC2 key must lie on P-256.
    public convenience init(coseKey: COSEKey) throws(CryptoError) {
        switch coseKey {
        case .ec2(let alg, _, let x, let y):
            guard alg == COSEAlgorithm.es256.rawValue else { throw CryptoError.unsupportedAlgorithm(alg) }
            self.init(key: try EVPKey.fromSPKI(SPKIPrefix.p256 + [0x04] + x + y), algorithm: .es256)
        case .okp(let alg, _, let x):
            guard alg == COSEAlgorithm.edDSA.rawValue else { throw CryptoError.unsupportedAlgorithm(alg) }
            self.init(key: try EVPKey.fromSPKI(SPKIPrefix.ed25519 + x), algorithm: .edDSA)
        case .rsa(let alg, let n, let e):
            guard alg == COSEAlgorithm.rs256.rawValue else { throw CryptoError.unsupportedAlgorithm(alg) }
            let key = try EVPKey.fromParameters(typeName: "RSA", selection: vauth_EVP_PKEY_PUBLIC_KEY()) { (builder) throws(CryptoError) in
                try builder.pushBigNumber(n, named: OSSL_PKEY_PARAM_RSA_N)
                try builder.pushBigNumber(e, named: OSSL_PKEY_PARAM_RSA_E)
            }
            self.init(key: key, algorithm: try key.coseAlgorithm())
        }
    }

    /// SubjectPublicKeyInfo DER: what WebAuthn L3 §5.2.1.1 `getPublicKey()` returns.
    public func spkiDER() throws(CryptoError) -> [UInt8] {
        if rawPublicKey != nil, let der = SubjectPublicKeyInfo.der(for: try coseKey()) { return der }
        return try key.spkiDER()
    }

    /// PEM ("-----BEGIN PUBLIC KEY-----") of the SubjectPublicKeyInfo.
    public func pem() throws(CryptoError) -> String { PEM.encode(try spkiDER(), label: "PUBLIC KEY") }

    /// The key as a COSE_Key with the algorithm set.
    public func coseKey() throws(CryptoError) -> COSEKey {
        if let raw = rawPublicKey {
            if algorithm == .es256, raw.count == 65 {
                return .ec2(algorithm: algorithm.rawValue, curve: COSEKey.Curve.p256, x: Array(raw[1..<33]), y: Array(raw[33..<65]))
            }
            if algorithm == .edDSA, raw.count == 32 { return .okp(algorithm: algorithm.rawValue, curve: COSEKey.Curve.ed25519, x: raw) }
        }
        switch algorithm {
        case .es256:
            return .ec2(algorithm: algorithm.rawValue, curve: COSEKey.Curve.p256,
                        x: try key.bigNumberParameter(OSSL_PKEY_PARAM_EC_PUB_X, width: 32),
                        y: try key.bigNumberParameter(OSSL_PKEY_PARAM_EC_PUB_Y, width: 32))
        case .edDSA:
            return .okp(algorithm: algorithm.rawValue, curve: COSEKey.Curve.ed25519, x: try key.rawPublicKey())
        case .rs256:
            return .rsa(algorithm: algorithm.rawValue,
                        n: try key.bigNumberParameter(OSSL_PKEY_PARAM_RSA_N),
                        e: try key.bigNumberParameter(OSSL_PKEY_PARAM_RSA_E))
        }
    }

    /// Whether `signature` is a valid signature of `message` under this key and algorithm.
    public func isValidSignature(_ signature: some Collection<UInt8>, for message: some Collection<UInt8>) -> Bool {
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        let digest = algorithm == .edDSA ? nil : EVP_sha256()
        guard EVP_DigestVerifyInit(ctx, nil, digest, nil, key.pointer) == 1 else { OpenSSLErrorQueue.clear(); return false }
        let sig = Array(signature), msg = Array(message)
        let result = EVP_DigestVerify(ctx, sig, sig.count, msg, msg.count)
        OpenSSLErrorQueue.clear()
        return result == 1
    }
}

/// DER prefixes of SubjectPublicKeyInfo for fixed-size keys: with the key bytes appended they form
/// a complete SPKI, which lets OpenSSL do the point-on-curve check while parsing.
enum SPKIPrefix {
    /// SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (65 bytes: 04 || x || y) }
    static let p256: [UInt8] = [0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
                                0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00]
    /// SEQUENCE { SEQUENCE { id-Ed25519 }, BIT STRING (32 bytes) } (RFC 8410 §4)
    static let ed25519: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]
}

