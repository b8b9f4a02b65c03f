import Foundation
import Testing
import VauthAuthenticator
import VauthCrypto
@testable import VauthKeystore

/// Damage made the way it happens: truncating and flipping bits in a real file.
struct KeystoreDamageTests {
    /// Opens and reads every byte, the way `vauth check` does.
    private func openAndVerify(_ path: String, _ unlock: KeystoreUnlock) throws {
        try KeystoreFile(path: path, unlock: unlock, access: .read).verifyAll()
    }

    private func makeKeystore(_ scratch: Scratch) throws -> KeystoreUnlock {
        let (_, unlock) = scratch.keyFile()
        let file = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .readWrite, creating: .init(identity: testIdentity))
        try file.insert([try makeRecord(), try makeRecord(user: "bob", hmac: true), try makeRecord(rpId: "x.example", algorithm: .edDSA)])
        file.close()
        return unlock
    }

    @Test func everySingleBitFlipIsDetected() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let unlock = try makeKeystore(scratch)
        let original = bytes(scratch.keystore)
        var detected = 0
        // One bit per byte, cycling through the bit positions, over the whole file.
        for offset in 0..<original.count {
            var damaged = original
            damaged[offset] ^= UInt8(1 << (offset % 8))
            write(damaged, to: scratch.keystore)
            do {
                try openAndVerify(scratch.keystore, unlock)
                Issue.record("a flipped bit at offset \(offset) went unnoticed")
            } catch let error as KeystoreError {
                switch error {
                case .notAKeystore, .unsupportedVersion, .truncated, .corruptHeader, .tampered, .wrongPassphrase, .malformedSection:
                    detected += 1
                default:
                    Issue.record("offset \(offset): unexpected \(error)")
                }
            }
            // A failed open never writes.
            #expect(bytes(scratch.keystore) == damaged)
        }
        #expect(detected == original.count)
        write(original, to: scratch.keystore)
        try openAndVerify(scratch.keystore, unlock)
    }

    @Test func specificDamageGetsSpecificMessages() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let unlock = try makeKeystore(scratch)
        let original = bytes(scratch.keystore)
        let path = scratch.keystore

        func check(_ damaged: [UInt8], _ expected: KeystoreError) {
            write(damaged, to: path)
            #expect(throws: expected) { try openAndVerify(path, unlock) }
        }
        check(Array(original.prefix(original.count - 1)), .truncated(path: path, expected: original.count, actual: original.count - 1))
        check(Array(original.prefix(500)), .truncated(path: path, expected: original.count, actual: 500))
        check(Array(original.prefix(100)), .truncated(path: path, expected: KeystoreFormat.preambleLength, actual: 100))
        check([], .notAKeystore(path: path))
        check(Array("not a keystore at all, just text\n".utf8), .notAKeystore(path: path))
        var future = original
        future[9] = 3
        check(future, .unsupportedVersion(path: path, version: 3))
        var salt = original
        salt[30] ^= 0x80
        check(salt, .corruptHeader(path: path, reason: "header checksum mismatch"))
        var tail = original
        tail[tail.count - 3] ^= 1
        check(tail, .tampered(path: path, section: "the index section"))
        check(original + [0], .corruptHeader(path: path, reason: "1 unexpected bytes after the end"))
    }

    @Test func tamperedJournalIsReported() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let unlock = try makeKeystore(scratch)
        let file = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .readWrite)
        let id = try #require(try file.allRecords().first?.id)
        try file.updateSignCount(id: id, to: 8)
        try file.updateSignCount(id: id, to: 9)
        file.close()
        let original = bytes(scratch.keystore + ".counters")
        // One damaged slot is what a torn write leaves: the other slot's (previous) state is used.
        for slot in 0..<2 {
            var journal = original
            journal[slot * CounterJournal.slotSize + 60] ^= 1
            write(journal, to: scratch.keystore + ".counters")
            let count = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .read).record(id: id, rpId: nil)?.signCount
            #expect(count == (slot == 0 ? 9 : 8), "slot \(slot) damaged")
        }
        // Both damaged cannot come from one interrupted write: reported.
        var journal = original
        journal[60] ^= 1
        journal[CounterJournal.slotSize + 60] ^= 1
        write(journal, to: scratch.keystore + ".counters")
        #expect(throws: KeystoreError.tampered(path: scratch.keystore, section: "counter journal")) {
            _ = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .read)
        }
    }

    /// Issue 9 item 16: a journal of the wrong size says so, with the right numbers.
    @Test func aJournalOfTheWrongSizeSaysItsSize() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let unlock = try makeKeystore(scratch)
        let file = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .readWrite)
        try file.updateSignCount(id: try #require(try file.allRecords().first?.id), to: 2)
        file.close()
        let journalPath = scratch.keystore + ".counters"
        write(bytes(journalPath) + [0], to: journalPath)
        do {
            _ = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .read)
            Issue.record("a journal one byte too long was accepted")
        } catch {
            #expect("\(error)".contains("is 8193 bytes; a journal is exactly 8192"), "\(error)")
        }
    }

    @Test func aJournalOfAnotherKeystoreIsRefused() throws {
        let first = Scratch(), second = Scratch()
        defer { first.cleanup(); second.cleanup() }
        let firstUnlock = try makeKeystore(first), secondUnlock = try makeKeystore(second)
        let file = try KeystoreFile(path: first.keystore, unlock: firstUnlock, access: .readWrite)
        try file.updateSignCount(id: try #require(try file.allRecords().first?.id), to: 4)
        file.close()
        write(bytes(first.keystore + ".counters"), to: second.keystore + ".counters")
        #expect(throws: KeystoreError.self) { _ = try KeystoreFile(path: second.keystore, unlock: secondUnlock, access: .read) }
        do { _ = try KeystoreFile(path: second.keystore, unlock: secondUnlock, access: .read) } catch {
            #expect("\(error)".contains("belongs to another keystore"))
        }
    }
}
