#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tuple origin (HTML §7.1.1 "Origins"): the caller's scheme, host and port, as a browser puts
/// it in `clientDataJSON.origin` and checks the RP ID against it (WebAuthn L3 §5.1.3).
///
/// What is accepted, decided for a command-line browser stand-in:
/// - `scheme://host[:port]`, optionally with one trailing `/` (what people paste from an address
///   bar). A path, query, fragment or `user@` is refused: the caller means an origin, not a URL,
///   and silently dropping parts would hide mistakes.
/// - Only secure contexts, because WebAuthn is only exposed there (L3 §5.1, `[SecureContext]`):
///   `https`, or `http` when the host is potentially trustworthy (Secure Contexts §3.1):
///   `localhost`, a `*.localhost` name, an IPv4 address in 127.0.0.0/8, or `[::1]`.
/// - Scheme and host are lowercased; the host goes through UTS #46 "domain to ASCII" (``IDNA``,
///   libidn2), so `ｅｘａｍｐｌｅ.com` is `example.com` and a bad `xn--` label is refused; IPv6
///   addresses are written in RFC 5952 form; a port equal to the scheme's default is dropped, as
///   the URL parser does.
/// - Hosts are DNS-like: labels of letters, digits, `-` and `_`, no empty label (so no trailing
///   dot). A host whose last label is numeric must be a dotted-quad IPv4 address.
public struct Origin: Hashable, Sendable, CustomStringConvertible {
    /// An origin's host (URL Standard §3.1 "Hosts").
    public enum Host: Hashable, Sendable {
        /// A domain in ASCII form, lowercase.
        case domain(String)
        /// Dotted-quad IPv4.
        case ipv4([UInt8])
        /// Sixteen bytes of IPv6.
        case ipv6([UInt8])

        /// The host serializer: a domain as is, IPv4 dotted, IPv6 in brackets.
        public var serialized: String {
            switch self {
            case .domain(let name): return name
            case .ipv4(let octets): return octets.map(String.init).joined(separator: ".")
            case .ipv6(let bytes): return "[" + Origin.ipv6Text(bytes) + "]"
            }
        }

        public var isIPAddress: Bool {
            if case .domain = self { return false }
            return true
        }
    }

    /// `https` or `http`.
    public let scheme: String
    public let host: Host
    /// The port, or `nil` for the scheme's default (443, 80).
    public let port: Int?

    /// Parses and checks an origin; see the type's documentation for what is accepted.
    ///
    /// The text is split on Unicode scalars, not Characters: a combining mark or a joiner after
    /// `/`, `:` or `]` would otherwise fuse with it into one grapheme and hide the delimiter.
    public init(_ text: String) throws(WebAuthnClientError) {
        let trimmed = Self.trimmed(text)
        guard let separator = trimmed.firstRange(of: "://".unicodeScalars) else {
            throw .syntax("origin \"\(text)\" is not of the form scheme://host[:port]")
        }
        let scheme = String(Substring(trimmed[..<separator.lowerBound])).lowercased()
        guard let first = scheme.unicodeScalars.first, Self.isASCIILetter(first),
              scheme.unicodeScalars.allSatisfy({ Self.isASCIILetter($0) || Self.isASCIIDigit($0) || $0 == "+" || $0 == "-" || $0 == "." }) else {
            throw .syntax("origin \"\(text)\" has no valid scheme")
        }
        guard scheme == "https" || scheme == "http" else {
            throw .security("origin \"\(text)\": scheme \(scheme) is not allowed; WebAuthn needs https (or http on localhost)")
        }
        var rest = trimmed[separator.upperBound...]
        if rest.last == "/" { rest = rest.dropLast() }
        if rest.contains(where: { $0 == "/" || $0 == "?" || $0 == "#" }) {
            throw .syntax("origin \"\(text)\" has a path, query or fragment; an origin is scheme://host[:port]")
        }
        if rest.contains("@") { throw .syntax("origin \"\(text)\" has user information; an origin is scheme://host[:port]") }
        if rest.contains(where: { $0.properties.isWhitespace }) { throw .syntax("origin \"\(text)\" contains whitespace") }
        if rest.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { throw .syntax("origin \"\(text)\" contains a control character") }

        var hostText: Substring.UnicodeScalarView
        var portText: Substring.UnicodeScalarView?
        if rest.first == "[" {
            guard let close = rest.firstIndex(of: "]") else { throw .syntax("origin \"\(text)\": unterminated IPv6 address") }
            hostText = rest[...close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":" else { throw .syntax("origin \"\(text)\": unexpected characters after the IPv6 address") }
                portText = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            hostText = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            hostText = rest
        }

        let host = try Self.parseHost(String(Substring(hostText)), origin: text)
        var port: Int?
        if let portScalars = portText, !portScalars.isEmpty {
            let portText = String(Substring(portScalars))
            guard portScalars.allSatisfy({ Self.isASCIIDigit($0) }), portScalars.count <= 5, let value = Int(portText), value <= 65535 else {
                throw .syntax("origin \"\(text)\": port \(portText) is not a number from 0 to 65535")
            }
            port = value == (scheme == "https" ? 443 : 80) ? nil : value
        }
        self.scheme = scheme
        self.host = host
        self.port = port

        guard isPotentiallyTrustworthy else {
            throw .security("http origin \(serialized) is not a secure context: use https (http is only for localhost, *.localhost, 127.0.0.0/8 and [::1])")
        }
    }

    /// The ASCII serialization of the origin (HTML §7.1.1): `https://example.com`,
    /// `http://localhost:8080`; what `clientDataJSON.origin` holds.
    public var serialized: String {
        scheme + "://" + host.serialized + (port.map { ":\($0)" } ?? "")
    }

    public var description: String { serialized }

    /// The effective domain (HTML §7.1.1.2) of a tuple origin: its host, serialized. The RP ID
    /// defaults to it (L3 §5.1.3).
    public var effectiveDomain: String { host.serialized }

    /// Secure Contexts §3.1 "Is origin potentially trustworthy?", for http and https only.
    public var isPotentiallyTrustworthy: Bool {
        if scheme == "https" { return true }
        switch host {
        case .domain(let name): return name == "localhost" || name.hasSuffix(".localhost")
        case .ipv4(let octets): return octets.first == 127
        case .ipv6(let bytes): return bytes == [UInt8](repeating: 0, count: 15) + [1]
        }
    }

    // MARK: - Parsing hosts

    /// Leading and trailing ASCII whitespace removed (URL Standard: C0 control or space).
    private static func trimmed(_ text: String) -> Substring.UnicodeScalarView {
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        var result = Substring(text).unicodeScalars
        while let first = result.first, isSpace(first) { result = result.dropFirst() }
        while let last = result.last, isSpace(last) { result = result.dropLast() }
        return result
    }

    private static func isASCIILetter(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
    private static func isASCIIDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }

    static func parseHost(_ text: String, origin: String) throws(WebAuthnClientError) -> Host {
        guard !text.isEmpty else { throw .syntax("origin \"\(origin)\" has no host") }
        if text.hasPrefix("[") {
            let inner = String(text.dropFirst().dropLast())
            guard text.hasSuffix("]"), let bytes = ipv6Bytes(inner) else {
                throw .syntax("origin \"\(origin)\": \(text) is not a valid IPv6 address")
            }
            return .ipv6(bytes)
        }
        guard !text.contains("%") else { throw .syntax("origin \"\(origin)\": percent-encoded hosts are not supported") }
        // URL Standard §3.5 host parser: "domain to ASCII" before anything looks at labels, so
        // fullwidth letters, ideographic full stops and uppercase become the host a browser sees.
        let ascii: String
        do { ascii = try IDNA.toASCII(text) } catch {
            throw .syntax("origin \"\(origin)\": host \(text) is not a valid domain name (\(error.message))")
        }
        let labels = ascii.split(separator: ".", omittingEmptySubsequences: false)
        if let last = labels.last, !last.isEmpty, last.allSatisfy({ $0.isASCII && $0.isNumber }) || last.hasPrefix("0x") {
            guard let octets = ipv4Bytes(labels) else { throw .syntax("origin \"\(origin)\": \(text) is not a valid IPv4 address") }
            return .ipv4(octets)
        }
        guard ascii.utf8.count <= 253 else { throw .syntax("origin \"\(origin)\": host is longer than 253 characters") }
        for label in labels {
            guard !label.isEmpty else { throw .syntax("origin \"\(origin)\": host \(text) has an empty label") }
            guard label.utf8.count <= 63 else { throw .syntax("origin \"\(origin)\": a label of \(text) is longer than 63 characters") }
            guard label.utf8.allSatisfy({ isHostByte($0) }) else {
                throw .syntax("origin \"\(origin)\": host \(text) has a character that is not a letter, digit, '-' or '_'")
            }
        }
        return .domain(ascii)
    }

    private static func isHostByte(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
            || b == UInt8(ascii: "-") || b == UInt8(ascii: "_")
    }

    /// Four decimal parts 0–255 without leading zeros. The URL parser also accepts `127.1`,
    /// octal and hex forms; refusing them keeps an origin's text and its meaning the same.
    private static func ipv4Bytes(_ labels: [Substring]) -> [UInt8]? {
        guard labels.count == 4 else { return nil }
        var out: [UInt8] = []
        for label in labels {
            guard !label.isEmpty, label.count <= 3, label.allSatisfy({ $0.isASCII && $0.isNumber }),
                  label == "0" || label.first != "0", let value = UInt8(label) else { return nil }
            out.append(value)
        }
        return out
    }

    private static func ipv6Bytes(_ text: String) -> [UInt8]? {
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }

    static func ipv6Text(_ bytes: [UInt8]) -> String {
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { raw in
            for (index, byte) in bytes.prefix(16).enumerated() { raw[index] = byte }
        }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { return "::" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
