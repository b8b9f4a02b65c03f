import VauthAuthenticator

/// The largest value of each field a credential record stores, checked before anything is
/// written: the keystore never writes a record it could not read back (issue 18 item 1).
///
/// The bounds are the store's, not WebAuthn's: they are above what any valid ceremony produces
/// (a client truncates names to 64 bytes, CTAP 2.2 §6.1.2; a user handle is at most 64 bytes,
/// WebAuthn L3 §5.4.3), so that a record from any path — a ceremony, `import`, the Dfns and
/// Passwordless flows, U2F — fits, and far below what the reader accepts (a record's metadata
/// decodes under a 1 MiB CBOR limit; bounded as here it is under 8 KiB).
public enum RecordLimits {
    /// A credential id (WebAuthn L3 §4: at most 1023 bytes).
    public static let credentialId = 1023
    /// An RP ID: a domain (at most 253 bytes), `u2f:` and 64 hex digits, or the origin Dfns key
    /// credentials are filed under.
    public static let rpId = 2048
    /// A user handle: WebAuthn's is at most 64 bytes; a Dfns user id or a U2F key handle may be longer.
    public static let userHandle = 1024
    /// `rp.name`, `user.name`, `user.displayName`.
    public static let name = 1024
    /// A PKCS#8 private key (RSA-4096 is about 2.4 KB).
    public static let privateKey = 16384

    /// The first field of `record` over its bound, as `(field, bytes, limit)`; nil when it fits.
    static func violation(in record: CredentialRecord) -> (field: String, size: Int, limit: Int)? {
        let fields: [(String, Int, Int)] = [
            ("the credential id", record.id.count, credentialId),
            ("rp.id", record.rp.id.utf8.count, rpId),
            ("rp.name", record.rp.name?.utf8.count ?? 0, name),
            ("user.id", record.user.id.count, userHandle),
            ("user.name", record.user.name?.utf8.count ?? 0, name),
            ("user.displayName", record.user.displayName?.utf8.count ?? 0, name),
            ("the private key", record.privateKey.count, privateKey),
        ]
        for (field, size, limit) in fields where size > limit { return (field, size, limit) }
        if record.id.isEmpty { return ("the credential id", 0, credentialId) }
        return nil
    }

    /// `text` cut to at most `limit` bytes at a UTF-8 character boundary (what a reader does with a
    /// name an older vauth stored without a bound).
    static func truncated(_ text: String, to limit: Int) -> String {
        let bytes = Array(text.utf8)
        guard bytes.count > limit else { return text }
        var end = limit
        // Back off continuation bytes (10xxxxxx) so the cut falls before a character's first byte.
        while end > 0 && bytes[end] & 0xC0 == 0x80 { end -= 1 }
        return String(decoding: bytes[0..<end], as: UTF8.self)
    }
}
