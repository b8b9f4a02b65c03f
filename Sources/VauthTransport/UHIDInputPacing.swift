/// When the next input report may go. hidraw queues at most 64 reports for each reader
/// (HIDRAW_BUFFER_SIZE) and silently drops what comes while they wait; a USB key never floods it,
/// because the host fetches at most one report per polling interval (1 ms at full speed), but
/// a uhid device can write a 129-report message in microseconds, before the reader runs (the
/// QEMU rig lost packets of 7609-byte responses that way). So: bursts of up to 32 reports,
/// half the reader's queue, at once; beyond that one report per millisecond, the full-speed rate.
/// A pure value (the clock is an argument) so it is unit-tested.
public struct UHIDInputPacing: Sendable {
    public static let burst: UInt64 = 32
    public static let intervalNanoseconds: UInt64 = 1_000_000

    /// When the next report would go at the sustained rate ("theoretical arrival time").
    private var theoretical: UInt64 = 0

    public init() {}

    /// Nanoseconds to wait before sending a report at `now` (any monotonic clock); counts it sent.
    public mutating func delay(before now: UInt64) -> UInt64 {
        let start = max(theoretical, now)
        let allowance = (Self.burst - 1) * Self.intervalNanoseconds
        theoretical = start + Self.intervalNanoseconds
        return start > now + allowance ? start - now - allowance : 0
    }
}
