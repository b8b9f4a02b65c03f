import VauthAuthenticator
import VauthCrypto

/// The sealed index of a keystore: one fixed-size entry per credential, sorted by credential key,
/// followed by the credential ids. An open keystore keeps it decrypted and searches it in place,
/// so finding one credential among 10,000 costs a binary search, and choosing a discoverable
/// credential costs a scan of fixed-size entries, not a decryption of every record.
///
/// ```
/// u32 count · count × entry(96) · id blob
/// entry: credKey[16] rpKey[16] userKey[16] recordOffset u64 recordLength u32 idOffset u32
///        createdAt i64 idLength u16 protection u8 flags u8 reserved[4] recordTag[16]
/// ```
/// credKey = SHA-256(credential id)[0..16), rpKey = SHA-256(rpId)[0..16),
/// userKey = ``CredentialSummary/userHandleDigest(_:)``.
struct IndexEntry: Equatable {
    var credKey: [UInt8]
    var rpKey: [UInt8]
    var userKey: [UInt8]
    var recordOffset: UInt64
    var recordLength: UInt32
    var createdAt: Int64
    var protection: CredentialProtection
    var discoverable: Bool
    var recordTag: [UInt8]
    var credentialId: [UInt8]

    static let size = 96

    static func credKey(_ id: [UInt8]) -> [UInt8] { Array(SHA256.hash(id).prefix(16)) }
    static func rpKey(_ rpId: String) -> [UInt8] { Array(SHA256.hash(Array(rpId.utf8)).prefix(16)) }

    var summary: CredentialSummary {
        CredentialSummary(id: credentialId, userHandleDigest: userKey, createdAt: createdAt, protection: protection)
    }
}

/// A decrypted index, read in place.
struct KeystoreIndex {
    let plaintext: SecretBytes
    let count: Int

    init(plaintext: SecretBytes, expectedCount: Int, path: String) throws(KeystoreError) {
        self.plaintext = plaintext
        let valid: Bool = plaintext.withUnsafeBytes { buffer in
            guard buffer.count >= 4 else { return false }
            let count = Int(buffer.u32(at: 0))
            guard count == expectedCount, buffer.count >= 4 + count * IndexEntry.size else { return false }
            let blobStart = 4 + count * IndexEntry.size
            for i in 0..<count {
                let base = 4 + i * IndexEntry.size
                let idOffset = Int(buffer.u32(at: base + 60)), idLength = Int(buffer[base + 72]) << 8 | Int(buffer[base + 73])
                guard blobStart + idOffset + idLength <= buffer.count, CredentialProtection(rawValue: Int(buffer[base + 74])) != nil else {
                    return false
                }
            }
            return true
        }
        guard valid else { throw KeystoreError.malformedSection(path: path, section: "index", reason: "inconsistent entries") }
        count = expectedCount
    }

    /// Builds the plaintext of an index from entries (sorted here).
    static func encode(_ entries: [IndexEntry]) -> [UInt8] {
        let sorted = entries.sorted { $0.credKey.lexicographicallyPrecedes($1.credKey) }
        var table = ByteWriter(), blob: [UInt8] = []
        table.u32(UInt32(sorted.count))
        for entry in sorted {
            table.append(entry.credKey)
            table.append(entry.rpKey)
            table.append(entry.userKey)
            table.u64(entry.recordOffset)
            table.u32(entry.recordLength)
            table.u32(UInt32(blob.count))
            table.u64(UInt64(bitPattern: entry.createdAt))
            table.u16(UInt16(entry.credentialId.count))
            table.u8(UInt8(entry.protection.rawValue))
            table.u8(entry.discoverable ? 1 : 0)
            table.append([0, 0, 0, 0])
            table.append(entry.recordTag)
            blob += entry.credentialId
        }
        return table.bytes + blob
    }

    func entry(at i: Int) -> IndexEntry {
        plaintext.withUnsafeBytes { buffer in
            let base = 4 + i * IndexEntry.size
            let blobStart = 4 + count * IndexEntry.size
            let idOffset = Int(buffer.u32(at: base + 60)), idLength = Int(buffer[base + 72]) << 8 | Int(buffer[base + 73])
            return IndexEntry(
                credKey: Array(buffer[base..<base + 16]), rpKey: Array(buffer[base + 16..<base + 32]),
                userKey: Array(buffer[base + 32..<base + 48]), recordOffset: buffer.u64(at: base + 48),
                recordLength: buffer.u32(at: base + 56), createdAt: Int64(bitPattern: buffer.u64(at: base + 64)),
                protection: CredentialProtection(rawValue: Int(buffer[base + 74]))!, discoverable: buffer[base + 75] & 1 == 1,
                recordTag: Array(buffer[base + 80..<base + 96]),
                credentialId: Array(buffer[blobStart + idOffset..<blobStart + idOffset + idLength]))
        }
    }

    var entries: [IndexEntry] { (0..<count).map(entry(at:)) }

    /// Binary search by credential key.
    func find(credKey: [UInt8]) -> IndexEntry? {
        let found: Int? = plaintext.withUnsafeBytes { buffer in
            var low = 0, high = count
            while low < high {
                let mid = (low + high) / 2
                let base = 4 + mid * IndexEntry.size
                let order = compare(buffer, base, credKey)
                if order == 0 { return mid }
                if order < 0 { low = mid + 1 } else { high = mid }
            }
            return nil
        }
        return found.map(entry(at:))
    }

    /// Discoverable credentials of an RP, newest first, by a scan that compares 16 bytes an entry.
    func discoverable(rpKey: [UInt8]) -> [IndexEntry] {
        let matches: [Int] = plaintext.withUnsafeBytes { buffer in
            var out: [Int] = []
            for i in 0..<count {
                let base = 4 + i * IndexEntry.size
                if buffer[base + 75] & 1 == 1 && compare(buffer, base + 16, rpKey) == 0 { out.append(i) }
            }
            return out
        }
        return matches.map(entry(at:)).sorted {
            $0.createdAt != $1.createdAt ? $0.createdAt > $1.createdAt : $0.credKey.lexicographicallyPrecedes($1.credKey)
        }
    }

    private func compare(_ buffer: UnsafeRawBufferPointer, _ offset: Int, _ key: [UInt8]) -> Int {
        for j in 0..<16 {
            let a = buffer[offset + j], b = key[j]
            if a != b { return a < b ? -1 : 1 }
        }
        return 0
    }
}
