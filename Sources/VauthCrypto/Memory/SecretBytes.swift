import COpenSSL

/// Bytes that must not outlive their use: private keys, data keys, passphrases.
///
/// The storage is one heap allocation that is overwritten with `OPENSSL_cleanse` (which the
/// compiler may not optimise away) when the last reference goes. Swift arrays get copied and
/// reallocated behind our back, so secrets live here and are lent out only inside closures.
public final class SecretBytes: @unchecked Sendable {
    // Immutable after init: safe to share across threads.
    private let storage: UnsafeMutableRawBufferPointer

    public var count: Int { storage.count }

    /// Takes a copy of `bytes`. The caller should clear its own copy if it can.
    ///
    /// Contiguous input (an array, a slice of one, a buffer) is copied with one `memcpy`; only
    /// other collections go element by element. (The generic element-wise path, unspecialised
    /// across modules, was a third of `vauth create`'s CPU: issue 28.)
    public init(_ bytes: some Collection<UInt8>) {
        let count = bytes.count
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 16)
        length = count
        let copied: Bool? = bytes.withContiguousStorageIfAvailable { source in
            if let base = source.baseAddress, source.count > 0 { storage.baseAddress!.copyMemory(from: base, byteCount: source.count) }
            return true
        }
        if copied == nil { _ = storage.initializeMemory(as: UInt8.self, from: bytes) }
    }

    /// Takes a copy of the bytes in `buffer` (one `memcpy`).
    public init(_ buffer: UnsafeRawBufferPointer) {
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(buffer.count, 1), alignment: 16)
        length = buffer.count
        if let base = buffer.baseAddress, buffer.count > 0 { storage.baseAddress!.copyMemory(from: base, byteCount: buffer.count) }
    }

    /// `count` bytes from OpenSSL's CSPRNG.
    public init(randomCount count: Int) throws(CryptoError) {
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 16)
        length = count
        // Every stored property is set, so a throw from here on runs deinit, which frees the storage.
        guard RAND_bytes(storage.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(count)) == 1 else {
            throw CryptoError.openSSL("RAND_bytes")
        }
    }

    /// Fills `count` bytes through `body`, which must write all of them.
    public init<E: Error>(count: Int, filling body: (UnsafeMutableRawBufferPointer) throws(E) -> Void) throws(E) {
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        length = count
        // Fully initialised: if `body` throws, deinit wipes and frees the storage.
        try body(UnsafeMutableRawBufferPointer(rebasing: storage[0..<count]))
    }

    private let length: Int

    deinit {
        OPENSSL_cleanse(storage.baseAddress, storage.count)
        storage.deallocate()
    }

    /// Lends the bytes to `body`; the pointer must not escape.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(rebasing: storage[0..<length]))
    }

    /// The bytes in `range`, as a new secret (no plain copy in between).
    public func slice(_ range: Range<Int>) -> SecretBytes {
        withUnsafeBytes { SecretBytes(UnsafeRawBufferPointer(rebasing: $0[range])) }
    }

    /// This secret followed by `other`, as a new secret.
    public func appending(_ other: SecretBytes) -> SecretBytes {
        SecretBytes(count: count + other.count) { out in
            withUnsafeBytes { out.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            other.withUnsafeBytes { out.baseAddress!.advanced(by: count).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
    }

    /// A plain copy, for the few places that must hand bytes to code that keeps them (an export).
    public func exposedCopy() -> [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    /// Constant-time comparison.
    public func constantTimeEquals(_ other: SecretBytes) -> Bool {
        guard count == other.count else { return false }
        return withUnsafeBytes { a in other.withUnsafeBytes { b in CRYPTO_memcmp(a.baseAddress, b.baseAddress, count) == 0 } }
    }
}

extension SecretBytes: CustomStringConvertible, CustomDebugStringConvertible {
    /// Never the bytes themselves: a secret that reaches a log line says only its size.
    public var description: String { "SecretBytes(\(count) bytes)" }
    public var debugDescription: String { description }
}
