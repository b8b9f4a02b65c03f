import VauthAuthenticator
import VauthCrypto
import VauthWebAuthn

/// Playwright's virtual WebAuthn credentials (`BrowserContext.credentials`, Playwright 1.61 and
/// later): a `VirtualCredential` is `{id, rpId, userHandle, privateKey, publicKey, signCount}`,
/// binary members base64url, the private key PKCS#8 DER and the public key SPKI DER, ES256 only;
/// `storageState({credentials: true})` keeps them in its `credentials` member. vauth writes a
/// storageState document with no cookies or origins, so the file loads with
/// `browser.new_context(storage_state=…)` and each entry with `context.credentials.create(**…)`,
/// and reads either form back (docs/bridge.md, "Playwright's credentials").
extension CredentialTransfer {
    /// `{cookies: [], origins: [], credentials: [VirtualCredential…]}`.
    static func playwrightDocument(_ records: [CredentialRecord]) throws -> JSONValue {
        .object([("cookies", .array([])), ("origins", .array([])), ("credentials", .array(try records.map(playwrightObject)))])
    }

    static func playwrightObject(_ record: CredentialRecord) throws -> JSONValue {
        let id = Base64.urlEncode(record.id)
        guard record.kind == .webAuthn else {
            throw Error("credential \(id) is a Dfns \(record.kind.rawValue) credential, which Playwright's credentials (WebAuthn only) cannot carry: use --format vauth")
        }
        guard record.algorithm == .es256 else {
            throw Error("credential \(id) is \(record.algorithm.name), and Playwright's credentials are es256 only: use --format vauth")
        }
        let key = try parseKey(record.privateKey, path: "credential \(id)")
        let publicKey: [UInt8]
        do { publicKey = try key.publicKey.spkiDER() } catch { throw Error("credential \(id): \(error)") }
        return .object([
            ("id", .string(id)),
            ("rpId", .string(record.rpId)),
            // Playwright makes up a handle for an empty one; a non-discoverable credential has none.
            ("userHandle", .string(Base64.urlEncode(record.user.id))),
            ("privateKey", .string(record.privateKey.withUnsafeBytes { Base64.urlEncode($0) })),
            ("publicKey", .string(Base64.urlEncode(publicKey))),
            ("signCount", .number(Double(record.signCount))),
        ])
    }

    /// A VirtualCredential: has `id` and `publicKey` where the other formats have `credentialId`.
    static func isPlaywrightCredential(_ item: JSONValue) -> Bool {
        item["id"] != nil && item["publicKey"] != nil && item["credentialId"] == nil
    }

    /// Every credential Playwright keeps is discoverable (its `credentials.create` seeds resident
    /// ones), so each imported one is too, and needs a user handle. The public key must be the
    /// private key's.
    static func playwrightRecord(_ item: JSONValue, path: String, now: Int64) throws -> CredentialRecord {
        let fields = Fields(item, path: path, decode: Base64.urlDecode)
        let privateKey = SecretBytes(try fields.bytes("privateKey"))
        let key = try parseKey(privateKey, path: path)
        guard key.algorithm == .es256 else { throw Error("\(path).privateKey is \(key.algorithm.name), not the P-256 key Playwright uses") }
        let publicKey = try fields.bytes("publicKey")
        guard (try? key.publicKey.spkiDER()) == publicKey else { throw Error("\(path).publicKey is not the private key's public key") }
        let id = try fields.bytes("id")
        guard (1...1023).contains(id.count) else { throw Error("\(path).id must be 1 to 1023 bytes") }
        let rpId = try validRPID(try fields.string("rpId"), path: path)
        return CredentialRecord(
            id: id, rp: RelyingPartyEntity(id: rpId), user: UserEntity(id: try fields.userHandle(required: true) ?? []),
            algorithm: key.algorithm, privateKey: privateKey, signCount: try fields.signCount(), discoverable: true, createdAt: now)
    }
}
