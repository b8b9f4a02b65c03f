import Foundation
import VauthWebAuthn

/// Where a service's API lives: its base URL, checked once, and the origin every call and every
/// followed redirect must stay on.
///
/// The rules are the browser's, applied to the API instead of the page:
/// - `https`, or plain `http` only to a host that is potentially trustworthy (Secure Contexts
///   §3.1: `localhost`, `*.localhost`, 127.0.0.0/8, `[::1]`), decided by the same code that
///   decides it for WebAuthn origins (``Origin``). Anything else would send the API key or bearer
///   token in clear text, so it needs `allowInsecureHTTP` (the CLI's `--allow-insecure-http`).
/// - No user information, query or fragment: credentials go in headers, and a query would be
///   silently dropped by every path appended to it.
public struct ServiceEndpoint: Sendable, CustomStringConvertible {
    /// The base URL, without a trailing `/`.
    public let baseURL: URL
    /// `scheme://host[:port]` of the base URL, lowercased, the default port left out: the one
    /// origin credentials are ever sent to.
    public let origin: String

    public var description: String { baseURL.absoluteString }

    /// Why a base URL is refused; `what` names the flag or variable it came from.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public init(_ text: String, what: String, allowInsecureHTTP: Bool = false) throws(Refusal) {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = url.host, !host.isEmpty else {
            throw Refusal(description: "\(what) is not an http(s) URL: \(text)")
        }
        guard url.user == nil, url.password == nil, url.query == nil, url.fragment == nil else {
            throw Refusal(description: "\(what) must be scheme://host[:port][/path], without user information, query or fragment: \(text)")
        }
        guard let origin = Self.origin(of: url) else { throw Refusal(description: "\(what) is not an http(s) URL: \(text)") }
        if scheme == "http", !allowInsecureHTTP, !Self.isLoopback(origin) {
            throw Refusal(description: "\(what) \(text) is plain http to a host other than localhost: the API key or token would "
                          + "cross the network in clear text; use https, or --allow-insecure-http if you mean it")
        }
        var base = url.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = URL(string: base)!
        self.origin = origin
    }

    /// The URL of an API path under the base URL (`auth/login`, `/register/begin`).
    public func url(_ path: String) -> URL {
        baseURL.appendingPathComponent(path.hasPrefix("/") ? String(path.dropFirst()) : path)
    }

    /// True when `url` is on this endpoint's origin: same scheme, host and port (HTML §7.1.1's
    /// "same origin" for tuple origins).
    public func isSameOrigin(_ url: URL) -> Bool {
        Self.origin(of: url) == origin
    }

    /// `scheme://host[:port]` with the scheme and host lowercased and the scheme's default port
    /// omitted, or nil for a URL that is not http(s) with a host.
    static func origin(of url: URL) -> String? {
        guard let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), var host = url.host?.lowercased(),
              !host.isEmpty else { return nil }
        if host.contains(":"), !host.hasPrefix("[") { host = "[" + host + "]" }
        let defaultPort = scheme == "https" ? 443 : 80
        let port = url.port.flatMap { $0 == defaultPort ? nil : $0 }
        return scheme + "://" + host + (port.map { ":\($0)" } ?? "")
    }

    /// Secure Contexts' "potentially trustworthy" for an http origin: ``Origin`` accepts plain
    /// http exactly for those hosts, so one rule decides both.
    static func isLoopback(_ origin: String) -> Bool {
        (try? Origin(origin)) != nil
    }
}
