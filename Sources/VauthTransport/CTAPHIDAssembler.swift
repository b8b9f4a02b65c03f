/// Reassembles CTAPHID messages from reports and decides every framing error (CTAP 2.2
/// §11.2.4–§11.2.5). A pure value: bytes and a clock reading in, events out; no I/O, no
/// threads, so it can be unit-tested and fuzzed as it is.
///
/// Like a real token it assembles one message at a time. While a message is being assembled,
/// or while the authenticator works on one (``processingChannel``), other channels are told
/// ERR_CHANNEL_BUSY, except that INIT is always answered.
public struct CTAPHIDAssembler: Sendable {
    /// What the transport should do about a report.
    public enum Event: Equatable, Sendable {
        /// A complete message to serve.
        case message(CTAPHIDMessage)
        /// Send CTAPHID_ERROR with this code on this channel.
        case error(channel: UInt32, CTAPHIDErrorCode)
    }

    /// CTAP 2.2 §11.2.5.3: a message whose next packet does not arrive in time is abandoned with
    /// ERR_MSG_TIMEOUT. Half a second, inside the 400–1000 ms window platforms expect.
    public static let messageTimeoutMilliseconds: UInt64 = 500

    private struct Partial: Sendable {
        var channel: UInt32
        var command: UInt8
        var length: Int
        var payload: [UInt8]
        var nextSequence: UInt8
        var lastPacketAt: UInt64
    }

    private var partial: Partial?
    /// Channels handed out by INIT on the broadcast channel, or first used by the client.
    public var channels = CTAPHIDChannels()
    /// The channel whose message the authenticator is working on, set by the transport.
    public var processingChannel: UInt32?

    public init() {}

    /// Whether a message is half received.
    public var isAssembling: Bool { partial != nil }

    /// When ``expire(at:)`` has something to say, if ever.
    public var nextDeadline: UInt64? { partial.map { $0.lastPacketAt + Self.messageTimeoutMilliseconds } }

    /// Forgets a half-received message (a power cycle, or INIT resynchronising its channel).
    public mutating func abandonPartialMessage() { partial = nil }

    /// Takes one report, received at `now` (milliseconds on any monotonic clock).
    public mutating func receive(_ report: [UInt8], at now: UInt64) -> [Event] {
        guard let packet = CTAPHIDPacket(report: report) else {
            // Not a report at all: answer on its channel when it names one we could reply to.
            guard report.count >= 4 else { return [] }
            let channel = UInt32(report[0]) << 24 | UInt32(report[1]) << 16 | UInt32(report[2]) << 8 | UInt32(report[3])
            guard channel != CTAPHID.reservedChannel else { return [] }
            return [.error(channel: channel, .invalidLength)]
        }
        switch packet {
        case .initialization(let channel, let command, let length, let payload):
            return receiveInitialization(channel: channel, command: command, length: length, payload: payload, at: now)
        case .continuation(let channel, let sequence, let payload):
            return receiveContinuation(channel: channel, sequence: sequence, payload: payload, at: now)
        }
    }

    /// ERR_MSG_TIMEOUT for a message whose next packet is overdue at `now`.
    public mutating func expire(at now: UInt64) -> [Event] {
        guard let current = partial, now >= current.lastPacketAt + Self.messageTimeoutMilliseconds else { return [] }
        partial = nil
        return [.error(channel: current.channel, .messageTimeout)]
    }

    private mutating func receiveInitialization(channel: UInt32, command: UInt8, length: Int, payload: [UInt8],
                                                at now: UInt64) -> [Event] {
        let isInit = command == CTAPHIDCommand.initialize.rawValue
        guard channel != CTAPHID.reservedChannel else { return [.error(channel: channel, .invalidChannel)] }

        if isInit {
            // INIT is a single packet of an 8-byte nonce, answered even when busy; on the channel
            // of a half-received message it abandons that message (§11.2.9.1.3 resynchronisation).
            guard length == 8 else { return [.error(channel: channel, .invalidLength)] }
            if partial?.channel == channel { partial = nil }
            if channel != CTAPHID.broadcastChannel { channels.adopt(channel) }
            return [.message(CTAPHIDMessage(channel: channel, command: command, payload: Array(payload.prefix(8))))]
        }

        if let current = partial {
            if current.channel == channel {
                // A new message before the last one was complete.
                partial = nil
                return [.error(channel: channel, .invalidSequence)]
            }
            return [.error(channel: channel, .channelBusy)]
        }
        if let busy = processingChannel {
            // Only CANCEL may reach the channel that is being served.
            if busy == channel && command == CTAPHIDCommand.cancel.rawValue {
                return [.message(CTAPHIDMessage(channel: channel, command: command, payload: []))]
            }
            return [.error(channel: channel, .channelBusy)]
        }
        guard channel != CTAPHID.broadcastChannel else { return [.error(channel: channel, .invalidChannel)] }
        // A channel id the client picked itself is served, as the SoloKeys simulator (and the
        // conformance suite written against it) expects: only 0 and the broadcast id are invalid.
        channels.adopt(channel)
        guard length <= CTAPHID.maximumMessageSize else { return [.error(channel: channel, .invalidLength)] }

        if length <= payload.count {
            return [.message(CTAPHIDMessage(channel: channel, command: command, payload: Array(payload.prefix(length))))]
        }
        partial = Partial(channel: channel, command: command, length: length, payload: payload, nextSequence: 0, lastPacketAt: now)
        return []
    }

    private mutating func receiveContinuation(channel: UInt32, sequence: UInt8, payload: [UInt8], at now: UInt64) -> [Event] {
        // A continuation packet that belongs to no message in progress is ignored (§11.2.4), as
        // are those of other channels while one is being assembled.
        guard var current = partial, current.channel == channel else { return [] }
        guard sequence == current.nextSequence else {
            partial = nil
            return [.error(channel: channel, .invalidSequence)]
        }
        current.payload += payload
        current.nextSequence += 1
        current.lastPacketAt = now
        if current.payload.count >= current.length {
            partial = nil
            return [.message(CTAPHIDMessage(channel: channel, command: current.command, payload: Array(current.payload.prefix(current.length))))]
        }
        partial = current
        return []
    }
}
