import Testing
@testable import VauthWebAuthn

/// Hosts through libidn2 (``IDNA``) as an origin's host parser sees them, against the URL
/// Standard's own test data.
struct IDNATests {
    /// What ``Origin`` does with a host compared with the URL Standard.
    enum Outcome: Sendable, CustomStringConvertible {
        /// Both accept, with this ASCII host.
        case same(String)
        /// Both refuse it.
        case refused
        /// The URL Standard accepts it but an origin needs a DNS name: an empty label or a
        /// trailing dot, a label over 63 bytes, a name over 253, or (libidn2 applies
        /// CheckHyphens) `--` in positions 3–4 or a leading/trailing hyphen.
        case refusedAsNotADNSName
        /// libidn2 2.3.3 removes U+200C/U+200D where UTS #46 keeps them; the host still converts.
        case libidn2Differs(whatwg: String, libidn2: String)

        var description: String {
            switch self {
            case .same(let host): return "same(\(host))"
            case .refused: return "refused"
            case .refusedAsNotADNSName: return "refusedAsNotADNSName"
            case .libidn2Differs(let whatwg, let libidn2): return "libidn2Differs(\(whatwg), \(libidn2))"
            }
        }
    }

    /// web-platform-tests url/resources/toascii.json ("issues with UTS #46 ToASCII"), every entry:
    /// input, and what the URL Standard gives (`nil` = failure) as the `Outcome` for an origin.
    static let toASCII: [(String, Outcome)] = {
        let long63 = "x01234567890123456789012345678901234567890123456789012345678901"
        let long50 = "01234567890123456789012345678901234567890123456789"
        let over253 = [long50, long50, long50, long50, "0123456789012345678901234567890123456789012345678"].joined(separator: ".")
        return [
            ("aa--", .refusedAsNotADNSName), ("a†--", .refusedAsNotADNSName), ("ab--c", .refusedAsNotADNSName),
            ("-x", .refusedAsNotADNSName), ("-†", .refusedAsNotADNSName), ("-x.xn--zca", .refusedAsNotADNSName),
            ("-x.ß", .refusedAsNotADNSName), ("x-.xn--zca", .refusedAsNotADNSName), ("x-.ß", .refusedAsNotADNSName),
            ("x..xn--zca", .refusedAsNotADNSName), ("x..ß", .refusedAsNotADNSName),
            // Invalid Punycode.
            ("xn--a", .refused), ("xn--a.xn--zca", .refused), ("xn--a.ß", .refused), ("xn--ls8h=", .refused),
            ("xn--tešla", .refused),
            ("xn--zca.xn--zca", .same("xn--zca.xn--zca")), ("xn--zca.ß", .same("xn--zca.xn--zca")),
            ("ab--c.xn--zca", .refusedAsNotADNSName), ("ab--c.ß", .refusedAsNotADNSName),
            // CheckJoiners, CheckBidi.
            ("\u{200D}.example", .refused), ("xn--1ug.example", .refused), ("يa", .refused),
            ("\u{064A}.", .refusedAsNotADNSName), ("1.\u{064A}", .same("1.xn--mhb")), ("\u{064A}.1", .refused),
            ("xn--mhb.1", .refused), ("xn--a-yoc", .refused),
            // Nontransitional processing keeps the joiners; libidn2 2.3.3 does not.
            ("ශ්රී", .libidn2Differs(whatwg: "xn--10cl1a0b660p", libidn2: "xn--10cl1a0b")),
            ("نامهای", .libidn2Differs(whatwg: "xn--mgba3gch31f060k", libidn2: "xn--mgba3gch31f")),
            ("\u{FFFD}.com", .refused), ("xn--zn7c.com", .refused),
            (long63 + "x", .refusedAsNotADNSName), (long63 + "†", .refusedAsNotADNSName),
            (long63 + "x.xn--zca", .refusedAsNotADNSName), (long63 + "x.ß", .refusedAsNotADNSName),
            (over253 + ".x", .refusedAsNotADNSName), (over253 + ".xn--zca", .refusedAsNotADNSName),
            (over253 + ".ß", .refusedAsNotADNSName),
            ("a\u{00AD}b", .same("ab")),
            ("≠", .same("xn--1ch")), ("≮", .same("xn--gdh")), ("≯", .same("xn--hdh")),
        ]
    }()

    @Test(arguments: toASCII)
    func urlStandardToASCIICases(_ host: String, _ outcome: Outcome) {
        let result = Result { () throws(WebAuthnClientError) in try Origin("https://" + host).serialized }
        switch (outcome, result) {
        case (.same(let ascii), .success(let serialized)):
            #expect(serialized == "https://" + ascii)
        case (.libidn2Differs(_, let ascii), .success(let serialized)):
            #expect(serialized == "https://" + ascii)
        case (.refused, .failure(let error)), (.refusedAsNotADNSName, .failure(let error)):
            #expect(error.kind == .syntax, "\(error)")
            #expect(error.message.utf8.starts(with: "origin \"https://".utf8), "\(error)")
            #expect(!error.message.contains("not of the form"), "the host, not the delimiters, is the reason: \(error)")
        default:
            Issue.record("\(host.unicodeScalars.map { $0.isASCII ? String($0) : "U+\(String($0.value, radix: 16))" }.joined()): expected \(outcome), got \(result)")
        }
    }

    /// Host cases of web-platform-tests url/resources/urltestdata.json that an origin can have
    /// (https, no path): the input host and the URL Standard's host, or `nil` for failure.
    @Test(arguments: [
        ("Go.com", "go.com"),
        ("ＧＯ.com", "go.com"),                                // fullwidth letters
        ("www.foo。bar.com", "www.foo.bar.com"),               // ideographic full stop
        ("faß.ExAmPlE", "xn--fa-hia.example"),                 // nontransitional: ß kept
        ("GOO\u{200B}\u{2060}\u{FEFF}goo.com", "googoo.com"),   // ignored code points
        ("你好你好", "xn--6qqa088eba"),
        ("ＧＯＯ\u{3000}goo.com", nil),                        // ideographic space
        ("％４１.com", nil),                                   // fullwidth percent maps to %
        (String(Unicode.Scalar(0xFDD0 as UInt32).map(Character.init)!) + "zyx.com", nil),  // noncharacter
        ("a.b.c.xn--pokxncvks", nil),                           // invalid punycode
        ("10.0.0.xn--pokxncvks", nil),
        ("\u{00AD}", nil),                                     // maps to the empty host
        ("xn--", nil),
    ] as [(String, String?)])
    func urlStandardHostCases(_ host: String, _ expected: String?) {
        let result = Result { () throws(WebAuthnClientError) in try Origin("https://" + host).serialized }
        if let expected {
            #expect((try? result.get()) == "https://" + expected, "\(host): \(result)")
        } else {
            #expect((try? result.get()) == nil, "\(host) must be refused: \(result)")
        }
    }

    /// The cases a new user ran into with the hand-written converter (issue 14).
    @Test func issueCases() throws {
        #expect(try Origin("https://ｅｘａｍｐｌｅ.com").serialized == "https://example.com")
        #expect(try Origin("https://example。com").serialized == "https://example.com")
        #expect(try Origin("https://ｅｘａｍｐｌｅ。ｃｏｍ:443/").serialized == "https://example.com")
        let error = clientError { _ = try Origin("https://xn--zz.com") }
        #expect(error?.kind == .syntax)
        #expect(error?.message == "origin \"https://xn--zz.com\": host xn--zz.com is not a valid domain name (string contains invalid punycode data)")
    }

    @Test func toASCIIDirectly() throws {
        #expect(try IDNA.toASCII("Bücher.Example") == "xn--bcher-kva.example")
        #expect(try IDNA.toASCII("公司.cn") == "xn--55qx5d.cn")
        #expect(throws: IDNA.Failure.self) { try IDNA.toASCII("xn--zz.com") }
        #expect(throws: IDNA.Failure.self) { try IDNA.toASCII("a\u{0}b") }
    }
}
