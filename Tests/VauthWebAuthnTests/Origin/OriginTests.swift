import Testing
@testable import VauthWebAuthn

struct OriginTests {
    @Test(arguments: [
        ("https://example.com", "https://example.com"),
        ("https://example.com/", "https://example.com"),
        ("HTTPS://Login.Example.COM", "https://login.example.com"),
        ("https://example.com:443", "https://example.com"),
        ("https://example.com:8443", "https://example.com:8443"),
        ("http://localhost", "http://localhost"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("http://app.localhost:3000", "http://app.localhost:3000"),
        ("http://127.0.0.1:5000", "http://127.0.0.1:5000"),
        ("http://127.1.2.3", "http://127.1.2.3"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("http://[0:0:0:0:0:0:0:1]", "http://[::1]"),
        ("https://[2001:DB8::1]", "https://[2001:db8::1]"),
        ("https://192.0.2.1", "https://192.0.2.1"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
        ("  https://example.com  ", "https://example.com"),
    ])
    func accepts(_ input: String, _ serialized: String) throws {
        #expect(try Origin(input).serialized == serialized)
    }

    @Test(arguments: [
        ("http://example.com", WebAuthnClientError.Kind.security),
        ("http://192.168.1.1", .security),
        ("http://[::2]", .security),
        ("http://localhost.example.com", .security),
        ("ftp://example.com", .security),
        ("file:///etc/passwd", .security),
        ("example.com", .syntax),
        ("https://", .syntax),
        ("https://example.com/path", .syntax),
        ("https://example.com?q=1", .syntax),
        ("https://example.com#frag", .syntax),
        ("https://user@example.com", .syntax),
        ("https://example.com:99999", .syntax),
        ("https://example.com:http", .syntax),
        ("https://exa mple.com", .syntax),
        ("https://example..com", .syntax),
        ("https://example.com.", .syntax),
        ("https://exa%41mple.com", .syntax),
        ("https://256.1.1.1", .syntax),
        ("https://127.1", .syntax),
        ("https://[::1", .syntax),
        ("https://[zz::1]", .syntax),
        ("://example.com", .syntax),
    ])
    func rejects(_ input: String, _ kind: WebAuthnClientError.Kind) {
        let error = clientError { _ = try Origin(input) }
        #expect(error?.kind == kind, "\(input): \(String(describing: error))")
    }

    @Test func insecureOriginMessageNamesTheOrigin() {
        let error = clientError { _ = try Origin("http://example.com:8080") }
        #expect(error?.message.hasPrefix("http origin http://example.com:8080 is not a secure context") == true)
        #expect(error?.name == "SecurityError")
    }

    @Test func partsAndEffectiveDomain() throws {
        let origin = try Origin("https://Login.Example.com:8443")
        #expect(origin.scheme == "https")
        #expect(origin.host == .domain("login.example.com"))
        #expect(origin.port == 8443)
        #expect(origin.effectiveDomain == "login.example.com")
        #expect(try Origin("http://[::1]").effectiveDomain == "[::1]")
        #expect(try Origin("http://127.0.0.1").host == .ipv4([127, 0, 0, 1]))
    }
}
