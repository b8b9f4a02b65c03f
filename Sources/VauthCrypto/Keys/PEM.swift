/// PEM armour (RFC 7468) around DER.
public enum PEM {
    public static func encode(_ der: [UInt8], label: String) -> String {
        let body = Base64.encode(der)
        var lines = ["-----BEGIN \(label)-----"]
        var index = body.startIndex
        while index < body.endIndex {
            let end = body.index(index, offsetBy: 64, limitedBy: body.endIndex) ?? body.endIndex
            lines.append(String(body[index..<end]))
            index = end
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The DER inside the first block labelled `label`, or `nil`.
    public static func decode(_ pem: String, label: String) -> [UInt8]? {
        let begin = "-----BEGIN \(label)-----", end = "-----END \(label)-----"
        var body = ""
        var inside = false
        for line in pem.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingWhitespace()
            if !inside {
                if trimmed == begin { inside = true }
            } else if trimmed == end {
                return Base64.decode(body)
            } else {
                body += trimmed
            }
        }
        return nil
    }
}

extension Substring {
    func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}

/// Standard base64 (RFC 4648 §4) and base64url (§5) without Foundation, so the crypto layer stays
/// small; the WebAuthn layer's JSON uses the url alphabet without padding.
public enum Base64 {
    private static let standard = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let url = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Standard alphabet with `=` padding.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        encode(bytes, alphabet: standard, pad: true)
    }

    /// base64url without padding, as WebAuthn's JSON serialisation uses (L3 §5.1).
    public static func urlEncode(_ bytes: some Collection<UInt8>) -> String {
        encode(bytes, alphabet: url, pad: false)
    }

    // Every response member is base64url, so this is on the JSON client's path: written straight
    // into the String's own storage, four characters per three bytes, no intermediate arrays.
    private static func encode(_ bytes: some Collection<UInt8>, alphabet: [UInt8], pad: Bool) -> String {
        if let encoded = bytes.withContiguousStorageIfAvailable({ encode($0, alphabet: alphabet, pad: pad) }) { return encoded }
        return Array(bytes).withUnsafeBufferPointer { encode($0, alphabet: alphabet, pad: pad) }
    }

    private static func encode(_ bytes: UnsafeBufferPointer<UInt8>, alphabet: [UInt8], pad: Bool) -> String {
        let count = bytes.count
        let rest = count % 3
        let length = count / 3 * 4 + (rest == 0 ? 0 : pad ? 4 : rest + 1)
        guard length > 0 else { return "" }
        return alphabet.withUnsafeBufferPointer { table in
            String(unsafeUninitializedCapacity: length) { out in
                var i = 0, o = 0
                while i + 3 <= count {
                    let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
                    out[o] = table[Int(n >> 18)]
                    out[o + 1] = table[Int(n >> 12 & 63)]
                    out[o + 2] = table[Int(n >> 6 & 63)]
                    out[o + 3] = table[Int(n & 63)]
                    i += 3
                    o += 4
                }
                if rest > 0 {
                    let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
                    out[o] = table[Int(n >> 18)]
                    out[o + 1] = table[Int(n >> 12 & 63)]
                    o += 2
                    if rest == 2 {
                        out[o] = table[Int(n >> 6 & 63)]
                        o += 1
                    }
                    if pad {
                        while o < length {
                            out[o] = UInt8(ascii: "=")
                            o += 1
                        }
                    }
                }
                return o
            }
        }
    }

    /// Decodes standard base64, with or without padding. `nil` for any other character.
    public static func decode(_ string: String) -> [UInt8]? {
        decode(string, plus: UInt8(ascii: "+"), slash: UInt8(ascii: "/"))
    }

    /// Decodes base64url. Padding is tolerated (some servers add it); the standard alphabet's
    /// `+` and `/` are not.
    public static func urlDecode(_ string: String) -> [UInt8]? {
        decode(string, plus: UInt8(ascii: "-"), slash: UInt8(ascii: "_"))
    }

    private static func decode(_ string: String, plus: UInt8, slash: UInt8) -> [UInt8]? {
        var string = string
        return string.withUTF8 { decode($0, plus: plus, slash: slash) }
    }

    private static func decode(_ text: UnsafeBufferPointer<UInt8>, plus: UInt8, slash: UInt8) -> [UInt8]? {
        var count = text.count
        while count > 0, text[count - 1] == UInt8(ascii: "=") { count -= 1 }
        guard count % 4 != 1, text.count - count <= 2 else { return nil }
        func value(_ c: UInt8) -> UInt32? {
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): return UInt32(c &- UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): return UInt32(c &- UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(c &- UInt8(ascii: "0")) + 52
            case plus: return 62
            case slash: return 63
            default: return nil
            }
        }
        let length = count / 4 * 3 + (count % 4 == 0 ? 0 : count % 4 - 1)
        var valid = true
        let out = [UInt8](unsafeUninitializedCapacity: length) { out, initialized in
            var i = 0, o = 0
            while i + 4 <= count {
                guard let a = value(text[i]), let b = value(text[i + 1]), let c = value(text[i + 2]), let d = value(text[i + 3]) else {
                    valid = false
                    initialized = 0
                    return
                }
                let n = a << 18 | b << 12 | c << 6 | d
                out[o] = UInt8(truncatingIfNeeded: n >> 16)
                out[o + 1] = UInt8(truncatingIfNeeded: n >> 8)
                out[o + 2] = UInt8(truncatingIfNeeded: n)
                i += 4
                o += 3
            }
            let rest = count - i
            if rest >= 2 {
                guard let a = value(text[i]), let b = value(text[i + 1]) else {
                    valid = false
                    initialized = 0
                    return
                }
                var n = a << 18 | b << 12
                if rest == 3 {
                    guard let c = value(text[i + 2]) else {
                        valid = false
                        initialized = 0
                        return
                    }
                    n |= c << 6
                }
                // Leftover bits must be zero, or two different strings would decode to the same bytes.
                guard (rest == 2 ? n & 0xFFFF : n & 0xFF) == 0 else {
                    valid = false
                    initialized = 0
                    return
                }
                out[o] = UInt8(truncatingIfNeeded: n >> 16)
                o += 1
                if rest == 3 {
                    out[o] = UInt8(truncatingIfNeeded: n >> 8)
                    o += 1
                }
            }
            initialized = o
        }
        return valid ? out : nil
    }
}
