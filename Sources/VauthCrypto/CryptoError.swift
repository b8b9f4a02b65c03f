import COpenSSL

/// The one error type of the crypto layer.
public enum CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An OpenSSL call failed; `detail` is OpenSSL's own error queue, drained.
    case openSSL(operation: String, detail: String)
    /// Key material that does not parse or does not match its algorithm.
    case invalidKey(String)
    /// A COSE algorithm identifier vauth does not implement.
    case unsupportedAlgorithm(Int)
    /// An AEAD tag did not verify: wrong key, or the data was changed.
    case authenticationFailed
    /// Input of the wrong size or shape.
    case invalidInput(String)

    public var description: String {
        switch self {
        case .openSSL(let op, let detail): return detail.isEmpty ? "OpenSSL \(op) failed" : "OpenSSL \(op) failed: \(detail)"
        case .invalidKey(let why): return "invalid key: \(why)"
        case .unsupportedAlgorithm(let alg): return "unsupported COSE algorithm \(alg)"
        case .authenticationFailed: return "authentication tag mismatch"
        case .invalidInput(let why): return "invalid input: \(why)"
        }
    }

    /// An `.openSSL` error for `operation` carrying (and clearing) OpenSSL's thread-local error queue.
    static func openSSL(_ operation: String) -> CryptoError {
        .openSSL(operation: operation, detail: OpenSSLErrorQueue.drain())
    }
}

/// OpenSSL's per-thread error queue. Draining it after a failure keeps one failure's reasons from
/// showing up in the next one's message.
enum OpenSSLErrorQueue {
    static func drain() -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return reasons.joined(separator: "; ")
    }

    static func clear() { ERR_clear_error() }
}

/// Throws `CryptoError.openSSL(operation)` unless an OpenSSL call returned 1 (its success value).
@inline(__always)
func check(_ result: Int32, _ operation: @autoclosure () -> String) throws(CryptoError) {
    guard result == 1 else { throw CryptoError.openSSL(operation()) }
}

/// Unwraps a pointer an OpenSSL constructor returned, or throws.
@inline(__always)
func unwrap<T>(_ pointer: T?, _ operation: @autoclosure () -> String) throws(CryptoError) -> T {
    guard let pointer else { throw CryptoError.openSSL(operation()) }
    return pointer
}
