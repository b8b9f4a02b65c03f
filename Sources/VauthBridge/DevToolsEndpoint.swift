import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
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
        let (status, body): (UInt, [UInt8])
        do {
            (status, body) = try await httpGet(host: address.host ?? "", port: address.port ?? 80, path: "/json/version")
        } catch {
            throw BridgeError.unreachable("cannot reach the DevTools endpoint \(address.absoluteString): \(error) (is the browser running with --remote-debugging-port?)")
        }
        guard status == 200, let document = try? JSONParser.parse(body),
              let socket = document["webSocketDebuggerUrl"]?.stringValue, let socketURL = URL(string: socket),
              socketURL.scheme == "ws", socketURL.host != nil else {
            throw BridgeError.unreachable("\(versionURL.absoluteString) is not a DevTools endpoint (HTTP \(status), no webSocketDebuggerUrl in its answer)")
        }
        return DevToolsEndpoint(httpURL: address, webSocketURL: socketURL, browser: document["Browser"]?.stringValue ?? "unknown browser")
    }

    /// One HTTP/1.1 GET with NIO's HTTP codec (Foundation's URLSession goes through libcurl, which
    /// fails on DevTools' answers here). Returns the status and the body.
    static func httpGet(host: String, port: Int, path: String) async throws -> (UInt, [UInt8]) {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var headers = HTTPHeaders()
            headers.add(name: "Host", value: "\(host):\(port)")
            headers.add(name: "Connection", value: "close")
            try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)))
            try await outbound.write(.end(nil))
            var status: UInt = 0
            var body: [UInt8] = []
            for try await part in inbound {
                switch part {
                case .head(let head): status = head.status.code
                case .body(let buffer): body += buffer.readableBytesView
                case .end: return (status, body)
                }
            }
            return (status, body)
        }
    }
}
