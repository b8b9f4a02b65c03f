/// Decides which RP ID a ceremony uses: WebAuthn L3 §5.1.3 (create) and §5.1.4.1
/// steps 5–6 (get), with HTML's "is a registrable domain suffix of or is equal to" (HTML §7.1.1.1).
///
/// - No rpId: the origin's effective domain (its host).
/// - An rpId equal to the host is always allowed (also for `localhost` and for a host that is
///   itself a public suffix, as in HTML and Chromium).
/// - Otherwise the host must end with `"." + rpId`, and rpId must not be the host's public suffix
///   nor lie inside it: `example.co.uk` may be claimed from `login.example.co.uk`, `co.uk` may not;
///   `github.io` may not be claimed from `alice.github.io`.
/// - An IP-address host is refused: the effective domain must be a valid domain (L3 §5.1.3
///   step 7, §5.1.4.1 step 6), which an address is not. Chromium refuses them too; use
///   `http://localhost` for local testing.
/// - A given rpId must already be in canonical form (lowercase ASCII, `xn--` labels for IDNs),
///   because it is hashed as given into authenticator data: accepting `Example.com` would hash
///   bytes the RP does not expect.
///
/// The Public Suffix List is read only when an rpId differs from the host.
public struct RPIDValidator: Sendable {
    private let list: PublicSuffixList?

    /// `publicSuffixList: nil` uses ``PublicSuffixList/system()`` when needed.
    public init(publicSuffixList: PublicSuffixList? = nil) {
        self.list = publicSuffixList
    }

    /// The RP ID to use for `origin`, or a `SecurityError` naming both.
    public func rpId(_ requested: String?, for origin: Origin) throws(WebAuthnClientError) -> String {
        let host = origin.effectiveDomain
        guard case .domain = origin.host else {
            throw .security("origin \(origin) is an IP address, not a valid domain, so it has no RP ID (use http://localhost for local testing)")
        }
        guard let rpId = requested else { return host }
        if rpId == host { return rpId }
        guard Self.isCanonicalDomain(rpId) else {
            throw .security("rpId \"\(rpId)\" is not a valid domain for origin \(origin) (expected lowercase ASCII, xn-- labels for IDNs)")
        }
        guard host.hasSuffix("." + rpId) else {
            throw .security("rpId \"\(rpId)\" is neither equal to nor a registrable domain suffix of the host of origin \(origin)")
        }
        let list: PublicSuffixList
        if let given = self.list { list = given } else { list = try PublicSuffixList.system() }
        let hostSuffix = list.publicSuffix(of: host) ?? host
        if rpId == hostSuffix || hostSuffix.hasSuffix("." + rpId) || list.isPublicSuffix(rpId) {
            throw .security("rpId \"\(rpId)\" is a public suffix and cannot be claimed by origin \(origin)")
        }
        return rpId
    }

    /// Lowercase LDH labels (plus `_`), none empty, at most 63 bytes each and 253 in all.
    static func isCanonicalDomain(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        for label in name.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard !label.isEmpty, label.count <= 63 else { return false }
            for b in label {
                let ok = (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
                    || b == UInt8(ascii: "-") || b == UInt8(ascii: "_")
                guard ok else { return false }
            }
        }
        return true
    }
}
