/// CTAPHID commands (CTAP 2.2 §11.2.9). On the wire the init packet's command byte has bit 7
/// set; these are the values without it.
public enum CTAPHIDCommand: UInt8, Sendable, CaseIterable {
    case ping = 0x01
    case msg = 0x03
    case lock = 0x04
    case initialize = 0x06
    case wink = 0x08
    case cbor = 0x10
    case cancel = 0x11
    case keepalive = 0x3B
    case error = 0x3F
}

/// CTAPHID_ERROR codes (CTAP 2.2 §11.2.9.1.6).
public enum CTAPHIDErrorCode: UInt8, Sendable {
    case invalidCommand = 0x01
    case invalidParameter = 0x02
    case invalidLength = 0x03
    case invalidSequence = 0x04
    case messageTimeout = 0x05
    case channelBusy = 0x06
    case lockRequired = 0x0A
    case invalidChannel = 0x0B
    case other = 0x7F

    public var name: String {
        switch self {
        case .invalidCommand: return "ERR_INVALID_CMD"
        case .invalidParameter: return "ERR_INVALID_PAR"
        case .invalidLength: return "ERR_INVALID_LEN"
        case .invalidSequence: return "ERR_INVALID_SEQ"
        case .messageTimeout: return "ERR_MSG_TIMEOUT"
        case .channelBusy: return "ERR_CHANNEL_BUSY"
        case .lockRequired: return "ERR_LOCK_REQUIRED"
        case .invalidChannel: return "ERR_INVALID_CHANNEL"
        case .other: return "ERR_OTHER"
        }
    }
}

/// KEEPALIVE status bytes (CTAP 2.2 §11.2.9.2.1).
public enum CTAPHIDKeepaliveStatus: UInt8, Sendable {
    case processing = 1
    case userPresenceNeeded = 2
}

/// The numbers of CTAPHID framing (CTAP 2.2 §11.2.4).
public enum CTAPHID {
    /// HID report size of full-speed USB, and so of every packet.
    public static let reportSize = 64
    /// Payload bytes of an initialization packet: 64 − CID (4) − CMD (1) − BCNT (2).
    public static let initializationPayloadSize = 57
    /// Payload bytes of a continuation packet: 64 − CID (4) − SEQ (1).
    public static let continuationPayloadSize = 59
    /// The longest message: one init packet and 128 continuation packets (sequence 0…127).
    public static let maximumMessageSize = initializationPayloadSize + 128 * continuationPayloadSize
    /// The broadcast channel, on which only INIT is allowed.
    public static let broadcastChannel: UInt32 = 0xFFFF_FFFF
    /// Channel 0 is reserved and never valid.
    public static let reservedChannel: UInt32 = 0
    /// CTAPHID protocol version INIT reports.
    public static let protocolVersion: UInt8 = 2
    /// Capability flags INIT reports (CTAP 2.2 §11.2.9.1.3): WINK and CBOR; no NMSG bit, since
    /// MSG (U2F) is implemented.
    public static let capabilityWink: UInt8 = 0x01
    public static let capabilityCBOR: UInt8 = 0x04
    public static let capabilityNoMSG: UInt8 = 0x08

    /// The SoloKeys simulator's reboot request: a raw 64-byte datagram (no CTAPHID framing) that
    /// starts `ac1052ca` and ends `9a7250dc`, meaning "power-cycle the device".
    public static func isRebootRequest(_ bytes: [UInt8]) -> Bool {
        bytes.count == reportSize && bytes.prefix(4).elementsEqual([0xAC, 0x10, 0x52, 0xCA])
            && bytes.suffix(4).elementsEqual([0x9A, 0x72, 0x50, 0xDC])
    }
}
