/// Why CBOR could not be decoded or encoded. Every failure of the strict decoder is one of these;
/// untrusted input never crashes the process.
public enum CBORError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input ended inside an item.
    case truncated(offset: Int)
    /// A reserved or unsupported initial byte, or an item libcbor refuses.
    case malformed(offset: Int)
    /// An indefinite-length string, array or map, or a break code (CTAP 2.2 §8: definite lengths only).
    case indefiniteLength(offset: Int)
    /// An integer, length or float not in its shortest form, or map keys out of canonical order.
    case nonCanonical(offset: Int, reason: String)
    /// The same key twice in one map.
    case duplicateMapKey(offset: Int)
    /// A text string that is not valid UTF-8.
    case invalidUTF8(offset: Int)
    /// A tag where tags are not allowed (CTAP 2.2 §8 forbids them).
    case tagNotAllowed(offset: Int)
    /// Nesting deeper than the decoder's limit.
    case depthLimitExceeded(limit: Int)
    /// More items than the decoder's limit.
    case itemLimitExceeded(limit: Int)
    /// Input longer than the decoder's limit.
    case inputTooLong(limit: Int)
    /// A declared length or count that the remaining input cannot possibly hold.
    case lengthExceedsInput(offset: Int)
    /// Bytes after the single item that was expected.
    case trailingBytes(offset: Int)
    /// The input is empty.
    case empty

    public var description: String {
        switch self {
        case .truncated(let o): return "CBOR input ends inside an item (offset \(o))"
        case .malformed(let o): return "malformed CBOR at offset \(o)"
        case .indefiniteLength(let o): return "indefinite-length CBOR item at offset \(o) (definite lengths only)"
        case .nonCanonical(let o, let r): return "non-canonical CBOR at offset \(o): \(r)"
        case .duplicateMapKey(let o): return "duplicate CBOR map key at offset \(o)"
        case .invalidUTF8(let o): return "CBOR text string at offset \(o) is not valid UTF-8"
        case .tagNotAllowed(let o): return "CBOR tag at offset \(o) is not allowed"
        case .depthLimitExceeded(let l): return "CBOR nesting deeper than \(l)"
        case .itemLimitExceeded(let l): return "CBOR input has more than \(l) items"
        case .inputTooLong(let l): return "CBOR input longer than \(l) bytes"
        case .lengthExceedsInput(let o): return "CBOR length at offset \(o) exceeds the input"
        case .trailingBytes(let o): return "trailing bytes after CBOR item at offset \(o)"
        case .empty: return "empty CBOR input"
        }
    }
}
