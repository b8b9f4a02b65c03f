import Foundation
import Testing
@testable import VauthServices

/// The API URL rules next to the code: which URLs are refused, what counts as the same origin for
/// a redirect. The interop suite (test_services_http.py) drives the same through the CLI against
/// hostile servers.
struct ServiceEndpointTests {
    @Test(arguments: ["https://api.dfns.io", "https://API.Dfns.io:443/v1/", "http://localhost:8080", "http://127.0.0.53",
                      "http://[::1]:9", "http://app.localhost"])
    func acceptsSecureOrLoopbackURLs(_ text: String) throws {
        let endpoint = try ServiceEndpoint(text, what: "--api-url")
        #expect(!endpoint.baseURL.absoluteString.hasSuffix("/"))
    }

    @Test(arguments: ["http://example.com", "http://10.0.0.1", "http://[2001:db8::1]", "http://0.0.0.0:80"])
    func refusesClearTextToOtherHostsUnlessAllowed(_ text: String) throws {
        #expect(throws: ServiceEndpoint.Refusal.self) { try ServiceEndpoint(text, what: "--api-url") }
        _ = try ServiceEndpoint(text, what: "--api-url", allowInsecureHTTP: true)
    }

    @Test(arguments: ["ftp://example.com", "example.com", "https://", "https://u:p@example.com", "https://example.com/?q=1",
                      "https://example.com/#f"])
    func refusesOtherShapes(_ text: String) {
        #expect(throws: ServiceEndpoint.Refusal.self) { try ServiceEndpoint(text, what: "--api-url", allowInsecureHTTP: true) }
    }

    @Test func sameOriginIsSchemeHostAndEffectivePort() throws {
        let endpoint = try ServiceEndpoint("https://api.example.com/v1", what: "--api-url")
        #expect(endpoint.origin == "https://api.example.com")
        #expect(endpoint.isSameOrigin(URL(string: "https://API.example.com:443/v2/auth/login")!))
        #expect(!endpoint.isSameOrigin(URL(string: "http://api.example.com/v1")!))
        #expect(!endpoint.isSameOrigin(URL(string: "https://api.example.com:8443/v1")!))
        #expect(!endpoint.isSameOrigin(URL(string: "https://evil.example.com/v1")!))
        #expect(endpoint.url("/auth/login").absoluteString == "https://api.example.com/v1/auth/login")
    }

    @Test func deadlineIsFixedAtFirstUseAndShared() throws {
        let deadline = ServiceDeadline(seconds: 0.2)
        let first = deadline.instant
        #expect(deadline.instant == first)
        #expect(deadline.remaining <= 0.2 && deadline.remaining > 0)
        #expect(ServiceDeadline(seconds: 2.5).text == "2.5 s" && ServiceDeadline(seconds: 30).text == "30 s")
    }
}
