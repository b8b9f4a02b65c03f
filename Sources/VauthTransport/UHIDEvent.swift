#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The events of Linux's user-space HID driver (`<linux/uhid.h>`), encoded and decoded by hand:
/// `struct uhid_event` is a packed C union of 4376 bytes, which Swift cannot import usefully.
/// Pure functions over bytes, so they are tested without a kernel.
public enum UHIDEvent {
    /// `enum uhid_event_type`.
    public enum Kind: UInt32, Sendable {
        case destroy = 1, start = 2, stop = 3, open = 4, close = 5, output = 6
        case getReport = 9, getReportReply = 10, create2 = 11, input2 = 12, setReport = 13, setReportReply = 14
    }

    /// sizeof(struct uhid_event): the type and the largest member, uhid_create2_req.
    public static let size = 4 + 128 + 64 + 64 + 2 + 2 + 4 * 4 + 4096
    static let dataMax = 4096
    static let busUSB: UInt16 = 0x03

    /// The FIDO HID report descriptor (CTAP 2.2 §11.2.8.1): usage page 0xF1D0, usage CTAPHID,
    /// 64-byte input and output reports without report ids.
    public static let fidoReportDescriptor: [UInt8] = [
        0x06, 0xD0, 0xF1,  // Usage Page (FIDO Alliance)
        0x09, 0x01,        // Usage (CTAPHID)
        0xA1, 0x01,        // Collection (Application)
        0x09, 0x20,        //   Usage (Input Report Data)
        0x15, 0x00,        //   Logical Minimum (0)
        0x26, 0xFF, 0x00,  //   Logical Maximum (255)
        0x75, 0x08,        //   Report Size (8)
        0x95, 0x40,        //   Report Count (64)
        0x81, 0x02,        //   Input (Data, Var, Abs)
        0x09, 0x21,        //   Usage (Output Report Data)
        0x15, 0x00,        //   Logical Minimum (0)
        0x26, 0xFF, 0x00,  //   Logical Maximum (255)
        0x75, 0x08,        //   Report Size (8)
        0x95, 0x40,        //   Report Count (64)
        0x91, 0x02,        //   Output (Data, Var, Abs)
        0xC0,              // End Collection
    ]

    private static func put<T: FixedWidthInteger>(_ value: T, into event: inout [UInt8], at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { event.replaceSubrange(offset..<offset + MemoryLayout<T>.size, with: $0) }
    }

    private static func blank(_ kind: Kind) -> [UInt8] {
        var event = [UInt8](repeating: 0, count: size)
        put(kind.rawValue, into: &event, at: 0)
        return event
    }

    /// UHID_CREATE2: a USB HID device with the FIDO report descriptor.
    public static func create2(name: String, vendor: UInt32, product: UInt32) -> [UInt8] {
        var event = blank(.create2)
        let nameBytes = Array(name.utf8.prefix(127))
        event.replaceSubrange(4..<4 + nameBytes.count, with: nameBytes)
        let descriptorOffset = 4 + 128 + 64 + 64
        put(UInt16(fidoReportDescriptor.count), into: &event, at: descriptorOffset)
        put(busUSB, into: &event, at: descriptorOffset + 2)
        put(vendor, into: &event, at: descriptorOffset + 4)
        put(product, into: &event, at: descriptorOffset + 8)
        put(UInt32(0x0100), into: &event, at: descriptorOffset + 12)  // version
        put(UInt32(0), into: &event, at: descriptorOffset + 16)       // country
        event.replaceSubrange(descriptorOffset + 20..<descriptorOffset + 20 + fidoReportDescriptor.count, with: fidoReportDescriptor)
        return event
    }

    /// UHID_INPUT2: a report from the device to the host.
    public static func input2(_ report: [UInt8]) -> [UInt8] {
        var event = blank(.input2)
        let count = min(report.count, dataMax)
        put(UInt16(count), into: &event, at: 4)
        event.replaceSubrange(6..<6 + count, with: report.prefix(count))
        return event
    }

    public static func destroy() -> [UInt8] { blank(.destroy) }

    /// UHID_GET_REPORT_REPLY / UHID_SET_REPORT_REPLY refusing request `id` (the FIDO interface
    /// has no feature reports), so the kernel does not wait for its timeout.
    public static func refusal(of kind: Kind, id: UInt32) -> [UInt8]? {
        var event: [UInt8]
        switch kind {
        case .getReport: event = blank(.getReportReply)
        case .setReport: event = blank(.setReportReply)
        default: return nil
        }
        put(id, into: &event, at: 4)
        put(UInt16(EIO), into: &event, at: 8)
        return event
    }

    /// What an event from the kernel says.
    public enum Incoming: Equatable, Sendable {
        /// UHID_OUTPUT: a report the host wrote, without the report-number byte hidraw adds.
        case output([UInt8])
        /// GET_REPORT / SET_REPORT, which must be answered.
        case request(Kind, id: UInt32)
        /// START, STOP, OPEN, CLOSE and anything else: nothing to do.
        case other(UInt32)
    }

    public static func parse(_ event: [UInt8]) -> Incoming? {
        event.withUnsafeBytes { parse($0) }
    }

    /// The same, straight from the buffer read(2) filled (the reader thread parses every event
    /// the kernel queues, and must keep up with it).
    public static func parse(_ event: UnsafeRawBufferPointer) -> Incoming? {
        guard event.count >= 4 else { return nil }
        let type = UInt32(littleEndian: event.loadUnaligned(as: UInt32.self))
        switch Kind(rawValue: type) {
        case .output:
            guard event.count >= 4 + dataMax + 2 else { return nil }
            let size = Int(UInt16(littleEndian: event.loadUnaligned(fromByteOffset: 4 + dataMax, as: UInt16.self)))
            guard size <= dataMax else { return nil }
            // hidraw writes report number ‖ report; with no report ids the number is 0.
            let skipped = size == CTAPHID.reportSize + 1 && event[4] == 0 ? 1 : 0
            return .output(Array(event[4 + skipped..<4 + size]))
        case .getReport?, .setReport?:
            guard event.count >= 8 else { return nil }
            return .request(Kind(rawValue: type)!, id: UInt32(littleEndian: event.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        default:
            return .other(type)
        }
    }
}
