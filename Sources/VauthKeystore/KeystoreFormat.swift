import VauthCrypto

/// The on-disk layout of a keystore file, format version 2 (version 1 is read, and rewritten as
/// version 2 by the first change). FORMAT.md in this directory is the prose description; this
/// type is the authority.
///
/// ```
/// header   (68)  magic "VAUTHKS\0" · version u16 · kdf u8 · scrypt log2N u8 · r u32 · p u32 · salt[32] · keystoreId[16]
/// dekWrap  (60)  nonce[12] · AES-256-GCM(KEK, DEK[32]) · tag[16]          AAD = header
/// layout   (44)  fileLength u64 · identityOffset u64 · identityLength u32 · indexOffset u64 · indexLength u32
///                · recordCount u32 · generation u64
/// checksum (32)  SHA-256(header · dekWrap · layout)   — spots corruption; not a security measure
/// sections       identity, records, index: each nonce[12] · ciphertext · tag[16] under subkeys of the DEK
/// ```
enum KeystoreFormat {
    static let magic: [UInt8] = Array("VAUTHKS".utf8) + [0]
    /// The version written. 2 cut the index into separately sealed chunks (``ChunkedKeystoreIndex``).
    static let version: UInt16 = 2
    static let readableVersions: ClosedRange<UInt16> = 1...2
    static let headerLength = 68
    static let dekWrapLength = 60
    static let layoutLength = 44
    static let checksumLength = 32
    static let preambleLength = headerLength + dekWrapLength + layoutLength + checksumLength

    enum KDF: UInt8 {
        /// A raw 32-byte key file: no derivation (for CI machines).
        case rawKey = 0
        /// scrypt (RFC 7914) of a passphrase.
        case scrypt = 1
    }

    /// The plain header, bound as associated data to everything sealed in the file.
    struct Header: Equatable {
        /// Part of the associated data of everything sealed, so kept as read (a version-1 file's
        /// sections open only with 1 here).
        var version: UInt16 = KeystoreFormat.version
        var kdf: KDF
        var scrypt: KeyDerivation.ScryptParameters
        var salt: [UInt8]
        var keystoreId: [UInt8]

        var bytes: [UInt8] {
            var w = ByteWriter()
            w.append(magic)
            w.u16(self.version)
            w.u8(kdf.rawValue)
            w.u8(scrypt.log2N)
            w.u32(scrypt.r)
            w.u32(scrypt.p)
            w.append(salt)
            w.append(keystoreId)
            return w.bytes
        }
    }

    /// Where the sections are.
    struct Layout: Equatable {
        var fileLength: UInt64
        var identityOffset: UInt64
        var identityLength: UInt32
        var indexOffset: UInt64
        var indexLength: UInt32
        var recordCount: UInt32
        /// Counts rewrites; lets the counter journal tell whether it predates the main file.
        var generation: UInt64

        var bytes: [UInt8] {
            var w = ByteWriter()
            w.u64(fileLength)
            w.u64(identityOffset)
            w.u32(identityLength)
            w.u64(indexOffset)
            w.u32(indexLength)
            w.u32(recordCount)
            w.u64(generation)
            return w.bytes
        }
    }

    struct Preamble {
        var header: Header
        var dekWrap: [UInt8]
        var layout: Layout

        var bytes: [UInt8] {
            let body = header.bytes + dekWrap + layout.bytes
            return body + SHA256.hash(body)
        }
    }

    /// Reads and checks the preamble, in the order that gives the most useful error: not a
    /// keystore, then version, then truncation, then checksum and layout sanity.
    static func readPreamble(_ file: MappedFile, path: String) throws(KeystoreError) -> Preamble {
        guard file.count >= magic.count, file[0..<magic.count] == magic else { throw .notAKeystore(path: path) }
        guard file.count >= magic.count + 2 else { throw .truncated(path: path, expected: preambleLength, actual: file.count) }
        let versionBytes = file[magic.count..<magic.count + 2]
        let fileVersion = Int(versionBytes[0]) << 8 | Int(versionBytes[1])
        guard readableVersions.contains(UInt16(fileVersion)) else { throw .unsupportedVersion(path: path, version: fileVersion) }
        guard file.count >= preambleLength else { throw .truncated(path: path, expected: preambleLength, actual: file.count) }

        let raw = file[0..<preambleLength]
        let body = Array(raw[0..<(preambleLength - checksumLength)])
        var reader = ByteReader(raw)
        _ = reader.take(magic.count + 2)
        let kdfByte = reader.u8()!, log2N = reader.u8()!, r = reader.u32()!, p = reader.u32()!
        let salt = reader.take(32)!, keystoreId = reader.take(16)!
        let dekWrap = reader.take(dekWrapLength)!
        let layout = Layout(fileLength: reader.u64()!, identityOffset: reader.u64()!, identityLength: reader.u32()!,
                            indexOffset: reader.u64()!, indexLength: reader.u32()!, recordCount: reader.u32()!,
                            generation: reader.u64()!)
        let checksum = reader.take(checksumLength)!

        // A short file fails here with a message that says so, before the checksum (which a
        // truncation leaves intact) could pass and send us reading past the end.
        if layout.fileLength > UInt64(file.count), SHA256.hash(body) == checksum {
            throw .truncated(path: path, expected: Int(clamping: layout.fileLength), actual: file.count)
        }
        guard SHA256.hash(body) == checksum else { throw .corruptHeader(path: path, reason: "header checksum mismatch") }
        guard layout.fileLength == UInt64(file.count) else {
            throw .corruptHeader(path: path, reason: "\(file.count - Int(clamping: layout.fileLength)) unexpected bytes after the end")
        }
        guard let kdf = KDF(rawValue: kdfByte) else { throw .corruptHeader(path: path, reason: "unknown KDF \(kdfByte)") }
        let scrypt = KeyDerivation.ScryptParameters(log2N: log2N, r: r, p: p)
        if kdf == .scrypt && !scrypt.isReasonable {
            throw .corruptHeader(path: path, reason: "scrypt parameters out of range (log2N \(log2N), r \(r), p \(p))")
        }
        let sections = [(layout.identityOffset, UInt64(layout.identityLength)), (layout.indexOffset, UInt64(layout.indexLength))]
        for (offset, length) in sections {
            guard offset >= UInt64(preambleLength), length >= 28, offset + length <= layout.fileLength else {
                throw .corruptHeader(path: path, reason: "section outside the file")
            }
        }
        return Preamble(header: Header(version: UInt16(fileVersion), kdf: kdf, scrypt: scrypt, salt: salt, keystoreId: keystoreId),
                        dekWrap: dekWrap, layout: layout)
    }
}
