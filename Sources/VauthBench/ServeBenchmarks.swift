import VauthAuthenticator
import VauthCBOR
import VauthCrypto

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `vauth serve` over UDP as a CTAP client drives it: CTAPHID reports (CTAP 2.2 §11.2) in
/// datagrams to a running `vauth serve --udp 127.0.0.1:0`, one getAssertion after another from
/// one client, each answered before the next is sent, in the same slices as OpenSSL's sign loop
/// in this process. The serve process gets its own core when one is free; the ratio says how
/// close a served assertion comes to a bare signature.
///
/// - **warm**: one channel, one credential (its key cached by serve's authenticator);
/// - **cold**: a new channel (INIT) for every request and a different credential each time,
///   rotating over more credentials than the key cache holds, so each key is loaded again.
///
/// Latency percentiles are of the warm requests.
struct ServeBenchmarks {
    let executable: String
    let keystore: BenchKeystore
    let scratch: ScratchDirectory
    let rounds: Int
    let slice: Double
    /// Credentials of `bench.example` the cold requests rotate over (beyond the key cache's 1024).
    let coldCredentials: [[UInt8]]

    func measure() throws -> MeasurementGroup {
        let server = try ServeProcess(executable: executable, environment: keystore.environment, log: scratch.file("serve.log"))
        defer { server.stop() }
        let probe = MachineLoad.Probe(helpers: [server.pid])
        let limit = try OpenSSLSignLoop(typeName: "EC")
        let client = try CTAPHIDClient(port: server.port)
        let channel = try client.initChannel()
        func message(_ id: [UInt8]) -> [UInt8] {
            [CTAPCommand.getAssertion.rawValue] + GetAssertionRequest(
                rpId: "bench.example", clientDataHash: SHA256.hash(Array("bench".utf8)), allowList: [CredentialDescriptor(id: id)]).cborValue.encoded
        }
        let warmMessage = message(keystore.target)
        let coldMessages = coldCredentials.map(message)
        var next = 0
        var latencies: [Double] = []
        let operations = [
            Measure.Operation(wallClock: "opensslSign") { try limit.sign() },
            Measure.Operation(wallClock: "serveWarm") {
                let start = Measure.now()
                try Self.expectOK(try client.cbor(warmMessage, channel: channel))
                latencies.append((Measure.now() - start) * 1000)
            },
            Measure.Operation(wallClock: "serveCold") {
                let fresh = try client.initChannel()
                try Self.expectOK(try client.cbor(coldMessages[next % coldMessages.count], channel: fresh))
                next += 1
            },
        ]
        let rates = try Measure.slices(operations, rounds: rounds, slice: slice)
        var group = MeasurementGroup(name: "serve", operations: operations, rates: rates)
        group.ratio("serveWarm", over: "opensslSign")
        group.ratio("serveCold", over: "opensslSign")
        latencies.sort()
        if !latencies.isEmpty {
            func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
            group.add("warmP50Ms", .milliseconds, Statistic([percentile(0.5)]))
            group.add("warmP99Ms", .milliseconds, Statistic([percentile(0.99)]))
        }
        group.notes.append("one client, one request in flight; keystore of \(keystore.count) credentials under \(ScratchDirectory.parent(of: keystore.path)); cold rotates over \(coldCredentials.count) credentials")
        group.load = probe.finish()
        return group
    }

    static func expectOK(_ reply: [UInt8]) throws {
        guard reply.first == CTAPStatus.ok.rawValue else { throw BenchmarkError("serve answered CTAP status 0x\(String(reply.first ?? 0xff, radix: 16))") }
    }
}

/// A `vauth serve --udp 127.0.0.1:0` child, its port read from its log (stderr).
final class ServeProcess {
    let pid: pid_t
    let port: UInt16

    init(executable: String, environment: [String: String], log: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let arguments: [String] = [executable, "serve", "--udp", "127.0.0.1:0"]
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard spawned == 0 else { throw BenchmarkError("posix_spawn \(executable) serve: \(String(cString: strerror(spawned)))") }
        pid = child
        // The port is in the first line ("serve: listening on udp 127.0.0.1:PORT …"); 30 s at most.
        let deadline = Measure.now() + 30
        var found: UInt16?
        while found == nil, Measure.now() < deadline {
            if let text = BenchmarkReport.readText(log), let line = text.split(separator: "\n").first(where: { $0.contains("listening on udp ") }),
               let address = line.split(separator: " ").drop(while: { $0 != "udp" }).dropFirst().first {
                if let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) { found = port }
            }
            var status: Int32 = 0
            if waitpid(child, &status, WNOHANG) == child {
                throw BenchmarkError("vauth serve exited: \(BenchmarkReport.readText(log) ?? "")")
            }
            if found == nil { usleep(10_000) }
        }
        guard let found else {
            kill(child, SIGKILL)
            var status: Int32 = 0
            waitpid(child, &status, 0)
            throw BenchmarkError("vauth serve did not say its port within 30 s")
        }
        port = found
    }

    /// SIGTERM (serve stops after the command in progress), then reaps it; SIGKILL after 10 s.
    func stop() {
        kill(pid, SIGTERM)
        let deadline = Measure.now() + 10
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            guard Measure.now() < deadline else {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                return
            }
            usleep(5_000)
        }
    }
}

/// The client half of CTAPHID over UDP: 64-byte reports as datagrams (CTAP 2.2 §11.2.4), INIT to
/// get a channel, CBOR messages split into an initialization packet and continuation packets,
/// KEEPALIVE skipped while waiting. Every wait has a 5-second timeout.
final class CTAPHIDClient {
    private let socket: Int32
    static let report = 64

    init(port: UInt16) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard socket >= 0 else { throw BenchmarkError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw BenchmarkError("connect: \(String(cString: strerror(errno)))") }
    }

    deinit { close(socket) }

    /// A new channel id from INIT on the broadcast channel.
    func initChannel() throws -> UInt32 {
        let nonce = try SecureRandom.bytes(8)
        let reply = try transact(channel: 0xFFFF_FFFF, command: 0x06, payload: nonce)
        guard reply.count >= 12, Array(reply[0..<8]) == nonce else { throw BenchmarkError("INIT: unexpected reply") }
        return UInt32(reply[8]) << 24 | UInt32(reply[9]) << 16 | UInt32(reply[10]) << 8 | UInt32(reply[11])
    }

    /// A CTAPHID_CBOR message (command byte ‖ CBOR) and its answer (status ‖ CBOR).
    func cbor(_ message: [UInt8], channel: UInt32) throws -> [UInt8] {
        try transact(channel: channel, command: 0x10, payload: message)
    }

    private func transact(channel: UInt32, command: UInt8, payload: [UInt8]) throws -> [UInt8] {
        let cid: [UInt8] = [UInt8(channel >> 24), UInt8(truncatingIfNeeded: channel >> 16), UInt8(truncatingIfNeeded: channel >> 8),
                            UInt8(truncatingIfNeeded: channel)]
        var packet = cid + [0x80 | command, UInt8(payload.count >> 8), UInt8(truncatingIfNeeded: payload.count)]
        var offset = min(payload.count, Self.report - 7)
        packet += payload[0..<offset]
        try send(packet)
        var sequence: UInt8 = 0
        while offset < payload.count {
            let end = min(payload.count, offset + Self.report - 5)
            try send(cid + [sequence] + payload[offset..<end])
            offset = end
            sequence += 1
        }
        // The answer: an initialization packet of this channel and command (KEEPALIVE skipped).
        var first: [UInt8]
        repeat { first = try receive() } while Array(first[0..<4]) != cid || first[4] == 0xBB
        if first[4] == 0xBF { throw BenchmarkError("CTAPHID ERROR 0x\(String(first[7], radix: 16))") }
        guard first[4] == 0x80 | command else { throw BenchmarkError("CTAPHID: unexpected command 0x\(String(first[4], radix: 16))") }
        let length = Int(first[5]) << 8 | Int(first[6])
        var answer = Array(first[7..<min(Self.report, 7 + length)])
        while answer.count < length {
            let next = try receive()
            guard Array(next[0..<4]) == cid, next[4] < 0x80 else { continue }
            answer += next[5..<min(Self.report, 5 + length - answer.count)]
        }
        return answer
    }

    private func send(_ packet: [UInt8]) throws {
        var report = packet
        report += [UInt8](repeating: 0, count: Self.report - packet.count)
        guard report.withUnsafeBytes({ Glibc.send(socket, $0.baseAddress, $0.count, 0) }) == Self.report else {
            throw BenchmarkError("send: \(String(cString: strerror(errno)))")
        }
    }

    private func receive() throws -> [UInt8] {
        var poller = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, 5_000) == 1 else { throw BenchmarkError("vauth serve did not answer within 5 s") }
        var buffer = [UInt8](repeating: 0, count: 2048)
        let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        guard count >= 7 else { throw BenchmarkError("recv: \(count < 0 ? String(cString: strerror(errno)) : "a short datagram")") }
        return Array(buffer[0..<min(count, Self.report)])
    }
}
