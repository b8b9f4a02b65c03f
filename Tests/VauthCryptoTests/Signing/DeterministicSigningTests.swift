import Testing
import VauthCrypto

/// RFC 6979 nonces, seeded key derivation and deterministic certificate signatures: the pieces
/// that make `vauth fixtures` byte-identical for a seed.
struct DeterministicSigningTests {
    // RFC 6979 Appendix A.2.5: ECDSA, 256 bits (prime field), the private key and public point.
    static let privateKey = Hex.decode("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721")!
    static let publicX = "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
    static let publicY = "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299"

    @Test(arguments: [
        // A.2.5, "With SHA-256, message = 'sample'" and "message = 'test'".
        ("sample", "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716",
         "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8"),
        ("test", "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367",
         "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083"),
    ])
    func rfc6979AppendixA25(message: String, r: String, s: String) throws {
        let signature = try DeterministicECDSA.signature(digest: SHA256.hash(Array(message.utf8)), privateKey: Self.privateKey)
        #expect(Hex.encode(signature.r) == r)
        #expect(Hex.encode(signature.s) == s)
    }

    @Test func rfc6979KeyMatchesTheAppendixPublicPointAndOpenSSLVerifies() throws {
        let key = try SigningKey(algorithm: .es256, rawPrivateKey: Self.privateKey)
        let cose: COSEKey = try key.publicKey.coseKey()
        var coordinates: (x: [UInt8], y: [UInt8])?
        if case .ec2(_, _, let x, let y) = cose { coordinates = (x, y) }
        #expect(coordinates.map { Hex.encode($0.x) } == Self.publicX)
        #expect(coordinates.map { Hex.encode($0.y) } == Self.publicY)
        let message = Array("sample".utf8)
        let signature = try key.signDeterministically(message)
        // Independent check: OpenSSL's EVP verification of the DER signature.
        #expect(key.publicKey.isValidSignature(signature, for: message))
        #expect(try key.signDeterministically(message) == signature)
        #expect(try key.signDeterministically(message + [0]) != signature)
    }

    @Test func hmacDRBGIsAFunctionOfItsSeed() {
        let a = HMACDRBG(seedMaterial: Array("seed 1".utf8))
        let b = HMACDRBG(seedMaterial: Array("seed 1".utf8))
        let c = HMACDRBG(seedMaterial: Array("seed 2".utf8))
        let first = a.bytes(100)
        #expect(first == b.bytes(100))
        #expect(first != c.bytes(100))
        #expect(a.bytes(100) != first, "the stream moves on")
        let d = HMACDRBG(seedMaterial: Array("seed 1".utf8)), e = HMACDRBG(seedMaterial: Array("seed 1".utf8))
        #expect(d.child("x").bytes(32) == e.child("x").bytes(32))
        #expect(HMACDRBG(seedMaterial: [1]).child("x").bytes(32) != HMACDRBG(seedMaterial: [1]).child("y").bytes(32))
    }

    @Test(arguments: COSEAlgorithm.allCases)
    func derivedKeysAreDeterministicAndWork(algorithm: COSEAlgorithm) throws {
        let one = try SigningKey.derive(algorithm, from: HMACDRBG(seedMaterial: Array("key seed".utf8)))
        let two = try SigningKey.derive(algorithm, from: HMACDRBG(seedMaterial: Array("key seed".utf8)))
        let other = try SigningKey.derive(algorithm, from: HMACDRBG(seedMaterial: Array("other seed".utf8)))
        #expect(try one.publicKey.spkiDER() == two.publicKey.spkiDER())
        #expect(try one.publicKey.spkiDER() != other.publicKey.spkiDER())
        let message = Array("authenticatorData || clientDataHash".utf8)
        let signature = try one.signDeterministically(message)
        #expect(signature == (try two.signDeterministically(message)))
        #expect(one.publicKey.isValidSignature(signature, for: message))
        // The private key survives PKCS#8 export and import, as the keystore stores it.
        let reimported = try SigningKey(pkcs8DER: try one.pkcs8DER().exposedCopy())
        #expect(try reimported.publicKey.spkiDER() == one.publicKey.spkiDER())
        #expect(reimported.algorithm == algorithm)
    }

    @Test func resignedCertificatesAreIdenticalAndVerify() throws {
        func make() throws -> X509Certificate {
            let random = HMACDRBG(seedMaterial: Array("ca".utf8))
            let key = try SigningKey.derive(.es256, from: random)
            let validity = AttestationCertificates.Validity(notBefore: 1_700_000_000, notAfter: 1_900_000_000)
            let root = try AttestationCertificates.makeRoot(key: key, subject: [("CN", "Fixture Root")], serial: [1, 2, 3], validity: validity)
            return try root.resignedDeterministically(by: key)
        }
        let a = try make(), b = try make()
        #expect(try a.der() == b.der())
        #expect(a.isSigned(by: a))
    }
}
