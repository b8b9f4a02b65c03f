import Testing
@testable import VauthWebAuthn

struct PublicSuffixListTests {
    @Test func punycodeMatchesRFC3492AndKnownLabels() {
        // RFC 3492 §7.1 (A) Arabic (Egyptian) and (B) Chinese (simplified).
        #expect(Punycode.encode("\u{0644}\u{064A}\u{0647}\u{0645}\u{0627}\u{0628}\u{062A}\u{0643}\u{0644}\u{0645}\u{0648}\u{0634}\u{0639}\u{0631}\u{0628}\u{064A}\u{061F}") == "egbpdaj6bu4bxfgehfvwxn")
        #expect(Punycode.encode("他们为什么不说中文") == "ihqwcrb4cv8a8dqg056pqjye")
        // (L) mixed case and ASCII: "3年B組金八先生" (encoding keeps the case it is given).
        #expect(Punycode.encode("3年B組金八先生") == "3B-ww4c5e180e575a65lsy2b")
        #expect(Punycode.asciiLabel("bücher") == "xn--bcher-kva")
        #expect(Punycode.asciiLabel("Example") == "example")
        #expect(Punycode.asciiDomain("aéroport.ci") == "xn--aroport-bya.ci")
        #expect(Punycode.asciiDomain("公司.cn") == "xn--55qx5d.cn")
    }

    @Test func normalRulesFromBothSections() {
        #expect(systemList.isPublicSuffix("com"))
        #expect(systemList.isPublicSuffix("co.uk"))
        #expect(!systemList.isPublicSuffix("example.co.uk"))
        #expect(systemList.registrableDomain(of: "www.example.co.uk") == "example.co.uk")
        #expect(systemList.registrableDomain(of: "co.uk") == nil)
        #expect(systemList.publicSuffix(of: "www.example.co.uk") == "co.uk")
        // PRIVATE section: browsers use it, so github.io is a public suffix.
        #expect(systemList.isPublicSuffix("github.io"))
        #expect(systemList.registrableDomain(of: "alice.github.io") == "alice.github.io")
        #expect(systemList.registrableDomain(of: "docs.alice.github.io") == "alice.github.io")
        let icannOnly = try? PublicSuffixList(contentsOfFile: PublicSuffixList.debianPath, includePrivateDomains: false)
        #expect(icannOnly?.isPublicSuffix("github.io") == false)
        #expect(icannOnly?.registrableDomain(of: "alice.github.io") == "github.io")
    }

    @Test func wildcardAndExceptionRules() {
        // *.ck and !www.ck
        #expect(systemList.isPublicSuffix("anything.ck"))
        #expect(systemList.registrableDomain(of: "shop.anything.ck") == "shop.anything.ck")
        #expect(!systemList.isPublicSuffix("www.ck"))
        #expect(systemList.publicSuffix(of: "www.ck") == "ck")
        #expect(systemList.registrableDomain(of: "www.ck") == "www.ck")
        #expect(systemList.registrableDomain(of: "a.b.www.ck") == "www.ck")
        // *.kawasaki.jp and !city.kawasaki.jp
        #expect(systemList.isPublicSuffix("foo.kawasaki.jp"))
        #expect(systemList.registrableDomain(of: "city.kawasaki.jp") == "city.kawasaki.jp")
        #expect(systemList.registrableDomain(of: "www.city.kawasaki.jp") == "city.kawasaki.jp")
    }

    @Test func internationalRulesMatchInPunycode() {
        // 公司.cn and aéroport.ci in the list; hosts arrive in their xn-- form.
        #expect(systemList.isPublicSuffix("xn--55qx5d.cn"))
        #expect(systemList.registrableDomain(of: "example.xn--55qx5d.cn") == "example.xn--55qx5d.cn")
        #expect(systemList.isPublicSuffix("xn--aroport-bya.ci"))
        #expect(systemList.isPublicSuffix("公司.cn"), "Unicode queries are converted too")
    }

    @Test func implicitStarRuleAndInvalidNames() {
        #expect(systemList.isPublicSuffix("notarealtld"))
        #expect(systemList.registrableDomain(of: "example.notarealtld") == "example.notarealtld")
        #expect(systemList.isPublicSuffix("localhost"))
        #expect(systemList.publicSuffix(of: "") == nil)
        #expect(systemList.publicSuffix(of: ".com") == nil)
        #expect(systemList.publicSuffix(of: "example..com") == nil)
        #expect(systemList.registrableDomain(of: "example.com.") == nil)
    }

    /// The algorithm on a small list, with the cases of the list's own test file (test_psl.txt).
    @Test func algorithmOnASmallList() {
        let list = PublicSuffixList(text: """
        // comment
        com
        *.jp
        // Hosts in .hokkaido.jp can't set cookies below level 4...
        *.hokkaido.jp
        *.tokyo.jp
        // ...except hosts in pref.hokkaido.jp, which can set cookies at level 3.
        !pref.hokkaido.jp
        !metro.tokyo.jp
        ac.jp
        uk.com  trailing text after whitespace is ignored
        \t
        """)
        #expect(list.registrableDomain(of: "example.com") == "example.com")
        #expect(list.registrableDomain(of: "b.example.com") == "example.com")
        #expect(list.registrableDomain(of: "jp") == nil)
        #expect(list.registrableDomain(of: "test.jp") == nil, "*.jp makes test.jp a public suffix")
        #expect(list.registrableDomain(of: "www.test.jp") == "www.test.jp")
        #expect(list.registrableDomain(of: "ac.jp") == nil)
        #expect(list.registrableDomain(of: "test.ac.jp") == "test.ac.jp")
        #expect(list.registrableDomain(of: "c.kyoto.jp") == "c.kyoto.jp")
        #expect(list.registrableDomain(of: "b.c.kyoto.jp") == "c.kyoto.jp")
        #expect(list.registrableDomain(of: "pref.hokkaido.jp") == "pref.hokkaido.jp")
        #expect(list.registrableDomain(of: "www.pref.hokkaido.jp") == "pref.hokkaido.jp")
        #expect(list.registrableDomain(of: "city.hokkaido.jp") == nil)
        #expect(list.registrableDomain(of: "a.city.hokkaido.jp") == "a.city.hokkaido.jp")
        #expect(list.registrableDomain(of: "metro.tokyo.jp") == "metro.tokyo.jp")
        #expect(list.registrableDomain(of: "a.b.example.uk.com") == "example.uk.com")
        #expect(list.registrableDomain(of: "EXAMPLE.COM") == "example.com", "queries are lowercased")
        #expect(list.ruleCount == 8)
    }

    @Test func loadsFastAndFromAnOverriddenPath() throws {
        let clock = ContinuousClock()
        var list: PublicSuffixList?
        let elapsed = try clock.measure { list = try PublicSuffixList(contentsOfFile: PublicSuffixList.debianPath) }
        #expect((list?.ruleCount ?? 0) > 9000)
        // A few ms in release builds; a debug build with the test harness is allowed more.
        #expect(elapsed < .milliseconds(500), "loading took \(elapsed)")
        #expect(throws: WebAuthnClientError.self) { try PublicSuffixList(contentsOfFile: "/nonexistent/list.dat") }
    }
}
