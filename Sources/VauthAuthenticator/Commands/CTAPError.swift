/// CTAP status codes (CTAP 2.2 §8.2 "Status codes"), and the one error type of the authenticator.
public struct CTAPStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let ok = CTAPStatus(rawValue: 0x00)
    public static let invalidCommand = CTAPStatus(rawValue: 0x01)
    public static let invalidParameter = CTAPStatus(rawValue: 0x02)
    public static let invalidLength = CTAPStatus(rawValue: 0x03)
    public static let invalidSequence = CTAPStatus(rawValue: 0x04)
    public static let timeout = CTAPStatus(rawValue: 0x05)
    public static let channelBusy = CTAPStatus(rawValue: 0x06)
    public static let invalidChannel = CTAPStatus(rawValue: 0x0B)
    public static let cborUnexpectedType = CTAPStatus(rawValue: 0x11)
    public static let invalidCBOR = CTAPStatus(rawValue: 0x12)
    public static let missingParameter = CTAPStatus(rawValue: 0x14)
    public static let limitExceeded = CTAPStatus(rawValue: 0x15)
    public static let credentialExcluded = CTAPStatus(rawValue: 0x19)
    public static let invalidCredential = CTAPStatus(rawValue: 0x22)
    public static let unsupportedAlgorithm = CTAPStatus(rawValue: 0x26)
    public static let operationDenied = CTAPStatus(rawValue: 0x27)
    public static let keyStoreFull = CTAPStatus(rawValue: 0x28)
    public static let unsupportedOption = CTAPStatus(rawValue: 0x2B)
    public static let invalidOption = CTAPStatus(rawValue: 0x2C)
    public static let noCredentials = CTAPStatus(rawValue: 0x2E)
    public static let notAllowed = CTAPStatus(rawValue: 0x30)
    public static let keepaliveCancel = CTAPStatus(rawValue: 0x2D)
    public static let pinInvalid = CTAPStatus(rawValue: 0x31)
    public static let pinBlocked = CTAPStatus(rawValue: 0x32)
    public static let pinAuthInvalid = CTAPStatus(rawValue: 0x33)
    public static let pinAuthBlocked = CTAPStatus(rawValue: 0x34)
    public static let pinNotSet = CTAPStatus(rawValue: 0x35)
    public static let puatRequired = CTAPStatus(rawValue: 0x36)
    public static let pinPolicyViolation = CTAPStatus(rawValue: 0x37)
    public static let requestTooLarge = CTAPStatus(rawValue: 0x39)
    public static let invalidSubcommand = CTAPStatus(rawValue: 0x3E)
    public static let unauthorizedPermission = CTAPStatus(rawValue: 0x40)
    public static let unsupportedExtension = CTAPStatus(rawValue: 0x41)
    public static let other = CTAPStatus(rawValue: 0x7F)

    public var name: String {
        switch self {
        case .ok: return "CTAP2_OK"
        case .invalidCommand: return "CTAP1_ERR_INVALID_COMMAND"
        case .invalidParameter: return "CTAP1_ERR_INVALID_PARAMETER"
        case .invalidLength: return "CTAP1_ERR_INVALID_LENGTH"
        case .invalidSequence: return "CTAP1_ERR_INVALID_SEQ"
        case .timeout: return "CTAP1_ERR_TIMEOUT"
        case .channelBusy: return "CTAP1_ERR_CHANNEL_BUSY"
        case .invalidChannel: return "CTAP1_ERR_INVALID_CHANNEL"
        case .cborUnexpectedType: return "CTAP2_ERR_CBOR_UNEXPECTED_TYPE"
        case .invalidCBOR: return "CTAP2_ERR_INVALID_CBOR"
        case .missingParameter: return "CTAP2_ERR_MISSING_PARAMETER"
        case .limitExceeded: return "CTAP2_ERR_LIMIT_EXCEEDED"
        case .credentialExcluded: return "CTAP2_ERR_CREDENTIAL_EXCLUDED"
        case .invalidCredential: return "CTAP2_ERR_INVALID_CREDENTIAL"
        case .unsupportedAlgorithm: return "CTAP2_ERR_UNSUPPORTED_ALGORITHM"
        case .operationDenied: return "CTAP2_ERR_OPERATION_DENIED"
        case .keyStoreFull: return "CTAP2_ERR_KEY_STORE_FULL"
        case .unsupportedOption: return "CTAP2_ERR_UNSUPPORTED_OPTION"
        case .invalidOption: return "CTAP2_ERR_INVALID_OPTION"
        case .noCredentials: return "CTAP2_ERR_NO_CREDENTIALS"
        case .notAllowed: return "CTAP2_ERR_NOT_ALLOWED"
        case .keepaliveCancel: return "CTAP2_ERR_KEEPALIVE_CANCEL"
        case .pinInvalid: return "CTAP2_ERR_PIN_INVALID"
        case .pinBlocked: return "CTAP2_ERR_PIN_BLOCKED"
        case .pinAuthInvalid: return "CTAP2_ERR_PIN_AUTH_INVALID"
        case .pinAuthBlocked: return "CTAP2_ERR_PIN_AUTH_BLOCKED"
        case .pinNotSet: return "CTAP2_ERR_PIN_NOT_SET"
        case .puatRequired: return "CTAP2_ERR_PUAT_REQUIRED"
        case .pinPolicyViolation: return "CTAP2_ERR_PIN_POLICY_VIOLATION"
        case .requestTooLarge: return "CTAP2_ERR_REQUEST_TOO_LARGE"
        case .invalidSubcommand: return "CTAP2_ERR_INVALID_SUBCOMMAND"
        case .unauthorizedPermission: return "CTAP2_ERR_UNAUTHORIZED_PERMISSION"
        case .unsupportedExtension: return "CTAP2_ERR_UNSUPPORTED_EXTENSION"
        case .other: return "CTAP1_ERR_OTHER"
        default: return "CTAP status 0x" + String(rawValue, radix: 16)
        }
    }

    public var description: String { name }
}

/// Why an authenticator operation failed: a CTAP status, and a sentence for humans.
public struct CTAPError: Error, Equatable, Sendable, CustomStringConvertible {
    public let status: CTAPStatus
    public let message: String
    /// The error behind this one, when the cause is not the request (a credential store that
    /// could not be read or written). Callers that need to tell "the keystore is corrupt" from
    /// "the RP asked for something impossible" look here.
    public let underlying: (any Error)?

    public init(_ status: CTAPStatus, _ message: String, underlying: (any Error)? = nil) {
        self.status = status
        self.message = message
        self.underlying = underlying
    }

    /// Wraps a credential store failure as `CTAP1_ERR_OTHER`, keeping the original.
    public static func store(_ error: any Error, _ action: String) -> CTAPError {
        if let ctap = error as? CTAPError { return ctap }
        return CTAPError(.other, "credential store could not \(action): \(error)", underlying: error)
    }

    public var description: String { "\(status.name): \(message)" }

    public static func == (lhs: CTAPError, rhs: CTAPError) -> Bool { lhs.status == rhs.status }
}
