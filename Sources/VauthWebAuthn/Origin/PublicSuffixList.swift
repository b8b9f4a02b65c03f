import CLibPSL
#if canImport(Glibc)
import Glibc
#endif

/// The Public Suffix List (https://publicsuffix.org), which tells a browser where a site's
/// registrable domain begins: `example.co.uk` is registrable, `co.uk` is not. Backed by libpsl.
///
/// WebAuthn needs it because an RP may claim a suffix of its origin's host as its RP ID, but never
/// a public suffix (L3 §5.1.3, via HTML §7.1.1.1 "is a registrable domain suffix of or is equal
/// to"); otherwise `evil.github.io` could make credentials for every `*.github.io` site.
///
/// Rules of the ICANN and PRIVATE sections both apply and the implicit `*` rule is on (an unlisted
/// TLD is a public suffix), as in browsers. Queries go through ``IDNA`` first, so Unicode and
/// `xn--` spellings of a name give the same answer.
///
/// The type owns one libpsl context (`psl_ctx_t`), freed with the last reference. libpsl never
/// changes a context after loading it and its queries only read it, so one list may be shared
/// between threads.
public final class PublicSuffixList: @unchecked Sendable, CustomStringConvertible {
    /// Where Debian's `publicsuffix` package installs the list (libpsl's "builtin" file there).
    public static let debianPath = "/usr/share/publicsuffix/public_suffix_list.dat"
    /// The environment variable naming a list file (text or DAFSA) to use instead.
    public static let environmentVariable = "VAUTH_PUBLIC_SUFFIX_LIST"

    private let context: OpaquePointer
    /// Where the rules came from, for messages.
    public let source: String

    public var description: String { "PublicSuffixList(\(source))" }

    private init(context: OpaquePointer, source: String) {
        self.context = context
        self.source = source
    }

    deinit { psl_free(context) }

    /// Reads a list file: the text format of publicsuffix.org, or libpsl's DAFSA form.
    public convenience init(contentsOfFile path: String) throws(WebAuthnClientError) {
        guard let context = psl_load_file(path) else {
            throw .unknown("public suffix list \(path) cannot be read (install Debian's publicsuffix package or set \(Self.environmentVariable))")
        }
        self.init(context: context, source: path)
    }

    /// Parses rules given as text (tests and small private lists).
    public convenience init(text: String) throws(WebAuthnClientError) {
        var bytes = Array(text.utf8)
        let context: OpaquePointer? = bytes.withUnsafeMutableBytes { raw -> OpaquePointer? in
            guard let base = raw.baseAddress, let stream = fmemopen(base, raw.count, "r") else { return nil }
            defer { fclose(stream) }
            return psl_load_fp(stream)
        }
        guard let context else { throw .unknown("public suffix list text cannot be parsed") }
        self.init(context: context, source: "text")
    }

    /// `$VAUTH_PUBLIC_SUFFIX_LIST` if set, else the newest of the lists libpsl knows about
    /// (`psl_latest`: Debian's `public_suffix_list.dafsa` / `.dat`).
    public static var defaultPath: String? { FileReading.environment(environmentVariable) }

    /// The system list, read on first use and kept for the life of the process (the environment
    /// variable is consulted then, once).
    public static func system() throws(WebAuthnClientError) -> PublicSuffixList {
        try systemList.get()
    }

    private static let systemList = Result { () throws(WebAuthnClientError) -> PublicSuffixList in
        if let path = defaultPath { return try PublicSuffixList(contentsOfFile: path) }
        guard let context = psl_latest(nil) else {
            throw .unknown("no public suffix list found (install Debian's publicsuffix package or set \(environmentVariable))")
        }
        return PublicSuffixList(context: context, source: psl_dist_filename().map { String(cString: $0) } ?? debianPath)
    }

    // MARK: - Queries

    /// Whether `domain` is itself a public suffix (`com`, `co.uk`, `github.io`, any unlisted TLD).
    /// A name that is not a domain (empty label, no ASCII form) is not.
    public func isPublicSuffix(_ domain: String) -> Bool {
        guard let name = Self.asciiName(domain) else { return false }
        return psl_is_public_suffix2(context, name, PSL_TYPE_ANY) != 0
    }

    /// The public suffix plus one label (`example.co.uk` for `www.example.co.uk`), in ASCII form;
    /// `nil` when `domain` is a public suffix or not a domain.
    public func registrableDomain(of domain: String) -> String? {
        guard let name = Self.asciiName(domain) else { return nil }
        return name.withCString { pointer in
            // psl_registrable_domain points into the string it was given (or is NULL).
            psl_registrable_domain(context, pointer).map { String(cString: $0) }
        }
    }

    /// The longest public suffix of `domain` by the prevailing rule (`co.uk` for
    /// `www.example.co.uk`, `domain` itself when it is one); `nil` when `domain` is not a domain.
    public func publicSuffix(of domain: String) -> String? {
        guard let name = Self.asciiName(domain) else { return nil }
        return name.withCString { pointer in
            psl_unregistrable_domain(context, pointer).map { String(cString: $0) }
        }
    }

    /// `domain` through ``IDNA`` with every label non-empty; `nil` otherwise.
    private static func asciiName(_ domain: String) -> String? {
        guard let name = try? IDNA.toASCII(domain), !name.isEmpty,
              !name.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).contains(where: \.isEmpty)
        else { return nil }
        return name
    }
}
