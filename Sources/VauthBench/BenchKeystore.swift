import VauthAuthenticator
import VauthCrypto
import VauthKeystore

/// A keystore made for a measurement: `count` credentials, the first of them (``target``) a
/// discoverable ES256 credential of `bench.example` with user handle 1 2 3 4, the rest spread over
/// 500 other RPs (every tenth discoverable), all sealed under one key file — what a keystore that
/// has been used for a while looks like, for every RP but the one measured.
struct BenchKeystore {
    let path: String
    let keyPath: String
    let target: [UInt8]
    let count: Int

    /// The environment a `vauth` process needs for this keystore.
    var environment: [String: String] {
        ["VAUTH_KEYSTORE": path, "VAUTH_KEY_FILE": keyPath, "PATH": "/usr/bin:/bin", "HOME": "/nonexistent"]
    }

    /// The keystore files (the keystore and its counter journal), for saving and restoring.
    var files: [String] { [path, path + ".counters"] }

    static func make(at path: String, keyPath: String, count: Int, identity: AuthenticatorIdentity) throws -> BenchKeystore {
        let unlock = try KeystoreUnlock.keyFile(path: keyPath)
        // One key for every record: a keystore's cost does not depend on which key a record holds.
        let key = try SigningKey.generate(.es256).pkcs8DER()
        var records: [CredentialRecord] = []
        records.reserveCapacity(count)
        for n in 0..<count {
            records.append(CredentialRecord(
                id: try SecureRandom.bytes(16), rp: RelyingPartyEntity(id: n == 0 ? "bench.example" : "rp\(n % 500).example", name: "Bench"),
                user: UserEntity(id: n == 0 ? [1, 2, 3, 4] : Array("user-\(n)".utf8), name: "user \(n)", displayName: "User \(n)"),
                algorithm: .es256, privateKey: key, discoverable: n == 0 || n % 10 == 0, createdAt: Int64(n)))
        }
        let file = try KeystoreFile(path: path, unlock: unlock, access: .readWrite, creating: .init(identity: identity))
        try file.insert(records)
        file.close()
        return BenchKeystore(path: path, keyPath: keyPath, target: records[0].id, count: count)
    }

    /// `count` more non-discoverable credentials of `rpId` (each its own key); their ids.
    func addCredentials(rpId: String, count: Int) throws -> [[UInt8]] {
        var records: [CredentialRecord] = []
        for n in 0..<count {
            records.append(CredentialRecord(id: try SecureRandom.bytes(16), rp: RelyingPartyEntity(id: rpId),
                                            user: UserEntity(id: Array("extra-\(n)".utf8)), algorithm: .es256,
                                            privateKey: try SigningKey.generate(.es256).pkcs8DER(), discoverable: false, createdAt: Int64(n)))
        }
        let file = try open()
        try file.insert(records)
        file.close()
        return records.map(\.id)
    }

    func open() throws -> KeystoreFile {
        try KeystoreFile(path: path, unlock: try KeystoreUnlock.keyFile(path: keyPath), access: .readWrite)
    }

    /// Copies of the files under `suffix`, to restore between rounds of a measurement that writes.
    func save(as suffix: String) throws {
        for file in files { try ScratchDirectory.copy(file, to: file + suffix) }
    }

    func restore(from suffix: String) throws {
        for file in files { try ScratchDirectory.copy(file + suffix, to: file) }
    }
}
