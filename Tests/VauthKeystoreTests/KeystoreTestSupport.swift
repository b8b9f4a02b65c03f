import Foundation
import VauthAuthenticator
import VauthCrypto
import VauthKeystore

let testIdentity: AuthenticatorIdentity = try! AuthenticatorIdentity.generate(now: 1_750_000_000)
/// Cheap scrypt so tests that use passphrases stay fast; the format stores whatever was chosen.
let fastScrypt = KeyDerivation.ScryptParameters(log2N: 10, r: 8, p: 1)

/// A fresh directory under the system temp dir, removed by `cleanup()`.
struct Scratch {
    let directory: String

    init() {
        directory = NSTemporaryDirectory() + "vauth-ks-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    var keystore: String { directory + "/store/keystore.vauth" }

    func keyFile(_ byte: UInt8 = 7) -> (path: String, unlock: KeystoreUnlock) {
        let path = directory + "/key-\(byte)"
        _ = FileManager.default.createFile(atPath: path, contents: Data(repeating: byte, count: 32))
        return (path, try! KeystoreUnlock.keyFile(path: path))
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: directory) }
}

func makeRecord(rpId: String = "example.com", user: String = "alice", discoverable: Bool = true,
                createdAt: Int64 = 1_750_000_000_000, hmac: Bool = false, algorithm: COSEAlgorithm = .es256) throws -> CredentialRecord {
    let key = try SigningKey.generate(algorithm)
    return CredentialRecord(
        id: try SecureRandom.bytes(16), rp: RelyingPartyEntity(id: rpId, name: "Example"),
        user: UserEntity(id: Array(user.utf8), name: user + "@example.com", displayName: user.capitalized),
        algorithm: algorithm, privateKey: try key.pkcs8DER(), signCount: 0, discoverable: discoverable, createdAt: createdAt,
        protection: .userVerificationOptionalWithCredentialIDList,
        hmacSecret: hmac ? HMACSecretKeys(withUV: try SecretBytes(randomCount: 32), withoutUV: try SecretBytes(randomCount: 32)) : nil,
        backupEligible: true, backedUp: false)
}

func bytes(_ path: String) -> [UInt8] { (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))) ?? [] }
func write(_ bytes: [UInt8], to path: String) { try! Data(bytes).write(to: URL(fileURLWithPath: path)) }

func mode(of path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? NSNumber)?.intValue ?? -1
}

/// The keystore-stress executable, built next to the test bundle.
func stressExecutable() -> String {
    let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = testBinary.deletingLastPathComponent()
    while directory.path != "/" {
        let candidate = directory.appendingPathComponent("keystore-stress").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    return "keystore-stress"
}
