import CLibCBOR

/// Writes ``CBORValue``s in CTAP2 canonical form (CTAP 2.2 §8 "Message encoding"):
/// shortest-form integers and lengths, definite lengths only, and map keys sorted by the length of
/// their encoding, then bytewise (the RFC 7049 §3.9 rule CTAP2 adopts). Floats use the shortest of
/// half / single / double precision that keeps the value exactly (RFC 8949 §4.2.2).
///
/// The bytes of every head are produced by libcbor's encoding functions, which already choose the
/// shortest integer form; the ordering of map keys is ours, since libcbor keeps insertion order.
public enum CBOREncoder {
    /// The canonical encoding of `value`.
    public static func encode(_ value: CBORValue) -> [UInt8] {
        var writer = Writer()
        writer.write(value)
        return writer.bytes
    }
}

extension CBORValue {
    /// The CTAP2 canonical encoding of this value.
    public var encoded: [UInt8] { CBOREncoder.encode(self) }
}

private struct Writer {
    var bytes: [UInt8] = []

    /// Calls a libcbor `cbor_encode_*` function on a 9-byte scratch buffer (the longest head) and
    /// appends what it wrote.
    mutating func head(_ encode: (UnsafeMutablePointer<UInt8>, Int) -> Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 9) { scratch in
            let written = encode(scratch.baseAddress!, 9)
            // libcbor returns 0 only when the buffer is too small; 9 bytes always suffice.
            precondition(written > 0, "libcbor could not encode a CBOR head into 9 bytes")
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[0..<written]))
        }
    }

    mutating func write(_ value: CBORValue) {
        switch value {
        case .unsigned(let n):
            head { cbor_encode_uint(n, $0, $1) }
        case .negative(let n):
            head { cbor_encode_negint(n, $0, $1) }
        case .byteString(let data):
            head { cbor_encode_bytestring_start(data.count, $0, $1) }
            bytes.append(contentsOf: data)
        case .textString(let string):
            let utf8 = Array(string.utf8)
            head { cbor_encode_string_start(utf8.count, $0, $1) }
            bytes.append(contentsOf: utf8)
        case .array(let items):
            head { cbor_encode_array_start(items.count, $0, $1) }
            for item in items { write(item) }
        case .map(let entries):
            head { cbor_encode_map_start(entries.count, $0, $1) }
            let sorted = entries
                .map { (key: CBOREncoder.encode($0.key), value: $0.value) }
                .sorted { CanonicalOrder.precedes($0.key, $1.key) }
            for entry in sorted {
                bytes.append(contentsOf: entry.key)
                write(entry.value)
            }
        case .tagged(let tag, let inner):
            head { cbor_encode_tag(tag, $0, $1) }
            write(inner)
        case .boolean(let b):
            head { cbor_encode_bool(b, $0, $1) }
        case .null:
            head { cbor_encode_null($0, $1) }
        case .undefined:
            head { cbor_encode_undef($0, $1) }
        case .float(let d):
            switch FloatWidth.shortest(for: d) {
            case .half:
                // libcbor's cbor_encode_half drops the significand of half-precision subnormals,
                // so the two bytes come from Swift's own IEEE 754 conversion.
                let bits = d.isNaN ? UInt16(0x7e00) : Float16(d).bitPattern
                bytes.append(contentsOf: [0xf9, UInt8(bits >> 8), UInt8(bits & 0xff)])
            case .single: head { cbor_encode_single(Float(d), $0, $1) }
            case .double: head { cbor_encode_double(d, $0, $1) }
            }
        }
    }
}

/// The order of map keys in CTAP2 canonical CBOR: shorter encodings first, then bytewise.
enum CanonicalOrder {
    static func precedes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        compare(a[...], b[...]) < 0
    }

    /// Negative when `a` sorts before `b`, zero when equal, positive after.
    static func compare(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Int {
        if a.count != b.count { return a.count < b.count ? -1 : 1 }
        for (x, y) in zip(a, b) where x != y { return x < y ? -1 : 1 }
        return 0
    }
}

/// The width a float is written in.
enum FloatWidth {
    case half, single, double

    /// The narrowest IEEE 754 width that represents `value` exactly. NaN is written as the
    /// half-precision quiet NaN 0xf97e00 (RFC 8949 §4.2.2).
    static func shortest(for value: Double) -> FloatWidth {
        if value.isNaN { return .half }
        let asFloat = Float(value)
        guard Double(asFloat) == value else { return .double }
        let asHalf = Float16(asFloat)
        return Float(asHalf) == asFloat ? .half : .single
    }

    /// Bytes the float's encoding takes, head included.
    var encodedLength: Int {
        switch self {
        case .half: return 3
        case .single: return 5
        case .double: return 9
        }
    }
}
