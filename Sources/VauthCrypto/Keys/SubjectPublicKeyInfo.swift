/// SubjectPublicKeyInfo DER (RFC 5280 §4.1.2.7) written from a COSE_Key's raw numbers, without an
/// OpenSSL key or encoder: RFC 5480 §2 (P-256, uncompressed point), RFC 8410 §4 (Ed25519),
/// RFC 3279 §2.3.1 (RSA). The bytes equal what `i2d_PUBKEY` gives for the same key.
public enum SubjectPublicKeyInfo {
    /// The DER for `coseKey`, or nil when it is not a P-256, Ed25519 or RSA key of a supported shape.
    public static func der(for coseKey: COSEKey) -> [UInt8]? {
        switch coseKey {
        case .ec2(_, let curve, let x, let y):
            guard curve == COSEKey.Curve.p256, x.count == 32, y.count == 32 else { return nil }
            return SPKIPrefix.p256 + [0x04] + x + y
        case .okp(_, let curve, let x):
            guard curve == COSEKey.Curve.ed25519, x.count == 32 else { return nil }
            return SPKIPrefix.ed25519 + x
        case .rsa(_, let n, let e):
            guard !n.isEmpty, !e.isEmpty else { return nil }
            let rsaPublicKey = DER.sequence(DER.unsignedInteger(n) + DER.unsignedInteger(e))
            // AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL }
            let algorithm: [UInt8] = [0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00]
            return DER.sequence(algorithm + DER.tagged(0x03, [0x00] + rsaPublicKey))
        }
    }
}

/// The DER writers SubjectPublicKeyInfo needs besides ``DER/tagged(_:_:)`` (X.690 §8.3 INTEGER).
extension DER {
    static func sequence(_ content: [UInt8]) -> [UInt8] { tagged(0x30, content) }

    /// A non-negative INTEGER from unsigned big-endian bytes: leading zeros dropped, one zero
    /// added back when the top bit is set.
    static func unsignedInteger(_ bytes: [UInt8]) -> [UInt8] {
        var value = Array(bytes.drop { $0 == 0 })
        if value.isEmpty || value[0] & 0x80 != 0 { value.insert(0, at: 0) }
        return tagged(0x02, value)
    }
}
