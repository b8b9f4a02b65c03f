#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VauthCrypto

/// Signature counters that changed since the keystore file was last written, in a small file
/// beside it (`<keystore>.counters`).
///
/// An assertion changes one counter. Rewriting the whole keystore for that would make an
/// assertion against 10,000 credentials cost a multi-megabyte write and fsync, and even a small
/// file replaced by rename costs two fsyncs and a directory update. The journal is instead a
/// preallocated file of two fixed-size slots, overwritten in place: an update writes the slot that
/// does not hold the current state and makes it durable with one `fdatasync` (the file's size and
/// blocks never change, so no metadata has to reach the disk). A torn write damages only the slot
/// being written, whose GCM tag then fails, and the other slot still holds the previous state.
///
/// Each slot is bound to the keystore's generation (and sealed under a subkey of its data key).
/// Every rewrite of the keystore folds the journal's counters into the records and increments the
/// generation, which makes every slot stale at the moment of the rename: there is nothing to
/// delete, and a crash can never leave a journal that the new keystore (or the old one, after a
/// crash before the rename) misreads. After `vauth passwd` the stale slots are sealed under the
/// old data key; they are recognised by their generation and ignored without being opened.
///
/// ```
/// file     2 × 4096-byte slots
/// slot     magic "VAUTHCT\0" · version u16 (2) · keystoreId[16] · generation u64 · sequence u64 · count u32
///          · nonce[12] · AES-256-GCM(counterKey, count × (credKey[16] · counter u32)) · tag[16] · zero padding
///          AAD = the 46 bytes before the nonce
/// ```
///
/// What is verified: every byte of each slot of the keystore's generation — the header (as GCM
/// associated data), the counters (GCM), and the padding (must be zero). A slot of an older
/// generation is not opened (it may be sealed under a data key `passwd` replaced); its counters
/// were folded into the keystore and no longer count, so nothing in it can change a counter.
enum CounterJournal {
    static let magic: [UInt8] = Array("VAUTHCT".utf8) + [0]
    static let version: UInt16 = 2
    static let slotSize = 4096
    static let fileSize = 2 * slotSize
    static let slotHeaderLength = 8 + 2 + 16 + 8 + 8 + 4
    static let entryLength = 20
    /// Counters one slot holds. More distinct credentials used since the last rewrite than this,
    /// and the keystore is rewritten instead (which empties the journal).
    static let capacity = (slotSize - slotHeaderLength - 28) / entryLength

    static func path(for keystore: String) -> String { keystore + ".counters" }

    /// What was read: the counters of the current generation and where the next write goes.
    struct State {
        var counters: [[UInt8]: UInt32] = [:]
        /// The sequence number of the slot holding `counters` (0: none).
        var sequence: UInt64 = 0
        /// The slot holding `counters`; the next write goes to the other one.
        var currentSlot: Int?
        /// Whether the file exists in this format (else the next write creates it).
        var preallocated = false
        /// A slot of the current generation that failed authentication (an interrupted write, or
        /// damage): ignored, but `vauth check` says so.
        var damagedSlot = false
    }

    /// Reads the journal for a keystore at `generation`. Stale slots (an older generation) are
    /// ignored; a slot of this generation that fails authentication is a torn write and ignored
    /// when the other slot is intact, and reported when both are damaged. A journal naming another
    /// keystore, or a newer generation than the keystore's (a keystore put back from an older copy),
    /// is refused: ignoring it could roll counters back silently. The message says what to remove.
    static func read(keystorePath: String, journalPath: String, keystoreId: [UInt8], generation: UInt64,
                     key: SecretBytes) throws(KeystoreError) -> State {
        guard let file = try MappedFile(path: journalPath) else { return State() }
        return try read(file[0..<file.count], keystorePath: keystorePath, journalPath: journalPath, keystoreId: keystoreId,
                        generation: generation, key: key)
    }

    /// The same, from the journal's bytes.
    static func read(_ bytes: [UInt8], keystorePath: String, journalPath: String, keystoreId: [UInt8], generation: UInt64,
                     key: SecretBytes) throws(KeystoreError) -> State {
        guard bytes.count >= 10, Array(bytes[0..<8]) == magic else {
            throw KeystoreError.malformedSection(path: keystorePath, section: "counter journal",
                                                 reason: "\(journalPath) is not a counter journal (remove it to go on)")
        }
        let fileVersion = UInt16(bytes[8]) << 8 | UInt16(bytes[9])
        if fileVersion == 1 { return try readVersion1(bytes, keystorePath: keystorePath, journalPath: journalPath,
                                                      keystoreId: keystoreId, generation: generation, key: key) }
        guard fileVersion == version else {
            throw KeystoreError.malformedSection(path: keystorePath, section: "counter journal", reason: "unknown version \(fileVersion)")
        }
        guard bytes.count == fileSize else {
            throw KeystoreError.malformedSection(path: keystorePath, section: "counter journal",
                                                 reason: "\(journalPath) is \(bytes.count) bytes; a journal is exactly \(fileSize)")
        }
        var state = State(preallocated: true)
        var damaged = 0
        for slot in 0..<2 {
            let raw = Array(bytes[slot * slotSize..<(slot + 1) * slotSize])
            if raw.allSatisfy({ $0 == 0 }) { continue }   // never written
            var reader = ByteReader(raw)
            guard reader.take(8) == magic, reader.u16() == version, let id = reader.take(16), let slotGeneration = reader.u64(),
                  let sequence = reader.u64(), let count = reader.u32() else { damaged += 1; continue }
            if id != keystoreId {
                throw KeystoreError.malformedSection(path: keystorePath, section: "counter journal",
                                                     reason: "it belongs to another keystore (if you replaced the keystore by copying, remove \(journalPath))")
            }
            if slotGeneration < generation { continue }   // folded into the keystore by a later rewrite
            if slotGeneration > generation {
                throw KeystoreError.malformedSection(path: keystorePath, section: "counter journal",
                                                     reason: "it is newer than the keystore (if you put back an older copy of the keystore, remove \(journalPath))")
            }
            guard Int(count) <= capacity else { damaged += 1; continue }
            let sealedLength = 12 + Int(count) * entryLength + 16
            let aad = Array(raw[0..<slotHeaderLength])
            // The padding after the tag must be zero: with the GCM tag over header and counters,
            // every byte of a current slot is checked (issue 18 item 4).
            guard raw[(slotHeaderLength + sealedLength)...].allSatisfy({ $0 == 0 }),
                  let plaintext = try? KeystoreKeys.open(raw[slotHeaderLength..<slotHeaderLength + sealedLength], key: key, associatedData: aad) else {
                damaged += 1
                continue
            }
            guard sequence > state.sequence else { continue }
            state.counters = decodeEntries(plaintext, count: Int(count))
            state.sequence = sequence
            state.currentSlot = slot
        }
        // One damaged slot is the write a crash interrupted (it was never acknowledged); a torn
        // write cannot damage both.
        if damaged == 2 { throw KeystoreError.tampered(path: keystorePath, section: "counter journal") }
        state.damagedSlot = damaged == 1
        return state
    }

    /// Makes `counters` the journal's state for `generation`: one slot write and one fdatasync
    /// (the first write for a keystore creates the file by temporary file and rename instead).
    static func write(_ counters: [[UInt8]: UInt32], state: inout State, journalPath: String, keystoreId: [UInt8],
                      generation: UInt64, key: SecretBytes) throws(KeystoreError) {
        precondition(counters.count <= capacity, "callers rewrite the keystore instead")
        let sequence = state.sequence + 1
        let slot = state.currentSlot.map { 1 - $0 } ?? 0
        let bytes = try slotBytes(counters, keystoreId: keystoreId, generation: generation, sequence: sequence, key: key)
        if state.preallocated {
            let fd = open(journalPath, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
            guard fd >= 0 else { throw KeystoreError.io(path: journalPath, operation: "open", errno: errno) }
            defer { close(fd) }
            var st = stat()
            guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, Int(st.st_size) == fileSize else {
                throw KeystoreError.malformedSection(path: journalPath, section: "counter journal", reason: "changed while in use")
            }
            if let error = AtomicFile.writeAll(fd, bytes, at: slot * slotSize) {
                throw KeystoreError.io(path: journalPath, operation: "write", errno: error)
            }
            guard fdatasync(fd) == 0 else { throw KeystoreError.io(path: journalPath, operation: "fdatasync", errno: errno) }
        } else {
            var file = [UInt8](repeating: 0, count: fileSize)
            file.replaceSubrange(slot * slotSize..<(slot + 1) * slotSize, with: bytes)
            try AtomicFile.replace(journalPath, with: file)
            state.preallocated = true
        }
        state.counters = counters
        state.sequence = sequence
        state.currentSlot = slot
    }

    static func slotBytes(_ counters: [[UInt8]: UInt32], keystoreId: [UInt8], generation: UInt64, sequence: UInt64,
                          key: SecretBytes) throws(KeystoreError) -> [UInt8] {
        var header = ByteWriter()
        header.append(magic)
        header.u16(version)
        header.append(keystoreId)
        header.u64(generation)
        header.u64(sequence)
        header.u32(UInt32(counters.count))
        var body = ByteWriter()
        for (credKey, value) in counters.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            body.append(credKey)
            body.u32(value)
        }
        var slot = header.bytes + (try KeystoreKeys.seal(body.bytes, key: key, associatedData: header.bytes))
        slot += [UInt8](repeating: 0, count: slotSize - slot.count)
        return slot
    }

    private static func decodeEntries(_ plaintext: SecretBytes, count: Int) -> [[UInt8]: UInt32] {
        var counters: [[UInt8]: UInt32] = [:]
        plaintext.withUnsafeBytes { buffer in
            guard buffer.count == count * entryLength else { return }
            for i in 0..<count {
                counters[Array(buffer[i * entryLength..<i * entryLength + 16])] = buffer.u32(at: i * entryLength + 16)
            }
        }
        return counters
    }

    /// Version 1 (a variable-length file replaced by rename): read so that counters written by an
    /// older vauth are kept; the next counter update replaces it with version 2.
    private static func readVersion1(_ bytes: [UInt8], keystorePath: String, journalPath: String, keystoreId: [UInt8],
                                     generation: UInt64, key: SecretBytes) throws(KeystoreError) -> State {
        var reader = ByteReader(bytes)
        _ = reader.take(10)
        guard let id = reader.take(16), let journalGeneration = reader.u64(), let count = reader.u32() else {
            throw KeystoreError.malformedSection(path: keystorePath, section: "counter journal", reason: "\(journalPath) is cut short")
        }
        guard id == keystoreId else {
            throw KeystoreError.malformedSection(path: keystorePath, section: "counter journal",
                                                 reason: "it belongs to another keystore (if you replaced the keystore by copying, remove \(journalPath))")
        }
        if journalGeneration < generation { return State() }
        let aad = Array(bytes[0..<reader.offset])
        guard count <= 100_000, reader.remaining == 12 + Int(count) * entryLength + 16 else {
            throw KeystoreError.malformedSection(path: keystorePath, section: "counter journal",
                                                 reason: "\(journalPath) is \(bytes.count) bytes; its header says \(reader.offset + 28 + Int(count) * entryLength)")
        }
        let plaintext: SecretBytes
        do { plaintext = try KeystoreKeys.open(bytes[reader.offset...], key: key, associatedData: aad) } catch {
            throw KeystoreError.tampered(path: keystorePath, section: "counter journal")
        }
        return State(counters: decodeEntries(plaintext, count: Int(count)))
    }
}
