import Foundation
import VauthWebAuthn

/// The RP backend's side of Passwordless.dev (secret key): issuing registration tokens and
/// verifying the tokens a client brings back. vauth uses it in `vauth demo`; a test harness can use
/// it to play the backend.
public struct PasswordlessBackend: Sendable {
    private let http: HTTPJSONClient

    public init(endpoint: ServiceEndpoint, apiSecret: String, timeout: TimeInterval = 30) {
        http = HTTPJSONClient(service: "Passwordless.dev", endpoint: endpoint, headers: ["ApiSecret": apiSecret],
                              deadline: ServiceDeadline(seconds: timeout), userAgent: "vauth-backend")
    }

    /// `POST /register/token`: a `register_…` token for one user.
    public func registerToken(userId: String, username: String, displayName: String? = nil, attestation: String = "none",
                              discoverable: Bool = true, userVerification: String = "preferred", aliases: [String] = []) async throws -> String {
        var body: [(String, JSONValue)] = [("userId", .string(userId)), ("username", .string(username))]
        if let displayName { body.append(("displayName", .string(displayName))) }
        body += [("attestation", .string(attestation)), ("discoverable", .bool(discoverable)),
                 ("userVerification", .string(userVerification))]
        if !aliases.isEmpty { body.append(("aliases", .array(aliases.map(JSONValue.string)))) }
        let answer = try await http.post("register/token", body: .object(body))
        guard let token = answer["token"]?.stringValue ?? answer.stringValue else {
            throw ServiceError.unexpected(service: "Passwordless.dev", what: "register/token without a token")
        }
        return token
    }

    /// `POST /signin/verify`: what the service knows about a verify token.
    public func verify(token: String) async throws -> JSONValue {
        try await http.post("signin/verify", body: .object([("token", .string(token))]))
    }
}
