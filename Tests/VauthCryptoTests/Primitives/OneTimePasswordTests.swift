import Testing
@testable import VauthCrypto

/// RFC 6238 Appendix B's test vectors (and RFC 4226 Appendix D's for HOTP), the otpauth URI
/// parser's refusals, and base32 (RFC 4648 §10's vectors).
struct OneTimePasswordTests {
    /// Appendix B: the seed is the ASCII of "12345678901234567890" repeated to the hash's length.
    static func seed(_ hash: OneTimePassword.Hash) -> SecretBytes {
        let length = [OneTimePassword.Hash.sha1: 20, .sha256: 32, .sha512: 64][hash]!
        return SecretBytes(Array(String(repeating: "1234567890", count: 7).utf8.prefix(length)))
    }

    static let appendixB: [(Int64, String, String, String)] = [
        (59, "94287082", "46119246", "90693936"),
        (1_111_111_109, "07081804", "68084774", "25091201"),
        (1_111_111_111, "14050471", "67062674", "99943326"),
        (1_234_567_890, "89005924", "91819424", "93441116"),
        (2_000_000_000, "69279037", "90698825", "38618901"),
        (20_000_000_000, "65353130", "77737706", "47863826"),
    ]

    @Test(arguments: appendixB)
    func rfc6238AppendixB(_ vector: (Int64, String, String, String)) throws {
        let (time, sha1, sha256, sha512) = vector
        for (hash, expected) in [(OneTimePassword.Hash.sha1, sha1), (.sha256, sha256), (.sha512, sha512)] {
            let generator = try OneTimePassword(secret: Self.seed(hash), hash: hash, digits: 8, period: 30)
            #expect(generator.code(at: time) == expected, "T=\(time) \(hash.rawValue)")
        }
    }

    @Test func rfc4226AppendixD() {
        let expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]
        for (counter, code) in expected.enumerated() {
            #expect(OneTimePassword.hotp(secret: Self.seed(.sha1), counter: UInt64(counter), hash: .sha1, digits: 6) == code)
        }
    }

    @Test func uriRoundTrips() throws {
        let uri = "otpauth://totp/Dfns:alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Dfns&algorithm=sha256&digits=8&period=60"
        let parsed = try OneTimePassword(uri: uri)
        #expect(parsed.hash == .sha256 && parsed.digits == 8 && parsed.period == 60)
        #expect(parsed.label == "Dfns:alice@example.com" && parsed.issuer == "Dfns")
        #expect(parsed.secret.withUnsafeBytes { Array($0) } == Array("Hello!\u{de}\u{ad}\u{be}\u{ef}".utf8.prefix(6)) + [0xde, 0xad, 0xbe, 0xef])
        let again = try OneTimePassword(uri: parsed.uri)
        #expect(again.uri == parsed.uri && again.code(at: 1_700_000_000) == parsed.code(at: 1_700_000_000))
        let defaults = try OneTimePassword(uri: "otpauth://totp/x?secret=GEZDGNBV")
        #expect(defaults.hash == .sha1 && defaults.digits == 6 && defaults.period == 30 && defaults.issuer == nil)
        #expect(defaults.secondsLeft(at: 59) == 1 && defaults.secondsLeft(at: 60) == 30)
    }

    @Test(arguments: [
        ("https://example.com", "not an otpauth:// URI"),
        ("otpauth://hotp/x?secret=GEZDGNBV&counter=1", "not totp"),
        ("otpauth://totp/x", "has no secret"),
        ("otpauth://totp/x?secret=", "has no secret"),
        ("otpauth://totp/x?secret=GEZDGNB1", "not base32"),
        ("otpauth://totp/x?secret=GEZDGNBV&algorithm=MD5", "not SHA1, SHA256 or SHA512"),
        ("otpauth://totp/x?secret=GEZDGNBV&digits=5", "digits must be from 6 to 10"),
        ("otpauth://totp/x?secret=GEZDGNBV&digits=11", "digits must be from 6 to 10"),
        ("otpauth://totp/x?secret=GEZDGNBV&period=0", "period must be 1 to 3600"),
        ("otpauth://totp/x?secret=GEZDGNBV&period=-30", "not a whole number"),
        ("otpauth://totp/x?secret=GEZDGNBV&secret=GEZDGNBV", "gives secret twice"),
        ("otpauth://totp/%ZZ?secret=GEZDGNBV", "not valid percent-encoded"),
        ("otpauth://totp/" + String(repeating: "a", count: 5000) + "?secret=GEZDGNBV", "longer than 4096 bytes"),
    ])
    func refusesMalformedURIs(_ uri: String, _ message: String) {
        #expect {
            try OneTimePassword(uri: uri)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func base32MatchesRFC4648() {
        let vectors = [("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"), ("foob", "MZXW6YQ"), ("fooba", "MZXW6YTB"),
                       ("foobar", "MZXW6YTBOI")]
        for (plain, encoded) in vectors {
            #expect(Base32.encode(Array(plain.utf8)) == encoded)
            #expect(Base32.decode(encoded) == Array(plain.utf8))
            #expect(Base32.decode(encoded.lowercased()) == Array(plain.utf8))
        }
        #expect(Base32.decode("MZXW6YQ=") == Array("foob".utf8))
        #expect(Base32.decode("MZXW6YR") == nil)  // non-zero leftover bits: not a canonical encoding
        #expect(Base32.decode("MZ=XW") == nil)
    }
}
