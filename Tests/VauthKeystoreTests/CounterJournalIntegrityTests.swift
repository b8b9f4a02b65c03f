import Foundation
import Testing
import VauthAuthenticator
import VauthCrypto
@testable import VauthKeystore

/// Issue 18 item 4: every byte of a current journal slot is checked — header and counters by GCM,
/// the padding after the tag by being zero — so no flip in a slot of the keystore's generation
/// passes unnoticed. (Before, about 96% of random flips landed in unchecked padding.)
struct CounterJournalIntegrityTests {
    @Test func everyByteOfBothCurrentSlotsIsChecked() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let (_, unlock) = scratch.keyFile()
        let file = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .readWrite, creating: .init(identity: testIdentity))
        let record = try makeRecord()
        try file.insert([record])
        try file.updateSignCount(id: record.id, to: 8)
        try file.updateSignCount(id: record.id, to: 9)
        file.close()

        let journalPath = scratch.keystore + ".counters"
        let original = bytes(journalPath)
        #expect(original.count == CounterJournal.fileSize)
        let reader = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .read)
        #expect(!reader.journalHasDamagedSlot)
        reader.close()
        let keystore = try KeystoreInternals(path: scratch.keystore, unlock: unlock)

        var unnoticed: [Int] = [], wrongCounter: [Int] = []
        let credKey = IndexEntry.credKey(record.id)
        for offset in 0..<original.count {
            var damaged = original
            damaged[offset] ^= UInt8(1 << (offset % 8))
            do {
                let state = try keystore.readJournal(damaged)
                // One damaged slot is what a torn write leaves: ignored, reported, the other slot used.
                if !state.damagedSlot { unnoticed.append(offset) }
                // Slot 0 holds 8 (the first write), slot 1 holds 9: damage to one leaves the other.
                let expected: UInt32 = offset < CounterJournal.slotSize ? 9 : 8
                if state.counters[credKey] != expected { wrongCounter.append(offset) }
            } catch {
                // Refused outright is detected too: slot 0's magic and version name the file's
                // format; a changed keystore id is "another keystore's journal", a raised
                // generation "newer than the keystore" (FORMAT.md, "Counter journal").
                if offset % CounterJournal.slotSize >= 34 { Issue.record("offset \(offset): \(error)") }
            }
        }
        #expect(wrongCounter.isEmpty, "the other slot's counter was not used at \(wrongCounter.prefix(5))")
        #expect(unnoticed.isEmpty, "\(unnoticed.count) flips passed unnoticed, first at \(unnoticed.first ?? -1)")
        #expect(try !keystore.readJournal().damagedSlot, "the file itself was never changed")
    }

    @Test func checkWarnsAboutAFlipInThePadding() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let (_, unlock) = scratch.keyFile()
        let file = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .readWrite, creating: .init(identity: testIdentity))
        let record = try makeRecord()
        try file.insert([record])
        try file.updateSignCount(id: record.id, to: 3)
        file.close()
        let journalPath = scratch.keystore + ".counters"
        var journal = bytes(journalPath)
        journal[CounterJournal.slotSize - 1] ^= 0x40   // the last padding byte of slot 0
        write(journal, to: journalPath)
        let reopened = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .read)
        #expect(reopened.journalHasDamagedSlot)
        // The damaged slot held the only update: the record's own counter is what is left.
        #expect(try reopened.record(id: record.id, rpId: nil)?.signCount == 0)
    }
}

/// What the journal tests need of an open keystore: its id, generation and counter key (derived
/// once, so that reading the journal 8,192 times stays cheap).
struct KeystoreInternals {
    let path: String
    let keystoreId: [UInt8]
    let generation: UInt64
    let counterKey: SecretBytes

    init(path: String, unlock: KeystoreUnlock) throws {
        self.path = path
        let file = try #require(try MappedFile(path: path))
        let preamble = try KeystoreFormat.readPreamble(file, path: path)
        let kek = try KeystoreKeys.keyEncryptionKey(header: preamble.header, unlock: unlock, path: path)
        let keys = try KeystoreKeys(dek: try KeystoreKeys.unwrap(preamble.dekWrap, kek: kek, header: preamble.header, unlock: unlock, path: path),
                                    keystoreId: preamble.header.keystoreId)
        keystoreId = preamble.header.keystoreId
        generation = preamble.layout.generation
        counterKey = keys.counterKey
    }

    func readJournal() throws -> CounterJournal.State {
        try CounterJournal.read(keystorePath: path, journalPath: CounterJournal.path(for: path), keystoreId: keystoreId,
                                generation: generation, key: counterKey)
    }

    /// The journal as if its file held `bytes`.
    func readJournal(_ bytes: [UInt8]) throws -> CounterJournal.State {
        try CounterJournal.read(bytes, keystorePath: path, journalPath: CounterJournal.path(for: path), keystoreId: keystoreId,
                                generation: generation, key: counterKey)
    }
}
