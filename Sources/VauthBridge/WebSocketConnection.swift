import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A WebSocket client connection (RFC 6455) carrying text messages, built on SwiftNIO's
/// `NIOWebSocket`: NIO does the HTTP/1.1 upgrade, framing and masking; this type only joins
/// fragmented messages, answers pings and hands whole text messages out.
///
/// The handshake carries no `Origin` header: Chromium refuses a DevTools connection that has one
/// unless it was started with `--remote-allow-origins`, and Firefox's WebDriver BiDi refuses any
/// (docs/bridge.md).
final class WebSocketConnection: Sendable {
    private let channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>
    private let outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>
    /// Whole text messages as they arrive; finishes when the peer closes or the connection breaks.
    let messages: AsyncThrowingStream<String, any Error>
    private let reader: Task<Void, Never>

    private enum UpgradeResult: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
        case refused(HTTPResponseStatus?)
    }

    /// Protocol messages are JSON documents of up to a few megabytes (a page's frame tree, a
    /// large evaluate result); NIO's default limit of 16 KiB per frame is far too small.
    static let maxFrameSize = 64 << 20

    private init(channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>,
                 inbound: NIOAsyncChannelInboundStream<WebSocketFrame>) {
        self.channel = channel
        self.outbound = outbound
        let (stream, continuation) = AsyncThrowingStream<String, any Error>.makeStream()
        messages = stream
        reader = Task {
            var message = ByteBuffer()
            var collecting = false
            do {
                for try await frame in inbound {
                    switch frame.opcode {
                    case .text, .binary, .continuation:
                        if frame.opcode != .continuation { message.clear(); collecting = true }
                        guard collecting else { continue }
                        var data = frame.unmaskedData
                        message.writeBuffer(&data)
                        if frame.fin {
                            collecting = false
                            continuation.yield(String(buffer: message))
                        }
                    case .ping:
                        // RFC 6455 §5.5.2: answer with a pong carrying the same data.
                        try await outbound.write(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData))
                    case .connectionClose:
                        continuation.finish()
                        return
                    default:
                        break
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
    }

    /// Connects to `ws://host:port/path`, completes the upgrade and runs `body` with the
    /// connection; the connection is closed when `body` returns or throws.
    static func withConnection<Result: Sendable>(host: String, port: Int, path: String,
                                                 _ body: @Sendable (WebSocketConnection) async throws -> Result) async throws -> Result {
        let upgradeResult: EventLoopFuture<UpgradeResult> = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOTypedWebSocketClientUpgrader<UpgradeResult>(maxFrameSize: maxFrameSize) { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            .websocket(try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(wrappingChannelSynchronously: channel))
                        }
                    }
                    var headers = HTTPHeaders()
                    // Chromium accepts only an IP address or "localhost" as Host (DNS rebinding defence).
                    headers.add(name: "Host", value: "\(host):\(port)")
                    let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration(
                        upgradeRequestHead: head, upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in channel.eventLoop.makeCompletedFuture { .refused(nil) } })
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                        configuration: .init(upgradeConfiguration: configuration))
                }
            }
        switch try await upgradeResult.get() {
        case .websocket(let channel):
            return try await channel.executeThenClose { inbound, outbound in
                let connection = WebSocketConnection(channel: channel, outbound: outbound, inbound: inbound)
                defer { connection.reader.cancel() }
                return try await body(connection)
            }
        case .refused:
            throw BridgeError.unreachable("the browser endpoint ws://\(host):\(port)\(path) refused the WebSocket upgrade (for --bidi: is it the webSocketUrl of a WebDriver session?)")
        }
    }

    /// Sends one text message in one frame (masked, as RFC 6455 §5.3 requires of a client).
    func send(_ text: String) async throws {
        try await outbound.write(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: text)))
    }

    /// Sends a close frame (RFC 6455 §5.5.1, status 1000) and closes the connection.
    func close() async {
        var status = ByteBuffer()
        status.write(webSocketErrorCode: .normalClosure)
        try? await outbound.write(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: status))
        outbound.finish()
        try? await channel.channel.close()
    }
}
