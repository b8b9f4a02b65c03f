#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a socket operation failed: the call and errno's text.
public struct TransportError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    static func posix(_ call: String, _ code: Int32 = errno) -> TransportError {
        TransportError("\(call): \(String(cString: strerror(code)))")
    }
}

/// The address a datagram came from, where its replies go.
public struct UDPPeer: Sendable, CustomStringConvertible {
    var storage: sockaddr_storage
    var length: socklen_t

    public var description: String {
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST)), service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        var copy = storage
        let status = withUnsafePointer(to: &copy) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, length, &host, socklen_t(host.count), &service, socklen_t(service.count), NI_NUMERICHOST | NI_NUMERICSERV)
            }
        }
        guard status == 0 else { return "?" }
        func text(_ chars: [CChar]) -> String { String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        let hostText = text(host), portText = text(service)
        return hostText.contains(":") ? "[\(hostText)]:\(portText)" : "\(hostText):\(portText)"
    }
}

/// A bound UDP socket that owns its descriptor (closed when the object goes).
public final class UDPSocket {
    public let descriptor: Int32
    /// The address actually bound (port 0 becomes the port the system chose).
    public private(set) var localAddress: UDPPeer

    /// Binds `host:port`. `host` is a numeric IPv4/IPv6 address or a name getaddrinfo knows.
    public init(host: String, port: UInt16) throws(TransportError) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        #else
        hints.ai_socktype = SOCK_DGRAM
        #endif
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw TransportError("cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard fd >= 0 else { throw .posix("socket") }
        guard bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            let error = TransportError.posix("bind \(host):\(port)")
            close(fd)
            throw error
        }
        descriptor = fd
        var storage = sockaddr_storage(), length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        localAddress = UDPPeer(storage: storage, length: length)
    }

    deinit { close(descriptor) }

    /// The next datagram (at most `capacity` bytes kept) and its sender; nil when none is waiting.
    public func receive(capacity: Int = 2048) throws(TransportError) -> (bytes: [UInt8], peer: UDPPeer)? {
        var buffer = [UInt8](repeating: 0, count: capacity)
        var storage = sockaddr_storage(), length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let count = buffer.withUnsafeMutableBytes { raw in
            withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    recvfrom(descriptor, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT), $0, &length)
                }
            }
        }
        if count < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return nil }
            throw .posix("recvfrom")
        }
        return (Array(buffer.prefix(count)), UDPPeer(storage: storage, length: length))
    }

    /// Sends one datagram; a failure (the peer went away) is reported, not fatal.
    @discardableResult
    public func send(_ bytes: [UInt8], to peer: UDPPeer) -> Bool {
        var storage = peer.storage
        let sent = bytes.withUnsafeBytes { raw in
            withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(descriptor, raw.baseAddress, raw.count, 0, $0, peer.length) }
            }
        }
        return sent == bytes.count
    }
}

/// A pipe that wakes a poll(2) loop from another thread or a signal handler.
public final class WakePipe: @unchecked Sendable {
    public let readEnd: Int32
    public let writeEnd: Int32

    public init() throws(TransportError) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw .posix("pipe") }
        readEnd = fds[0]
        writeEnd = fds[1]
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    /// Async-signal-safe: one write(2).
    public func wake() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Empties the pipe after poll said it is readable.
    public func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(readEnd, &buffer, buffer.count) > 0 {}
    }
}
