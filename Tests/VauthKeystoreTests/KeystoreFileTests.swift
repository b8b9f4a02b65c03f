import Foundation
import Testing
import VauthAuthenticator
import VauthCrypto
@testable import VauthKeystore

struct KeystoreFileTests {
    @Test func createsLazilyAndRoundTripsRecords() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let unlock = try KeystoreUnlock.passphrase(text: Array("correct horse\n".utf8))
        let file = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .readWrite,
                                    creating: .init(identity: testIdentity, scrypt: fastScrypt))
        #expect(!file.existsOnDisk)
        #expect(try !KeystoreFile.exists(at: scratch.keystore), "nothing is written before the first change")
        let first = try makeRecord(hmac: true), second = try makeRecord(rpId: "other.example", discoverable: false, algorithm: .edDSA)
        try file.insert([first])
        try file.insert([second])
        #expect(mode(of: scratch.keystore) == 0o600)
        #expect(mode(of: scratch.directory + "/store") == 0o700)
        file.close()

        let reopened = try KeystoreFile(path: scratch.keystore, unlock: try KeystoreUnlock.passphrase(text: Array("correct horse".utf8)), access: .read)
        #expect(reopened.credentialCount == 2)
        let read = try #require(try reopened.record(id: first.id, rpId: "example.com"))
        #expect(read.user == first.user && read.rp == first.rp && read.algorithm == .es256 && read.discoverable)
        #expect(read.privateKey.constantTimeEquals(first.privateKey))
        #expect(read.hmacSecret?.withUV.constantTimeEquals(first.hmacSecret!.withUV) == true)
        #expect(try reopened.record(id: first.id, rpId: "other.example") == nil, "scoped to its RP")
        #expect(try reopened.record(id: second.id, rpId: nil)?.algorithm == .edDSA)
        #expect(try reopened.discoverableSummaries(rpId: "example.com").map(\.id) == [first.id])
        #expect(try reopened.discoverableSummaries(rpId: "other.example").isEmpty)
        #expect(try reopened.identity().attestationCertificate.der() == testIdentity.attestationCertificate.der())
        #expect(try reopened.identity().aaguid == testIdentity.aaguid)
        try reopened.verifyAll()
    }

    @Test func wrongPassphraseAndUnlockMismatchLeaveTheFileAlone() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let file = try KeystoreFile(path: scratch.keystore, unlock: try .passphrase(text: Array("right".utf8)), access: .readWrite,
                                    creating: .init(identity: testIdentity, scrypt: fastScrypt))
        try file.insert([try makeRecord()])
        file.close()
        let before = bytes(scratch.keystore)
        #expect(throws: KeystoreError.wrongPassphrase(path: scratch.keystore, usingKeyFile: false)) {
            _ = try KeystoreFile(path: scratch.keystore, unlock: try .passphrase(text: Array("wrong".utf8)), access: .readWrite)
        }
        #expect(throws: KeystoreError.unlockMismatch(path: scratch.keystore, keystoreUsesKeyFile: false)) {
            _ = try KeystoreFile(path: scratch.keystore, unlock: scratch.keyFile().unlock, access: .readWrite)
        }
        #expect(throws: KeystoreError.invalidPassphrase(reason: "empty passphrase")) { _ = try KeystoreUnlock.passphrase(text: Array("\n".utf8)) }
        #expect(bytes(scratch.keystore) == before)
    }

    @Test func keyFilesAreRawOrHexAndNothingElse() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let hexPath = scratch.directory + "/hex"
        write(Array((String(repeating: "ab", count: 32) + "\n").utf8), to: hexPath)
        guard case .keyFile(let key) = try KeystoreUnlock.keyFile(path: hexPath) else { Issue.record("not a key file"); return }
        #expect(key.exposedCopy() == [UInt8](repeating: 0xab, count: 32))
        write([1, 2, 3], to: scratch.directory + "/short")
        #expect(throws: KeystoreError.self) { _ = try KeystoreUnlock.keyFile(path: scratch.directory + "/short") }
        #expect(throws: KeystoreError.self) { _ = try KeystoreUnlock.keyFile(path: scratch.directory + "/missing") }

        let (_, unlock) = scratch.keyFile(1)
        let file = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .readWrite, creating: .init(identity: testIdentity))
        try file.insert([try makeRecord()])
        file.close()
        #expect(throws: KeystoreError.wrongPassphrase(path: scratch.keystore, usingKeyFile: true)) {
            _ = try KeystoreFile(path: scratch.keystore, unlock: scratch.keyFile(2).unlock, access: .read)
        }
        #expect(throws: KeystoreError.unlockMismatch(path: scratch.keystore, keystoreUsesKeyFile: true)) {
            _ = try KeystoreFile(path: scratch.keystore, unlock: try .passphrase(text: Array("x".utf8)), access: .read)
        }
    }

    @Test func replacingAndDeletingAndDuplicates() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let file = try KeystoreFile(path: scratch.keystore, unlock: scratch.keyFile().unlock, access: .readWrite,
                                    creating: .init(identity: testIdentity))
        let a = try makeRecord(createdAt: 1), b = try makeRecord(user: "bob", createdAt: 2)
        try file.insert([a, b])
        #expect(try file.discoverableSummaries(rpId: "example.com").map(\.id) == [b.id, a.id], "newest first")
        #expect(throws: KeystoreError.duplicateCredential(id: Base64.urlEncode(a.id))) { try file.insert([a]) }
        let c = try makeRecord(createdAt: 3)
        try file.insert([c], replacing: [a.id])
        #expect(file.credentialCount == 2)
        #expect(try file.record(id: a.id, rpId: nil) == nil)
        #expect(try file.delete(ids: [b.id, [9, 9]]) == 1)
        #expect(try file.delete(ids: [[9, 9]]) == 0)
        #expect(try file.allRecords().map(\.id) == [c.id])
    }

    @Test func countersGoThroughTheJournalAndFoldBackIn() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let (_, unlock) = scratch.keyFile()
        let file = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .readWrite, creating: .init(identity: testIdentity))
        let a = try makeRecord(), b = try makeRecord(user: "bob")
        try file.insert([a, b])
        let keystoreBefore = bytes(scratch.keystore)
        try file.updateSignCount(id: a.id, to: 5)
        #expect(bytes(scratch.keystore) == keystoreBefore, "an assertion does not rewrite the keystore")
        #expect(FileManager.default.fileExists(atPath: scratch.keystore + ".counters"))
        #expect(mode(of: scratch.keystore + ".counters") == 0o600)
        file.close()

        let reopened = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .readWrite)
        #expect(try reopened.record(id: a.id, rpId: nil)?.signCount == 5)
        #expect(try reopened.record(id: b.id, rpId: nil)?.signCount == 0)
        try reopened.insert([try makeRecord(user: "carol")])
        #expect(FileManager.default.fileExists(atPath: scratch.keystore + ".counters"), "kept, preallocated, for the next assertion")
        #expect(try reopened.record(id: a.id, rpId: nil)?.signCount == 5)

        // A stale journal (counter lower than the record's) cannot lower a counter.
        try reopened.updateSignCount(id: a.id, to: 6)
        let journal = bytes(scratch.keystore + ".counters")
        try reopened.updateSignCount(id: a.id, to: 7)
        try reopened.insert([try makeRecord(user: "dave")])
        reopened.close()
        write(journal, to: scratch.keystore + ".counters")
        #expect(try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .read).record(id: a.id, rpId: nil)?.signCount == 7)
    }

    @Test func passphraseChangeReEncryptsEverything() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let old = try KeystoreUnlock.passphrase(text: Array("old".utf8))
        let file = try KeystoreFile(path: scratch.keystore, unlock: old, access: .readWrite, creating: .init(identity: testIdentity, scrypt: fastScrypt))
        let a = try makeRecord()
        try file.insert([a])
        try file.updateSignCount(id: a.id, to: 3)
        let before = bytes(scratch.keystore)
        try file.changeUnlock(to: try .passphrase(text: Array("new".utf8)), scrypt: fastScrypt)
        file.close()
        let after = bytes(scratch.keystore)
        #expect(Array(after[20..<52]) != Array(before[20..<52]), "new salt")
        #expect(throws: KeystoreError.wrongPassphrase(path: scratch.keystore, usingKeyFile: false)) {
            _ = try KeystoreFile(path: scratch.keystore, unlock: old, access: .read)
        }
        let reopened = try KeystoreFile(path: scratch.keystore, unlock: try .passphrase(text: Array("new".utf8)), access: .read)
        #expect(try reopened.record(id: a.id, rpId: nil)?.signCount == 3)
        try reopened.verifyAll()
        reopened.close()
        // And over to a key file.
        let rw = try KeystoreFile(path: scratch.keystore, unlock: try .passphrase(text: Array("new".utf8)), access: .readWrite)
        let (_, keyUnlock) = scratch.keyFile()
        try rw.changeUnlock(to: keyUnlock)
        rw.close()
        try KeystoreFile(path: scratch.keystore, unlock: keyUnlock, access: .read).verifyAll()
    }

    @Test func policyAndIdentityPersist() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let (_, unlock) = scratch.keyFile()
        let file = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .readWrite, creating: .init(identity: testIdentity))
        var policy = AuthenticatorPolicy()
        policy.attestation = .self
        policy.signCounter = .zero
        policy.algorithms = [.edDSA]
        try file.setPolicy(policy)
        let other = try testIdentity.reissued(for: try AAGUID.random(), now: 1_750_000_000)
        try file.setIdentity(other)
        file.close()
        let reopened = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .read)
        #expect(reopened.policy == policy)
        #expect(try reopened.identity().aaguid == other.aaguid)
        #expect(try reopened.identity().rootCertificate.der() == testIdentity.rootCertificate.der())
    }

    @Test func readOnlyOpenRefusesChangesAndMissingFilesAreReported() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let (_, unlock) = scratch.keyFile()
        #expect(throws: KeystoreError.notFound(path: scratch.keystore)) { _ = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .read) }
        let file = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .readWrite, creating: .init(identity: testIdentity))
        try file.insert([try makeRecord()])
        file.close()
        let readOnly = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .read)
        #expect(throws: KeystoreError.self) { try readOnly.insert([try makeRecord()]) }
    }
}
