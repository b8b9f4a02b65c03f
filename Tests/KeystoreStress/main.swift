// A child process for the keystore's crash and concurrency tests. Not shipped.
//
//   keystore-stress write-loop KEYSTORE KEYFILE   add credentials one per open/commit, forever,
//                                                 printing each id (base64url) once its write returned
//   keystore-stress add-one KEYSTORE KEYFILE      add one credential and print its id
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

let arguments = CommandLine.arguments
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
