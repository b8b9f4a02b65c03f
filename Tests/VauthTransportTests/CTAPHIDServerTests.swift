#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Testing
import VauthAuthenticator
import VauthCBOR
import VauthCrypto
import VauthTransport

/// The UDP server end to end in process: a real socket on a free port, reports in and out.
final class ServerHarness: @unchecked Sendable {
    let server: CTAPHIDServer<UDPSocket>
    let client: UDPSocket
    let serverAddress: UDPPeer
    let finished = DispatchSemaphore(value: 0)

    init(_ authenticator: Authenticator) throws {
        let socket = try UDPSocket(host: "127.0.0.1", port: 0)
        serverAddress = socket.localAddress
        client = try UDPSocket(host: "127.0.0.1", port: 0)
        let sink = LogSink()
        self.sink = sink
        server = try CTAPHIDServer(authenticator: authenticator, carrier: socket) { line in sink.append(line) }
        Thread { [self] in
            try? self.server.run()
            self.finished.signal()
        }.start()
    }

    private let sink: LogSink
    var log: [String] { sink.lines }

    func send(_ report: [UInt8]) { client.send(report, to: serverAddress) }

    /// The next report, waiting at most `timeout` seconds.
    func receive(timeout: Double = 2) -> [UInt8]? {
        var fds = [pollfd(fd: client.descriptor, events: Int16(POLLIN), revents: 0)]
        guard poll(&fds, 1, Int32(timeout * 1000)) > 0 else { return nil }
        return try? client.receive()?.bytes
    }

    /// INIT on the broadcast channel; returns the new channel.
    func allocate() throws -> UInt32 {
        let nonce: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        send(CTAPHIDMessage(channel: CTAPHID.broadcastChannel, command: 0x06, payload: nonce).reports[0])
        let reply = try #require(receive())
        #expect(Array(reply[7..<15]) == nonce)
        return UInt32(reply[15]) << 24 | UInt32(reply[16]) << 16 | UInt32(reply[17]) << 8 | UInt32(reply[18])
    }

    func stop() {
        server.requestStop()
        finished.wait()
    }
}

final class LogSink: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func append(_ line: String) { lock.lock(); stored.append(line); lock.unlock() }
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return stored }
}

struct CTAPHIDServerTests {
    @Test func keepaliveWhileTheAuthenticatorWorksThenTheResponse() throws {
        let authenticator = Authenticator(identity: try AuthenticatorIdentity.generate(now: 1_750_000_000),
                                          policy: .init(userVerification: .unsupported), store: InMemoryCredentialStore())
        authenticator.keyGenerator = { algorithm in
            usleep(450_000)  // a slow token: key generation takes most of half a second
            return try SigningKey.generate(algorithm)
        }
        let harness = try ServerHarness(authenticator)
        defer { harness.stop() }
        let channel = try harness.allocate()
        let request = MakeCredentialRequest(clientDataHash: SHA256.hash([1]), rp: RelyingPartyEntity(id: "example.com"),
                                            user: UserEntity(id: [1]), pubKeyCredParams: [CredentialParameter(algorithm: -7)])
        for report in CTAPHIDMessage(channel: channel, command: 0x10, payload: [0x01] + request.cborValue.encoded).reports {
            harness.send(report)
        }
        // Meanwhile another channel is busy-refused and INIT is still answered.
        usleep(50_000)
        harness.send(CTAPHIDMessage(channel: 0x0A0B_0C0D, command: 0x01, payload: [1]).reports[0])
        var keepalives = 0, busy = false, initAnswered = false
        harness.send(CTAPHIDMessage(channel: 0x0A0B_0C0D, command: 0x06, payload: [9, 9, 9, 9, 9, 9, 9, 9]).reports[0])
        var response: [UInt8] = []
        var expected = 0
        while let report = harness.receive() {
            let reportChannel = UInt32(report[0]) << 24 | UInt32(report[1]) << 16 | UInt32(report[2]) << 8 | UInt32(report[3])
            if reportChannel == 0x0A0B_0C0D {
                if report[4] == 0xBF && report[7] == CTAPHIDErrorCode.channelBusy.rawValue { busy = true }
                if report[4] == 0x86 { initAnswered = true }
                continue
            }
            #expect(reportChannel == channel)
            if response.isEmpty && report[4] == 0xBB {
                #expect(report[7] == CTAPHIDKeepaliveStatus.processing.rawValue)
                keepalives += 1
                continue
            }
            if response.isEmpty {
                #expect(report[4] == 0x90)
                expected = Int(report[5]) << 8 | Int(report[6])
                response = Array(report[7...])
            } else {
                response += report[5...]
            }
            if response.count >= expected { break }
        }
        #expect(keepalives >= 2, "KEEPALIVE at least every 100–200 ms while working")
        #expect(busy && initAnswered)
        #expect(response.first == 0x00)
        #expect(harness.log.contains { $0.contains("CBOR makeCredential: CTAP2_OK") })
    }

    @Test func rebootPacketPowerCyclesWithoutAReply() throws {
        let authenticator = Authenticator(identity: try AuthenticatorIdentity.generate(now: 1_750_000_000), store: InMemoryCredentialStore())
        let harness = try ServerHarness(authenticator)
        defer { harness.stop() }
        let channel = try harness.allocate()
        harness.send([0xAC, 0x10, 0x52, 0xCA] + [UInt8](repeating: 0, count: 56) + [0x9A, 0x72, 0x50, 0xDC])
        #expect(harness.receive(timeout: 0.2) == nil)
        harness.send(CTAPHIDMessage(channel: channel, command: 0x01, payload: [4, 2]).reports[0])
        #expect(harness.receive().map { Array($0[4..<9]) } == [0x81, 0, 2, 4, 2], "the channel survives")
        #expect(harness.log.contains { $0.hasPrefix("reboot") })
    }
}
