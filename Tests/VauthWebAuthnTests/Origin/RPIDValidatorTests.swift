import Testing
@testable import VauthWebAuthn

struct RPIDValidatorTests {
    let validator = RPIDValidator(publicSuffixList: systemList)

    @Test(arguments: [
        ("https://example.com", nil as String?, "example.com"),
        ("https://example.com", "example.com", "example.com"),
        ("https://login.example.com", "example.com", "example.com"),
        ("https://a.b.login.example.com:8443", "login.example.com", "login.example.com"),
        ("https://www.example.co.uk", "example.co.uk", "example.co.uk"),
        ("https://alice.github.io", "alice.github.io", "alice.github.io"),
        ("https://github.io", "github.io", "github.io"),
        ("http://localhost:8080", "localhost", "localhost"),
        ("http://localhost:8080", nil, "localhost"),
        ("http://app.localhost", nil, "app.localhost"),
        ("https://shop.www.ck", "www.ck", "www.ck"),
    ])
    func allows(_ origin: String, _ rpId: String?, _ expected: String) throws {
        #expect(try validator.rpId(rpId, for: try Origin(origin)) == expected)
    }

    @Test(arguments: [
        ("https://example.com", "login.example.com"),
        ("https://example.com", "other.com"),
        ("https://notexample.com", "example.com"),
        ("https://example.com", "ample.com"),
        ("https://www.example.co.uk", "co.uk"),
        ("https://example.com", "com"),
        ("https://login.example.com", "com"),
        ("https://alice.github.io", "github.io"),
        ("https://alice.github.io", "io"),
        ("https://shop.anything.ck", "anything.ck"),
        ("http://app.localhost", "localhost"),
        ("https://login.example.com", "Example.com"),
        ("https://login.example.com", ""),
        ("https://login.example.com", ".example.com"),
    ])
    func refuses(_ origin: String, _ rpId: String) throws {
        let error = clientError { _ = try validator.rpId(rpId, for: try Origin(origin)) }
        #expect(error?.kind == .security)
        #expect(error?.message.contains("\"\(rpId)\"") == true)
        #expect(error?.message.contains(try Origin(origin).serialized) == true)
    }

    @Test(arguments: ["http://127.0.0.1:5000", "https://192.168.1.10", "http://[::1]:8000"])
    func refusesIPAddressOrigins(_ origin: String) throws {
        for rpId in [nil, try Origin(origin).effectiveDomain] {
            let error = clientError { _ = try validator.rpId(rpId, for: try Origin(origin)) }
            #expect(error?.kind == .security)
            #expect(error?.message.contains("not a valid domain") == true)
        }
    }

    @Test func publicSuffixMessage() throws {
        let error = clientError { _ = try validator.rpId("co.uk", for: try Origin("https://www.example.co.uk")) }
        #expect(error?.message == "rpId \"co.uk\" is a public suffix and cannot be claimed by origin https://www.example.co.uk")
    }
}
