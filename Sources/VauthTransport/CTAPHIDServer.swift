#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import VauthAuthenticator
import VauthCBOR

/// Something that carries raw 64-byte CTAPHID reports: a UDP socket (one report per datagram,
/// the SoloKeys simulator's way) or a Linux uhid device.
public protocol CTAPHIDCarrier: AnyObject {
    /// Where a report came from, and so where its replies go.
    associatedtype Peer
    /// The descriptor poll(2) watches for incoming reports.
    var descriptor: Int32 { get }
    /// The next waiting report, or nil when none is.
    func receiveReport() throws(TransportError) -> (bytes: [UInt8], peer: Peer)?
    /// Sends one report; a failure loses the report, not the server.
    func sendReport(_ report: [UInt8], to peer: Peer)
}

extension UDPSocket: CTAPHIDCarrier {
    public func receiveReport() throws(TransportError) -> (bytes: [UInt8], peer: UDPPeer)? { try receive() }
    public func sendReport(_ report: [UInt8], to peer: UDPPeer) { send(report, to: peer) }
}

/// The numbers of the server loop.
public enum CTAPHIDServerTiming {
    /// KEEPALIVE interval while the authenticator works (platforms give up after about 1 s).
    public static let keepaliveIntervalMilliseconds: UInt64 = 100
}

/// A CTAPHID device over a ``CTAPHIDCarrier``. It serves one ``Authenticator``.
///
/// The poll loop owns the carrier and the ``CTAPHIDAssembler``; the authenticator's work runs on
/// a worker thread, so that while it works the loop still answers INIT, tells other channels
/// ERR_CHANNEL_BUSY, sends KEEPALIVE every 100 ms (CTAP 2.2 §11.2.9.2.1) and times out stalled
/// messages. Only one command is served at a time, as on a real token.
public final class CTAPHIDServer<Carrier: CTAPHIDCarrier> {
    public let carrier: Carrier
    private let authenticator: AuthenticatorBox
    private let log: (String) -> Void
    private var assembler = CTAPHIDAssembler()
    private let workerDone: WakePipe
    private let stopPipe: WakePipe
    private var job: RunningJob?
    private var rebootPending = false
    private var peers: [UInt32: Carrier.Peer] = [:]
    private var lastPeer: Carrier.Peer?
    private var nextKeepalive: UInt64 = 0

    public init(authenticator: Authenticator, carrier: Carrier, log: @escaping (String) -> Void) throws(TransportError) {
        self.authenticator = AuthenticatorBox(authenticator)
        self.carrier = carrier
        self.log = log
        workerDone = try WakePipe()
        stopPipe = try WakePipe()
    }

    /// Ends ``run()`` soon after: safe from another thread or a signal handler.
    public func requestStop() { stopPipe.wake() }

    /// Makes SIGINT and SIGTERM end ``run()`` cleanly (the command in progress finishes and its
    /// keystore write completes first).
    public func stopOnTerminationSignals() {
        signalStopDescriptor = stopPipe.writeEnd
        signal(SIGINT, stopSignalHandler)
        signal(SIGTERM, stopSignalHandler)
        signal(SIGPIPE, SIG_IGN)
    }

    /// Serves until ``requestStop()`` or a termination signal.
    public func run() throws(TransportError) {
        while true {
            let now = Self.monotonicMilliseconds()
            var timeout: UInt64 = 1000
            if let deadline = assembler.nextDeadline { timeout = min(timeout, deadline > now ? deadline - now : 0) }
            if job != nil { timeout = min(timeout, nextKeepalive > now ? nextKeepalive - now : 0) }
            var fds = [pollfd(fd: carrier.descriptor, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: workerDone.readEnd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: stopPipe.readEnd, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, nfds_t(fds.count), Int32(timeout))
            if ready < 0 && errno != EINTR { throw .posix("poll") }
            if fds[2].revents != 0 { break }
            if fds[1].revents != 0 {
                workerDone.drain()
                finishJobIfDone()
            }
            if fds[0].revents != 0 {
                do {
                    while let (bytes, peer) = try carrier.receiveReport() { receive(bytes, from: peer) }
                } catch {
                    // A failed receive loses one datagram, not the server.
                    log("receive: \(error)")
                }
            }
            for event in assembler.expire(at: Self.monotonicMilliseconds()) { perform(event, peer: nil) }
            if let job, Self.monotonicMilliseconds() >= nextKeepalive {
                send(CTAPHIDMessage(channel: job.channel, command: CTAPHIDCommand.keepalive.rawValue,
                                    payload: [CTAPHIDKeepaliveStatus.processing.rawValue]))
                nextKeepalive = Self.monotonicMilliseconds() + CTAPHIDServerTiming.keepaliveIntervalMilliseconds
            }
        }
        // Let the command in progress finish its keystore write before returning.
        if let job {
            job.thread.wait()
            finishJobIfDone()
        }
    }

    // MARK: - Receiving

    private func receive(_ bytes: [UInt8], from peer: Carrier.Peer) {
        if CTAPHID.isRebootRequest(bytes) {
            reboot()
            return
        }
        lastPeer = peer
        if bytes.count >= 4 {
            let channel = UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])
            // Bounded: a client cycling through channel ids cannot grow this without end.
            if peers.count >= 4096 && peers[channel] == nil { peers.removeAll() }
            peers[channel] = peer
        }
        for event in assembler.receive(bytes, at: Self.monotonicMilliseconds()) { perform(event, peer: peer) }
    }

    /// A power cycle: transient authenticator state goes, channels and credentials stay; no reply.
    private func reboot() {
        assembler.abandonPartialMessage()
        if job != nil {
            rebootPending = true
        } else {
            authenticator.value.powerCycle()
            log("reboot: power cycle (PIN token and key agreement key dropped)")
        }
    }

    private func perform(_ event: CTAPHIDAssembler.Event, peer: Carrier.Peer?) {
        switch event {
        case .error(let channel, let code):
            log(String(format: "ctaphid channel %08x: %@", channel, code.name))
            send(.error(code, channel: channel), to: peer)
        case .message(let message):
            serve(message, peer: peer)
        }
    }

    private func serve(_ message: CTAPHIDMessage, peer: Carrier.Peer?) {
        guard let command = CTAPHIDCommand(rawValue: message.command) else {
            log(String(format: "ctaphid channel %08x: command 0x%02x: ERR_INVALID_CMD", message.channel, message.command))
            send(.error(.invalidCommand, channel: message.channel), to: peer)
            return
        }
        switch command {
        case .initialize:
            // §11.2.9.1.3: nonce ‖ channel ‖ protocol version ‖ device version ‖ capabilities.
            var channel = message.channel
            if channel == CTAPHID.broadcastChannel { channel = assembler.channels.allocate() }
            if let job, job.channel == message.channel { job.discardResult = true }
            let version = Authenticator.firmwareVersion
            let payload = message.payload + CTAPHIDPacket.channelBytes(channel)
                + [CTAPHID.protocolVersion, UInt8(version / 10000 % 256), UInt8(version / 100 % 100), UInt8(version % 100),
                   CTAPHID.capabilityWink | CTAPHID.capabilityCBOR]
            send(CTAPHIDMessage(channel: message.channel, command: message.command, payload: payload), to: peer)
        case .ping:
            send(message, to: peer)
        case .wink:
            send(CTAPHIDMessage(channel: message.channel, command: message.command, payload: []), to: peer)
        case .cancel:
            // The authenticator never waits for the user, so there is nothing to cancel; CANCEL
            // has no response of its own (§11.2.9.1.5).
            break
        case .cbor, .msg:
            guard !message.payload.isEmpty else {
                log(String(format: "ctaphid channel %08x: empty %@ message: ERR_INVALID_LEN", message.channel, command == .cbor ? "CBOR" : "MSG"))
                send(.error(.invalidLength, channel: message.channel), to: peer)
                return
            }
            start(message)
        case .lock, .keepalive, .error:
            send(.error(.invalidCommand, channel: message.channel), to: peer)
        }
    }

    // MARK: - Working

    private func start(_ message: CTAPHIDMessage) {
        let box = authenticator
        let job = RunningJob(channel: message.channel, command: message.command)
        let done = workerDone
        job.thread.start { () -> (payload: [UInt8], logLine: String) in
            let started = CTAPHIDClock.monotonicMilliseconds()
            let (payload, summary) = message.command == CTAPHIDCommand.cbor.rawValue
                ? CTAPHIDDispatch.serveCBOR(message.payload, box.value) : CTAPHIDDispatch.serveU2F(message.payload, box.value)
            let elapsed = CTAPHIDClock.monotonicMilliseconds() - started
            return (payload, summary + " (\(elapsed) ms)")
        } whenDone: {
            done.wake()
        }
        self.job = job
        assembler.processingChannel = message.channel
        nextKeepalive = Self.monotonicMilliseconds() + CTAPHIDServerTiming.keepaliveIntervalMilliseconds
    }

    private func finishJobIfDone() {
        guard let job, let result = job.thread.result else { return }
        self.job = nil
        assembler.processingChannel = nil
        log(String(format: "channel %08x: ", job.channel) + result.logLine)
        if job.discardResult {
            // INIT resynchronised the channel meanwhile: the platform no longer waits for this.
        } else if result.payload.count > CTAPHID.maximumMessageSize {
            send(.error(.other, channel: job.channel))
        } else {
            send(CTAPHIDMessage(channel: job.channel, command: job.command, payload: result.payload))
        }
        if rebootPending {
            rebootPending = false
            reboot()
        }
    }

    static func monotonicMilliseconds() -> UInt64 { CTAPHIDClock.monotonicMilliseconds() }

    // MARK: - Sending

    private func send(_ message: CTAPHIDMessage, to peer: Carrier.Peer? = nil) {
        guard let peer = peer ?? peers[message.channel] ?? lastPeer else { return }
        for report in message.reports { carrier.sendReport(report, to: peer) }
    }
}

/// What the worker runs: one CTAP2 or U2F message against the authenticator, and its log line.
enum CTAPHIDDispatch {
    static func serveCBOR(_ message: [UInt8], _ authenticator: Authenticator) -> ([UInt8], String) {
        let name = CTAPCommand(rawValue: message[0]).map { "\($0)" } ?? String(format: "0x%02x", message[0])
        do throws(CTAPError) {
            let response = try authenticator.respond(to: message)
            return ([CTAPStatus.ok.rawValue] + (response?.encoded ?? []), "CBOR \(name): CTAP2_OK")
        } catch {
            return ([error.status.rawValue], "CBOR \(name): \(error.status.name): \(error.message)")
        }
    }

    static func serveU2F(_ message: [UInt8], _ authenticator: Authenticator) -> ([UInt8], String) {
        let response = authenticator.handleU2F(message)
        let instruction = message.count > 1 ? [0x01: "register", 0x02: "authenticate", 0x03: "version"][Int(message[1])] ?? "instruction \(message[1])" : "?"
        let status = response.suffix(2).map { String(format: "%02x", $0) }.joined()
        return (response, "MSG U2F \(instruction): \(status)")
    }
}

enum CTAPHIDClock {
    static func monotonicMilliseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1000 + UInt64(now.tv_nsec) / 1_000_000
    }
}

/// The authenticator, handed to one worker thread at a time (the loop never touches it while a
/// job runs, except to power-cycle it after the job is done).
final class AuthenticatorBox: @unchecked Sendable {
    let value: Authenticator
    init(_ value: Authenticator) { self.value = value }
}

/// The command the worker is serving.
final class RunningJob {
    let channel: UInt32
    let command: UInt8
    /// INIT on the same channel resynchronised it: the result is no longer wanted.
    var discardResult = false
    let thread = WorkerThread<(payload: [UInt8], logLine: String)>()

    init(channel: UInt32, command: UInt8) {
        self.channel = channel
        self.command = command
    }
}

/// One background computation and its result, behind a lock.
final class WorkerThread<Result>: @unchecked Sendable {
    private let lock = NSCondition()
    private var stored: Result?

    var result: Result? {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }

    func start(_ body: @escaping () -> Result, whenDone: @escaping () -> Void) {
        let work = UncheckedSendable((body, whenDone))
        let thread = Thread { [self] in
            let value = work.value.0()
            lock.lock()
            stored = value
            lock.broadcast()
            lock.unlock()
            work.value.1()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Blocks until the result is there.
    func wait() {
        lock.lock()
        while stored == nil { lock.wait() }
        lock.unlock()
    }
}

struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// The stop pipe's write end, for the signal handler (which can capture nothing).
nonisolated(unsafe) private var signalStopDescriptor: Int32 = -1

private func stopSignalHandler(_ signal: Int32) {
    var byte: UInt8 = 1
    _ = write(signalStopDescriptor, &byte, 1)
}
