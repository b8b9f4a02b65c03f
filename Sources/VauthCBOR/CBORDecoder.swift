import CLibCBOR

/// A strict decoder for untrusted CBOR.
///
/// libcbor's streaming decoder (`cbor_stream_decode`) reads one head at a time; this type builds the
/// ``CBORValue`` tree itself and enforces what libcbor does not: CTAP2 canonical form (CTAP 2.2 §8),
/// no indefinite lengths, no duplicate map keys, no trailing bytes, valid UTF-8, and limits on
/// input length, depth and item count. Declared lengths are checked against the remaining input
/// before anything is allocated, so a five-byte input cannot ask for gigabytes.
public struct CBORDecoder: Sendable {
    /// Bounds on what the decoder accepts.
    public struct Limits: Sendable {
        public var maxInputLength: Int
        public var maxDepth: Int
        public var maxItems: Int

        public init(maxInputLength: Int = 1 << 20, maxDepth: Int = 16, maxItems: Int = 1 << 16) {
            self.maxInputLength = maxInputLength
            self.maxDepth = maxDepth
            self.maxItems = maxItems
        }

        /// Limits for CTAP2 messages: CTAP 2.2 caps a message at a few kilobytes, but large blobs and
        /// credential management can be bigger, so this leaves room.
        public static let ctap = Limits(maxInputLength: 64 * 1024, maxDepth: 16, maxItems: 8192)
    }

    public var limits: Limits
    /// Whether tags (major type 6) are accepted. CTAP 2.2 §8 says they must not be present.
    public var allowTags: Bool

    public init(limits: Limits = Limits(), allowTags: Bool = false) {
        self.limits = limits
        self.allowTags = allowTags
    }

    /// Decodes exactly one item that spans all of `bytes`.
    public func decode(_ bytes: some Collection<UInt8>) throws(CBORError) -> CBORValue {
        let (value, consumed) = try decodePrefix(bytes)
        guard consumed == bytes.count else { throw .trailingBytes(offset: consumed) }
        return value
    }

    /// Decodes the first item of `bytes` and says how many bytes it took. Authenticator data needs
    /// this: its COSE key is followed by more data (WebAuthn L3 §6.5.1).
    public func decodePrefix(_ bytes: some Collection<UInt8>) throws(CBORError) -> (value: CBORValue, consumed: Int) {
        let input = Array(bytes)
        guard !input.isEmpty else { throw .empty }
        guard input.count <= limits.maxInputLength else { throw .inputTooLong(limit: limits.maxInputLength) }
        var parser = Parser(input: input, decoder: self)
        let value = try parser.parseItem(depth: 0)
        return (value, parser.offset)
    }

    /// Decodes one item with the default limits, tags refused.
    public static func decode(_ bytes: some Collection<UInt8>) throws(CBORError) -> CBORValue {
        try CBORDecoder().decode(bytes)
    }
}

/// What libcbor's callback reported for one head.
enum Token {
    case unsigned(UInt64)
    case negative(UInt64)
    case bytes(count: UInt64)
    case text(count: UInt64)
    case arrayStart(UInt64)
    case mapStart(UInt64)
    case tag(UInt64)
    case float(Double, width: Int)
    case boolean(Bool)
    case null
    case undefined
    case indefinite
}

/// Receives libcbor's callbacks. The callbacks only record the token; the parser checks it once
/// `cbor_stream_decode` has said how many bytes the head took.
final class TokenSink {
    var token: Token?

    static func from(_ context: UnsafeMutableRawPointer?) -> TokenSink {
        Unmanaged<TokenSink>.fromOpaque(context!).takeUnretainedValue()
    }
}

/// libcbor's callback table. Each entry stores one token; none allocates or keeps a pointer.
private nonisolated(unsafe) var tokenCallbacks: cbor_callbacks = {
    var c = cbor_callbacks()
    c.uint8 = { TokenSink.from($0).token = .unsigned(UInt64($1)) }
    c.uint16 = { TokenSink.from($0).token = .unsigned(UInt64($1)) }
    c.uint32 = { TokenSink.from($0).token = .unsigned(UInt64($1)) }
    c.uint64 = { TokenSink.from($0).token = .unsigned($1) }
    c.negint8 = { TokenSink.from($0).token = .negative(UInt64($1)) }
    c.negint16 = { TokenSink.from($0).token = .negative(UInt64($1)) }
    c.negint32 = { TokenSink.from($0).token = .negative(UInt64($1)) }
    c.negint64 = { TokenSink.from($0).token = .negative($1) }
    // The string's bytes end where the head's `read` count ends, so only the length is kept.
    // size_t arrives as Int; keep the full unsigned range so a huge declared length stays huge.
    c.byte_string = { TokenSink.from($0).token = .bytes(count: UInt64(UInt(bitPattern: $2))) }
    c.string = { TokenSink.from($0).token = .text(count: UInt64(UInt(bitPattern: $2))) }
    c.byte_string_start = { TokenSink.from($0).token = .indefinite }
    c.string_start = { TokenSink.from($0).token = .indefinite }
    c.indef_array_start = { TokenSink.from($0).token = .indefinite }
    c.indef_map_start = { TokenSink.from($0).token = .indefinite }
    c.indef_break = { TokenSink.from($0).token = .indefinite }
    c.array_start = { TokenSink.from($0).token = .arrayStart(UInt64(UInt(bitPattern: $1))) }
    c.map_start = { TokenSink.from($0).token = .mapStart(UInt64(UInt(bitPattern: $1))) }
    c.tag = { TokenSink.from($0).token = .tag($1) }
    c.float2 = { TokenSink.from($0).token = .float(Double($1), width: 2) }
    c.float4 = { TokenSink.from($0).token = .float(Double($1), width: 4) }
    c.float8 = { TokenSink.from($0).token = .float($1, width: 8) }
    c.boolean = { TokenSink.from($0).token = .boolean($1) }
    c.null = { TokenSink.from($0).token = .null }
    c.undefined = { TokenSink.from($0).token = .undefined }
    return c
}()

/// Recursive-descent parser over libcbor's token stream.
private struct Parser {
    let input: [UInt8]
    let decoder: CBORDecoder
    var offset = 0
    var items = 0

    init(input: [UInt8], decoder: CBORDecoder) {
        self.input = input
        self.decoder = decoder
    }

    /// Reads the next head through libcbor and returns the token and where it started.
    mutating func nextToken() throws(CBORError) -> (Token, start: Int) {
        let start = offset
        guard start < input.count else { throw .truncated(offset: start) }
        items += 1
        guard items <= decoder.limits.maxItems else { throw .itemLimitExceeded(limit: decoder.limits.maxItems) }
        let sink = TokenSink()
        let result: cbor_decoder_result = input.withUnsafeBufferPointer { whole in
            let chunk = whole.baseAddress! + start
            return withUnsafeMutablePointer(to: &tokenCallbacks) { callbacks in
                cbor_stream_decode(chunk, whole.count - start, callbacks, Unmanaged.passUnretained(sink).toOpaque())
            }
        }
        switch result.status {
        case CBOR_DECODER_FINISHED: break
        case CBOR_DECODER_NEDATA: throw .truncated(offset: start)
        default: throw .malformed(offset: start)
        }
        guard let token = sink.token else { throw .malformed(offset: start) }
        offset = start + result.read
        return (token, start)
    }

    /// Checks that a head carrying `argument` took the fewest bytes CBOR allows (RFC 8949 §4.2.1).
    func requireShortestHead(argument: UInt64, headLength: Int, at start: Int) throws(CBORError) {
        let shortest: Int
        switch argument {
        case 0..<24: shortest = 1
        case 24...0xff: shortest = 2
        case 0x100...0xffff: shortest = 3
        case 0x1_0000...0xffff_ffff: shortest = 5
        default: shortest = 9
        }
        if headLength != shortest {
            throw .nonCanonical(offset: start, reason: "argument \(argument) takes \(headLength) bytes, shortest is \(shortest)")
        }
    }

    mutating func parseItem(depth: Int) throws(CBORError) -> CBORValue {
        guard depth <= decoder.limits.maxDepth else { throw .depthLimitExceeded(limit: decoder.limits.maxDepth) }
        let (token, start) = try nextToken()
        let headLength = offset - start
        switch token {
        case .unsigned(let n):
            try requireShortestHead(argument: n, headLength: headLength, at: start)
            return .unsigned(n)
        case .negative(let n):
            try requireShortestHead(argument: n, headLength: headLength, at: start)
            return .negative(n)
        case .bytes(let declared):
            // libcbor only reports a string whose bytes are all present, so it fits in the input.
            let count = Int(declared)
            try requireShortestHead(argument: declared, headLength: headLength - count, at: start)
            return .byteString(Array(input[(offset - count)..<offset]))
        case .text(let declared):
            let count = Int(declared)
            try requireShortestHead(argument: declared, headLength: headLength - count, at: start)
            guard let string = String(validating: input[(offset - count)..<offset], as: UTF8.self) else {
                throw .invalidUTF8(offset: start)
            }
            return .textString(string)
        case .arrayStart(let declared):
            try requireShortestHead(argument: declared, headLength: headLength, at: start)
            // Every element takes at least one byte.
            guard declared <= UInt64(input.count - offset) else { throw .lengthExceedsInput(offset: start) }
            let count = Int(declared)
            var elements: [CBORValue] = []
            elements.reserveCapacity(count)
            for _ in 0..<count { elements.append(try parseItem(depth: depth + 1)) }
            return .array(elements)
        case .mapStart(let declared):
            try requireShortestHead(argument: declared, headLength: headLength, at: start)
            // Every entry takes at least two bytes.
            guard declared <= UInt64((input.count - offset) / 2) else { throw .lengthExceedsInput(offset: start) }
            let count = Int(declared)
            var entries: [CBORValue: CBORValue] = [:]
            entries.reserveCapacity(count)
            var previousKey: Range<Int>?
            for _ in 0..<count {
                let keyStart = offset
                let key = try parseItem(depth: depth + 1)
                let keyRange = keyStart..<offset
                // Each key is canonical by itself, so comparing the raw bytes is comparing the
                // canonical encodings (CTAP 2.2 §8: length first, then bytewise).
                if let previousKey {
                    let order = CanonicalOrder.compare(input[previousKey], input[keyRange])
                    if order == 0 { throw .duplicateMapKey(offset: keyStart) }
                    if order > 0 { throw .nonCanonical(offset: keyStart, reason: "map keys out of canonical order") }
                }
                previousKey = keyRange
                entries[key] = try parseItem(depth: depth + 1)
            }
            return .map(entries)
        case .tag(let tag):
            guard decoder.allowTags else { throw .tagNotAllowed(offset: start) }
            try requireShortestHead(argument: tag, headLength: headLength, at: start)
            return .tagged(tag, try parseItem(depth: depth + 1))
        case .float(let value, let width):
            let shortest = FloatWidth.shortest(for: value)
            if headLength != shortest.encodedLength || (value.isNaN && CBOREncoder.encode(.float(value)) != Array(input[start..<offset])) {
                throw .nonCanonical(offset: start, reason: "float in \(width)-byte form has a shorter exact form")
            }
            return .float(value)
        case .boolean(let b):
            return .boolean(b)
        case .null:
            return .null
        case .undefined:
            return .undefined
        case .indefinite:
            throw .indefiniteLength(offset: start)
        }
    }
}
