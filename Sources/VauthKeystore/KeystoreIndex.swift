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

/// The index of a format-2 keystore: the entries, sorted by credential key, cut into chunks of
/// ``chunkSize``, each chunk sealed on its own; the sealed index section holds only a directory
/// of the chunks (first credential key, place in the file, entry count, GCM tag).
///
/// Opening a keystore then decrypts a directory of n/128 small entries instead of all n entries,
/// and finding a credential decrypts one chunk: an assertion with 10,000 credentials costs about
/// what it costs with 10. (Format 1 sealed every entry in one section, so opening was O(n).) A
/// chunk is bound to its keystore and position by its associated data and to this generation of
/// the file by its tag, kept in the authenticated directory, as a record's is.
///
/// ```
/// directory: u32 count · u32 chunkCount · chunkCount × (firstCredKey[16] · offset u64 · length u32 · entryCount u32 · tag[16])
/// chunk:     the format-1 index layout (u32 count · count × entry(96) · id blob) for its entries
/// ```
final class ChunkedKeystoreIndex {
    static let chunkSize = 128
    static let directoryEntrySize = 48

    struct Chunk {
        var firstCredKey: [UInt8]
        var offset: UInt64
        var length: UInt32
        var entryCount: Int
        var tag: [UInt8]
    }

    let count: Int
    private let chunks: [Chunk]
    /// Decrypted chunks, by position.
    private var opened: [Int: KeystoreIndex]
    private let openChunk: (Int, Chunk) throws(KeystoreError) -> SecretBytes
    private let path: String

    private init(count: Int, chunks: [Chunk], opened: [Int: KeystoreIndex], path: String,
                 openChunk: @escaping (Int, Chunk) throws(KeystoreError) -> SecretBytes) {
        self.count = count
        self.chunks = chunks
        self.opened = opened
        self.path = path
        self.openChunk = openChunk
    }

    /// A format-1 index: one section holding every entry, already decrypted.
    static func single(_ index: KeystoreIndex, path: String) -> ChunkedKeystoreIndex {
        let chunk = Chunk(firstCredKey: [UInt8](repeating: 0, count: 16), offset: 0, length: 0, entryCount: index.count, tag: [])
        return ChunkedKeystoreIndex(count: index.count, chunks: [chunk], opened: [0: index], path: path) { (_, _) throws(KeystoreError) in
            throw KeystoreError.malformedSection(path: path, section: "index", reason: "no chunk to open")
        }
    }

    /// Reads a format-2 directory; `openChunk` decrypts a chunk's box (checking its tag) when needed.
    static func directory(_ plaintext: SecretBytes, expectedCount: Int, path: String,
                          openChunk: @escaping (Int, Chunk) throws(KeystoreError) -> SecretBytes) throws(KeystoreError) -> ChunkedKeystoreIndex {
        let parsed: [Chunk]? = plaintext.withUnsafeBytes { buffer in
            guard buffer.count >= 8 else { return nil }
            let total = Int(buffer.u32(at: 0)), chunkCount = Int(buffer.u32(at: 4))
            guard total == expectedCount, buffer.count == 8 + chunkCount * directoryEntrySize else { return nil }
            var chunks: [Chunk] = []
            var sum = 0
            for i in 0..<chunkCount {
                let base = 8 + i * directoryEntrySize
                let chunk = Chunk(firstCredKey: Array(buffer[base..<base + 16]), offset: buffer.u64(at: base + 16),
                                  length: buffer.u32(at: base + 24), entryCount: Int(buffer.u32(at: base + 28)),
                                  tag: Array(buffer[base + 32..<base + 48]))
                guard chunk.entryCount > 0, chunks.last.map({ $0.firstCredKey.lexicographicallyPrecedes(chunk.firstCredKey) }) ?? true else {
                    return nil
                }
                sum += chunk.entryCount
                chunks.append(chunk)
            }
            return sum == total ? chunks : nil
        }
        guard let parsed else { throw KeystoreError.malformedSection(path: path, section: "index", reason: "inconsistent chunk directory") }
        return ChunkedKeystoreIndex(count: expectedCount, chunks: parsed, opened: [:], path: path, openChunk: openChunk)
    }

    static func empty(path: String) -> ChunkedKeystoreIndex {
        ChunkedKeystoreIndex(count: 0, chunks: [], opened: [:], path: path) { (_, _) throws(KeystoreError) in
            throw KeystoreError.malformedSection(path: path, section: "index", reason: "no chunk to open")
        }
    }

    private func chunk(_ position: Int) throws(KeystoreError) -> KeystoreIndex {
        if let index = opened[position] { return index }
        let descriptor = chunks[position]
        let index = try KeystoreIndex(plaintext: try openChunk(position, descriptor), expectedCount: descriptor.entryCount, path: path)
        // A chunk holds the keys its directory entry says it starts with, in order.
        if index.count > 0, index.entry(at: 0).credKey != descriptor.firstCredKey, !descriptor.tag.isEmpty {
            throw KeystoreError.malformedSection(path: path, section: "index", reason: "chunk does not match its directory entry")
        }
        opened[position] = index
        return index
    }

    /// Binary search in the directory, then in one chunk.
    func find(credKey: [UInt8]) throws(KeystoreError) -> IndexEntry? {
        guard !chunks.isEmpty else { return nil }
        var low = 0, high = chunks.count
        while high - low > 1 {
            let mid = (low + high) / 2
            if credKey.lexicographicallyPrecedes(chunks[mid].firstCredKey) { high = mid } else { low = mid }
        }
        return try chunk(low).find(credKey: credKey)
    }

    /// Discoverable credentials of an RP, newest first. Entries are ordered by credential key, so
    /// this reads every chunk.
    func discoverable(rpKey: [UInt8]) throws(KeystoreError) -> [IndexEntry] {
        var matches: [IndexEntry] = []
        for position in chunks.indices { matches += try chunk(position).discoverable(rpKey: rpKey) }
        return matches.sorted {
            $0.createdAt != $1.createdAt ? $0.createdAt > $1.createdAt : $0.credKey.lexicographicallyPrecedes($1.credKey)
        }
    }

    /// Every entry, in credential-key order.
    var entries: [IndexEntry] {
        get throws(KeystoreError) {
            var out: [IndexEntry] = []
            out.reserveCapacity(count)
            for position in chunks.indices { out += try chunk(position).entries }
            return out
        }
    }

    // MARK: - Writing

    /// Cuts `entries` into sealed chunks placed from `offset` on: the chunk boxes (in file order)
    /// and the directory plaintext to seal as the index section.
    static func seal(_ entries: [IndexEntry], at offset: UInt64,
                     sealChunk: (Int, [UInt8]) throws(KeystoreError) -> [UInt8]) throws(KeystoreError) -> (boxes: [UInt8], directory: [UInt8]) {
        let sorted = entries.sorted { $0.credKey.lexicographicallyPrecedes($1.credKey) }
        var boxes: [UInt8] = []
        var directory = ByteWriter()
        directory.u32(UInt32(sorted.count))
        let chunkCount = (sorted.count + chunkSize - 1) / chunkSize
        directory.u32(UInt32(chunkCount))
        for position in 0..<chunkCount {
            let slice = Array(sorted[position * chunkSize..<min(sorted.count, (position + 1) * chunkSize)])
            let box = try sealChunk(position, KeystoreIndex.encode(slice))
            directory.append(slice[0].credKey)
            directory.u64(offset + UInt64(boxes.count))
            directory.u32(UInt32(box.count))
            directory.u32(UInt32(slice.count))
            directory.append(KeystoreKeys.tag(of: box))
            boxes += box
        }
        return (boxes, directory.bytes)
    }
}
