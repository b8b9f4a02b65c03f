import Foundation
import Testing
import VauthAuthenticator
import VauthCrypto
@testable import VauthKeystore

/// Regressions from hostile testing (issue 9): passphrase changes with a journal, the journal's
/// in-place slots, lock files that vanish, symbolic links, pipes, stale temporaries.
struct KeystoreHardeningTests {
    private func keystoreWithJournal(_ scratch: Scratch, unlock: KeystoreUnlock) throws -> (KeystoreFile, CredentialRecord) {
        let file = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .readWrite,
                                    creating: .init(identity: testIdentity, scrypt: fastScrypt))
        let record = try makeRecord()
        try file.insert([record, try makeRecord(user: "bob")])
        try file.updateSignCount(id: record.id, to: 41)
        try file.updateSignCount(id: record.id, to: 42)
        return (file, record)
    }

    /// Item 1: `passwd` killed after the rename (before the old design's journal unlink) left a
    /// journal sealed under the old data key that bricked the keystore. Every state a crash can
    /// leave must open with the old or the new passphrase, with every counter.
    @Test func aJournalLeftFromBeforeAPassphraseChangeIsStaleNotFatal() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let old = try KeystoreUnlock.passphrase(text: Array("old".utf8)), new = try KeystoreUnlock.passphrase(text: Array("new".utf8))
        let (file, record) = try keystoreWithJournal(scratch, unlock: old)
        let journalPath = scratch.keystore + ".counters"
        let oldKeystore = bytes(scratch.keystore), oldJournal = bytes(journalPath)
        try file.changeUnlock(to: new, scrypt: fastScrypt)
        file.close()

        // The state right after the rename: new keystore, the journal as it was.
        write(oldJournal, to: journalPath)
        let reopened = try KeystoreFile(path: scratch.keystore, unlock: new, access: .readWrite)
        #expect(try reopened.record(id: record.id, rpId: nil)?.signCount == 42)
        try reopened.updateSignCount(id: record.id, to: 43)
        reopened.close()
        #expect(try KeystoreFile(path: scratch.keystore, unlock: new, access: .read).record(id: record.id, rpId: nil)?.signCount == 43)

        // The state right before the rename: the old keystore and its journal.
        write(oldKeystore, to: scratch.keystore)
        write(oldJournal, to: journalPath)
        #expect(try KeystoreFile(path: scratch.keystore, unlock: old, access: .read).record(id: record.id, rpId: nil)?.signCount == 42)
    }

    /// Issue 10: a counter update writes one slot in place (no rename: the inode stays) and the
    /// slots alternate, so a torn write leaves the previous state.
    @Test func counterUpdatesAlternateSlotsInPlace() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let (_, unlock) = scratch.keyFile()
        let (file, record) = try keystoreWithJournal(scratch, unlock: unlock)
        let journalPath = scratch.keystore + ".counters"
        let inode = { () -> UInt64 in
            var st = stat()
            stat(journalPath, &st)
            return UInt64(st.st_ino)
        }
        let before = inode(), keystoreBefore = bytes(scratch.keystore)
        for count in 43...50 as ClosedRange<UInt32> { try file.updateSignCount(id: record.id, to: count) }
        #expect(inode() == before, "overwritten in place, never renamed")
        #expect(bytes(scratch.keystore) == keystoreBefore)
        #expect(bytes(journalPath).count == CounterJournal.fileSize)
        file.close()
        // Tear the slot written last (50 went to slot 1: 42 → 0? the 10th write): whichever it is,
        // zeroing half of it leaves the other slot's counter, one less.
        let journal = bytes(journalPath)
        let latest = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .read).record(id: record.id, rpId: nil)?.signCount
        #expect(latest == 50)
        var torn = false
        for slot in 0..<2 where !torn {
            var copy = journal
            for i in (slot * CounterJournal.slotSize + 2048)..<((slot + 1) * CounterJournal.slotSize) { copy[i] = 0xA5 }
            for i in (slot * CounterJournal.slotSize + 48)..<(slot * CounterJournal.slotSize + 80) { copy[i] ^= 0xFF }
            write(copy, to: journalPath)
            let count = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .read).record(id: record.id, rpId: nil)?.signCount
            if count == 49 { torn = true }
        }
        #expect(torn, "damaging the newest slot falls back to the previous one")
    }

    /// More distinct counters than a slot holds: the keystore is rewritten instead (counters kept).
    @Test func aFullJournalFoldsIntoTheKeystore() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let (_, unlock) = scratch.keyFile()
        let file = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .readWrite, creating: .init(identity: testIdentity))
        let records = try (0..<(CounterJournal.capacity + 3)).map { _ in try makeRecord(discoverable: false) }
        try file.insert(records)
        for (i, record) in records.enumerated() { try file.updateSignCount(id: record.id, to: UInt32(i + 1)) }
        file.close()
        let reopened = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .read)
        for (i, record) in records.enumerated() { #expect(try reopened.record(id: record.id, rpId: nil)?.signCount == UInt32(i + 1)) }
    }

    /// Item 4: the exists check of `init` happens under the lock.
    @Test func requireNewIsCheckedUnderTheLock() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let (_, unlock) = scratch.keyFile()
        let file = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .readWrite, creating: .init(identity: testIdentity), requireNew: true)
        try file.setPolicy(AuthenticatorPolicy())
        file.close()
        let before = bytes(scratch.keystore)
        #expect(throws: KeystoreError.alreadyExists(path: scratch.keystore)) {
            _ = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .readWrite, creating: .init(identity: testIdentity), requireNew: true)
        }
        #expect(bytes(scratch.keystore) == before)
    }

    /// Item 5: a lock file deleted while a writer holds it lets a second writer in; the first one
    /// notices before it commits and refuses instead of overwriting the second's change.
    @Test func aDeletedLockFileCannotLoseAWrite() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let (_, unlock) = scratch.keyFile()
        let setup = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .readWrite, creating: .init(identity: testIdentity))
        try setup.insert([try makeRecord()])
        setup.close()

        let first = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .readWrite)
        unlink(scratch.keystore + ".lock")
        let second = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .readWrite, lockTimeout: 1)
        let kept = try makeRecord(user: "second")
        try second.insert([kept])
        second.close()
        #expect(throws: KeystoreError.changedConcurrently(path: scratch.keystore)) { try first.insert([try makeRecord(user: "first")]) }
        first.close()
        let reopened = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .read)
        #expect(reopened.credentialCount == 2)
        #expect(try reopened.record(id: kept.id, rpId: nil) != nil)
    }

    /// Item 6: a symbolic link is followed; the link stays a link and the target gets the data.
    @Test func aSymlinkedKeystoreIsWrittenThroughTheLink() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let (_, unlock) = scratch.keyFile()
        let target = scratch.directory + "/real/keystore.vauth"
        let setup = try KeystoreFile(path: target, unlock: unlock, access: .readWrite, creating: .init(identity: testIdentity))
        try setup.insert([try makeRecord()])
        setup.close()
        let link = scratch.directory + "/link.vauth"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let file = try KeystoreFile(path: link, unlock: unlock, access: .readWrite)
        try file.insert([try makeRecord(user: "bob")])
        try file.updateSignCount(id: try #require(try file.allRecords().first?.id), to: 3)
        file.close()
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == target, "still a link")
        #expect(try KeystoreFile(path: target, unlock: unlock, access: .read).credentialCount == 2)
        #expect(FileManager.default.fileExists(atPath: target + ".counters"))

        let dangling = scratch.directory + "/dangling.vauth"
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: scratch.directory + "/nowhere/x")
        #expect(throws: KeystoreError.notRegularFile(path: dangling, kind: "a symbolic link to nothing")) {
            _ = try KeystoreFile(path: dangling, unlock: unlock, access: .readWrite, creating: .init(identity: testIdentity))
        }
    }

    /// Items 7 and 14: a named pipe or a device as keystore is refused at once (no hang, no
    /// `/dev/null.lock`).
    @Test func nonRegularKeystorePathsAreRefusedBeforeTheLock() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let (keyPath, unlock) = scratch.keyFile()
        let fifo = scratch.directory + "/fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(throws: KeystoreError.notRegularFile(path: fifo, kind: "a named pipe")) {
            _ = try KeystoreFile(path: fifo, unlock: unlock, access: .read)
        }
        #expect(!FileManager.default.fileExists(atPath: fifo + ".lock"))
        // (Another program may have left a /dev/null.lock; vauth must not be what makes one.)
        let lockExisted = FileManager.default.fileExists(atPath: "/dev/null.lock")
        #expect(throws: KeystoreError.notRegularFile(path: "/dev/null", kind: "a character device")) {
            _ = try KeystoreFile(path: "/dev/null", unlock: unlock, access: .readWrite, creating: .init(identity: testIdentity))
        }
        #expect(lockExisted || !FileManager.default.fileExists(atPath: "/dev/null.lock"))
        // A key file behind a named pipe with no writer reads as empty instead of hanging.
        #expect(throws: KeystoreError.invalidKeyFile(path: fifo, reason: "must hold exactly 32 raw bytes or 64 hex digits (found 0 bytes)")) {
            _ = try KeystoreUnlock.keyFile(path: fifo)
        }
        #expect(throws: KeystoreError.invalidKeyFile(path: scratch.directory, reason: "is a directory, not a file")) {
            _ = try KeystoreUnlock.keyFile(path: scratch.directory)
        }
        _ = keyPath
    }

    /// Item 9: temporaries a killed writer left are removed by the next write.
    @Test func staleTemporariesAreCleanedUnderTheLock() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let (_, unlock) = scratch.keyFile()
        let file = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .readWrite, creating: .init(identity: testIdentity))
        try file.insert([try makeRecord()])
        let directory = scratch.directory + "/store"
        let leftovers = [directory + "/.keystore.vauth.tmp-0123456789ab", directory + "/.keystore.vauth.counters.tmp-ba9876543210"]
        for path in leftovers { write([1, 2, 3], to: path) }
        write([9], to: directory + "/unrelated.tmp-1")
        try file.insert([try makeRecord(user: "bob")])
        file.close()
        for path in leftovers { #expect(!FileManager.default.fileExists(atPath: path), "\(path)") }
        #expect(FileManager.default.fileExists(atPath: directory + "/unrelated.tmp-1"))
    }

    /// Item 13: pipes are read whole.
    @Test func wholeFileReadsPipes() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let payload = [UInt8](repeating: 0x41, count: 100_000)
        let writeEnd = fds[1]
        let writer = Thread {
            _ = payload.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let n = Glibc.write(writeEnd, buffer.baseAddress! + offset, buffer.count - offset)
                    if n <= 0 { break }
                    offset += n
                }
            }
            close(writeEnd)
        }
        writer.start()
        let read = try WholeFile.read("/proc/self/fd/\(fds[0])")
        close(fds[0])
        #expect(read == payload)
    }
}
