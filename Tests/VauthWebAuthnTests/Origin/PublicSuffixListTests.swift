import Testing
@testable import VauthWebAuthn

/// libpsl behind ``PublicSuffixList``, checked with the list's own test vectors.
struct PublicSuffixListTests {
    /// publicsuffix/list tests/test_psl.txt (the `checkPublicSuffix(domain, registrableDomain)`
    /// vectors every PSL implementation runs), as published while `*.kobe.jp` / `!city.kobe.jp` were
    /// in the list (Debian's 20230209 list has them); `nil` stands for the file's `null`. The
    /// IDN expectations are compared in their ASCII form, which is what ``PublicSuffixList`` returns.
    static let checkPublicSuffix: [(String?, String?)] = [
        (nil, nil),
        // Mixed case.
        ("COM", nil), ("example.COM", "example.com"), ("WwW.example.COM", "example.com"),
        // Leading dot.
        (".com", nil), (".example", nil), (".example.com", nil), (".example.example", nil),
        // Unlisted TLD.
        ("example", nil), ("example.example", "example.example"), ("b.example.example", "example.example"),
        ("a.b.example.example", "example.example"),
        // TLD with only 1 rule.
        ("biz", nil), ("domain.biz", "domain.biz"), ("b.domain.biz", "domain.biz"), ("a.b.domain.biz", "domain.biz"),
        // TLD with some 2-level rules.
        ("com", nil), ("example.com", "example.com"), ("b.example.com", "example.com"), ("a.b.example.com", "example.com"),
        ("uk.com", nil), ("example.uk.com", "example.uk.com"), ("b.example.uk.com", "example.uk.com"),
        ("a.b.example.uk.com", "example.uk.com"), ("test.ac", "test.ac"),
        // TLD with only 1 (wildcard) rule.
        ("mm", nil), ("c.mm", nil), ("b.c.mm", "b.c.mm"), ("a.b.c.mm", "b.c.mm"),
        // More complex TLD.
        ("jp", nil), ("test.jp", "test.jp"), ("www.test.jp", "test.jp"), ("ac.jp", nil), ("test.ac.jp", "test.ac.jp"),
        ("www.test.ac.jp", "test.ac.jp"), ("kyoto.jp", nil), ("test.kyoto.jp", "test.kyoto.jp"), ("ide.kyoto.jp", nil),
        ("b.ide.kyoto.jp", "b.ide.kyoto.jp"), ("a.b.ide.kyoto.jp", "b.ide.kyoto.jp"), ("c.kobe.jp", nil),
        ("b.c.kobe.jp", "b.c.kobe.jp"), ("a.b.c.kobe.jp", "b.c.kobe.jp"), ("city.kobe.jp", "city.kobe.jp"),
        ("www.city.kobe.jp", "city.kobe.jp"),
        // TLD with a wildcard rule and exceptions.
        ("ck", nil), ("test.ck", nil), ("b.test.ck", "b.test.ck"), ("a.b.test.ck", "b.test.ck"), ("www.ck", "www.ck"),
        ("www.www.ck", "www.ck"),
        // US K12.
        ("us", nil), ("test.us", "test.us"), ("www.test.us", "test.us"), ("ak.us", nil), ("test.ak.us", "test.ak.us"),
        ("www.test.ak.us", "test.ak.us"), ("k12.ak.us", nil), ("test.k12.ak.us", "test.k12.ak.us"),
        ("www.test.k12.ak.us", "test.k12.ak.us"),
        // IDN labels.
        ("食狮.com.cn", "食狮.com.cn"), ("食狮.公司.cn", "食狮.公司.cn"), ("www.食狮.公司.cn", "食狮.公司.cn"),
        ("shishi.公司.cn", "shishi.公司.cn"), ("公司.cn", nil), ("食狮.中国", "食狮.中国"), ("www.食狮.中国", "食狮.中国"),
        ("shishi.中国", "shishi.中国"), ("中国", nil),
        // Same as above, but punycoded.
        ("xn--85x722f.com.cn", "xn--85x722f.com.cn"), ("xn--85x722f.xn--55qx5d.cn", "xn--85x722f.xn--55qx5d.cn"),
        ("www.xn--85x722f.xn--55qx5d.cn", "xn--85x722f.xn--55qx5d.cn"), ("shishi.xn--55qx5d.cn", "shishi.xn--55qx5d.cn"),
        ("xn--55qx5d.cn", nil), ("xn--85x722f.xn--fiqs8s", "xn--85x722f.xn--fiqs8s"),
        ("www.xn--85x722f.xn--fiqs8s", "xn--85x722f.xn--fiqs8s"), ("shishi.xn--fiqs8s", "shishi.xn--fiqs8s"),
        ("xn--fiqs8s", nil),
    ]

    @Test func officialTestVectors() throws {
        for (domain, expected) in Self.checkPublicSuffix {
            let got = domain.flatMap { systemList.registrableDomain(of: $0) }
            let want = try expected.map { try IDNA.toASCII($0) }
            #expect(got == want, "checkPublicSuffix(\(domain ?? "null"), \(expected ?? "null"))")
        }
    }

    @Test func publicSuffixesOfBothSections() {
        #expect(systemList.isPublicSuffix("com"))
        #expect(systemList.isPublicSuffix("co.uk"))
        #expect(!systemList.isPublicSuffix("example.co.uk"))
        #expect(systemList.publicSuffix(of: "www.example.co.uk") == "co.uk")
        // PRIVATE section: browsers use it, so github.io is a public suffix.
        #expect(systemList.isPublicSuffix("github.io"))
        #expect(systemList.registrableDomain(of: "docs.alice.github.io") == "alice.github.io")
        // Wildcard and exception: *.kawasaki.jp, !city.kawasaki.jp.
        #expect(systemList.isPublicSuffix("foo.kawasaki.jp"))
        #expect(systemList.registrableDomain(of: "www.city.kawasaki.jp") == "city.kawasaki.jp")
        // The implicit "*" rule: an unlisted TLD is a public suffix.
        #expect(systemList.isPublicSuffix("notarealtld"))
        #expect(systemList.isPublicSuffix("localhost"))
    }

    @Test func unicodeAndASCIISpellingsAgree() {
        #expect(systemList.isPublicSuffix("公司.cn"))
        #expect(systemList.isPublicSuffix("xn--55qx5d.cn"))
        #expect(systemList.registrableDomain(of: "ｅｘａｍｐｌｅ。ｃｏｍ") == "example.com")
        #expect(systemList.isPublicSuffix("ｃｏ。ｕｋ"))
    }

    @Test func namesThatAreNotDomains() {
        #expect(systemList.publicSuffix(of: "") == nil)
        #expect(systemList.publicSuffix(of: ".com") == nil)
        #expect(systemList.publicSuffix(of: "example..com") == nil)
        #expect(systemList.registrableDomain(of: "example.com.") == nil)
        #expect(systemList.registrableDomain(of: "xn--zz.com") == nil, "invalid punycode is no domain")
        #expect(!systemList.isPublicSuffix("a\u{0}b.com"))
    }

    /// A private list in libpsl's text format, with the rules of the list's own examples.
    @Test func smallListFromText() throws {
        let list = try PublicSuffixList(text: """
        // ===BEGIN ICANN DOMAINS===
        com
        *.jp
        *.hokkaido.jp
        !pref.hokkaido.jp
        ac.jp
        uk.com
        // ===END ICANN DOMAINS===
        """)
        #expect(list.registrableDomain(of: "b.example.com") == "example.com")
        #expect(list.registrableDomain(of: "test.jp") == nil, "*.jp makes test.jp a public suffix")
        #expect(list.registrableDomain(of: "www.test.jp") == "www.test.jp")
        #expect(list.registrableDomain(of: "www.pref.hokkaido.jp") == "pref.hokkaido.jp")
        #expect(list.registrableDomain(of: "city.hokkaido.jp") == nil)
        #expect(list.registrableDomain(of: "a.b.example.uk.com") == "example.uk.com")
        #expect(list.registrableDomain(of: "EXAMPLE.COM") == "example.com", "queries are lowercased")
    }

    @Test func unreadableListIsAnError() {
        #expect(throws: WebAuthnClientError.self) { try PublicSuffixList(contentsOfFile: "/nonexistent/list.dat") }
    }
}
