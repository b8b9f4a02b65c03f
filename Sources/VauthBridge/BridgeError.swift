/// Why `vauth attach` could not start or had to stop.
public enum BridgeError: Error, Sendable, CustomStringConvertible {
    /// `--cdp` is not an `http://host:port` address, or `--bidi` not a session's `ws://` address.
    case badEndpoint(String)
    /// Nothing answers at the address, or it does not speak the protocol.
    case unreachable(String)
    /// The browser answered a command with an error, or the connection broke.
    case protocolError(String)

    public var description: String {
        switch self {
        case .badEndpoint(let message), .unreachable(let message), .protocolError(let message): return message
        }
    }
}
