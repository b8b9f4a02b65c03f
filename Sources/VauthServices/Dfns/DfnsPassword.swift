import VauthAuthenticator
import VauthCrypto
import VauthWebAuthn

/// A Dfns `Password` credential's password, or the password a `PasswordProtectedKey` is
/// encrypted under. It comes from a file or the environment (never the command line), lives in
/// wipe-on-free memory, and goes into the keystore only when the user asks (`--keep-password`).
/// A Password body carries it in clear (`{"password": …}`), so vauth only ever sends such a body
/// to the service and never prints it.
public struct DfnsPassword: Sendable {
    public let bytes: SecretBytes

    /// At most this many bytes: a password, not a document.
    public static let maxByteCount = 1024

    /// `bytes` as read (a file's one trailing line break already removed by the caller): UTF-8,
    /// not empty, no control characters, at most ``maxByteCount`` bytes.
    public init(_ bytes: SecretBytes, source: String) throws(DfnsError) {
        guard bytes.count > 0 else { throw .malformed("\(source): the password is empty") }
        guard bytes.count <= Self.maxByteCount else {
            throw .malformed("\(source): the password is longer than \(Self.maxByteCount) bytes")
        }
        let valid = bytes.withUnsafeBytes { raw in
            String(validating: raw, as: UTF8.self).map { !$0.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f } }
        }
        guard let valid else { throw .malformed("\(source): the password is not UTF-8 text") }
        guard valid else { throw .malformed("\(source): the password contains a line break or another control character") }
        self.bytes = bytes
    }

    /// The password as the JSON body's string (the one place it leaves wipe-on-free memory).
    var text: String {
        bytes.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// The keystore record of a kept password (`--keep-password`), under the app origin with the
    /// Dfns user.
    func record(user: DfnsRegistrationChallenge.User, origin: Origin, now: Int64) throws -> CredentialRecord {
        CredentialRecord(id: try SecureRandom.bytes(16), rp: DfnsKeyCredential.relyingParty(origin),
                         user: UserEntity(id: Array(user.id.utf8), name: user.name, displayName: user.displayName).truncatedForStorage,
                         algorithm: .es256, privateKey: bytes, discoverable: false, createdAt: now, kind: .password)
    }

    /// The password kept for `origin` and `username` (any user when nil, if only one is kept).
    public static func kept(in records: [CredentialRecord], origin: Origin, username: String?) throws(DfnsError) -> DfnsPassword? {
        let matching = records.filter { $0.kind == .password && $0.rpId == origin.serialized && (username == nil || $0.user.name == username) }
        guard matching.count <= 1 else {
            throw .malformed("this keystore keeps \(matching.count) passwords for \(origin.serialized): name the user with --username")
        }
        return try matching.first.map { (record) throws(DfnsError) in try DfnsPassword(record.privateKey, source: "the kept password") }
    }
}
