import Foundation
import Testing
import VauthAuthenticator
import VauthCrypto
@testable import VauthKeystore

/// Issue 18 item 1: the keystore never writes a record it cannot read back, reads back what an
/// older vauth wrote without bounds, and names a damaged record instead of failing on all of them.
struct RecordLimitsTests {
    private func keystore(_ scratch: Scratch) throws -> (KeystoreFile, KeystoreUnlock) {
        let (_, unlock) = scratch.keyFile()
        let file = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .readWrite, creating: .init(identity: testIdentity))
        return (file, unlock)
    }

    @Test(arguments: ["user.name", "user.displayName", "rp.name", "rp.id", "user.id", "the credential id", "the private key"])
    func aFieldOverItsBoundIsRefusedBeforeAnythingIsWritten(field: String) throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let (file, _) = try keystore(scratch)
        try file.insert([try makeRecord(user: "alice")])
        let before = bytes(scratch.keystore)
        var record = try makeRecord(user: "mallory")
        let huge = String(repeating: "m", count: (1 << 20) + 1)
        switch field {
        case "user.name": record.user.name = huge
        case "user.displayName": record.user.displayName = huge
        case "rp.name": record.rp.name = huge
        case "rp.id": record.rp = RelyingPartyEntity(id: huge, name: "x")
        case "user.id": record.user = UserEntity(id: Array(huge.utf8), name: "m")
        case "the credential id": record.id = Array(huge.utf8)
        default: record.privateKey = SecretBytes([UInt8](repeating: 1, count: RecordLimits.privateKey + 1))
        }
        let outcome = Result { () throws(KeystoreError) in try file.insert([record]) }
        switch outcome {
        case .success: Issue.record("a record with an oversized \(field) was written")
        case .failure(.recordTooLarge(_, let named, let size, let limit)):
            #expect(named == field)
            #expect(size > limit)
        case .failure(let error): Issue.record("\(error)")
        }
        if case .failure(let error) = outcome { #expect("\(error)".contains("\(field) is "), "\(error)") }
        #expect(bytes(scratch.keystore) == before, "a refused insert leaves the file byte for byte as it was")
        file.close()
        let reopened = try KeystoreFile(path: scratch.keystore, unlock: try scratch.keyFile().unlock, access: .read)
        try reopened.verifyAll()
        #expect(reopened.credentialCount == 1)
    }

    @Test func namesAtTheBoundAreStoredAndReadBack() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let (file, unlock) = try keystore(scratch)
        var record = try makeRecord()
        record.user.name = String(repeating: "é", count: RecordLimits.name / 2)   // 1024 bytes of two-byte characters
        record.user.displayName = String(repeating: "d", count: RecordLimits.name)
        record.rp.name = String(repeating: "r", count: RecordLimits.name)
        try file.insert([record])
        file.close()
        let reopened = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .read)
        let read = try #require(try reopened.record(id: record.id, rpId: record.rpId))
        #expect(read.user.name == record.user.name && read.user.displayName == record.user.displayName && read.rp.name == record.rp.name)
    }

    /// What an older vauth wrote: a record whose names had no bound (over the 1 MiB the reader
    /// used to accept). It reads back, its names cut at a character boundary, and says so.
    @Test func aRecordWrittenWithoutBoundsReadsBackWithItsNamesCut() throws {
        var record = try makeRecord()
        record.user.name = "a" + String(repeating: "€", count: 400_000)    // 1,200,001 bytes
        record.user.displayName = "short"
        let plaintext = RecordCoding.encode(record)
        #expect(plaintext.count > 1 << 20)
        let decoded = try RecordCoding.decodeChecked(plaintext, path: "/k")
        let name = try #require(decoded.record.user.name)
        #expect(name.utf8.count <= RecordLimits.name && name.utf8.count > RecordLimits.name - 3)
        #expect(name.hasPrefix("a€€") && name.unicodeScalars.allSatisfy { $0 == "a" || $0 == "€" })
        #expect(decoded.record.user.displayName == "short")
        #expect(decoded.truncated == ["user.name was 1200001 bytes, read as its first \(RecordLimits.name)"])
        // Sealed again (a counter fold, `passwd`), it fits every bound.
        #expect(RecordLimits.violation(in: decoded.record) == nil)
    }

    @Test func truncationNeverSplitsACharacter() {
        #expect(RecordLimits.truncated("abc", to: 3) == "abc")
        #expect(RecordLimits.truncated("abcd", to: 3) == "abc")
        #expect(RecordLimits.truncated("aé", to: 2) == "a")          // é is two bytes
        #expect(RecordLimits.truncated("a😀b", to: 4) == "a")        // the emoji is four
        #expect(RecordLimits.truncated("a😀b", to: 5) == "a😀")
    }

    /// A damaged record is named, and the others stay readable, listable and exportable.
    @Test func aDamagedRecordIsNamedAndTheOthersStayReadable() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let (file, unlock) = try keystore(scratch)
        let records = [try makeRecord(user: "alice", createdAt: 1), try makeRecord(user: "bob", createdAt: 2), try makeRecord(user: "carol", createdAt: 3)]
        try file.insert(records)
        file.close()

        // Flip one byte in the middle of bob's sealed record.
        let (offset, length) = try recordLocation(records[1].id, scratch: scratch, unlock: unlock)
        var damaged = bytes(scratch.keystore)
        damaged[offset + length / 2] ^= 0x10
        write(damaged, to: scratch.keystore)

        let reopened = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .read)
        let readings = try reopened.readEveryRecord()
        #expect(readings.count == 3)
        var readable: [String] = [], named: [[UInt8]] = []
        for reading in readings {
            switch reading {
            case .readable(let record, _): readable.append(record.user.name ?? "")
            case .damaged(let id, let reason):
                named.append(id)
                #expect(reason == "its record failed authentication")
            }
        }
        #expect(readable == ["alice@example.com", "carol@example.com"])
        #expect(named == [records[1].id])
        do {
            _ = try reopened.readableRecords()
            Issue.record("readableRecords hid the damage")
        } catch {
            #expect("\(error)".contains("1 damaged credential record: \(Base64.urlEncode(records[1].id)): its record failed authentication"), "\(error)")
        }
        #expect(try reopened.record(id: records[2].id, rpId: nil) != nil)
        reopened.close()

        // Deleting the damaged record leaves a keystore that verifies.
        let writer = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .readWrite)
        #expect(try writer.delete(ids: [records[1].id]) == 1)
        try writer.verifyAll()
        #expect(writer.credentialCount == 2)
    }

    /// Where a record's sealed box is in the file, from the index.
    private func recordLocation(_ id: [UInt8], scratch: Scratch, unlock: KeystoreUnlock) throws -> (Int, Int) {
        let file = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .read)
        defer { file.close() }
        let entry = try #require(try file.indexEntry(id: id))
        return (Int(entry.recordOffset), Int(entry.recordLength))
    }
}
