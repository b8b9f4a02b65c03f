/// One 64-byte CTAPHID report (CTAP 2.2 §11.2.4): an initialization packet, which starts a
/// message and says its command and length, or a continuation packet with a sequence number.
public enum CTAPHIDPacket: Equatable, Sendable {
    case initialization(channel: UInt32, command: UInt8, length: Int, payload: [UInt8])
    case continuation(channel: UInt32, sequence: UInt8, payload: [UInt8])

    public var channel: UInt32 {
        switch self {
        case .initialization(let channel, _, _, _), .continuation(let channel, _, _): return channel
        }
    }

    /// Parses a report. Shorter reports are taken as zero-padded (a HID stack pads them); a
    /// report must hold at least the channel and one command or sequence byte.
    public init?(report: some Collection<UInt8>) {
        let bytes = Array(report)
        guard bytes.count >= 5, bytes.count <= CTAPHID.reportSize else { return nil }
        let padded = bytes + [UInt8](repeating: 0, count: CTAPHID.reportSize - bytes.count)
        let channel = UInt32(padded[0]) << 24 | UInt32(padded[1]) << 16 | UInt32(padded[2]) << 8 | UInt32(padded[3])
        if padded[4] & 0x80 != 0 {
            let length = Int(padded[5]) << 8 | Int(padded[6])
            self = .initialization(channel: channel, command: padded[4] & 0x7F, length: length, payload: Array(padded[7...]))
        } else {
            self = .continuation(channel: channel, sequence: padded[4], payload: Array(padded[5...]))
        }
    }

    /// The report bytes, zero-padded to 64.
    public var report: [UInt8] {
        var bytes: [UInt8]
        switch self {
        case .initialization(let channel, let command, let length, let payload):
            bytes = Self.channelBytes(channel) + [command | 0x80, UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + payload
        case .continuation(let channel, let sequence, let payload):
            bytes = Self.channelBytes(channel) + [sequence & 0x7F] + payload
        }
        precondition(bytes.count <= CTAPHID.reportSize, "CTAPHID packet payload too long")
        return bytes + [UInt8](repeating: 0, count: CTAPHID.reportSize - bytes.count)
    }

    static func channelBytes(_ channel: UInt32) -> [UInt8] {
        [UInt8(channel >> 24), UInt8(channel >> 16 & 0xFF), UInt8(channel >> 8 & 0xFF), UInt8(channel & 0xFF)]
    }

    /// Splits a message into the reports that carry it (CTAP 2.2 §11.2.4): an init packet with
    /// up to 57 bytes, then continuation packets of 59 with sequence numbers from 0.
    public static func reports(channel: UInt32, command: UInt8, payload: [UInt8]) -> [[UInt8]] {
        precondition(payload.count <= CTAPHID.maximumMessageSize, "CTAPHID message too long")
        var reports = [CTAPHIDPacket.initialization(channel: channel, command: command, length: payload.count,
                                                    payload: Array(payload.prefix(CTAPHID.initializationPayloadSize))).report]
        var offset = CTAPHID.initializationPayloadSize
        var sequence: UInt8 = 0
        while offset < payload.count {
            let end = min(offset + CTAPHID.continuationPayloadSize, payload.count)
            reports.append(CTAPHIDPacket.continuation(channel: channel, sequence: sequence, payload: Array(payload[offset..<end])).report)
            offset = end
            sequence += 1
        }
        return reports
    }
}

/// A whole CTAPHID message: the channel, the command (without bit 7) and the payload.
public struct CTAPHIDMessage: Equatable, Sendable {
    public var channel: UInt32
    public var command: UInt8
    public var payload: [UInt8]

    public init(channel: UInt32, command: UInt8, payload: [UInt8]) {
        self.channel = channel
        self.command = command
        self.payload = payload
    }

    /// The reports that carry this message.
    public var reports: [[UInt8]] { CTAPHIDPacket.reports(channel: channel, command: command, payload: payload) }

    /// An ERROR message.
    public static func error(_ code: CTAPHIDErrorCode, channel: UInt32) -> CTAPHIDMessage {
        CTAPHIDMessage(channel: channel, command: CTAPHIDCommand.error.rawValue, payload: [code.rawValue])
    }
}
