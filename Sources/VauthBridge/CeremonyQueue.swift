import Dispatch

/// Runs the bridge's ceremonies one at a time, first come first served, on a thread of their own:
/// one authenticator makes one credential at a time, and a ceremony's blocking work (a passphrase
/// derivation, fsyncs, the keystore lock) never holds up the browser connection's events.
///
/// ``exclusive(_:)`` holds the queue for a whole ceremony, its browser round trips included (the
/// claim before a commit), so no other ceremony writes between a ceremony and its commit.
actor CeremonyQueue {
    private let thread = DispatchQueue(label: "vauth.bridge.ceremonies")
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// Runs `body` while holding the queue; later callers wait in order.
    func exclusive<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        if !busy { busy = true; return }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }

    /// Runs blocking `work` on the ceremony thread.
    nonisolated func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            thread.async { continuation.resume(with: Result { try work() }) }
        }
    }
}
