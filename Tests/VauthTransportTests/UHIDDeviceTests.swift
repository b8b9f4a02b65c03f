#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import VauthTransport

/// ``UHIDDevice`` against a SOCK_SEQPACKET socket that plays the kernel's /dev/uhid (one event
/// per read and write, as uhid's character device). The real kernel is the QEMU rig's
/// (Tests/UHID); this checks the reader thread's own logic: nothing lost or reordered when
/// events arrive faster than the server takes them, requests refused, the device destroyed.
struct UHIDDeviceTests {
    /// The device on one end, the "kernel" on the other.
    static func pair() throws -> (UHIDDevice, kernel: Int32) {
        var fds: [Int32] = [0, 0]
        try #require(socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0)
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        let device = try UHIDDevice(adopting: fds[0], name: "test", vendor: 0x1209, product: 0x0001)
        return (device, fds[1])
    }

    /// The next event the device wrote, within 10 seconds.
    static func event(from kernel: Int32) throws -> [UInt8] {
        var fd = [pollfd(fd: kernel, events: Int16(POLLIN), revents: 0)]
        try #require(poll(&fd, 1, 10_000) == 1, "no event from the device within 10 s")
        var buffer = [UInt8](repeating: 0, count: UHIDEvent.size)
        let count = buffer.withUnsafeMutableBytes { read(kernel, $0.baseAddress, $0.count) }
        try #require(count > 0)
        return Array(buffer.prefix(count))
    }

    static func output(_ report: [UInt8]) -> [UInt8] {
        var event = [UInt8](repeating: 0, count: UHIDEvent.size)
        event[0] = 6  // UHID_OUTPUT
        event.replaceSubrange(4..<4 + 65, with: [0] + report)
        event[4100] = 65
        return event
    }

    static func send(_ event: [UInt8], to kernel: Int32) {
        _ = event.withUnsafeBytes { write(kernel, $0.baseAddress, $0.count) }
    }

    @Test func aBurstOfReportsArrivesWholeAndInOrder() throws {
        let (device, kernel) = try Self.pair()
        defer { close(kernel) }
        #expect(try Self.event(from: kernel).first == 11, "UHID_CREATE2 first")
        // 600 reports (more than four of CTAPHID's largest messages) written while nobody takes
        // them: the reader's queue holds them all.
        let reports = (0..<600).map { index in (0..<64).map { UInt8(truncatingIfNeeded: index &+ $0) } }
        let writer = Thread { for report in reports { Self.send(Self.output(report), to: kernel) } }
        writer.start()
        var received: [[UInt8]] = []
        let deadline = Date().addingTimeInterval(20)
        while received.count < reports.count && Date() < deadline {
            var fd = [pollfd(fd: device.descriptor, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fd, 1, 1000)
            while let (report, _) = try device.receiveReport() { received.append(report) }
        }
        #expect(received == reports)
    }

    @Test func reportRequestsAreRefusedAndTheDeviceDestroyedWhenItGoes() throws {
        var device: UHIDDevice?
        let kernel: Int32
        do {
            let (created, other) = try Self.pair()
            (device, kernel) = (created, other)
        }
        defer { close(kernel) }
        _ = try Self.event(from: kernel)
        var request = [UInt8](repeating: 0, count: UHIDEvent.size)
        request[0] = 9  // UHID_GET_REPORT
        request[4] = 0x2A
        Self.send(request, to: kernel)
        let reply = try Self.event(from: kernel)
        #expect(reply[0] == 10 && reply[4] == 0x2A && reply[8] != 0, "GET_REPORT_REPLY with an error")
        device?.sendReport([UInt8](repeating: 7, count: 64), to: .init())
        let input = try Self.event(from: kernel)
        #expect(input[0] == 12 && input[4] == 64 && input[6] == 7, "UHID_INPUT2")
        device = nil
        #expect(try Self.event(from: kernel).first == 1, "UHID_DESTROY when the device goes")
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(read(kernel, &buffer, buffer.count) == 0, "and its descriptor closed")
    }

    @Test func inputReportsGoInBurstsOf32ThenOnePerMillisecond() {
        let millisecond = UHIDInputPacing.intervalNanoseconds
        var pacing = UHIDInputPacing()
        let start: UInt64 = 5_000_000_000
        // A 129-report message asked for at one instant: 32 at once, then the USB rate.
        let delays = (0..<129).map { _ in pacing.delay(before: start) }
        #expect(delays.prefix(32).allSatisfy { $0 == 0 })
        #expect(Array(delays.dropFirst(32)) == (1...97).map { UInt64($0) * millisecond })
        // A sender that waits as told is never told to wait longer than one interval.
        var waited = UHIDInputPacing(), now = start, longest: UInt64 = 0
        for _ in 0..<500 {
            let delay = waited.delay(before: now)
            longest = max(longest, delay)
            now += delay
        }
        #expect(longest == millisecond && now - start == (500 - 32) * millisecond)
        // After 32 ms of silence the whole burst is there again.
        var idle = UHIDInputPacing()
        _ = (0..<129).map { _ in idle.delay(before: start) }
        let later = start + 97 * millisecond + 32 * millisecond
        #expect((0..<32).map { _ in idle.delay(before: later) }.allSatisfy { $0 == 0 })
        #expect(idle.delay(before: later) == millisecond)
    }
}
