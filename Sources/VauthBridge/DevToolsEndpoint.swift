import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import VauthWebAuthn

/// The DevTools address a browser opened with `--remote-debugging-port`, and the browser-level
/// WebSocket behind it.
public struct DevToolsEndpoint: Sendable {
    /// `http://host:port` as given.
    public let httpURL: URL
    /// `webSocketDebuggerUrl` from `GET /json/version`.
    public let webSocketURL: URL
    /// The browser's own name for itself (`Browser`, e.g. "Chrome/156.0.7540.0").
    public let browser: String

    /// Checks `text` is `http://host:port` (the form `--remote-debugging-port` serves).
    public static func parseAddress(_ text: String) throws(BridgeError) -> URL {
        guard let url = URL(string: text), url.scheme == "http", let host = url.host, !host.isEmpty, url.port != nil else {
            throw .badEndpoint("--cdp needs the browser's DevTools address as http://host:port, not \"\(text)\"")
        }
        return url
    }

    /// Asks the browser at `address` for its WebSocket (`GET /json/version`).
    public static func discover(_ address: URL) async throws -> DevToolsEndpoint {
        let versionURL = address.appendingPathComponent("json/version")
        var request = URLRequest(url: versionURL, timeoutInterval: 10)
        request.httpMethod = "GET"
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw BridgeError.unreachable("cannot reach the DevTools endpoint \(address.absoluteString): \(error.localizedDescription) (is the browser running with --remote-debugging-port?)")
        }
        guard let http = response as? HTTPURLResponse, http.statusCode == 200,
              let document = try? JSONParser.parse([UInt8](data)),
              let socket = document["webSocketDebuggerUrl"]?.stringValue, let socketURL = URL(string: socket),
              socketURL.scheme == "ws", socketURL.host != nil else {
            throw BridgeError.unreachable("\(versionURL.absoluteString) is not a DevTools endpoint (no webSocketDebuggerUrl in its answer)")
        }
        return DevToolsEndpoint(httpURL: address, webSocketURL: socketURL, browser: document["Browser"]?.stringValue ?? "unknown browser")
    }
}
