import CLibIDN2

/// Domain names to their ASCII form the way a browser's URL parser does it: Unicode TS #46
/// processing (mapping, normalization, non-transitional, so `ß` stays `ß` and becomes `xn--zca`),
/// then IDNA2008 validity checks (punycode that decodes, bidi and joiner rules), through libidn2's
/// `idn2_to_ascii_8z` (URL Standard §3.5 "domain to ASCII").
///
/// This is what makes `ｅｘａｍｐｌｅ.com` (fullwidth) and `example。com` (ideographic full stop)
/// the same host as `example.com`, and refuses `xn--zz.com`, whose label is not valid punycode.
///
/// libidn2 is stricter than the URL Standard in a few places (it applies CheckHyphens, so `aa--`
/// and `-x` are refused) and, in 2.3.3, removes U+200C/U+200D where UTS #46 15.1 keeps them; both
/// only make it refuse or shorten names that WebAuthn RPs do not use. The tests list each case.
public enum IDNA {
    /// Why a name has no ASCII form: libidn2's own message and code.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let code: Int32
        public let message: String
        public var description: String { message }
    }

    /// `domain` in lowercase ASCII with `xn--` labels, or the reason it is not a domain name.
    /// An empty label (`a..b`, a trailing dot) passes through unchanged; callers that need DNS
    /// names check labels themselves.
    public static func toASCII(_ domain: String) throws(Failure) -> String {
        guard !domain.utf8.contains(0) else { throw Failure(code: -1, message: "contains a NUL character") }
        var output: UnsafeMutablePointer<CChar>?
        // libidn2 mallocs the result; it is ours to free with idn2_free whatever happens next.
        let status = idn2_to_ascii_8z(domain, &output, Int32(IDN2_NONTRANSITIONAL.rawValue))
        defer { idn2_free(output) }
        guard status == Int32(IDN2_OK.rawValue), let output else {
            throw Failure(code: status, message: String(cString: idn2_strerror(status)))
        }
        return String(cString: output)
    }
}
