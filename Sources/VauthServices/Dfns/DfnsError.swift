/// Why a Dfns credential operation could not be done, with the contract's two kinds of failure:
/// input that cannot be used as given (exit 2) and an operation the input refuses (exit 1).
public enum DfnsError: Error, Sendable, CustomStringConvertible, Equatable {
    /// A challenge, code or argument that is malformed or does not fit together (bad input).
    case malformed(String)
    /// The challenge refuses what was asked: a kind it does not support, an excluded credential,
    /// no stored credential among those it allows (refused).
    case refused(String)
    /// The recovery code (or password) and username do not open an encrypted key: a wrong code or
    /// password, a wrong username, or a changed blob (AES-GCM cannot tell them apart).
    case keyNotOpened(String)

    /// True for input the user must fix (exit status 2), false for a refusal (exit status 1).
    public var isBadInput: Bool {
        switch self {
        case .malformed, .keyNotOpened: return true
        case .refused: return false
        }
    }

    public var description: String {
        switch self {
        case .malformed(let text), .refused(let text), .keyNotOpened(let text): return text
        }
    }
}
