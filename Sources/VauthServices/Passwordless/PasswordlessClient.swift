import Foundation
import VauthAuthenticator
import VauthCrypto
import VauthWebAuthn

/// The browser side of Passwordless.dev (what passwordless-client-js does), with vauth as the
/// authenticator: register with a token from the RP's backend, sign in by alias, user id or
/// discoverable credential. The wire contract: docs/services/passwordless.md.
public struct PasswordlessClient: Sendable {
    public struct Configuration: Sendable {
        /// `https://v4.passwordless.dev` unless told otherwise.
        public var endpoint: ServiceEndpoint
        /// The public API key, `<app>:public:<32 hex>`.
        public var apiKey: String
        /// Seconds all the calls of one registration or sign-in may take together (``ServiceDeadline``).
        public var timeout: TimeInterval

        public static let defaultBaseURL = "https://v4.passwordless.dev"

        public init(endpoint: ServiceEndpoint, apiKey: String, timeout: TimeInterval = 30) {
            self.endpoint = endpoint
            self.apiKey = apiKey
            self.timeout = timeout
        }
    }

    /// The result of a registration: the verify token for the RP's backend and the credential id.
    public struct Registration: Sendable {
        public let verifyToken: String
        public let credentialId: String
    }

    public let configuration: Configuration
    private let http: HTTPJSONClient

    public init(configuration: Configuration, clientVersion: String) {
        self.configuration = configuration
        http = HTTPJSONClient(service: "Passwordless.dev", endpoint: configuration.endpoint,
                              headers: ["ApiKey": configuration.apiKey, "Client-Version": "vauth-\(clientVersion)"],
                              deadline: ServiceDeadline(seconds: configuration.timeout), userAgent: "vauth/\(clientVersion)")
    }

    /// `register/begin` → `navigator.credentials.create()` → `register/complete`.
    ///
    /// The new credential is kept in a ``StagedCredentialStore`` and reaches the keystore only
    /// after `register/complete` succeeded: a refused registration leaves no orphan credential.
    public func register(token: String, origin: Origin, rpId: String, nickname: String?,
                         client: WebAuthnClient, staged: StagedCredentialStore) async throws -> Registration {
        let begin = try await http.post("register/begin", body: .object([
            ("token", .string(token)), ("RPID", .string(rpId)), ("Origin", .string(origin.serialized)),
        ]))
        let (data, session) = try Self.dataAndSession(begin)
        let options = try PublicKeyCredentialCreationOptions(json: data)
        let credential = try client.create(options, origin: origin)
        let response = credential.json
        var body: [(String, JSONValue)] = [
            ("session", .string(session)),
            ("response", .object([
                ("id", .string(credential.id)), ("rawId", .string(credential.id)), ("type", "public-key"),
                ("clientExtensionResults", response["clientExtensionResults"] ?? .object([])),
                ("response", .object([
                    ("AttestationObject", response["response"]?["attestationObject"] ?? .null),
                    ("clientDataJson", response["response"]?["clientDataJSON"] ?? .null),
                    ("transports", response["response"]?["transports"] ?? .array([])),
                ])),
            ])),
        ]
        if let nickname { body.append(("nickname", .string(nickname))) }
        body += [("RPID", .string(rpId)), ("Origin", .string(origin.serialized))]
        let complete = try await http.post("register/complete", body: .object(body))
        guard let verifyToken = complete["token"]?.stringValue else {
            throw ServiceError.unexpected(service: "Passwordless.dev", what: "register/complete without a token")
        }
        try staged.commit()
        return Registration(verifyToken: verifyToken, credentialId: credential.id)
    }

    /// Who is signing in: an alias, a user id, or nobody in particular (a discoverable credential).
    public enum SignInTarget: Sendable {
        case alias(String)
        case userId(String)
        case discoverable
    }

    /// `signin/begin` → `navigator.credentials.get()` → `signin/complete`; the verify token. The
    /// assertion's counter is committed before `signin/complete` is sent, and stays committed
    /// whatever the service answers.
    public func signIn(_ target: SignInTarget, origin: Origin, rpId: String, client: WebAuthnClient,
                       staged: StagedCredentialStore) async throws -> String {
        var begin: [(String, JSONValue)] = []
        switch target {
        case .alias(let alias): begin.append(("alias", .string(alias)))
        case .userId(let userId): begin.append(("userId", .string(userId)))
        case .discoverable: break
        }
        begin += [("RPID", .string(rpId)), ("Origin", .string(origin.serialized))]
        let (data, session) = try Self.dataAndSession(try await http.post("signin/begin", body: .object(begin)))
        let options = try PublicKeyCredentialRequestOptions(json: data)
        let assertion = try client.get(options, origin: origin)
        let response = assertion.json
        var inner: [(String, JSONValue)] = [
            ("authenticatorData", response["response"]?["authenticatorData"] ?? .null),
            ("clientDataJson", response["response"]?["clientDataJSON"] ?? .null),
            ("signature", response["response"]?["signature"] ?? .null),
        ]
        if let handle = response["response"]?["userHandle"] { inner.append(("userHandle", handle)) }
        // The counter goes to the keystore before the assertion leaves: once sent, the service may
        // have seen it (and an RP that checks counters remembers it) whether or not its answer
        // arrives, so a failed or timed-out signin/complete must not give the next sign-in the same
        // counter again. A real authenticator likewise counts every signature it releases.
        try staged.commit()
        let complete = try await http.post("signin/complete", body: .object([
            ("session", .string(session)),
            ("response", .object([
                ("id", .string(assertion.id)), ("rawId", .string(assertion.id)), ("type", "public-key"),
                ("clientExtensionResults", response["clientExtensionResults"] ?? .object([])),
                ("response", .object(inner)),
            ])),
            ("RPID", .string(rpId)), ("Origin", .string(origin.serialized)),
        ]))
        guard let verifyToken = complete["token"]?.stringValue else {
            throw ServiceError.unexpected(service: "Passwordless.dev", what: "signin/complete without a token")
        }
        return verifyToken
    }

    private static func dataAndSession(_ answer: JSONValue) throws(ServiceError) -> (JSONValue, String) {
        guard let data = answer["data"], data.objectValue != nil, let session = answer["session"]?.stringValue else {
            throw .unexpected(service: "Passwordless.dev", what: "expected {data, session}")
        }
        return (data, session)
    }
}
