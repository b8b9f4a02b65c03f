import Testing
import VauthCrypto

/// Published test vectors: the crypto layer must reproduce other people's numbers, not only its own.
struct CryptoVectorTests {
    @Test func es256PublicKeyFromRFC6979Scalar() throws {
        // RFC 6979 Appendix A.2.5 (P-256).
        let key = try SigningKey(algorithm: .es256, rawPrivateKey: Hex.decode("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721")!)
        guard case .ec2(let alg, let crv, let x, let y) = try key.publicKey.coseKey() else { Issue.record("not EC2"); return }
        #expect(alg == -7 && crv == 1)
        #expect(Hex.encode(x) == "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6")
        #expect(Hex.encode(y) == "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299")
    }

    @Test func ed25519FromRFC8032Seed() throws {
        // RFC 8032 §7.1 TEST 1: deterministic, so the signature itself is the vector.
        let key = try SigningKey(algorithm: .edDSA, rawPrivateKey: Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")!)
        guard case .okp(_, _, let x) = try key.publicKey.coseKey() else { Issue.record("not OKP"); return }
        #expect(Hex.encode(x) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        #expect(Hex.encode(try key.sign([UInt8]())) == "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
    }

    @Test func aesGCMTestCase14() throws {
        // McGrew & Viega, "The GCM mode of operation", test case 14 (AES-256, zero key/IV/plaintext).
        let sealed = try AESGCM.seal([UInt8](repeating: 0, count: 16), key: SecretBytes([UInt8](repeating: 0, count: 32)), nonce: [UInt8](repeating: 0, count: 12))
        #expect(Hex.encode(sealed.ciphertext) == "cea7403d4d606b6e074ec5d3baf39d18")
        #expect(Hex.encode(sealed.tag) == "d0d1c8a799996bf0265b98b5d48ab919")
    }

    @Test func scryptRFC7914() throws {
        let out = try KeyDerivation.scrypt(passphrase: SecretBytes(Array("password".utf8)), salt: Array("NaCl".utf8),
                                           parameters: .init(log2N: 10, r: 8, p: 16), length: 64)
        #expect(Hex.encode(out.exposedCopy()) == "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")
    }

    @Test func hkdfRFC5869Case1() throws {
        let out = try KeyDerivation.hkdfSHA256(key: SecretBytes([UInt8](repeating: 0x0b, count: 22)), salt: Array(0x00...0x0c),
                                               info: Array(0xf0...0xf9), length: 42)
        #expect(Hex.encode(out.exposedCopy()) == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
    }

    @Test func pbkdf2SHA256() throws {
        // RFC 7914 §11 (PBKDF2-HMAC-SHA256, "passwd"/"salt", c = 1, 64 bytes).
        let out = try KeyDerivation.pbkdf2SHA256(password: SecretBytes(Array("passwd".utf8)), salt: Array("salt".utf8), iterations: 1, length: 64)
        #expect(Hex.encode(out.exposedCopy()) == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783")
    }

    @Test func sha256AndHMAC() {
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // RFC 4231 test case 2.
        #expect(Hex.encode(HMACSHA256.authenticate(Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func base64RFC4648() {
        let cases = [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")]
        for (plain, encoded) in cases {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded) == Array(plain.utf8))
            #expect(Base64.urlEncode(Array(plain.utf8)) == encoded.filter { $0 != "=" })
        }
        #expect(Base64.urlEncode([0xfb, 0xff]) == "-_8")
        #expect(Base64.urlDecode("-_8") == [0xfb, 0xff])
        #expect(Base64.urlDecode("+/8") == nil)
        #expect(Base64.decode("Zg=") == [0x66])
        #expect(Base64.decode("Zh==") == nil, "non-zero leftover bits")
        #expect(Base64.decode("Z") == nil)
        #expect(Base64.decode("Zm9v!") == nil)
        #expect(Base64.decode("Zm8") == Array("fo".utf8))
        #expect(Base64.decode("Zm9=") == nil, "non-zero leftover bits after two bytes")
        #expect(Base64.decode("Zm9v===") == nil, "at most two padding characters")
        #expect(Base64.decode("Zm=9v") == nil, "padding only at the end")
        #expect(Base64.urlDecode("") == [])
    }

    /// Every length across the three-byte boundaries, every byte value, against the bit-by-bit
    /// definition (RFC 4648 §4): the table-driven encoder and decoder must agree with it.
    @Test func base64AgreesWithTheDefinitionAtEveryLength() {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        func reference(_ bytes: [UInt8]) -> String {
            let bits = bytes.flatMap { byte in (0..<8).reversed().map { (byte >> UInt8($0)) & 1 } }
            var out = ""
            for start in stride(from: 0, to: bits.count, by: 6) {
                let group = (0..<6).map { start + $0 < bits.count ? bits[start + $0] : 0 }
                out.append(alphabet[Int(group.reduce(0) { $0 << 1 | $1 })])
            }
            while out.count % 4 != 0 { out.append("=") }
            return out
        }
        var generator = SystemRandomNumberGenerator()
        for length in 0..<80 {
            let bytes = (0..<length).map { index in length == 64 ? UInt8(truncatingIfNeeded: index * 4) : UInt8.random(in: 0...255, using: &generator) }
            let encoded = Base64.encode(bytes)
            #expect(encoded == reference(bytes))
            #expect(Base64.decode(encoded) == bytes)
            let url = Base64.urlEncode(bytes)
            #expect(url == encoded.replacingOccurrences("+", "-").replacingOccurrences("/", "_").filter { $0 != "=" })
            #expect(Base64.urlDecode(url) == bytes)
        }
    }
}

extension String {
    func replacingOccurrences(_ target: Character, _ replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}
