// A child process for the keystore's crash and concurrency tests. Not shipped.
//
//   keystore-stress write-loop KEYSTORE KEYFILE   add credentials one per open/commit, forever,
//                                                 printing each id (base64url) once its write returned
//   keystore-stress add-one KEYSTORE KEYFILE      add one credential and print its id
//   keystore-stress torture KEYSTORE KEYFILE_A KEYFILE_B
//                                                 random writes forever, as separate commands would
//                                                 do them (open, change, close): add, import of two,
//                                                 an import that must fail, delete, counter update,
//                                                 and a key change between A and B. Each op prints
//                                                 "begin OP ARGS" before and "ok" / "refused" after
//                                                 (see KeystoreTortureTests for the check).
import VauthAuthenticator
import VauthCrypto
import VauthKeystore

#if canImport(Glibc)
import Glibc
#endif

/// Writes a line straight to a file descriptor: unbuffered, so a parent sees it before a SIGKILL.
func emit(_ line: String, to fd: Int32) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
}

func makeRecord(_ n: Int) throws -> CredentialRecord {
    let key = try SigningKey.generate(.es256)
    return CredentialRecord(id: try SecureRandom.bytes(16), rp: RelyingPartyEntity(id: "stress.example"),
                            user: UserEntity(id: Array("user-\(n)-\(getpid())".utf8), name: "user \(n)"),
                            algorithm: .es256, privateKey: try key.pkcs8DER(), discoverable: true,
                            createdAt: Authenticator.systemClock())
}

func addOne(path: String, unlock: KeystoreUnlock, n: Int) throws -> [UInt8] {
    let file = try KeystoreFile(path: path, unlock: unlock, access: .readWrite,
                                creating: .init(identity: try AuthenticatorIdentity.generate(now: Authenticator.systemClock() / 1000)))
    let record = try makeRecord(n)
    try file.insert([record])
    return record.id
}

/// The torture loop; never returns (the parent SIGKILLs it).
func torture(path: String, keys: [String]) throws -> Never {
    let unlocks = try keys.map { try KeystoreUnlock.keyFile(path: $0) }
    // The keystore opens with A or B, whichever the last (possibly interrupted) key change left.
    var current = 0
    if (try? KeystoreFile.exists(at: path)) == true {
        if (try? KeystoreFile(path: path, unlock: unlocks[0], access: .read)) == nil { current = 1 }
    }
    var n = 0
    var random = SystemRandomNumberGenerator()
    func open() throws -> KeystoreFile {
        try KeystoreFile(path: path, unlock: unlocks[current], access: .readWrite,
                         creating: .init(identity: try AuthenticatorIdentity.generate(now: Authenticator.systemClock() / 1000)))
    }
    while true {
        n += 1
        let file = try open()
        let existing = try file.allRecords()
        let roll = Int.random(in: 0..<100, using: &random)
        if existing.count < 3 || (roll < 25 && existing.count < 24) {
            let record = try makeRecord(n)
            emit("begin add \(Base64.urlEncode(record.id))", to: 1)
            try file.insert([record])
        } else if roll < 35 {
            let batch = [try makeRecord(n), try makeRecord(n + 100_000)]
            emit("begin import \(batch.map { Base64.urlEncode($0.id) }.joined(separator: " "))", to: 1)
            try file.insert(batch)
        } else if roll < 45 {
            // A batch with an id already present: the whole import must be refused.
            let fresh = try makeRecord(n)
            let clash = try makeRecord(n + 200_000)
            let duplicate = CredentialRecord(id: existing[0].id, rp: clash.rp, user: clash.user, algorithm: clash.algorithm,
                                             privateKey: clash.privateKey, discoverable: true, createdAt: clash.createdAt)
            emit("begin failimport \(Base64.urlEncode(fresh.id))", to: 1)
            if (try? file.insert([fresh, duplicate])) != nil {
                emit("unexpected the import of a duplicate id succeeded", to: 1)
                exit(3)
            }
            file.close()
            emit("refused", to: 1)
            continue
        } else if roll < 65 {
            let victim = existing[Int.random(in: 0..<existing.count, using: &random)]
            emit("begin delete \(Base64.urlEncode(victim.id))", to: 1)
            _ = try file.delete(ids: [victim.id])
        } else if roll < 95 {
            let record = existing[Int.random(in: 0..<existing.count, using: &random)]
            let next = record.signCount + 1
            emit("begin counter \(Base64.urlEncode(record.id)) \(next)", to: 1)
            try file.updateSignCount(id: record.id, to: next)
        } else {
            emit("begin passwd \(1 - current)", to: 1)
            try file.changeUnlock(to: unlocks[1 - current])
            current = 1 - current
        }
        file.close()
        emit("ok", to: 1)
    }
}

let arguments = CommandLine.arguments
if arguments.count == 5, arguments[1] == "torture" {
    do { try torture(path: arguments[2], keys: [arguments[3], arguments[4]]) } catch {
        emit("error \(error)", to: 1)
        exit(1)
    }
}
guard arguments.count == 4 else {
    emit("usage: keystore-stress write-loop|add-one KEYSTORE KEYFILE", to: 2)
    exit(2)
}
do {
    let unlock = try KeystoreUnlock.keyFile(path: arguments[3])
    switch arguments[1] {
    case "write-loop":
        var n = 0
        while true {
            let id = try addOne(path: arguments[2], unlock: unlock, n: n)
            emit(Base64.urlEncode(id), to: 1)
            n += 1
        }
    case "add-one":
        emit(Base64.urlEncode(try addOne(path: arguments[2], unlock: unlock, n: 0)), to: 1)
    default:
        emit("unknown mode \(arguments[1])", to: 2)
        exit(2)
    }
} catch {
    emit("keystore-stress: \(error)", to: 2)
    exit(1)
}
