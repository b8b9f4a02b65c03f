import Testing
import VauthTransport

/// The uhid event layout, checked against the offsets of `<linux/uhid.h>` (packed structs):
/// type u32 · create2 {name[128], phys[64], uniq[64], rd_size u16, bus u16, vendor u32,
/// product u32, version u32, country u32, rd_data[4096]}; input2 {size u16, data[4096]};
/// output {data[4096], size u16, rtype u8}. No kernel is needed (CI has no /dev/uhid).
struct UHIDEventTests {
    static func u32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
    }

    static func u16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    @Test func create2CarriesTheFIDOReportDescriptor() {
        let event = UHIDEvent.create2(name: "vauth", vendor: 0x1209, product: 0x0001)
        #expect(event.count == 4376)
        #expect(Self.u32(event, 0) == 11)
        #expect(Array(event[4..<9]) == Array("vauth".utf8) && event[9] == 0)
        #expect(Int(Self.u16(event, 260)) == UHIDEvent.fidoReportDescriptor.count)
        #expect(Self.u16(event, 262) == 3, "BUS_USB")
        #expect(Self.u32(event, 264) == 0x1209 && Self.u32(event, 268) == 0x0001)
        #expect(Array(event[280..<280 + UHIDEvent.fidoReportDescriptor.count]) == UHIDEvent.fidoReportDescriptor)
        // Usage page 0xF1D0 (FIDO), usage 1 (CTAPHID), 64-byte input and output reports.
        #expect(Array(UHIDEvent.fidoReportDescriptor.prefix(5)) == [0x06, 0xD0, 0xF1, 0x09, 0x01])
        #expect(UHIDEvent.fidoReportDescriptor.filter { $0 == 0x40 }.count == 2)
    }

    @Test func input2AndOutputRoundTripAReport() {
        let report = (0..<64).map { UInt8($0) }
        let input = UHIDEvent.input2(report)
        #expect(Self.u32(input, 0) == 12 && Self.u16(input, 4) == 64 && Array(input[6..<70]) == report)

        var output = [UInt8](repeating: 0, count: UHIDEvent.size)
        output[0] = 6
        output.replaceSubrange(4..<69, with: [0] + report)  // hidraw's report number 0, then the report
        output[4100] = 65
        #expect(UHIDEvent.parse(output) == .output(report))
        output.replaceSubrange(4..<68, with: report)
        output[4100] = 64
        #expect(UHIDEvent.parse(output) == .output(report))
    }

    @Test func reportRequestsAreRefusedAndLifecycleEventsIgnored() throws {
        var request = [UInt8](repeating: 0, count: UHIDEvent.size)
        request[0] = 9
        request[4] = 0x2A
        #expect(UHIDEvent.parse(request) == .request(.getReport, id: 0x2A))
        let reply = try #require(UHIDEvent.refusal(of: .getReport, id: 0x2A))
        #expect(Self.u32(reply, 0) == 10 && Self.u32(reply, 4) == 0x2A && Self.u16(reply, 8) != 0)
        var start = [UInt8](repeating: 0, count: UHIDEvent.size)
        start[0] = 2
        #expect(UHIDEvent.parse(start) == .other(2))
        #expect(UHIDEvent.parse([1, 2]) == nil)
    }
}
