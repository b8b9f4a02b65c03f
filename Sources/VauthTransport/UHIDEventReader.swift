#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The thread that reads /dev/uhid for a ``UHIDDevice``: output reports go into a queue of its
/// own (far larger than the kernel's 32 events), GET_REPORT / SET_REPORT are refused at once.
final class UHIDEventReader: @unchecked Sendable {
    /// More than any CTAPHID exchange needs (a message is at most 129 reports); a writer that
    /// floods it loses its newest reports, as the kernel's own queue would.
    static let capacity = 4096

    let ready: WakePipe
    private let uhid: Int32
    private let stopRequest: WakePipe
    private let lock = NSCondition()
    // Guarded by lock.
    private var queue: [[UInt8]] = []
    private var head = 0
    private var failure: TransportError?
    private var running = false

    init(descriptor: Int32) throws(TransportError) {
        uhid = descriptor
        ready = try WakePipe()
        stopRequest = try WakePipe()
    }

    static func writeEvent(_ fd: Int32, _ event: [UInt8]) -> Bool {
        event.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == event.count
    }

    /// Starts the thread; returns once it runs (and ``realtime`` says how).
    func start() {
        lock.lock()
        running = true
        lock.unlock()
        let thread = Thread { [self] in
            readUntilStopped()
            lock.lock()
            running = false
            lock.broadcast()
            lock.unlock()
        }
        thread.name = "vauth uhid reader"
        thread.start()
        lock.lock()
        while !started && running { lock.wait() }
        lock.unlock()
    }

    /// Ends the thread and waits for it, so that the descriptor can be closed safely.
    func stop() {
        stopRequest.wake()
        lock.lock()
        while running { lock.wait() }
        lock.unlock()
    }

    /// The oldest waiting report, or nil; a read failure of the thread is thrown once.
    func next() throws(TransportError) -> [UInt8]? {
        if let report = pop() { return report }
        // Drained before the second look: a report queued after it wakes the poll again.
        ready.drain()
        if let report = pop() { return report }
        lock.lock()
        defer { lock.unlock() }
        if let failure {
            self.failure = nil
            throw failure
        }
        return nil
    }

    private func pop() -> [UInt8]? {
        lock.lock()
        defer { lock.unlock() }
        guard head < queue.count else { return nil }
        let report = queue[head]
        head += 1
        if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        }
        return report
    }

    private func push(_ report: [UInt8]) {
        lock.lock()
        let wasEmpty = head == queue.count
        if queue.count - head < Self.capacity { queue.append(report) }
        lock.unlock()
        if wasEmpty { ready.wake() }
    }

    private func fail(_ error: TransportError) {
        lock.lock()
        failure = error
        lock.unlock()
        ready.wake()
    }

    private var started = false
    private var scheduledRealtime = false

    /// Whether the thread runs under SCHED_FIFO (root, CAP_SYS_NICE or an RLIMIT_RTPRIO).
    var realtime: Bool {
        lock.lock()
        defer { lock.unlock() }
        return scheduledRealtime
    }

    private func readUntilStopped() {
        // The kernel's 32 events last a writer less than one scheduler tick, and the fair
        // scheduler does not preempt a writer for a woken reader that has run about as much as
        // it has: on a busy or single CPU only a real-time reader is sure to run in time.
        var parameters = sched_param(sched_priority: 1)
        let scheduled = pthread_setschedparam(pthread_self(), Int32(SCHED_FIFO), &parameters) == 0
        lock.lock()
        scheduledRealtime = scheduled
        started = true
        lock.broadcast()
        lock.unlock()
        var buffer = [UInt8](repeating: 0, count: UHIDEvent.size)
        while true {
            var fds = [pollfd(fd: uhid, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: stopRequest.readEnd, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                return fail(.posix("poll /dev/uhid"))
            }
            if fds[1].revents != 0 { return }
            // Every event the kernel holds (a bounded number, then the stop request is looked at
            // again), before anything else.
            for _ in 0..<Self.capacity {
                let count = buffer.withUnsafeMutableBytes { read(uhid, $0.baseAddress, $0.count) }
                if count < 0 {
                    if errno == EINTR { continue }
                    if errno == EAGAIN { break }
                    return fail(.posix("read /dev/uhid"))
                }
                // uhid never reads as empty; a descriptor that does (closed) would spin this loop.
                if count == 0 { return fail(TransportError("read /dev/uhid: end of file")) }
                switch buffer.withUnsafeBytes({ UHIDEvent.parse(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }) {
                case .output(let report)?:
                    push(report)
                case .request(let kind, let id)?:
                    if let reply = UHIDEvent.refusal(of: kind, id: id) { _ = Self.writeEvent(uhid, reply) }
                case .other?, nil:
                    continue
                }
            }
        }
    }
}
