#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A virtual USB HID device through `/dev/uhid`, so that browsers and libfido2 see the
/// authenticator as a security key (Linux only; needs the uhid module and write access to
/// /dev/uhid). The device goes when the object does; the kernel also removes it when the
/// descriptor closes, so it never outlives the process, whatever signal ends it.
///
/// uhid has nothing like USB's flow control in either direction, and the QEMU rig (Tests/UHID)
/// lost packets of long messages both ways on one CPU. Reports from the host are drained by a
/// thread of its own (``UHIDEventReader``, real-time where allowed) before uhid's 32-event queue
/// overflows; reports to the host are paced as a USB interrupt endpoint would deliver them
/// (``UHIDInputPacing``) so that hidraw's 64-report queue per reader does not.
public final class UHIDDevice: CTAPHIDCarrier {
    /// The host: there is only one.
    public struct Host: Sendable {}

    /// Readable while reports wait in the reader's queue: what the server polls.
    public var descriptor: Int32 { reader.ready.readEnd }
    private let reader: UHIDEventReader
    private let uhid: Int32

    /// pid.codes' vendor id for open-source hardware, and its test product id.
    public convenience init(path: String = "/dev/uhid", name: String = "vauth virtual FIDO2 authenticator",
                            vendor: UInt32 = 0x1209, product: UInt32 = 0x0001) throws(TransportError) {
        let fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            throw TransportError("cannot open \(path): \(String(cString: strerror(code)))"
                                 + (code == ENOENT ? " (load the uhid kernel module: modprobe uhid)" : ""))
        }
        try self.init(adopting: fd, name: name, vendor: vendor, product: product)
    }

    /// Creates the device on an open, non-blocking /dev/uhid descriptor (or, in the unit tests,
    /// a SOCK_SEQPACKET socket playing the kernel), which it owns from now on.
    init(adopting fd: Int32, name: String, vendor: UInt32, product: UInt32) throws(TransportError) {
        guard UHIDEventReader.writeEvent(fd, UHIDEvent.create2(name: name, vendor: vendor, product: product)) else {
            let error = TransportError.posix("creating the uhid device")
            close(fd)
            throw error
        }
        do {
            reader = try UHIDEventReader(descriptor: fd)
        } catch {
            _ = UHIDEventReader.writeEvent(fd, UHIDEvent.destroy())
            close(fd)
            throw error
        }
        uhid = fd
        reader.start()
    }

    deinit {
        reader.stop()
        _ = UHIDEventReader.writeEvent(uhid, UHIDEvent.destroy())
        close(uhid)
    }

    /// Whether /dev/uhid is read at real-time priority (SCHED_FIFO: root, CAP_SYS_NICE or an
    /// RLIMIT_RTPRIO). Without it a message longer than the kernel's queue (32 reports, about
    /// 1.8 kB) that a platform writes in one burst can lose packets on a busy single CPU.
    public var readsAtRealtimePriority: Bool { reader.realtime }

    public func receiveReport() throws(TransportError) -> (bytes: [UInt8], peer: Host)? {
        try reader.next().map { ($0, Host()) }
    }

    private var pacing = UHIDInputPacing()

    /// Paced as a USB key's interrupt endpoint is (``UHIDInputPacing``): the kernel hands each
    /// report to hidraw at once, and hidraw keeps 64 per reader and drops the rest.
    public func sendReport(_ report: [UInt8], to peer: Host) {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let wait = pacing.delay(before: UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec))
        if wait > 0 {
            var interval = timespec(tv_sec: Int(wait / 1_000_000_000), tv_nsec: Int(wait % 1_000_000_000))
            var remaining = timespec()
            while nanosleep(&interval, &remaining) != 0 && errno == EINTR { interval = remaining }
        }
        _ = UHIDEventReader.writeEvent(uhid, UHIDEvent.input2(report))
    }
}
