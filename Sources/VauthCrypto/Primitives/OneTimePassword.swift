import COpenSSL

/// A time-based one-time password generator (TOTP, RFC 6238) with its shared secret and
/// parameters, as an `otpauth://totp/…` URI carries them (the "Key Uri Format" that authenticator
/// apps and services such as Dfns use for enrolment).
///
/// The code at time T is HOTP (RFC 4226 §5.3) of the counter ⌊T / period⌋: HMAC of the counter's
/// eight big-endian bytes under the secret, dynamic truncation to 31 bits, the last `digits`
/// decimal digits. RFC 6238 allows HMAC-SHA-1, -256 and -512 (§1.2).
public struct OneTimePassword: Sendable {
    public enum Hash: String, Sendable, CaseIterable {
        case sha1 = "SHA1"
        case sha256 = "SHA256"
        case sha512 = "SHA512"

        var digest: OpaquePointer? {
            switch self {
            case .sha1: return EVP_sha1()
            case .sha256: return EVP_sha256()
            case .sha512: return EVP_sha512()
            }
        }
    }

    /// Why an otpauth URI or parameter is refused.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// The shared secret, raw bytes (the URI's `secret` is their base32).
    public let secret: SecretBytes
    public let hash: Hash
    /// 6 to 10 (RFC 4226 §5.3 asks for at least 6; a 31-bit value has at most 10).
    public let digits: Int
    /// Seconds per code, 1 to 3600 (RFC 6238 §5.2 recommends 30).
    public let period: Int
    /// The URI's label, `issuer:account`, percent-decoded.
    public let label: String
    public let issuer: String?

    public static let digitRange = 6...10
    /// Longer URIs are refused: an enrolment URI is a secret and a label, well under this, and a
    /// record keeps it whole.
    public static let maxURIByteCount = 4096
    public static let periodRange = 1...3600

    public init(secret: SecretBytes, hash: Hash = .sha1, digits: Int = 6, period: Int = 30, label: String = "",
                issuer: String? = nil) throws(Refusal) {
        guard secret.count > 0 else { throw Refusal(description: "the TOTP secret is empty") }
        guard Self.digitRange.contains(digits) else { throw Refusal(description: "digits must be from 6 to 10, not \(digits)") }
        guard Self.periodRange.contains(period) else { throw Refusal(description: "period must be 1 to 3600 seconds, not \(period)") }
        self.secret = secret
        self.hash = hash
        self.digits = digits
        self.period = period
        self.label = label
        self.issuer = issuer
    }

    /// The code for the Unix time `seconds` (RFC 6238 §4.2, T0 = 0).
    public func code(at seconds: Int64) -> String {
        let step = UInt64(max(0, seconds)) / UInt64(period)
        return Self.hotp(secret: secret, counter: step, hash: hash, digits: digits)
    }

    /// Seconds until the code of `seconds` stops being current.
    public func secondsLeft(at seconds: Int64) -> Int {
        period - Int(UInt64(max(0, seconds)) % UInt64(period))
    }

    /// HOTP (RFC 4226 §5.3).
    static func hotp(secret: SecretBytes, counter: UInt64, hash: Hash, digits: Int) -> String {
        let message = (0..<8).map { UInt8(truncatingIfNeeded: counter >> (56 - 8 * $0)) }
        var mac = [UInt8](repeating: 0, count: 64)
        var length: UInt32 = 0
        let result = secret.withUnsafeBytes { key in
            message.withUnsafeBufferPointer { m in
                HMAC(hash.digest, key.baseAddress, Int32(key.count), m.baseAddress, m.count, &mac, &length)
            }
        }
        precondition(result != nil && length >= 20, "HMAC for TOTP failed")
        let offset = Int(mac[Int(length) - 1] & 0x0f)
        let binary = (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt64 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(UInt64(binary) % modulus)
        return String(repeating: "0", count: digits - value.count) + value
    }

    // MARK: - otpauth URIs

    /// Parses `otpauth://totp/LABEL?secret=BASE32[&algorithm=SHA1|SHA256|SHA512][&digits=N]
    /// [&period=S][&issuer=…]`. Unknown parameters are ignored, as authenticator apps do; a
    /// missing or malformed secret, an `hotp` URI, an unknown algorithm or an out-of-range number
    /// is refused by name.
    public init(uri text: String) throws(Refusal) {
        guard text.utf8.count <= Self.maxURIByteCount else {
            throw Refusal(description: "the otpauth URI is longer than \(Self.maxURIByteCount) bytes")
        }
        let prefix = "otpauth://"
        guard text.lowercased().hasPrefix(prefix) else { throw Refusal(description: "not an otpauth:// URI") }
        let rest = text.dropFirst(prefix.count)
        guard let slash = rest.firstIndex(of: "/") else { throw Refusal(description: "the otpauth URI has no type (otpauth://totp/…)") }
        let type = rest[..<slash].lowercased()
        guard type == "totp" else {
            throw Refusal(description: "the otpauth URI is of type \(type), not totp (counter-based HOTP is not time-based)")
        }
        let afterType = rest[rest.index(after: slash)...]
        let labelPart: Substring, query: Substring
        if let mark = afterType.firstIndex(of: "?") {
            labelPart = afterType[..<mark]
            query = afterType[afterType.index(after: mark)...]
        } else {
            labelPart = afterType
            query = ""
        }
        guard let label = Self.percentDecoded(labelPart) else { throw Refusal(description: "the otpauth label is not valid percent-encoded UTF-8") }
        var parameters: [String: String] = [:]
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.percentDecoded(parts[0])?.lowercased(),
                  let value = Self.percentDecoded(parts.count > 1 ? parts[1] : "") else {
                throw Refusal(description: "the otpauth URI's query is not valid percent-encoded UTF-8")
            }
            guard parameters[name] == nil else { throw Refusal(description: "the otpauth URI gives \(name) twice") }
            parameters[name] = value
        }
        guard let secretText = parameters["secret"], !secretText.isEmpty else { throw Refusal(description: "the otpauth URI has no secret") }
        guard let secret = Base32.decode(secretText) else {
            throw Refusal(description: "the otpauth secret is not base32 (RFC 4648 letters A-Z and digits 2-7)")
        }
        let hash: Hash
        if let name = parameters["algorithm"] {
            guard let parsed = Hash(rawValue: name.uppercased()) else {
                throw Refusal(description: "the otpauth algorithm \(name) is not SHA1, SHA256 or SHA512")
            }
            hash = parsed
        } else {
            hash = .sha1
        }
        func number(_ name: String, default value: Int) throws(Refusal) -> Int {
            guard let text = parameters[name] else { return value }
            guard text.count <= 6, text.allSatisfy(\.isASCIIDigit), let parsed = Int(text) else {
                throw Refusal(description: "the otpauth \(name) is not a whole number: \(text)")
            }
            return parsed
        }
        try self.init(secret: SecretBytes(secret), hash: hash, digits: try number("digits", default: 6),
                      period: try number("period", default: 30), label: label, issuer: parameters["issuer"])
    }

    /// The canonical URI of these parameters (every parameter spelt out), which is what vauth
    /// keeps and exports.
    public var uri: String {
        var text = "otpauth://totp/" + Self.percentEncoded(label) + "?secret=" + secret.withUnsafeBytes { Base32.encode($0) }
        text += "&algorithm=\(hash.rawValue)&digits=\(digits)&period=\(period)"
        if let issuer { text += "&issuer=" + Self.percentEncoded(issuer) }
        return text
    }

    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var index = text.utf8.startIndex
        let utf8 = text.utf8
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                let first = utf8.index(after: index)
                guard first < utf8.endIndex, utf8.index(after: first) < utf8.endIndex,
                      let high = Hex.value(utf8[first]), let low = Hex.value(utf8[utf8.index(after: first)]) else { return nil }
                bytes.append(high << 4 | low)
                index = utf8.index(first, offsetBy: 2)
            } else {
                bytes.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index = utf8.index(after: index)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let scalar = Unicode.Scalar(byte)
            if byte < 0x80, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-._~:@".unicodeScalars.contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

/// Base32 (RFC 4648 §6), as otpauth secrets are written: upper- or lower-case letters, optional
/// `=` padding, spaces ignored (people copy secrets in groups of four).
public enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    public static func decode(_ text: String) -> [UInt8]? {
        var bits: UInt64 = 0, count = 0
        var out: [UInt8] = []
        var padding = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: " ") { continue }
            if byte == UInt8(ascii: "=") { padding = true; continue }
            guard !padding else { return nil }  // nothing after padding
            let upper = (0x61...0x7a).contains(byte) ? byte - 0x20 : byte
            guard let value = alphabet.firstIndex(of: upper) else { return nil }
            bits = bits << 5 | UInt64(value)
            count += 5
            if count >= 8 {
                count -= 8
                out.append(UInt8(truncatingIfNeeded: bits >> UInt64(count)))
                bits &= (1 << UInt64(count)) - 1
            }
        }
        // Leftover bits must be zero (a canonical encoding), and at most 4 of them.
        guard count < 5, bits == 0 else { return nil }
        return out
    }

    /// Unpadded upper-case base32.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        var out: [UInt8] = []
        var bits: UInt64 = 0, count = 0
        for byte in bytes {
            bits = bits << 8 | UInt64(byte)
            count += 8
            while count >= 5 {
                count -= 5
                out.append(alphabet[Int(bits >> UInt64(count) & 0x1f)])
            }
            bits &= (1 << UInt64(count)) - 1
        }
        if count > 0 { out.append(alphabet[Int(bits << UInt64(5 - count) & 0x1f)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
