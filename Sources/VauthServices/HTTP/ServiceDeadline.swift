import Dispatch
import Foundation

/// The time a command's calls to a service may take **in all**: a deadline, not an idle timeout.
/// URLSession's `timeoutInterval` only bounds the silence between two packets, so a server that
/// trickles one byte a second could hold a call for as long as it liked; every exchange here is
/// cancelled when the deadline passes instead, whatever the server is doing (connecting, sending
/// headers, trickling the body, redirecting).
///
/// The clock starts at the first call, not when the command starts: unlocking the keystore (a
/// passphrase prompt, its scrypt derivation) is not the service's time. All calls of one client
/// (begin and complete, init and completion) share the one deadline.
public final class ServiceDeadline: @unchecked Sendable {
    /// The budget in seconds (the CLI's `--timeout`).
    public let seconds: TimeInterval
    private let lock = NSLock()
    private var end: DispatchTime?

    public init(seconds: TimeInterval) {
        self.seconds = seconds
    }

    /// The instant the calls must be done by; fixed on first use.
    var instant: DispatchTime {
        lock.lock()
        defer { lock.unlock() }
        if let end { return end }
        let nanoseconds = seconds >= Double(Int64.max / 2) / 1e9 ? UInt64(Int64.max / 2) : UInt64(max(0, seconds) * 1e9)
        let fixed = DispatchTime.now() + .nanoseconds(Int(nanoseconds))
        end = fixed
        return fixed
    }

    /// Seconds left, at least 0.
    var remaining: TimeInterval {
        let end = instant.uptimeNanoseconds, now = DispatchTime.now().uptimeNanoseconds
        return end > now ? Double(end - now) / 1e9 : 0
    }

    /// How the deadline reads in a message: "3 s", "0.5 s".
    var text: String {
        seconds == seconds.rounded() && seconds < 1e15 ? "\(Int64(seconds)) s" : "\(seconds) s"
    }
}
