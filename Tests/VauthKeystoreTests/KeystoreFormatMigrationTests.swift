import Foundation
import Testing
import VauthAuthenticator
import VauthCrypto
import VauthKeystore

/// Format 2 (the chunked index) reads format-1 keystores and rewrites them as format 2 on their
/// first change. The format-1 fixture was written by vauth before format 2 existed (`vauth create`
/// three times: ES256, EdDSA, RS256), with the public keys it printed kept beside it.
struct KeystoreFormatMigrationTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    struct Manifest: Decodable {
        struct Credential: Decodable { let credentialId: String; let algorithm: Int; let publicKeySPKI: String }
        let rpId: String
        let credentials: [Credential]
    }

    private func copyFixture(into scratch: Scratch) throws -> (String, KeystoreUnlock, Manifest) {
        let path = scratch.keystore
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.fixtures.appendingPathComponent("v1-keystore.vauth").path, toPath: path)
        let unlock = try KeystoreUnlock.keyFile(path: Self.fixtures.appendingPathComponent("v1-keystore.key").path)
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("v1-keystore.json")))
        return (path, unlock, manifest)
    }

    private func version(_ path: String) throws -> Int {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)).prefix(10))
        return Int(bytes[8]) << 8 | Int(bytes[9])
    }

    /// Signs an assertion with each stored credential and checks it with the public key the
    /// format-1 vauth printed when it made the credential.
    private func assertEveryCredential(_ file: KeystoreFile, _ manifest: Manifest) throws {
        let authenticator = Authenticator(aaguid: try file.aaguid(), loadingIdentity: { try file.identity() },
                                          store: EncryptedCredentialStore(file: file))
        for credential in manifest.credentials {
            let id = try #require(Base64.urlDecode(credential.credentialId))
            let clientDataHash = SHA256.hash(Array("migration".utf8))
            let response = try authenticator.getAssertion(GetAssertionRequest(rpId: manifest.rpId, clientDataHash: clientDataHash,
                                                                              allowList: [CredentialDescriptor(id: id)]))
            let publicKey = try PublicKey(spkiDER: try #require(Base64.urlDecode(credential.publicKeySPKI)))
            #expect(publicKey.algorithm.rawValue == credential.algorithm)
            #expect(publicKey.isValidSignature(response.signature, for: response.authenticatorDataBytes + clientDataHash))
        }
    }

    @Test func formatOneKeystoreOpensAndIsRewrittenAsFormatTwo() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let (path, unlock, manifest) = try copyFixture(into: scratch)
        #expect(try version(path) == 1)

        let file = try KeystoreFile(path: path, unlock: unlock, access: .readWrite)
        #expect(file.credentialCount == 3)
        try assertEveryCredential(file, manifest)
        #expect(try version(path) == 1, "an assertion journals its counter and leaves the keystore as it was")

        let added = try makeRecord(rpId: manifest.rpId)
        try file.insert([added])
        #expect(try version(path) == 2)
        try assertEveryCredential(file, manifest)
        file.close()

        let reopened = try KeystoreFile(path: path, unlock: unlock, access: .readWrite)
        #expect(reopened.credentialCount == 4)
        try reopened.verifyAll()
        try assertEveryCredential(reopened, manifest)
        // Counters survived the migration: three assertions each so far (one journaled before it,
        // folded in by it, and two after).
        let first = try #require(Base64.urlDecode(manifest.credentials[0].credentialId))
        let count = try reopened.record(id: first, rpId: manifest.rpId)?.signCount
        #expect(count == 3, "signCount \(String(describing: count))")
        #expect(try reopened.record(id: added.id, rpId: manifest.rpId)?.id == added.id)
    }

    @Test func chunkedIndexFindsEveryCredentialAcrossChunks() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let (_, unlock) = scratch.keyFile()
        let file = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .readWrite, creating: .init(identity: testIdentity))
        let key = try SigningKey.generate(.es256).pkcs8DER()
        var records: [CredentialRecord] = []
        for n in 0..<300 {
            records.append(CredentialRecord(id: try SecureRandom.bytes(16 + n % 7), rp: RelyingPartyEntity(id: "rp\(n % 3).example"),
                                            user: UserEntity(id: Array("user\(n)".utf8)), algorithm: .es256, privateKey: key,
                                            discoverable: n % 2 == 0, createdAt: Int64(n)))
        }
        try file.insert(records)
        file.close()

        let reopened = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .readWrite)
        #expect(reopened.credentialCount == 300)
        for record in records {
            #expect(try reopened.record(id: record.id, rpId: record.rpId)?.user.id == record.user.id)
        }
        #expect(try reopened.record(id: [1, 2, 3], rpId: "rp0.example") == nil)
        let discoverable = try reopened.discoverableSummaries(rpId: "rp1.example")
        #expect(discoverable.map(\.createdAt) == records.filter { $0.rpId == "rp1.example" && $0.discoverable }.map(\.createdAt).reversed())
        #expect(try reopened.delete(ids: records.prefix(150).map(\.id)) == 150)
        #expect(reopened.credentialCount == 150)
        try reopened.verifyAll()
        #expect(try reopened.record(id: records[0].id, rpId: records[0].rpId) == nil)
        #expect(try reopened.record(id: records[299].id, rpId: records[299].rpId) != nil)
    }
}
