import VauthAuthenticator
import VauthCBOR
import VauthCrypto
import VauthWebAuthn

/// A minimal relying party, in process: it issues options JSON and verifies the response JSON the
/// way a server does (WebAuthn L3 §7.1 registration, §7.2 authentication), with OpenSSL for every
/// signature and the certificate chain. `vauth demo` runs against it, so the demo needs nothing
/// but the vauth binary (no checkout, no Python, no network).
///
/// It works only on the JSON documents a browser would send (base64url members, CBOR attestation
/// object, DER signatures) and shares no state with the authenticator: what it accepts, a server
/// would. The interop suite checks the same documents with py_webauthn and python-fido2.
public final class DemoRelyingParty {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// What a verified registration established.
    public struct Registration: Sendable {
        public let credentialId: String
        public let attestationFormat: String
        /// "x5c chain to the trusted root", "self", or "none".
        public let attestationTrust: String
        public let aaguid: String
    }

    /// What a verified sign-in established.
    public struct SignIn: Sendable {
        public let userName: String
        public let credentialId: String
        public let signCount: UInt32
    }

    public let rpId: String
    public let origin: String
    private let trustedRoot: X509Certificate
    private var pendingChallenge: [UInt8]?
    private var pendingUser: (handle: [UInt8], name: String)?
    private var credentials: [[UInt8]: (key: PublicKey, userHandle: [UInt8], userName: String, signCount: UInt32)] = [:]

    /// `trustedRoot`: the root CA whose `packed` x5c attestation the RP accepts.
    public init(rpId: String, origin: String, trustedRoot: X509Certificate) {
        self.rpId = rpId
        self.origin = origin
        self.trustedRoot = trustedRoot
    }

    // MARK: - Registration

    /// `PublicKeyCredentialCreationOptionsJSON` for a new user: a discoverable ES256 credential,
    /// user verification required, direct attestation.
    public func registrationOptions(userName: String, displayName: String) throws -> JSONValue {
        let challenge = try SecureRandom.bytes(32), handle = try SecureRandom.bytes(16)
        pendingChallenge = challenge
        pendingUser = (handle, userName)
        return .object([
            ("rp", .object([("id", .string(rpId)), ("name", "vauth demo")])),
            ("user", .object([("id", .string(Base64.urlEncode(handle))), ("name", .string(userName)), ("displayName", .string(displayName))])),
            ("challenge", .string(Base64.urlEncode(challenge))),
            ("pubKeyCredParams", .array([.object([("type", "public-key"), ("alg", -7)])])),
            ("authenticatorSelection", .object([("residentKey", "required"), ("userVerification", "required")])),
            ("attestation", "direct"),
        ])
    }

    /// Verifies `RegistrationResponseJSON` against the options issued last (L3 §7.1).
    public func verifyRegistration(_ response: JSONValue) throws -> Registration {
        guard let challenge = pendingChallenge, let user = pendingUser else { throw Failure("no registration in progress") }
        pendingChallenge = nil
        let rawId = try bytes(response, "rawId")
        guard response["type"]?.stringValue == "public-key" else { throw Failure("type is not public-key") }
        guard let inner = response["response"] else { throw Failure("response is missing") }
        let clientDataJSON = try bytes(inner, "clientDataJSON")
        try checkClientData(clientDataJSON, type: "webauthn.create", challenge: challenge)           // steps 7-10
        let attestation: [CBORValue: CBORValue]
        do {
            guard let map = try CBORDecoder.decode(try bytes(inner, "attestationObject")).mapValue else { throw Failure("not a map") }
            attestation = map
        } catch { throw Failure("attestationObject is not CBOR: \(error)") }
        guard let format = attestation[.text("fmt")]?.textValue, let statement = attestation[.text("attStmt")]?.mapValue,
              let authDataBytes = attestation[.text("authData")]?.bytesValue else {
            throw Failure("attestationObject lacks fmt, attStmt or authData")
        }
        let authData = try authenticatorData(authDataBytes, requireUV: true)                           // steps 13-16
        guard let attested = authData.attestedCredentialData else { throw Failure("authenticator data has no attested credential") }
        guard attested.credentialId == rawId else { throw Failure("credential id in authenticator data differs from rawId") }
        let key: PublicKey
        do { key = try PublicKey(coseKey: attested.publicKey) } catch { throw Failure("credential public key: \(error)") }
        guard key.algorithm == .es256 else { throw Failure("algorithm \(key.algorithm.name) was not offered") }  // step 17
        guard credentials[rawId] == nil else { throw Failure("credential id already registered") }             // step 24

        let signed = authDataBytes + SHA256.hash(clientDataJSON)
        let trust: String
        switch format {                                                                                 // steps 19-21 (§8.2 packed)
        case "packed":
            guard statement[.text("alg")]?.intValue == -7, let signature = statement[.text("sig")]?.bytesValue else {
                throw Failure("packed attestation lacks alg -7 or sig")
            }
            if let chain = statement[.text("x5c")]?.arrayValue {
                guard let leafDER = chain.first?.bytesValue else { throw Failure("x5c is empty") }
                let leaf: X509Certificate
                do { leaf = try X509Certificate(der: leafDER) } catch { throw Failure("x5c[0]: \(error)") }
                guard (try? leaf.publicKey())?.isValidSignature(signature, for: signed) == true else {
                    throw Failure("attestation signature does not verify with x5c[0]")
                }
                var issuer = leaf
                for intermediate in chain.dropFirst() {
                    guard let der = intermediate.bytesValue, let certificate = try? X509Certificate(der: der),
                          issuer.isSigned(by: certificate) else { throw Failure("x5c chain does not verify") }
                    issuer = certificate
                }
                guard issuer.isSigned(by: trustedRoot) else { throw Failure("x5c chain does not lead to the trusted root") }
                if let extensionAAGUID = AttestationCertificates.aaguid(of: leaf), extensionAAGUID != attested.aaguid.bytes {
                    throw Failure("the attestation certificate's AAGUID differs from the authenticator data's")
                }
                trust = "x5c chain to the trusted root"
            } else {
                guard key.isValidSignature(signature, for: signed) else { throw Failure("self attestation signature does not verify") }
                trust = "self"
            }
        case "none":
            guard statement.isEmpty else { throw Failure("none attestation with a statement") }
            trust = "none"
        default:
            throw Failure("unsupported attestation format \(format)")
        }
        credentials[rawId] = (key, user.handle, user.name, authData.signCount)
        return Registration(credentialId: Base64.urlEncode(rawId), attestationFormat: format, attestationTrust: trust,
                            aaguid: attested.aaguid.description)
    }

    // MARK: - Authentication

    /// `PublicKeyCredentialRequestOptionsJSON`: for `userName`'s credentials, or (nil) for a
    /// discoverable credential with an empty allow list.
    public func authenticationOptions(userName: String?) throws -> JSONValue {
        let challenge = try SecureRandom.bytes(32)
        pendingChallenge = challenge
        let allowed = credentials.filter { userName != nil && $0.value.userName == userName }.keys.sorted { $0.lexicographicallyPrecedes($1) }
        return .object([
            ("challenge", .string(Base64.urlEncode(challenge))), ("rpId", .string(rpId)), ("userVerification", "required"),
            ("allowCredentials", .array(allowed.map { .object([("type", "public-key"), ("id", .string(Base64.urlEncode($0)))]) })),
        ])
    }

    /// Verifies `AuthenticationResponseJSON` against the options issued last (L3 §7.2).
    public func verifyAuthentication(_ response: JSONValue) throws -> SignIn {
        guard let challenge = pendingChallenge else { throw Failure("no sign-in in progress") }
        pendingChallenge = nil
        let rawId = try bytes(response, "rawId")
        guard let inner = response["response"] else { throw Failure("response is missing") }
        guard var stored = credentials[rawId] else { throw Failure("unknown credential") }              // step 5-6
        if let handle = inner["userHandle"], handle != .null {
            guard try bytes(inner, "userHandle") == stored.userHandle else { throw Failure("userHandle is not the credential's user") }
        }
        let clientDataJSON = try bytes(inner, "clientDataJSON")
        try checkClientData(clientDataJSON, type: "webauthn.get", challenge: challenge)                 // steps 10-13
        let authDataBytes = try bytes(inner, "authenticatorData")
        let authData = try authenticatorData(authDataBytes, requireUV: true)                           // steps 14-16
        let signature = try bytes(inner, "signature")
        guard stored.key.isValidSignature(signature, for: authDataBytes + SHA256.hash(clientDataJSON)) else {
            throw Failure("assertion signature does not verify")                                         // step 21
        }
        if authData.signCount != 0 || stored.signCount != 0 {                                          // step 22
            guard authData.signCount > stored.signCount else { throw Failure("signature counter did not increase: possible clone") }
        }
        stored.signCount = authData.signCount
        credentials[rawId] = stored
        return SignIn(userName: stored.userName, credentialId: Base64.urlEncode(rawId), signCount: authData.signCount)
    }

    // MARK: - Shared steps

    private func checkClientData(_ bytes: [UInt8], type: String, challenge: [UInt8]) throws {
        let clientData: JSONValue
        do { clientData = try JSONParser.parse(bytes) } catch { throw Failure("clientDataJSON is not JSON") }
        guard clientData["type"]?.stringValue == type else { throw Failure("clientDataJSON.type is not \(type)") }
        guard clientData["challenge"]?.stringValue == Base64.urlEncode(challenge) else { throw Failure("clientDataJSON.challenge is not the one issued") }
        guard clientData["origin"]?.stringValue == origin else { throw Failure("clientDataJSON.origin is not \(origin)") }
        if clientData["crossOrigin"]?.boolValue == true { throw Failure("a cross-origin call") }
    }

    private func authenticatorData(_ bytes: [UInt8], requireUV: Bool) throws -> AuthenticatorData {
        let data: AuthenticatorData
        do { data = try AuthenticatorData(bytes: bytes) } catch { throw Failure("authenticator data: \(error)") }
        guard data.rpIdHash == SHA256.hash(Array(rpId.utf8)) else { throw Failure("rpIdHash is not SHA-256 of \(rpId)") }
        guard bytes[32] & 0x01 != 0 else { throw Failure("user presence flag not set") }
        if requireUV { guard bytes[32] & 0x04 != 0 else { throw Failure("user verification flag not set") } }
        return data
    }

    private func bytes(_ object: JSONValue, _ member: String) throws -> [UInt8] {
        guard let text = object[member]?.stringValue, let decoded = Base64.urlDecode(text) else {
            throw Failure("\(member) is missing or not base64url")
        }
        return decoded
    }
}
