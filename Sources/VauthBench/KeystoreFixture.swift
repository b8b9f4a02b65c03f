import VauthAuthenticator
import VauthCrypto
import VauthKeystore

/// Keystores of 10 and 10,000 credentials, on disk and (when there is one) on tmpfs, and the
/// assertion through them that `vauth get` makes: open (lock, header, data key, identity policy,
/// index), find the credential, decrypt its record, sign, journal the counter, close.
///
/// tmpfs matters: on a disk the counter journal's fsync dominates and hides an index that costs
/// O(n) to open; in memory nothing hides it.
final class KeystoreFixture {
    let keyPath: String
    let target: [UInt8]
    let diskSmall: String
    let diskLarge: String
    let tmpfsSmall: String?
    let tmpfsLarge: String?
    private let unlock: KeystoreUnlock
    private let settings: Benchmarks.Settings

    init(identity: AuthenticatorIdentity, settings: Benchmarks.Settings, disk: ScratchDirectory, tmpfs: ScratchDirectory?) throws {
        self.settings = settings
        keyPath = disk.file("key")
        try disk.save("key", try SecureRandom.bytes(32))
        let unlock = try KeystoreUnlock.keyFile(path: keyPath)
        self.unlock = unlock
        // One key for every record: the keystore's cost does not depend on which key a record holds.
        let key = try SigningKey.generate(.es256).pkcs8DER()
        var records: [CredentialRecord] = []
        for n in 0..<settings.largeKeystore {
            records.append(CredentialRecord(
                id: try SecureRandom.bytes(16), rp: RelyingPartyEntity(id: n == 0 ? "bench.example" : "rp\(n % 500).example"),
                user: UserEntity(id: Array("user-\(n)".utf8), name: "user \(n)"), algorithm: .es256,
                privateKey: key, discoverable: n == 0 || n % 10 == 0, createdAt: Int64(n)))
        }
        target = records[0].id
        func make(_ path: String, _ count: Int) throws -> String {
            let file = try KeystoreFile(path: path, unlock: unlock, access: .readWrite, creating: .init(identity: identity))
            try file.insert(Array(records.prefix(count)))
            file.close()
            return path
        }
        diskSmall = try make(disk.file("small.vauth"), settings.smallKeystore)
        diskLarge = try make(disk.file("large.vauth"), settings.largeKeystore)
        tmpfsSmall = try tmpfs.map { try make($0.file("small.vauth"), settings.smallKeystore) }
        tmpfsLarge = try tmpfs.map { try make($0.file("large.vauth"), settings.largeKeystore) }
    }

    /// Milliseconds per assertion, best round of each, small and large interleaved.
    func measure(seconds: Double, rounds: Int) throws -> [(String, Double)] {
        let request = GetAssertionRequest(rpId: "bench.example", clientDataHash: SHA256.hash(Array("bench".utf8)),
                                          allowList: [CredentialDescriptor(id: target)])
        func assertion(_ path: String) throws -> Double {
            let rate = try Measure.rate(seconds: seconds) {
                let file = try KeystoreFile(path: path, unlock: unlock, access: .readWrite)
                let authenticator = Authenticator(aaguid: try file.aaguid(), loadingIdentity: { try file.identity() },
                                                  store: EncryptedCredentialStore(file: file))
                _ = try authenticator.getAssertion(request)
                file.close()
            }
            return 1000 / rate
        }
        func pair(_ small: String, _ large: String) throws -> (Double, Double) {
            var bestSmall = Double.infinity, bestLarge = Double.infinity
            for _ in 0..<rounds {
                bestSmall = min(bestSmall, try assertion(small))
                bestLarge = min(bestLarge, try assertion(large))
            }
            return (bestSmall, bestLarge)
        }
        let (diskSmallMs, diskLargeMs) = try pair(diskSmall, diskLarge)
        var numbers: [(String, Double)] = []
        if let tmpfsSmall, let tmpfsLarge {
            let (small, large) = try pair(tmpfsSmall, tmpfsLarge)
            numbers += [("assert10", small), ("assert10000", large), ("ratio", large / small)]
        } else {
            numbers += [("assert10", diskSmallMs), ("assert10000", diskLargeMs), ("ratio", diskLargeMs / diskSmallMs)]
        }
        numbers += [("assert10Disk", diskSmallMs), ("assert10000Disk", diskLargeMs), ("ratioDisk", diskLargeMs / diskSmallMs)]
        numbers.append(("onTmpfs", tmpfsSmall != nil ? 1 : 0))
        return numbers
    }
}
