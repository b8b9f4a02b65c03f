import VauthAuthenticator
import VauthCBOR
import VauthCrypto

/// An open keystore file: format, sealing, atomic writes and the lock.
///
/// Opening takes the lock (shared to read, exclusive to write) and holds it until the object goes,
/// so a command's read-modify-write cannot interleave with another process's. Every change is
/// durable when its method returns: the file is replaced by rename after an fsync, and a failed
/// change leaves the file byte for byte as it was. See FORMAT.md for the layout.
public final class KeystoreFile {
    public enum Access { case read, readWrite }

    /// What a new keystore starts with.
    public struct Creation: Sendable {
        public var identity: AuthenticatorIdentity
        public var policy: AuthenticatorPolicy
        public var scrypt: KeyDerivation.ScryptParameters

        public init(identity: AuthenticatorIdentity, policy: AuthenticatorPolicy = .init(),
                    scrypt: KeyDerivation.ScryptParameters = .interactive) {
            self.identity = identity
            self.policy = policy
            self.scrypt = scrypt
        }
    }

    /// The path the keystore was opened by (what messages name).
    public let path: String
    /// The file behind `path`: the same, or a symbolic link's target. The lock, the counter
    /// journal and temporaries live beside it.
    public let filePath: String
    public let access: Access
    private var lock: FileLock
    /// How long a lock is waited for (``KeystoreLocking``).
    private let lockTimeout: Double
    private var closed = false

    private var header: KeystoreFormat.Header
    private var keys: KeystoreKeys
    private var layout: KeystoreFormat.Layout
    /// The current file; nil while a new keystore has not been written yet.
    private var file: MappedFile?
    private var dekWrap: [UInt8]
    private var index: ChunkedKeystoreIndex
    /// Kept only for a format-1 file, whose data key must be wrapped again for the version-2
    /// header its first rewrite writes (the header is the wrap's associated data).
    private var legacyKEK: SecretBytes?
    private var journal: CounterJournal.State
    private var counters: [[UInt8]: UInt32] { journal.counters }
    private var identityPlaintext: SecretBytes
    private var cachedIdentity: AuthenticatorIdentity?
    private var createdAt: Int64

    public private(set) var policy: AuthenticatorPolicy
    /// The clientPIN state, sealed in the identity section (vauth serve's PIN and retries).
    public private(set) var pinState = PINState()

    /// Whether the keystore exists on disk (a new one is written by its first change).
    public var existsOnDisk: Bool { file != nil }

    /// What the last change could not finish after it was committed (the directory fsync after
    /// the rename): the change happened, so these are warnings for the caller to show, not errors.
    public private(set) var warnings: [String] = [] {
        didSet { if let handler = Self.warningHandler, let last = warnings.last, warnings.count > oldValue.count { handler(last) } }
    }

    /// Whether a slot of the counter journal failed authentication and was ignored: what an
    /// interrupted counter update leaves (its assertion was never returned), or damage.
    public var journalHasDamagedSlot: Bool { journal.damagedSlot }

    /// Called with each warning as it happens (the CLI prints them); nil by default.
    nonisolated(unsafe) public static var warningHandler: ((String) -> Void)?

    // MARK: - Opening

    /// Opens the keystore at `path`. With `creating` set and no file there, returns a new, empty
    /// keystore that is written on its first change; a command that fails before then leaves
    /// nothing behind but the lock file. With `requireNew` as well, an existing keystore is
    /// refused, checked under the lock (`vauth init`: two at once must not both succeed).
    ///
    /// A symbolic link is followed; anything but a regular file is refused before the lock file is
    /// made (FORMAT.md, "Files"). The lock is waited for `lockTimeout` seconds, by default what
    /// ``KeystoreLocking/timeout()`` says (`VAUTH_LOCK_TIMEOUT`).
    public init(path: String, unlock: KeystoreUnlock, access: Access, creating creation: Creation? = nil,
                requireNew: Bool = false, lockTimeout: Double? = nil) throws(KeystoreError) {
        self.path = path
        self.access = access
        filePath = try AtomicFile.resolveKeystorePath(path)
        if creation != nil { try AtomicFile.makeDirectory(AtomicFile.parentDirectory(of: filePath)) }
        else if !(try AtomicFile.exists(filePath)) { throw KeystoreError.notFound(path: path) }
        if let lockTimeout { self.lockTimeout = lockTimeout } else { self.lockTimeout = try KeystoreLocking.timeout() }
        lock = try FileLock(path: filePath + ".lock", mode: access == .read ? .shared : .exclusive, timeout: self.lockTimeout, keystorePath: path)

        if let file = try MappedFile(path: filePath) {
            if requireNew { throw KeystoreError.alreadyExists(path: path) }
            let preamble = try KeystoreFormat.readPreamble(file, path: path)
            let kek = try KeystoreKeys.keyEncryptionKey(header: preamble.header, unlock: unlock, path: path)
            let dek = try KeystoreKeys.unwrap(preamble.dekWrap, kek: kek, header: preamble.header, unlock: unlock, path: path)
            self.file = file
            header = preamble.header
            layout = preamble.layout
            dekWrap = preamble.dekWrap
            keys = try KeystoreKeys(dek: dek, keystoreId: header.keystoreId)
            identityPlaintext = try Self.openSection(file, offset: layout.identityOffset, length: Int(layout.identityLength),
                                                     key: keys.sectionKey, aad: Self.identityAAD(header), section: "identity", path: path)
            let indexPlaintext = try Self.openSection(file, offset: layout.indexOffset, length: Int(layout.indexLength),
                                                      key: keys.sectionKey, aad: Self.indexAAD(header, layout), section: "index", path: path)
            if header.version == 1 {
                index = .single(try KeystoreIndex(plaintext: indexPlaintext, expectedCount: Int(layout.recordCount), path: path), path: path)
                legacyKEK = kek
            } else {
                index = try Self.chunkedIndex(indexPlaintext, count: Int(layout.recordCount), file: file, key: keys.sectionKey,
                                              header: header, path: path)
            }
            (policy, createdAt) = try IdentityCoding.decodePolicy(identityPlaintext, path: path)
            pinState = try IdentityCoding.decodePIN(identityPlaintext, path: path)
            journal = try CounterJournal.read(keystorePath: path, journalPath: CounterJournal.path(for: filePath),
                                              keystoreId: header.keystoreId, generation: layout.generation, key: keys.counterKey)
        } else {
            guard let creation else { throw KeystoreError.notFound(path: path) }
            guard access == .readWrite else { throw KeystoreError.notFound(path: path) }
            let keystoreId: [UInt8]
            do { keystoreId = try SecureRandom.bytes(16) } catch { throw KeystoreError.crypto("\(error)") }
            (header, keys, dekWrap) = try KeystoreKeys.fresh(unlock: unlock, scrypt: creation.scrypt, keystoreId: keystoreId, path: path)
            file = nil
            layout = KeystoreFormat.Layout(fileLength: 0, identityOffset: 0, identityLength: 0, indexOffset: 0, indexLength: 0,
                                           recordCount: 0, generation: 0)
            createdAt = Authenticator.systemClock()
            policy = creation.policy
            cachedIdentity = creation.identity
            identityPlaintext = try IdentityCoding.encode(identity: creation.identity, policy: creation.policy, createdAt: createdAt)
            index = .empty(path: path)
            journal = CounterJournal.State()
        }
    }

    /// Releases the lock; the object can no longer be used. (Dropping the last reference does the
    /// same; this makes the moment explicit.)
    public func close() {
        closed = true
        file = nil
        lock.release()
    }

    /// Whether a keystore file exists at `path`: false only when nothing is there. Anything that
    /// is there but cannot be a keystore (a directory, a FIFO, a device, a dangling link) throws
    /// `notRegularFile`, and a path vauth may not look at (EACCES on a directory) throws that
    /// error, so no command mistakes "not allowed to see it" for "no keystore yet".
    public static func exists(at path: String) throws(KeystoreError) -> Bool {
        let resolved = try AtomicFile.resolveKeystorePath(path)
        return try AtomicFile.exists(resolved)
    }

    // MARK: - Reading

    /// The authenticator identity (parsed on first use: assertions do not need it).
    public func identity() throws(KeystoreError) -> AuthenticatorIdentity {
        if let cachedIdentity { return cachedIdentity }
        let identity = try IdentityCoding.decodeIdentity(identityPlaintext, path: path)
        cachedIdentity = identity
        return identity
    }

    /// The AAGUID, from the identity's metadata without parsing its keys and certificates.
    public func aaguid() throws(KeystoreError) -> AAGUID {
        if let cachedIdentity { return cachedIdentity.aaguid }
        return try IdentityCoding.decodeAAGUID(identityPlaintext, path: path)
    }

    public var credentialCount: Int { index.count }

    /// The credential with `id` belonging to `rpId` (any RP when `rpId` is nil).
    public func record(id: [UInt8], rpId: String?) throws(KeystoreError) -> CredentialRecord? {
        guard let entry = try index.find(credKey: IndexEntry.credKey(id)), entry.credentialId == id else { return nil }
        if let rpId, entry.rpKey != IndexEntry.rpKey(rpId) { return nil }
        let record = try readRecord(entry)
        if let rpId, record.rpId != rpId { return nil }
        return record
    }

    /// Discoverable credentials of `rpId`, newest first, from the index alone.
    public func discoverableSummaries(rpId: String) throws(KeystoreError) -> [CredentialSummary] {
        try index.discoverable(rpKey: IndexEntry.rpKey(rpId)).map(\.summary)
    }

    /// The index entry of a credential (tests find a record's bytes in the file by it).
    func indexEntry(id: [UInt8]) throws(KeystoreError) -> IndexEntry? { try index.find(credKey: IndexEntry.credKey(id)) }

    /// Every credential, decrypted (each record's tag is checked on the way).
    public func allRecords() throws(KeystoreError) -> [CredentialRecord] {
        var out: [CredentialRecord] = []
        for entry in try index.entries { out.append(try readRecord(entry)) }
        return out.sorted { $0.createdAt < $1.createdAt }
    }

    /// Authenticates every byte: identity, index, each record and the counter journal. What
    /// `vauth check` runs; ordinary commands read only what they need.
    public func verifyAll() throws(KeystoreError) {
        _ = try identity()
        _ = try allRecords()
    }

    /// One credential as `check` and `list` see it: readable (with what reading it changed, such
    /// as a name an older vauth stored without a bound), or damaged, named by the credential id
    /// its index entry holds, so that one bad record does not hide all the others.
    public enum RecordReading {
        case readable(CredentialRecord, notes: [String])
        case damaged(id: [UInt8], reason: String)
    }

    /// Every credential, oldest first, each read on its own: a record that fails authentication or
    /// does not parse is reported as damaged instead of failing the whole read. Damage to what all
    /// records depend on (the index) still throws.
    public func readEveryRecord() throws(KeystoreError) -> [RecordReading] {
        var out: [(Int64, RecordReading)] = []
        for entry in try index.entries {
            do {
                let decoded = try readDecodedRecord(entry)
                out.append((decoded.record.createdAt, .readable(decoded.record, notes: decoded.truncated)))
            } catch {
                out.append((entry.createdAt, .damaged(id: entry.credentialId, reason: Self.reason(error))))
            }
        }
        return out.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// Every credential, oldest first, or an error naming each damaged one (what `export` and
    /// `passwd` need: all of them, or a clear refusal).
    public func readableRecords() throws(KeystoreError) -> [CredentialRecord] {
        var records: [CredentialRecord] = [], damaged: [String] = []
        for reading in try readEveryRecord() {
            switch reading {
            case .readable(let record, _): records.append(record)
            case .damaged(let id, let reason): damaged.append("\(Base64.urlEncode(id)): \(reason)")
            }
        }
        guard damaged.isEmpty else { throw KeystoreError.damagedRecords(path: path, records: damaged) }
        return records
    }

    /// What went wrong with one record, without the keystore path (the caller names the keystore).
    private static func reason(_ error: KeystoreError) -> String {
        switch error {
        case .tampered: return "its record failed authentication"
        case .malformedSection(_, let section, let reason): return "\(section): \(reason)"
        default: return error.description
        }
    }

    // MARK: - Changing

    /// Adds records (refusing ids already present unless listed in `replacing`) and removes the
    /// `replacing` ids, in one atomic write.
    public func insert(_ records: [CredentialRecord], replacing: [[UInt8]] = []) throws(KeystoreError) {
        try requireWritable()
        // Never write what cannot be read back: every field within its bound (issue 18 item 1).
        for record in records { try RecordCoding.check(record) }
        let removed = Set(replacing.map(IndexEntry.credKey))
        var seen = Set<[UInt8]>()
        for record in records {
            let key = IndexEntry.credKey(record.id)
            if (try index.find(credKey: key) != nil && !removed.contains(key)) || !seen.insert(key).inserted {
                throw KeystoreError.duplicateCredential(id: Base64.urlEncode(record.id))
            }
        }
        try rewrite(adding: records, removing: removed)
    }

    /// Removes credentials; returns how many existed.
    @discardableResult
    public func delete(ids: [[UInt8]]) throws(KeystoreError) -> Int {
        try requireWritable()
        var keys = Set<[UInt8]>()
        for key in ids.map(IndexEntry.credKey) where try index.find(credKey: key) != nil { keys.insert(key) }
        guard !keys.isEmpty else { return 0 }
        try rewrite(adding: [], removing: keys)
        return keys.count
    }

    /// Records a signature counter through the counter journal (no rewrite of the keystore): one
    /// slot overwritten in place and one fdatasync. When the journal is full, the keystore is
    /// rewritten instead, which folds every counter in.
    public func updateSignCount(id: [UInt8], to count: UInt32) throws(KeystoreError) {
        try requireWritable()
        let key = IndexEntry.credKey(id)
        guard try index.find(credKey: key) != nil else { return }
        var next = counters
        next[key] = count
        if file == nil || next.count > CounterJournal.capacity {
            // Not on disk yet (nothing to journal against), or more counters than a slot holds.
            let previous = journal
            journal.counters = next
            do { try rewrite(adding: [], removing: []) } catch {
                journal = previous
                throw error
            }
            return
        }
        try ensureStillCurrent()
        try CounterJournal.write(next, state: &journal, journalPath: CounterJournal.path(for: filePath), keystoreId: header.keystoreId,
                                 generation: layout.generation, key: keys.counterKey)
    }

    /// Changes the default policy.
    public func setPolicy(_ newPolicy: AuthenticatorPolicy) throws(KeystoreError) {
        try requireWritable()
        let identity = try identity()
        let plaintext = try IdentityCoding.encode(identity: identity, policy: newPolicy, createdAt: createdAt, pin: pinState)
        try rewrite(adding: [], removing: [], identity: plaintext)
        policy = newPolicy
    }

    /// Replaces the identity (a new AAGUID, a new attestation chain).
    public func setIdentity(_ newIdentity: AuthenticatorIdentity) throws(KeystoreError) {
        try requireWritable()
        let plaintext = try IdentityCoding.encode(identity: newIdentity, policy: policy, createdAt: createdAt, pin: pinState)
        try rewrite(adding: [], removing: [], identity: plaintext)
        cachedIdentity = newIdentity
    }

    /// Replaces the clientPIN state (a new PIN, a retries counter that moved) in one atomic write.
    public func setPINState(_ newState: PINState) throws(KeystoreError) {
        try requireWritable()
        let plaintext = try IdentityCoding.encode(identity: try identity(), policy: policy, createdAt: createdAt, pin: newState)
        try rewrite(adding: [], removing: [], identity: plaintext)
        pinState = newState
    }

    /// Re-encrypts everything under a new passphrase or key file: new salt, new data key, every
    /// section sealed again, in one atomic replacement (`vauth passwd`).
    public func changeUnlock(to unlock: KeystoreUnlock, scrypt: KeyDerivation.ScryptParameters = .interactive) throws(KeystoreError) {
        try requireWritable()
        let records = try readableRecords().map(applyingCounters)
        let (newHeader, newKeys, newWrap) = try KeystoreKeys.fresh(unlock: unlock, scrypt: scrypt, keystoreId: header.keystoreId, path: path)
        try write(header: newHeader, keys: newKeys, dekWrap: newWrap, identity: identityPlaintext,
                  sources: records.map { .new($0) })
    }

    // MARK: - Internals

    private enum RecordSource {
        case existing(IndexEntry)
        case new(CredentialRecord)
    }

    private func requireWritable() throws(KeystoreError) {
        guard !closed else { throw KeystoreError.io(path: path, operation: "write (keystore closed)", errno: EBADF) }
        guard access == .readWrite else { throw KeystoreError.io(path: path, operation: "write (opened read-only)", errno: EBADF) }
    }

    private func applyingCounters(_ record: CredentialRecord) -> CredentialRecord {
        var record = record
        if let journaled = counters[IndexEntry.credKey(record.id)], journaled > record.signCount { record.signCount = journaled }
        return record
    }

    private func readRecord(_ entry: IndexEntry) throws(KeystoreError) -> CredentialRecord {
        try readDecodedRecord(entry).record
    }

    private func readDecodedRecord(_ entry: IndexEntry) throws(KeystoreError) -> RecordCoding.Decoded {
        guard let file else { throw KeystoreError.malformedSection(path: path, section: "index", reason: "record without a file") }
        guard entry.recordOffset >= UInt64(KeystoreFormat.preambleLength),
              entry.recordOffset + UInt64(entry.recordLength) <= UInt64(file.count) else {
            throw KeystoreError.malformedSection(path: path, section: "index", reason: "record outside the file")
        }
        let start = Int(entry.recordOffset), box = file[start..<start + Int(entry.recordLength)]
        guard KeystoreKeys.tag(of: box) == entry.recordTag else { throw KeystoreError.tampered(path: path, section: "a credential record") }
        let plaintext: SecretBytes
        do { plaintext = try KeystoreKeys.open(box, key: keys.sectionKey, associatedData: Self.recordAAD(header, entry.credKey)) } catch {
            throw KeystoreError.tampered(path: path, section: "a credential record")
        }
        var decoded = try RecordCoding.decodeChecked(plaintext, path: path)
        guard IndexEntry.credKey(decoded.record.id) == entry.credKey else {
            throw KeystoreError.malformedSection(path: path, section: "credential record", reason: "id does not match the index")
        }
        decoded.record = applyingCounters(decoded.record)
        return decoded
    }

    /// The rewrite behind every change: existing records are copied byte for byte unless the
    /// counter journal has moved their counter (then they are sealed again with the new value).
    private func rewrite(adding: [CredentialRecord], removing: Set<[UInt8]>, identity: SecretBytes? = nil) throws(KeystoreError) {
        var sources: [RecordSource] = []
        for entry in try index.entries where !removing.contains(entry.credKey) {
            // A journaled counter is folded in by sealing the record again (readRecord applies it).
            sources.append(counters[entry.credKey] != nil ? .new(try readRecord(entry)) : .existing(entry))
        }
        sources += adding.map { .new($0) }
        try write(header: header, keys: keys, dekWrap: dekWrap, identity: identity ?? identityPlaintext, sources: sources)
    }

    private func write(header writtenHeader: KeystoreFormat.Header, keys newKeys: KeystoreKeys, dekWrap writtenWrap: [UInt8],
                       identity newIdentity: SecretBytes, sources: [RecordSource]) throws(KeystoreError) {
        // A format-1 keystore becomes format 2 here; its data key is wrapped again, since the
        // header (with its version) is the wrap's associated data.
        var newHeader = writtenHeader, newWrap = writtenWrap
        if newHeader.version != KeystoreFormat.version {
            guard let legacyKEK else { throw KeystoreError.crypto("format \(newHeader.version) keystore without its key-encryption key") }
            newHeader.version = KeystoreFormat.version
            newWrap = try KeystoreKeys.wrap(dek: newKeys.dek, kek: legacyKEK, header: newHeader)
        }
        let identityBox = try KeystoreKeys.seal(newIdentity, key: newKeys.sectionKey, associatedData: Self.identityAAD(newHeader))
        var body: [UInt8] = identityBox
        var entries: [IndexEntry] = []
        let recordsStart = UInt64(KeystoreFormat.preambleLength + identityBox.count)
        for source in sources {
            let offset = recordsStart + UInt64(body.count - identityBox.count)
            switch source {
            case .existing(let entry):
                guard let file else { throw KeystoreError.malformedSection(path: path, section: "index", reason: "record without a file") }
                let start = Int(entry.recordOffset)
                guard start + Int(entry.recordLength) <= file.count else {
                    throw KeystoreError.malformedSection(path: path, section: "index", reason: "record outside the file")
                }
                body += file[start..<start + Int(entry.recordLength)]
                var moved = entry
                moved.recordOffset = offset
                entries.append(moved)
            case .new(let record):
                let credKey = IndexEntry.credKey(record.id)
                let box = try KeystoreKeys.seal(RecordCoding.encode(record), key: newKeys.sectionKey,
                                                associatedData: Self.recordAAD(newHeader, credKey))
                body += box
                entries.append(IndexEntry(credKey: credKey, rpKey: IndexEntry.rpKey(record.rpId),
                                          userKey: CredentialSummary.userHandleDigest(record.user.id),
                                          recordOffset: offset, recordLength: UInt32(box.count), createdAt: record.createdAt,
                                          protection: record.protection, discoverable: record.discoverable,
                                          recordTag: KeystoreKeys.tag(of: box), credentialId: record.id))
            }
        }
        let (chunkBoxes, indexPlain) = try ChunkedKeystoreIndex.seal(entries, at: UInt64(KeystoreFormat.preambleLength + body.count)) {
            (position, plaintext) throws(KeystoreError) in
            try KeystoreKeys.seal(plaintext, key: newKeys.sectionKey, associatedData: Self.indexChunkAAD(newHeader, position))
        }
        body += chunkBoxes
        let indexOffset = UInt64(KeystoreFormat.preambleLength + body.count)
        let indexLength = UInt32(indexPlain.count + 28)
        let newLayout = KeystoreFormat.Layout(
            fileLength: indexOffset + UInt64(indexLength), identityOffset: UInt64(KeystoreFormat.preambleLength),
            identityLength: UInt32(identityBox.count), indexOffset: indexOffset, indexLength: indexLength,
            recordCount: UInt32(entries.count), generation: layout.generation + 1)
        let indexBox = try KeystoreKeys.seal(indexPlain, key: newKeys.sectionKey, associatedData: Self.indexAAD(newHeader, newLayout))
        let preamble = KeystoreFormat.Preamble(header: newHeader, dekWrap: newWrap, layout: newLayout)
        let bytes = preamble.bytes + body + indexBox
        precondition(UInt64(bytes.count) == newLayout.fileLength)

        // Temporaries a killed writer left (some may hold keys under a superseded passphrase).
        // Under the exclusive lock no other writer is between creating and renaming one.
        AtomicFile.removeStaleTemporaries(of: [filePath, CounterJournal.path(for: filePath)])
        // The new file holds every counter and a higher generation, which makes every journal slot
        // stale at the instant of the rename: no step after it is needed for a correct keystore
        // (FORMAT.md, "Writes and crashes").
        let aftermath = try AtomicFile.replace(filePath, with: bytes, beforeRename: { () throws(KeystoreError) in try ensureStillCurrent() })
        warnings += aftermath.warnings

        file = MappedFile(bytes: bytes, writtenTo: filePath)
        header = newHeader
        keys = newKeys
        dekWrap = newWrap
        layout = newLayout
        identityPlaintext = newIdentity
        // Decoding what we just encoded: a failure here would be a bug, not a lost write.
        index = try Self.chunkedIndex(SecretBytes(indexPlain), count: entries.count, file: file!, key: newKeys.sectionKey,
                                      header: newHeader, path: path)
        legacyKEK = nil
        journal = CounterJournal.State(preallocated: journal.preallocated)
    }

    /// Before a commit: the lock still guards the path (someone may have deleted the lock file
    /// while we held it, letting another process lock a new one), and the keystore is still the
    /// file we read. If the lock file changed, the new one is locked before checking; if the
    /// keystore changed meanwhile, the change is refused rather than overwriting the other's.
    private func ensureStillCurrent() throws(KeystoreError) {
        if !lock.isCurrent {
            lock = try FileLock(path: filePath + ".lock", mode: .exclusive, timeout: lockTimeout, keystorePath: path)
        }
        let unchanged: Bool
        if let file { unchanged = file.isCurrent(at: filePath) } else { unchanged = !(try AtomicFile.exists(filePath)) }
        guard unchanged else { throw KeystoreError.changedConcurrently(path: path) }
    }

    private static func openSection(_ file: MappedFile, offset: UInt64, length: Int, key: SecretBytes, aad: [UInt8],
                                    section: String, path: String) throws(KeystoreError) -> SecretBytes {
        let start = Int(offset)
        do { return try KeystoreKeys.open(file[start..<start + length], key: key, associatedData: aad) } catch {
            throw KeystoreError.tampered(path: path, section: "the \(section) section")
        }
    }

    /// The index of a format-2 file: its directory now, each chunk decrypted (tag and associated
    /// data checked) when a lookup first needs it.
    private static func chunkedIndex(_ directory: SecretBytes, count: Int, file: MappedFile, key: SecretBytes,
                                     header: KeystoreFormat.Header, path: String) throws(KeystoreError) -> ChunkedKeystoreIndex {
        try ChunkedKeystoreIndex.directory(directory, expectedCount: count, path: path) { (position, chunk) throws(KeystoreError) in
            let start = Int(clamping: chunk.offset), length = Int(chunk.length)
            guard chunk.offset >= UInt64(KeystoreFormat.preambleLength), length >= 28, start <= file.count - length else {
                throw KeystoreError.malformedSection(path: path, section: "index", reason: "index chunk outside the file")
            }
            let box = file[start..<start + length]
            guard KeystoreKeys.tag(of: box) == chunk.tag else { throw KeystoreError.tampered(path: path, section: "the index section") }
            do { return try KeystoreKeys.open(box, key: key, associatedData: indexChunkAAD(header, position)) } catch {
                throw KeystoreError.tampered(path: path, section: "the index section")
            }
        }
    }

    static func identityAAD(_ header: KeystoreFormat.Header) -> [UInt8] { header.bytes + Array("identity".utf8) }
    static func indexChunkAAD(_ header: KeystoreFormat.Header, _ position: Int) -> [UInt8] {
        var w = ByteWriter()
        w.u32(UInt32(position))
        return KeystoreFormat.magic + header.keystoreId + Array("index chunk".utf8) + w.bytes
    }
    static func indexAAD(_ header: KeystoreFormat.Header, _ layout: KeystoreFormat.Layout) -> [UInt8] {
        header.bytes + layout.bytes + Array("index".utf8)
    }
    static func recordAAD(_ header: KeystoreFormat.Header, _ credKey: [UInt8]) -> [UInt8] {
        KeystoreFormat.magic + header.keystoreId + Array("record".utf8) + credKey
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
