import VauthCrypto
import VauthWebAuthn

/// One generated vector before it is written: the JSON file's members, which
/// ``FixtureTampering`` may still change for a negative vector.
struct FixtureVector {
    var fixture: FixtureCase
    var name: String
    var origin: String
    var rpId: String
    var options: JSONValue
    var registration: RegistrationResponseJSON?
    var authentication: AuthenticationResponseJSON?
    var credential: JSONValue
    /// The challenge the response was made for (not written; tampering needs it).
    var challenge: [UInt8]
    var previousSignCount: UInt32?
    var trustAnchorPem: String?

    init(fixture: FixtureCase, name: String, origin: String, rpId: String, options: JSONValue,
         registration: RegistrationResponseJSON? = nil, authentication: AuthenticationResponseJSON? = nil,
         credential: JSONValue, challenge: [UInt8], previousSignCount: UInt32? = nil, trustAnchorPem: String? = nil) {
        self.fixture = fixture
        self.name = name
        self.origin = origin
        self.rpId = rpId
        self.options = options
        self.registration = registration
        self.authentication = authentication
        self.credential = credential
        self.challenge = challenge
        self.previousSignCount = previousSignCount
        self.trustAnchorPem = trustAnchorPem
    }

    /// What the RP should conclude: from the (possibly tampered) authenticator data, and the
    /// label of the check a negative vector fails.
    var expected: JSONValue {
        let authData = registration?.authenticatorData ?? authentication?.authenticatorData ?? []
        let flags: UInt8? = authData.count > 32 ? authData[32] : nil
        let signCount: JSONValue = authData.count >= 37
            ? .number(Double(UInt32(authData[33]) << 24 | UInt32(authData[34]) << 16 | UInt32(authData[35]) << 8 | UInt32(authData[36])))
            : .null
        var format: JSONValue = .null
        if registration != nil { format = .string(fixture.attestation.format) }
        return [
            "valid": .bool(fixture.negative == nil),
            "failure": fixture.negative.map { .string($0.rawValue) } ?? .null,
            "userVerified": flags.map { .bool($0 & 0x04 != 0) } ?? .null,
            "signCount": signCount,
            "attestationFormat": format,
            "trustAnchorPem": trustAnchorPem.map(JSONValue.string) ?? .null,
        ]
    }

    var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("name", .string(name)),
            ("description", .string(fixture.summary)),
            ("ceremony", .string(fixture.ceremony.rawValue)),
            ("origin", .string(origin)),
            ("rpId", .string(rpId)),
            ("properties", fixture.properties),
            ("options", options),
            ("response", registration?.json ?? authentication?.json ?? .null),
            ("credential", credential),
        ]
        if let previousSignCount { members.append(("previousSignCount", .number(Double(previousSignCount)))) }
        members.append(("expected", expected))
        return .object(members)
    }

    /// The file's bytes: two-space JSON and a final newline.
    var fileBytes: [UInt8] { Array((json.serialized(.pretty) + "\n").utf8) }
}

extension JSONValue {
    /// This object with member `name` replaced (or appended).
    func setting(_ name: String, _ value: JSONValue) -> JSONValue {
        guard case .object(var members) = self else { return self }
        if let index = members.firstIndex(where: { $0.0 == name }) {
            members[index].1 = value
        } else {
            members.append((name, value))
        }
        return .object(members)
    }
}
