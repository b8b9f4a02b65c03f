/// Big-endian integer writing and bounds-checked reading for the keystore's fixed layouts.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func append(_ data: some Sequence<UInt8>) { bytes.append(contentsOf: data) }
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { append([UInt8(v >> 8), UInt8(v & 0xff)]) }
    mutating func u32(_ v: UInt32) { append((0..<4).reversed().map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) }) }
    mutating func u64(_ v: UInt64) { append((0..<8).reversed().map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) }) }
}

struct ByteReader {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func take(_ count: Int) -> [UInt8]? {
        guard count >= 0, remaining >= count else { return nil }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func u8() -> UInt8? { take(1)?[0] }
    mutating func u16() -> UInt16? { take(2).map { UInt16($0[0]) << 8 | UInt16($0[1]) } }
    mutating func u32() -> UInt32? { take(4).map { $0.reduce(0) { $0 << 8 | UInt32($1) } } }
    mutating func u64() -> UInt64? { take(8).map { $0.reduce(0) { $0 << 8 | UInt64($1) } } }
}

/// Reads big-endian integers straight out of a buffer (the decrypted index), without copying.
extension UnsafeRawBufferPointer {
    func u32(at offset: Int) -> UInt32 { (0..<4).reduce(0) { $0 << 8 | UInt32(self[offset + $1]) } }
    func u64(at offset: Int) -> UInt64 { (0..<8).reduce(0) { $0 << 8 | UInt64(self[offset + $1]) } }
}
