import Foundation
import VauthAuthenticator
import VauthWebAuthn

/// The Dfns API calls around vauth's credentials (the contract, docs/services/dfns.md: "Calls and
/// headers", "Registration body", "Signing a user action or login", "Recovering a user"): each
/// flow gets its challenge from an init endpoint, makes or signs credentials, and completes. The
/// caller commits new credentials only after a completion call returned, so a refused
/// registration leaves the keystore as it was; an assertion's counter it commits before sending.
public struct DfnsClient: Sendable {
    public struct Configuration: Sendable {
        public var endpoint: ServiceEndpoint
        /// `X-DFNS-APPID`.
        public var appId: String
        /// The caller's bearer token: a user or service account token for delegated registration and
        /// actions; recovery and login need none.
        public var token: String?
        /// Seconds all the calls of one command may take together (``ServiceDeadline``).
        public var timeout: TimeInterval

        public init(endpoint: ServiceEndpoint, appId: String, token: String?, timeout: TimeInterval = 30) {
            self.endpoint = endpoint
            self.appId = appId
            self.token = token
            self.timeout = timeout
        }
    }

    public let configuration: Configuration
    public let clientVersion: String
    /// One deadline for every call this client makes (an init call and its completion).
    let deadline: ServiceDeadline

    public init(configuration: Configuration, clientVersion: String) {
        self.configuration = configuration
        self.clientVersion = clientVersion
        deadline = ServiceDeadline(seconds: configuration.timeout)
    }

    func http(bearer: String?) -> HTTPJSONClient {
        var headers = ["X-DFNS-APPID": configuration.appId]
        if let bearer { headers["Authorization"] = "Bearer \(bearer)" }
        return HTTPJSONClient(service: "Dfns", endpoint: configuration.endpoint, headers: headers, deadline: deadline,
                              userAgent: "vauth/\(clientVersion)")
    }

    func requireToken(_ what: String) throws(DfnsError) -> String {
        guard let token = configuration.token, !token.isEmpty else { throw .malformed("\(what) needs a Dfns bearer token (--token-file FILE or $VAUTH_DFNS_TOKEN)") }
        return token
    }

    /// `POST /auth/registration/delegated` `{email, kind: "EndUser"}` with the caller's token: a
    /// registration challenge for that user.
    public func delegatedRegistrationChallenge(username: String) async throws -> DfnsRegistrationChallenge {
        let token = try requireToken("a delegated registration")
        let answer = try await http(bearer: token).post("auth/registration/delegated",
                                                         body: ["email": .string(username), "kind": "EndUser"])
        return try Self.registrationChallenge(answer)
    }

    /// `POST /auth/registration` with the challenge's temporary token.
    public func completeRegistration(_ challenge: DfnsRegistrationChallenge, body: JSONValue) async throws -> JSONValue {
        guard let temporary = challenge.temporaryAuthenticationToken, !temporary.isEmpty else {
            throw DfnsError.malformed("challenge.temporaryAuthenticationToken is missing: the registration cannot be completed")
        }
        return try await http(bearer: temporary).post("auth/registration", body: body)
    }

    /// `POST /auth/action/init` for the API call the action signature will authorise.
    public func actionChallenge(method: String, path: String, payload: String) async throws -> DfnsActionChallenge {
        let token = try requireToken("signing a user action")
        let answer = try await http(bearer: token).post("auth/action/init", body: [
            "userActionPayload": .string(payload), "userActionHttpMethod": .string(method),
            "userActionHttpPath": .string(path), "userActionServerKind": "Api",
        ])
        return try Self.actionChallenge(answer)
    }

    /// `POST /auth/action`: the signed challenge for `{userAction}`.
    public func completeAction(body: JSONValue) async throws -> JSONValue {
        try await http(bearer: try requireToken("signing a user action")).post("auth/action", body: body)
    }

    /// `POST /auth/login/init` `{username, orgId}`.
    public func loginChallenge(username: String, orgId: String?) async throws -> DfnsActionChallenge {
        var body: [(String, JSONValue)] = [("username", .string(username))]
        if let orgId { body.append(("orgId", .string(orgId))) }
        return try Self.actionChallenge(try await http(bearer: nil).post("auth/login/init", body: .object(body)))
    }

    /// `POST /auth/login`: the signed challenge for `{token}`.
    public func completeLogin(body: JSONValue) async throws -> JSONValue {
        try await http(bearer: nil).post("auth/login", body: body)
    }

    /// `POST /auth/recover/user/init` `{username, verificationCode, orgId, credentialId}`.
    public func recoveryChallenge(username: String, verificationCode: String?, orgId: String?,
                                  credentialId: String) async throws -> DfnsRegistrationChallenge {
        var body: [(String, JSONValue)] = [("username", .string(username))]
        if let verificationCode { body.append(("verificationCode", .string(verificationCode))) }
        if let orgId { body.append(("orgId", .string(orgId))) }
        body.append(("credentialId", .string(credentialId)))
        return try Self.registrationChallenge(try await http(bearer: nil).post("auth/recover/user/init", body: .object(body)))
    }

    /// `POST /auth/recover/user` with the challenge's temporary token.
    public func completeRecovery(_ challenge: DfnsRegistrationChallenge, body: JSONValue) async throws -> JSONValue {
        guard let temporary = challenge.temporaryAuthenticationToken, !temporary.isEmpty else {
            throw DfnsError.malformed("challenge.temporaryAuthenticationToken is missing: the recovery cannot be completed")
        }
        return try await http(bearer: temporary).post("auth/recover/user", body: body)
    }

    static func registrationChallenge(_ answer: JSONValue) throws -> DfnsRegistrationChallenge {
        do {
            return try DfnsRegistrationChallenge(json: answer)
        } catch {
            throw ServiceError.unexpected(service: "Dfns", what: error.description)
        }
    }

    static func actionChallenge(_ answer: JSONValue) throws -> DfnsActionChallenge {
        do {
            return try DfnsActionChallenge(json: answer)
        } catch {
            throw ServiceError.unexpected(service: "Dfns", what: error.description)
        }
    }
}
