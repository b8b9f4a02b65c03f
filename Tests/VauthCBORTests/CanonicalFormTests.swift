import Testing
@testable import VauthCBOR

/// CTAP 2.2 §8 "Message encoding": canonical map order and the strict decoder's refusals.
struct CanonicalFormTests {
    @Test func coseKeyOrder() {
        // A COSE_Key built in the "wrong" order encodes as 1, 3, -1, -2, -3 (CTAP 2.2 §8 example order).
        let key: CBORValue = [-3: .bytes([0xbb]), -2: .bytes([0xaa]), -1: 1, 3: -7, 1: 2]
        #expect(key.encoded.hex == "a50102032620012141aa2241bb")
    }

    @Test func mixedKeyTypesSortByEncodedLengthThenBytes() {
        // 1-byte keys (0x0a, 0x20, 0x64... no) first, then longer ones, bytewise within a length.
        let map: CBORValue = ["aa": 0, "b": 0, .bytes([0]): 0, 24: 0, -1: 0, 10: 0, .array([]): 0, false: 0]
        // Encoded keys: 10→0a, -1→20, []→80, false→f4 (1 byte); 24→1818, h'00'→4100, "b"→6162 (2); "aa"→626161 (3).
        let decoded = try? CBORDecoder().decode(map.encoded)
        #expect(decoded == map)
        let keyOrder = orderedKeys(map.encoded)
        #expect(keyOrder == ["0a", "20", "80", "f4", "1818", "4100", "6162", "626161"])
    }

    @Test func ctapMakeCredentialKeysAreIntegersInOrder() {
        let request: CBORValue = [0x05: [], 0x01: .bytes([0]), 0x03: [:], 0x02: [:], 0x04: []]
        #expect(orderedKeys(request.encoded) == ["01", "02", "03", "04", "05"])
    }

    @Test func refusesUnsortedKeys() throws {
        #expect(throws: CBORError.nonCanonical(offset: 3, reason: "map keys out of canonical order")) {
            try CBORDecoder.decode([UInt8](hex: "a203040102"))
        }
        // "b" before "aa" is canonical (shorter first); "aa" before "b" is not.
        #expect(throws: CBORError.nonCanonical(offset: 5, reason: "map keys out of canonical order")) {
            try CBORDecoder.decode([UInt8](hex: "a262616101616202"))
        }
        #expect(try CBORDecoder.decode([UInt8](hex: "a261620262616101")) == ["b": 2, "aa": 1])
    }

    @Test func refusesDuplicateKeys() {
        #expect(throws: CBORError.duplicateMapKey(offset: 3)) { try CBORDecoder.decode([UInt8](hex: "a201020103")) }
    }

    @Test func refusesNonShortestIntegersAndLengths() {
        for hex in ["1805", "190005", "1a00000005", "1b0000000000000005", "3800", "5800", "780161", "9800", "b800", "1900ff"] {
            #expect(throws: CBORError.self, "\(hex)") { try CBORDecoder.decode([UInt8](hex: hex)) }
            do { _ = try CBORDecoder.decode([UInt8](hex: hex)) } catch {
                guard case .nonCanonical = error else { Issue.record("\(hex): \(error)"); continue }
            }
        }
    }

    @Test func refusesTrailingBytesTruncationAndReserved() {
        #expect(throws: CBORError.trailingBytes(offset: 1)) { try CBORDecoder.decode([UInt8](hex: "0101")) }
        #expect(throws: CBORError.truncated(offset: 0)) { try CBORDecoder.decode([UInt8](hex: "1901")) }
        #expect(throws: CBORError.truncated(offset: 0)) { try CBORDecoder.decode([UInt8](hex: "43aabb")) }
        #expect(throws: CBORError.lengthExceedsInput(offset: 0)) { try CBORDecoder.decode([UInt8](hex: "8201")) }
        #expect(throws: CBORError.truncated(offset: 2)) { try CBORDecoder.decode([UInt8](hex: "820119")) }
        #expect(throws: CBORError.lengthExceedsInput(offset: 0)) { try CBORDecoder.decode([UInt8](hex: "9bffffffffffffffff")) }
        #expect(throws: CBORError.malformed(offset: 0)) { try CBORDecoder.decode([UInt8](hex: "1c")) }
        #expect(throws: CBORError.empty) { try CBORDecoder.decode([UInt8]()) }
    }

    @Test func refusesTagsUnlessAllowed() {
        #expect(throws: CBORError.tagNotAllowed(offset: 0)) { try CBORDecoder.decode([UInt8](hex: "c11a514b67b0")) }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: CBORError.invalidUTF8(offset: 0)) { try CBORDecoder.decode([UInt8](hex: "62c328")) }
    }

    @Test func enforcesLimits() {
        let deep = [UInt8](repeating: 0x81, count: 40) + [0x00]
        #expect(throws: CBORError.depthLimitExceeded(limit: 16)) { try CBORDecoder.decode(deep) }
        let wide: CBORValue = .array(Array(repeating: 0, count: 100))
        #expect(throws: CBORError.itemLimitExceeded(limit: 50)) {
            try CBORDecoder(limits: .init(maxItems: 50)).decode(wide.encoded)
        }
        #expect(throws: CBORError.inputTooLong(limit: 10)) {
            try CBORDecoder(limits: .init(maxInputLength: 10)).decode(wide.encoded)
        }
        // An array header that claims 2^32 elements in five bytes: refused before any allocation.
        #expect(throws: CBORError.lengthExceedsInput(offset: 0)) { try CBORDecoder.decode([UInt8](hex: "9b0000000100000000")) }
        #expect(throws: CBORError.lengthExceedsInput(offset: 0)) { try CBORDecoder.decode([UInt8](hex: "ba0001000000")) }
        #expect(throws: CBORError.truncated(offset: 0)) { try CBORDecoder.decode([UInt8](hex: "5b00000001000000")) }
    }

    @Test func prefixDecodingReportsConsumedBytes() throws {
        let (value, consumed) = try CBORDecoder().decodePrefix([UInt8](hex: "a10102ff"))
        #expect(value == [1: 2])
        #expect(consumed == 3)
    }

    @Test func randomInputNeverCrashes() {
        var generator = SplitMix64(seed: 0x5eed)
        for _ in 0..<20_000 {
            let length = Int(generator.next() % 24)
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if let value = try? CBORDecoder(allowTags: true).decode(bytes) {
                // Whatever the strict decoder accepts is canonical: it re-encodes to the same bytes.
                #expect(value.encoded == bytes || value.isNaNFloat)
            }
        }
    }

    private func orderedKeys(_ encoded: [UInt8]) -> [String] {
        // Walk a flat map whose values are single-byte items, reading key encodings in wire order.
        var keys: [String] = []
        var offset = 1
        while offset < encoded.count {
            let (_, keyLength) = try! CBORDecoder().decodePrefix(encoded[offset...])
            keys.append(Array(encoded[offset..<offset + keyLength]).hex)
            offset += keyLength
            let (_, valueLength) = try! CBORDecoder().decodePrefix(encoded[offset...])
            offset += valueLength
        }
        return keys
    }
}

private extension CBORValue {
    var isNaNFloat: Bool { if case .float(let d) = self { return d.isNaN }; return false }
}

/// A tiny deterministic generator so the random test is reproducible.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e3779b97f4a7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58476d1ce4e5b9
        z = (z ^ (z >> 27)) &* 0x94d049bb133111eb
        return z ^ (z >> 31)
    }
}
