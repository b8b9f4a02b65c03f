import Testing
import VauthCBOR
import VauthCrypto

struct SigningKeyTests {
    @Test(arguments: COSEAlgorithm.allCases)
    func signsAndVerifies(algorithm: COSEAlgorithm) throws {
        let key = try SigningKey.generate(algorithm)
        let message = Array("authenticatorData || clientDataHash".utf8)
        let signature = try key.sign(message)
        #expect(key.publicKey.isValidSignature(signature, for: message))
        var flipped = signature
        flipped[flipped.count / 2] ^= 0x01
        #expect(!key.publicKey.isValidSignature(flipped, for: message))
        #expect(!key.publicKey.isValidSignature(signature, for: message + [0]))
        if algorithm == .es256 { #expect(signature.first == 0x30, "ES256 signatures are DER SEQUENCEs") }
        if algorithm == .edDSA { #expect(signature.count == 64) }
        if algorithm == .rs256 { #expect(signature.count == 256) }
    }

    @Test(arguments: COSEAlgorithm.allCases)
    func coseKeyRoundTripsThroughSPKI(algorithm: COSEAlgorithm) throws {
        let key = try SigningKey.generate(algorithm)
        let cose = try key.publicKey.coseKey()
        #expect(cose.algorithm == algorithm.rawValue)
        let decoded = try COSEKey(encoded: cose.encoded)
        #expect(decoded == cose)
        let rebuilt = try PublicKey(coseKey: decoded)
        #expect(try rebuilt.spkiDER() == key.publicKey.spkiDER())
        let fromSPKI = try PublicKey(spkiDER: key.publicKey.spkiDER())
        #expect(fromSPKI.algorithm == algorithm)
    }

    @Test(arguments: COSEAlgorithm.allCases)
    func pkcs8RoundTrips(algorithm: COSEAlgorithm) throws {
        let key = try SigningKey.generate(algorithm)
        let der = try key.pkcs8DER()
        let imported = try SigningKey(pkcs8DER: der.exposedCopy())
        #expect(imported.algorithm == algorithm)
        #expect(try imported.publicKey.spkiDER() == key.publicKey.spkiDER())
        #expect(!String(describing: key).contains(Hex.encode(der.exposedCopy().suffix(16))))
    }

    @Test func coseKeyLayoutMatchesWebAuthnExample() throws {
        let key = try SigningKey.generate(.es256)
        let encoded = try key.publicKey.coseKey().encoded
        // WebAuthn L3 §6.5.1.1: a5 01 02 03 26 20 01 21 58 20 <x> 22 58 20 <y>
        #expect(Array(encoded.prefix(10)) == [0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20])
        #expect(Array(encoded[42..<45]) == [0x22, 0x58, 0x20])
        #expect(encoded.count == 77)
    }

    @Test func refusesBadKeys() {
        #expect(throws: CryptoError.self) { try SigningKey(pkcs8DER: [0x30, 0x00]) }
        #expect(throws: CryptoError.self) { try PublicKey(spkiDER: [0x30, 0x03, 0x02, 0x01, 0x00]) }
        // A point that is not on P-256.
        let offCurve = COSEKey.ec2(algorithm: -7, curve: 1, x: [UInt8](repeating: 1, count: 32), y: [UInt8](repeating: 2, count: 32))
        #expect(throws: CryptoError.self) { try PublicKey(coseKey: offCurve) }
        #expect(throws: CryptoError.self) { try COSEKey(cbor: [1: 2, 3: -7]) }
        #expect(throws: CryptoError.self) { try COSEKey(cbor: [1: 9, 3: -7]) }
    }

    @Test func keyAgreementBothSidesAgree() throws {
        let a = try KeyAgreementKey.generate(), b = try KeyAgreementKey.generate()
        let ab = try a.sharedSecret(with: b.coseKey()), ba = try b.sharedSecret(with: a.coseKey())
        #expect(ab.count == 32)
        #expect(ab.constantTimeEquals(ba))
        #expect(try a.coseKey().algorithm == -25)
    }

    @Test func aesRoundTripsAndDetectsTampering() throws {
        let key = try SecretBytes(randomCount: 32)
        let nonce = try SecureRandom.bytes(12)
        let sealed = try AESGCM.seal(Array("secret".utf8), key: key, nonce: nonce, associatedData: [1, 2, 3])
        #expect(try AESGCM.open(sealed, key: key, nonce: nonce, associatedData: [1, 2, 3]).exposedCopy() == Array("secret".utf8))
        #expect(throws: CryptoError.authenticationFailed) { try AESGCM.open(sealed, key: key, nonce: nonce, associatedData: [1, 2, 4]) }
        var tampered = sealed
        tampered.ciphertext[0] ^= 1
        #expect(throws: CryptoError.authenticationFailed) { try AESGCM.open(tampered, key: key, nonce: nonce, associatedData: [1, 2, 3]) }
        #expect(throws: CryptoError.authenticationFailed) { try AESGCM.open(sealed, key: SecretBytes(randomCount: 32), nonce: nonce, associatedData: [1, 2, 3]) }
        let iv = try SecureRandom.bytes(16)
        let cbc = try AESCBC.encrypt([UInt8](repeating: 7, count: 32), key: key, iv: iv)
        #expect(try AESCBC.decrypt(cbc, key: key, iv: iv).exposedCopy() == [UInt8](repeating: 7, count: 32))
    }
}
