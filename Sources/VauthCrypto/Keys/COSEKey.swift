import VauthCBOR

/// A public key in COSE_Key form (RFC 9052 §7, RFC 9053 §7, RFC 8230 §4), as WebAuthn puts it in
/// attested credential data (L3 §6.5.1.1) and CTAP puts it in keyAgreement (CTAP 2.2 §6.5.6).
public enum COSEKey: Equatable, Sendable {
    /// kty 2 (EC2): a point on a NIST curve, coordinates left-padded to the field size.
    case ec2(algorithm: Int, curve: Int, x: [UInt8], y: [UInt8])
    /// kty 1 (OKP): an Edwards/Montgomery key.
    case okp(algorithm: Int, curve: Int, x: [UInt8])
    /// kty 3 (RSA): modulus and exponent, unsigned big-endian without leading zeros.
    case rsa(algorithm: Int, n: [UInt8], e: [UInt8])

    /// COSE labels (RFC 9052 §7.1, RFC 9053 §7.1.1/§7.2, RFC 8230 §4).
    enum Label {
        static let kty = 1, alg = 3, crv = -1, x = -2, y = -3, n = -1, e = -2
    }

    public enum KeyType { public static let okp = 1, ec2 = 2, rsa = 3 }
    public enum Curve { public static let p256 = 1, ed25519 = 6 }
    /// ECDH-ES + HKDF-256, the algorithm CTAP 2.2 §6.5.6 puts on a platform/authenticator key agreement key.
    public static let ecdhESHKDF256 = -25

    public var algorithm: Int {
        switch self {
        case .ec2(let alg, _, _, _), .okp(let alg, _, _), .rsa(let alg, _, _): return alg
        }
    }

    /// The map, keys in the order canonical CBOR gives them (1, 3, -1, -2, -3).
    public var cborValue: CBORValue {
        switch self {
        case .ec2(let alg, let crv, let x, let y):
            return [.int(Label.kty): .int(KeyType.ec2), .int(Label.alg): .int(alg), .int(Label.crv): .int(crv),
                    .int(Label.x): .bytes(x), .int(Label.y): .bytes(y)]
        case .okp(let alg, let crv, let x):
            return [.int(Label.kty): .int(KeyType.okp), .int(Label.alg): .int(alg), .int(Label.crv): .int(crv),
                    .int(Label.x): .bytes(x)]
        case .rsa(let alg, let n, let e):
            return [.int(Label.kty): .int(KeyType.rsa), .int(Label.alg): .int(alg), .int(Label.n): .bytes(n),
                    .int(Label.e): .bytes(e)]
        }
    }

    /// The CTAP2 canonical CBOR encoding.
    public var encoded: [UInt8] { cborValue.encoded }

    /// Reads a COSE_Key map. Unknown extra labels are ignored; missing or mistyped required ones
    /// are an error. `requireAlgorithm` is false only for key agreement keys, whose `alg` CTAP
    /// platforms sometimes fill with -25 and sometimes omit.
    public init(cbor: CBORValue, requireAlgorithm: Bool = true) throws(CryptoError) {
        guard let map = cbor.mapValue else { throw CryptoError.invalidKey("COSE_Key is not a map") }
        func int(_ label: Int) -> Int? { map[.int(label)]?.intValue }
        func bytes(_ label: Int) -> [UInt8]? { map[.int(label)]?.bytesValue }
        guard let kty = int(Label.kty) else { throw CryptoError.invalidKey("COSE_Key without kty") }
        let alg = int(Label.alg)
        if requireAlgorithm && alg == nil { throw CryptoError.invalidKey("COSE_Key without alg") }
        switch kty {
        case KeyType.ec2:
            guard let crv = int(Label.crv), let x = bytes(Label.x), let y = bytes(Label.y) else {
                throw CryptoError.invalidKey("EC2 COSE_Key needs crv, x and y")
            }
            guard crv == Curve.p256, x.count == 32, y.count == 32 else { throw CryptoError.invalidKey("EC2 COSE_Key is not a P-256 point") }
            self = .ec2(algorithm: alg ?? COSEKey.ecdhESHKDF256, curve: crv, x: x, y: y)
        case KeyType.okp:
            guard let crv = int(Label.crv), let x = bytes(Label.x) else { throw CryptoError.invalidKey("OKP COSE_Key needs crv and x") }
            guard crv == Curve.ed25519, x.count == 32 else { throw CryptoError.invalidKey("OKP COSE_Key is not Ed25519") }
            self = .okp(algorithm: alg ?? COSEAlgorithm.edDSA.rawValue, curve: crv, x: x)
        case KeyType.rsa:
            guard let n = bytes(Label.n), let e = bytes(Label.e) else { throw CryptoError.invalidKey("RSA COSE_Key needs n and e") }
            self = .rsa(algorithm: alg ?? COSEAlgorithm.rs256.rawValue, n: n, e: e)
        default:
            throw CryptoError.invalidKey("COSE_Key kty \(kty) is not supported")
        }
    }

    /// Decodes COSE_Key bytes with the strict CBOR decoder.
    public init(encoded: some Collection<UInt8>) throws(CryptoError) {
        let value: CBORValue
        do { value = try CBORDecoder.decode(encoded) } catch { throw CryptoError.invalidKey("COSE_Key CBOR: \(error)") }
        try self.init(cbor: value)
    }
}
