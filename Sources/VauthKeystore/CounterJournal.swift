import VauthCrypto

/// Signature counters that changed since the keystore file was last written, in a small file
/// beside it (`<keystore>.counters`).
///
/// An assertion changes one counter. Rewriting the whole keystore for that would make an
/// assertion against 10,000 credentials cost a multi-megabyte write and fsync; the journal keeps
/// it to a few hundred bytes, written with the same temporary-file-and-rename discipline. The next
/// rewrite of the keystore folds the journal in and removes it. A counter's value is the larger of
/// the record's and the journal's, so a journal left behind by a crash is harmless.
///
/// ```
/// magic "VAUTHCT\0" · version u16 · keystoreId[16] · generation u64 · count u32 · nonce[12]
///   · AES-256-GCM(counterKey, count × (credKey[16] · counter u32)) · tag[16]      AAD = everything before the nonce
/// ```
enum CounterJournal {
    static let magic: [UInt8] = Array("VAUTHCT".utf8) + [0]

    static func path(for keystore: String) -> String { keystore + ".counters" }

    /// The journal's counters (none when there is no journal). A journal naming another keystore
    /// is refused rather than ignored: ignoring it would let a changed byte roll counters back
    /// silently. (A keystore copied over another leaves the old journal behind; the message says
    /// to remove it.)
    static func read(keystorePath: String, keystoreId: [UInt8], key: SecretBytes) throws(KeystoreError) -> [[UInt8]: UInt32] {
        let path = path(for: keystorePath)
        guard let file = try MappedFile(path: path) else { return [:] }
        let bytes = file[0..<file.count]
        var reader = ByteReader(bytes)
        guard reader.take(8) == magic else { throw KeystoreError.malformedSection(path: keystorePath, section: "counter journal", reason: "bad magic") }
        guard reader.u16() == 1 else { throw KeystoreError.malformedSection(path: keystorePath, section: "counter journal", reason: "unknown version") }
        guard let id = reader.take(16), reader.u64() != nil, let count = reader.u32() else {
            throw KeystoreError.truncated(path: path, expected: 38, actual: bytes.count)
        }
        guard id == keystoreId else {
            throw KeystoreError.malformedSection(path: keystorePath, section: "counter journal",
                                                 reason: "it belongs to another keystore (if you replaced the keystore by copying, remove \(path))")
        }
        let aad = Array(bytes[0..<reader.offset])
        guard reader.remaining == 12 + Int(count) * 20 + 16 else {
            throw KeystoreError.truncated(path: path, expected: reader.offset + 28 + Int(count) * 20, actual: bytes.count)
        }
        let plaintext: SecretBytes
        do { plaintext = try KeystoreKeys.open(bytes[reader.offset...], key: key, associatedData: aad) } catch {
            throw KeystoreError.tampered(path: keystorePath, section: "counter journal")
        }
        var counters: [[UInt8]: UInt32] = [:]
        plaintext.withUnsafeBytes { buffer in
            for i in 0..<Int(count) {
                counters[Array(buffer[i * 20..<i * 20 + 16])] = buffer.u32(at: i * 20 + 16)
            }
        }
        return counters
    }

    static func write(_ counters: [[UInt8]: UInt32], keystorePath: String, keystoreId: [UInt8], generation: UInt64,
                      key: SecretBytes) throws(KeystoreError) {
        var header = ByteWriter()
        header.append(magic)
        header.u16(1)
        header.append(keystoreId)
        header.u64(generation)
        header.u32(UInt32(counters.count))
        var body = ByteWriter()
        for (credKey, value) in counters.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            body.append(credKey)
            body.u32(value)
        }
        let sealed = try KeystoreKeys.seal(body.bytes, key: key, associatedData: header.bytes)
        try AtomicFile.replace(path(for: keystorePath), with: header.bytes + sealed)
    }
}
