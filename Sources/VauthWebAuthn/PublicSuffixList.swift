/// The Public Suffix List (https://publicsuffix.org), which tells a browser where a site's
/// registrable domain begins: `example.co.uk` is registrable, `co.uk` is not.
///
/// WebAuthn needs it because an RP may claim a suffix of its origin's host as its RP ID, but never
/// a public suffix (L3 §5.1.3, via HTML's "is a registrable domain suffix of or is equal
/// to"); otherwise `evil.github.io` could make credentials for every `*.github.io` site.
///
/// The algorithm is the list's own (https://github.com/publicsuffix/list/wiki/Format): normal
/// rules, `*` wildcard labels, `!` exception rules that prevail over all others, the longest
/// matching rule otherwise, and the implicit rule `*` when nothing matches. Rules of both the
/// ICANN and the PRIVATE section apply, as in browsers. Rules with non-ASCII labels are stored in
/// their `xn--` form, so they match hosts as a URL parser writes them.
public struct PublicSuffixList: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Where Debian's `publicsuffix` package installs the list.
    public static let debianPath = "/usr/share/publicsuffix/public_suffix_list.dat"
    /// The environment variable that overrides ``debianPath``.
    public static let environmentVariable = "VAUTH_PUBLIC_SUFFIX_LIST"

    /// Which part of the list a rule came from.
    public enum Section: Sendable {
        case icann
        case privateDomains
    }

    /// Normal and wildcard rules (`*.ck` kept with its `*`), ASCII, lowercase.
    private let rules: [String: Section]
    /// Exception rules without their `!`.
    private let exceptions: [String: Section]

    /// How many rules were read (normal, wildcard and exception).
    public var ruleCount: Int { rules.count + exceptions.count }

    /// A summary; never the ten thousand rules.
    public var description: String { "PublicSuffixList(\(ruleCount) rules)" }
    public var debugDescription: String { description }

    /// Parses the list's text format. `includePrivateDomains: false` keeps only the ICANN section.
    public init(bytes: [UInt8], includePrivateDomains: Bool = true) {
        var rules: [String: Section] = [:]
        var exceptions: [String: Section] = [:]
        rules.reserveCapacity(bytes.count / 16)
        var section = Section.icann
        var lineStart = 0
        let count = bytes.count
        while lineStart < count {
            var lineEnd = lineStart
            while lineEnd < count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
            // A line is read up to its first whitespace; "//" starts a comment line.
            var start = lineStart
            while start < lineEnd && (bytes[start] == 0x20 || bytes[start] == 0x09) { start += 1 }
            var end = start
            while end < lineEnd && bytes[end] != 0x20 && bytes[end] != 0x09 && bytes[end] != 0x0D { end += 1 }
            lineStart = lineEnd + 1
            guard end > start else { continue }
            if bytes[start] == UInt8(ascii: "/") && end > start + 1 && bytes[start + 1] == UInt8(ascii: "/") {
                if Self.contains(bytes[start..<lineEnd], "===BEGIN PRIVATE DOMAINS===") { section = .privateDomains }
                if Self.contains(bytes[start..<lineEnd], "===BEGIN ICANN DOMAINS===") { section = .icann }
                continue
            }
            if section == .privateDomains && !includePrivateDomains { continue }
            var token = bytes[start..<end]
            let isException = token.first == UInt8(ascii: "!")
            if isException { token = token.dropFirst() }
            var rule = String(decoding: token, as: UTF8.self)
            if !token.allSatisfy({ $0 < 0x80 }) {
                guard let ascii = Punycode.asciiDomain(rule) else { continue }
                rule = ascii
            } else if token.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) {
                rule = rule.lowercased()
            }
            if isException { exceptions[rule] = section } else { rules[rule] = section }
        }
        self.rules = rules
        self.exceptions = exceptions
    }

    public init(text: String, includePrivateDomains: Bool = true) {
        self.init(bytes: Array(text.utf8), includePrivateDomains: includePrivateDomains)
    }

    /// Reads the list from a file.
    public init(contentsOfFile path: String, includePrivateDomains: Bool = true) throws(WebAuthnClientError) {
        let bytes: [UInt8]
        do { bytes = try FileReading.contents(of: path) } catch {
            throw .unknown("public suffix list: \(error.message) (install Debian's publicsuffix package or set \(Self.environmentVariable))")
        }
        self.init(bytes: bytes, includePrivateDomains: includePrivateDomains)
        guard ruleCount > 0 else { throw .unknown("public suffix list \(path) has no rules") }
    }

    /// `$VAUTH_PUBLIC_SUFFIX_LIST`, or Debian's path.
    public static var defaultPath: String {
        FileReading.environment(environmentVariable) ?? debianPath
    }

    /// The list at ``defaultPath``, read on first use and kept for the life of the process (the
    /// environment variable is consulted then, once).
    public static func system() throws(WebAuthnClientError) -> PublicSuffixList {
        try systemList.get()
    }

    private static let systemList = Result { () throws(WebAuthnClientError) -> PublicSuffixList in
        try PublicSuffixList(contentsOfFile: defaultPath)
    }

    // MARK: - Queries

    /// The public suffix of `domain` (lowercased, labels in ASCII form), by the prevailing rule;
    /// `nil` when `domain` is not a dotted name (empty, or with an empty label).
    public func publicSuffix(of domain: String) -> String? {
        guard let (name, starts) = Self.labels(of: domain) else { return nil }
        let count = suffixLabelCount(name, starts)
        return String(name[starts[starts.count - count]...])
    }

    /// Whether `domain` is itself a public suffix (`com`, `co.uk`, `github.io`, any unlisted TLD).
    public func isPublicSuffix(_ domain: String) -> Bool {
        guard let (name, starts) = Self.labels(of: domain) else { return false }
        return suffixLabelCount(name, starts) == starts.count
    }

    /// The public suffix plus one label (`example.co.uk` for `www.example.co.uk`); `nil` when
    /// `domain` is a public suffix or not a dotted name.
    public func registrableDomain(of domain: String) -> String? {
        guard let (name, starts) = Self.labels(of: domain) else { return nil }
        let count = suffixLabelCount(name, starts)
        guard count < starts.count else { return nil }
        return String(name[starts[starts.count - count - 1]...])
    }

    /// The number of labels of the public suffix, by the prevailing rule.
    private func suffixLabelCount(_ name: String, _ starts: [String.Index]) -> Int {
        let n = starts.count
        func suffix(_ i: Int) -> String { String(name[starts[i]...]) }
        // An exception rule prevails; the suffix is the rule without its leftmost label.
        for i in 0..<n where exceptions[suffix(i)] != nil { return n - i - 1 }
        // Otherwise the longest matching rule: normal, or a wildcard matching label i.
        for i in 0..<n {
            if rules[suffix(i)] != nil { return n - i }
            if i + 1 < n, rules["*." + suffix(i + 1)] != nil { return n - i }
        }
        // The implicit rule "*".
        return 1
    }

    /// The ASCII form of `domain` and the start of each label in it.
    private static func labels(of domain: String) -> (String, [String.Index])? {
        guard !domain.isEmpty, let name = Punycode.asciiDomain(domain) else { return nil }
        var starts = [name.startIndex]
        var index = name.startIndex
        while index < name.endIndex {
            if name[index] == "." {
                let next = name.index(after: index)
                guard next < name.endIndex, name[next] != "." else { return nil }
                starts.append(next)
            }
            index = name.index(after: index)
        }
        guard name.first != "." else { return nil }
        return (name, starts)
    }

    private static func contains(_ haystack: ArraySlice<UInt8>, _ needle: String) -> Bool {
        let pattern = Array(needle.utf8)
        guard haystack.count >= pattern.count else { return false }
        var i = haystack.startIndex
        while i + pattern.count <= haystack.endIndex {
            if haystack[i..<i + pattern.count].elementsEqual(pattern) { return true }
            i += 1
        }
        return false
    }
}
