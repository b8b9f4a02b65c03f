import VauthAuthenticator
import VauthCrypto
import VauthWebAuthn

/// A Dfns `Totp` credential (contract, docs/services/dfns.md: "Totp credential"): the
/// registration challenge's `otpUrl` enrolled as an RFC 6238 secret in the keystore, its current
/// code in the registration body (`{"otpCode"}`), and later codes for logins' second factors
/// (`vauth dfns totp`, `dfns sign`).
public enum DfnsTotpCredential {
    /// Parses the challenge's otpUrl; a challenge without one cannot register a Totp credential.
    public static func generator(_ challenge: DfnsRegistrationChallenge) throws(DfnsError) -> OneTimePassword {
        guard let url = challenge.otpUrl else {
            throw .malformed("challenge.otpUrl is missing: a Totp credential enrols the otpauth:// URI the challenge carries")
        }
        do {
            return try OneTimePassword(uri: url)
        } catch {
            throw .malformed("challenge.otpUrl: \(error.description)")
        }
    }

    /// The keystore record: the canonical otpauth URI as its secret, kept under the app origin
    /// with the Dfns user, with a random local id (the service names a Totp credential itself).
    public static func record(_ generator: OneTimePassword, user: DfnsRegistrationChallenge.User, origin: Origin,
                              now: Int64) throws -> CredentialRecord {
        CredentialRecord(id: try SecureRandom.bytes(16), rp: DfnsKeyCredential.relyingParty(origin),
                         user: UserEntity(id: Array(user.id.utf8), name: user.name, displayName: user.displayName).truncatedForStorage,
                         algorithm: .es256, privateKey: SecretBytes(Array(generator.uri.utf8)), discoverable: false, createdAt: now,
                         kind: .totp)
    }

    /// The generator a stored Totp record holds.
    public static func generator(_ record: CredentialRecord) throws(DfnsError) -> OneTimePassword {
        let text = record.privateKey.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        do {
            return try OneTimePassword(uri: text)
        } catch {
            throw .malformed("the stored TOTP secret \(Base64.urlEncode(record.id)) does not parse: \(error.description)")
        }
    }

    /// The Totp record of `origin` for `username` (any user when nil) among `records`: exactly one.
    public static func find(in records: [CredentialRecord], origin: Origin, username: String?) throws(DfnsError) -> CredentialRecord {
        let matching = records.filter { $0.kind == .totp && $0.rpId == origin.serialized && (username == nil || $0.user.name == username) }
        guard let first = matching.first else {
            let whose = username.map { " for \($0)" } ?? ""
            throw .refused("this keystore holds no TOTP secret\(whose) for \(origin.serialized) (a Dfns registration with "
                           + "--second-factor totp enrols one)")
        }
        guard matching.count == 1 else {
            let names = matching.compactMap(\.user.name).joined(separator: ", ")
            throw .malformed("this keystore holds \(matching.count) TOTP secrets for \(origin.serialized) (\(names)): name one with --username")
        }
        return first
    }
}
