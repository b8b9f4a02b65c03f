/// A CBOR data item (RFC 8949 §3).
///
/// Maps are dictionaries: CTAP2 canonical CBOR (CTAP 2.2 §8) fixes the order of map keys, so the
/// order in which a map was built carries no information, and a dictionary makes duplicate keys
/// impossible by construction. ``CBOREncoder`` sorts keys when it writes a map.
public indirect enum CBORValue: Hashable, Sendable {
    /// Major type 0: an unsigned integer.
    case unsigned(UInt64)
    /// Major type 1: the integer `-1 - n`, holding `n` (so `.negative(6)` is -7, as on the wire).
    case negative(UInt64)
    /// Major type 2.
    case byteString([UInt8])
    /// Major type 3 (always valid UTF-8).
    case textString(String)
    /// Major type 4.
    case array([CBORValue])
    /// Major type 5.
    case map([CBORValue: CBORValue])
    /// Major type 6. CTAP2 messages carry no tags; the decoder rejects them unless asked not to.
    case tagged(UInt64, CBORValue)
    /// Major type 7: `false` / `true`.
    case boolean(Bool)
    /// Major type 7: `null`.
    case null
    /// Major type 7: `undefined`.
    case undefined
    /// Major type 7: a floating-point number, written in the shortest form that keeps its value.
    case float(Double)
}

// MARK: - Building values

extension CBORValue {
    /// A CBOR integer of either sign.
    public static func int(_ value: Int) -> CBORValue {
        value >= 0 ? .unsigned(UInt64(value)) : .negative(UInt64(-1 - value))
    }

    /// A byte string from any byte sequence.
    public static func bytes<S: Sequence>(_ bytes: S) -> CBORValue where S.Element == UInt8 {
        .byteString(Array(bytes))
    }

    /// A text string.
    public static func text(_ string: String) -> CBORValue { .textString(string) }
}

extension CBORValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) { self = .int(value) }
}

extension CBORValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .textString(value) }
}

extension CBORValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .boolean(value) }
}

extension CBORValue: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: CBORValue...) { self = .array(elements) }
}

extension CBORValue: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (CBORValue, CBORValue)...) {
        self = .map(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

// MARK: - Reading values

extension CBORValue {
    /// The value as a Swift `Int`, when it is an integer that fits.
    public var intValue: Int? {
        switch self {
        case .unsigned(let n): return n <= UInt64(Int.max) ? Int(n) : nil
        case .negative(let n): return n <= UInt64(Int.max) ? -1 - Int(n) : nil
        default: return nil
        }
    }

    /// The value as an unsigned integer, when it is one.
    public var unsignedValue: UInt64? {
        if case .unsigned(let n) = self { return n }
        return nil
    }

    public var bytesValue: [UInt8]? {
        if case .byteString(let b) = self { return b }
        return nil
    }

    public var textValue: String? {
        if case .textString(let s) = self { return s }
        return nil
    }

    public var arrayValue: [CBORValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var mapValue: [CBORValue: CBORValue]? {
        if case .map(let m) = self { return m }
        return nil
    }

    public var boolValue: Bool? {
        if case .boolean(let b) = self { return b }
        return nil
    }

    /// Looks up a key in a map value; `nil` for a missing key or a value that is not a map.
    public subscript(key: CBORValue) -> CBORValue? {
        mapValue?[key]
    }

    /// A short name of the value's kind, for error messages.
    public var kindDescription: String {
        switch self {
        case .unsigned, .negative: return "integer"
        case .byteString: return "byte string"
        case .textString: return "text string"
        case .array: return "array"
        case .map: return "map"
        case .tagged: return "tagged item"
        case .boolean: return "boolean"
        case .null: return "null"
        case .undefined: return "undefined"
        case .float: return "float"
        }
    }
}
