import Testing
@testable import VauthCBOR

/// RFC 8949 Appendix A: every example whose encoding is the preferred (shortest, definite) one must
/// come out of the encoder byte for byte and decode back to the same value.
struct RFC8949AppendixATests {
    static let preferred: [(CBORValue, String)] = [
        (0, "00"), (1, "01"), (10, "0a"), (23, "17"), (24, "1818"), (25, "1819"), (100, "1864"),
        (1000, "1903e8"), (1_000_000, "1a000f4240"), (.unsigned(1_000_000_000_000), "1b000000e8d4a51000"),
        (.unsigned(18_446_744_073_709_551_615), "1bffffffffffffffff"),
        (.negative(18_446_744_073_709_551_615), "3bffffffffffffffff"),
        (-1, "20"), (-10, "29"), (-100, "3863"), (-1000, "3903e7"),
        (.float(0.0), "f90000"), (.float(-0.0), "f98000"), (.float(1.0), "f93c00"),
        (.float(1.1), "fb3ff199999999999a"), (.float(1.5), "f93e00"), (.float(65504.0), "f97bff"),
        (.float(100000.0), "fa47c35000"), (.float(3.4028234663852886e+38), "fa7f7fffff"),
        (.float(1.0e+300), "fb7e37e43c8800759c"), (.float(5.960464477539063e-8), "f90001"),
        (.float(0.00006103515625), "f90400"), (.float(-4.0), "f9c400"), (.float(-4.1), "fbc010666666666666"),
        (.float(.infinity), "f97c00"), (.float(.nan), "f97e00"), (.float(-.infinity), "f9fc00"),
        (false, "f4"), (true, "f5"), (.null, "f6"), (.undefined, "f7"),
        (.tagged(0, "2013-03-21T20:04:00Z"), "c074323031332d30332d32315432303a30343a30305a"),
        (.tagged(1, 1_363_896_240), "c11a514b67b0"),
        (.tagged(1, .float(1363896240.5)), "c1fb41d452d9ec200000"),
        (.tagged(23, .bytes([1, 2, 3, 4])), "d74401020304"),
        (.tagged(24, .bytes([0x64, 0x49, 0x45, 0x54, 0x46])), "d818456449455446"),
        (.tagged(32, "http://www.example.com"), "d82076687474703a2f2f7777772e6578616d706c652e636f6d"),
        (.tagged(2, .bytes([1, 0, 0, 0, 0, 0, 0, 0, 0])), "c249010000000000000000"),
        (.tagged(3, .bytes([1, 0, 0, 0, 0, 0, 0, 0, 0])), "c349010000000000000000"),
        (.bytes([]), "40"), (.bytes([1, 2, 3, 4]), "4401020304"),
        ("", "60"), ("a", "6161"), ("IETF", "6449455446"), ("\"\\", "62225c"), ("\u{00fc}", "62c3bc"),
        ("\u{6c34}", "63e6b0b4"), ("\u{10151}", "64f0908591"),
        ([], "80"), ([1, 2, 3], "83010203"), ([1, [2, 3], [4, 5]], "8301820203820405"),
        (.array((1...25).map { .int($0) }), "98190102030405060708090a0b0c0d0e0f101112131415161718181819"),
        ([:], "a0"), ([1: 2, 3: 4], "a201020304"), (["a": 1, "b": [2, 3]], "a26161016162820203"),
        (["a", ["b": "c"]], "826161a161626163"),
        (["a": "A", "b": "B", "c": "C", "d": "D", "e": "E"], "a56161614161626142616361436164614461656145"),
    ]

    @Test("encoder writes the preferred encoding", arguments: 0..<preferred.count)
    func encodes(index: Int) {
        let (value, hex) = Self.preferred[index]
        #expect(value.encoded.hex == hex)
    }

    @Test("decoder reads the preferred encoding back", arguments: 0..<preferred.count)
    func decodes(index: Int) throws {
        let (value, hex) = Self.preferred[index]
        let decoded = try CBORDecoder(allowTags: true).decode([UInt8](hex: hex))
        if case .float(let d) = value, d.isNaN {
            guard case .float(let e) = decoded else { Issue.record("not a float"); return }
            #expect(e.isNaN)
        } else {
            #expect(decoded == value)
        }
    }

    /// Appendix A also lists encodings that are valid CBOR but not preferred or not definite; a
    /// CTAP2 decoder must refuse every one of them.
    static let refused: [(String, CBORError)] = [
        ("fa7f800000", .nonCanonical(offset: 0, reason: "float in 4-byte form has a shorter exact form")),
        ("fa7fc00000", .nonCanonical(offset: 0, reason: "float in 4-byte form has a shorter exact form")),
        ("faff800000", .nonCanonical(offset: 0, reason: "float in 4-byte form has a shorter exact form")),
        ("fb7ff0000000000000", .nonCanonical(offset: 0, reason: "float in 8-byte form has a shorter exact form")),
        ("fb7ff8000000000000", .nonCanonical(offset: 0, reason: "float in 8-byte form has a shorter exact form")),
        ("fbfff0000000000000", .nonCanonical(offset: 0, reason: "float in 8-byte form has a shorter exact form")),
        ("5f42010243030405ff", .indefiniteLength(offset: 0)),
        ("7f657374726561646d696e67ff", .indefiniteLength(offset: 0)),
        ("9fff", .indefiniteLength(offset: 0)),
        ("9f018202039f0405ffff", .indefiniteLength(offset: 0)),
        ("9f01820203820405ff", .indefiniteLength(offset: 0)),
        ("83018202039f0405ff", .indefiniteLength(offset: 5)),
        ("83019f0203ff820405", .indefiniteLength(offset: 2)),
        ("9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff", .indefiniteLength(offset: 0)),
        ("bf61610161629f0203ffff", .indefiniteLength(offset: 0)),
        ("826161bf61626163ff", .indefiniteLength(offset: 3)),
        ("bf6346756ef563416d7421ff", .indefiniteLength(offset: 0)),
        ("f0", .malformed(offset: 0)),
        ("f8ff", .malformed(offset: 0)),
    ]

    @Test("decoder refuses non-preferred and indefinite encodings", arguments: 0..<refused.count)
    func refuses(index: Int) {
        let (hex, error) = Self.refused[index]
        #expect(throws: error) { try CBORDecoder(allowTags: true).decode([UInt8](hex: hex)) }
    }
}
