import Testing
import VauthTransport

/// Framing, channels and every CTAPHID error the assembler decides (CTAP 2.2 §11.2.4–§11.2.9),
/// with the exact packets a conformance suite sends.
struct CTAPHIDAssemblerTests {
    static let channel: UInt32 = 0x0102_0304
    static let other: UInt32 = 0x1122_3344

    /// An assembler with `channel` allocated through INIT on the broadcast channel.
    static func ready() -> CTAPHIDAssembler {
        var assembler = CTAPHIDAssembler()
        assembler.channels.adopt(channel)
        return assembler
    }

    static func raw(_ channel: UInt32, _ bytes: [UInt8]) -> [UInt8] {
        let head = [UInt8(channel >> 24), UInt8(channel >> 16 & 0xFF), UInt8(channel >> 8 & 0xFF), UInt8(channel & 0xFF)]
        return (head + bytes) + [UInt8](repeating: 0, count: 64 - 4 - bytes.count)
    }

    @Test func fragmentsAndReassemblesEveryLength() {
        for length in [0, 1, 57, 58, 116, 117, 1000, CTAPHID.maximumMessageSize] {
            let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 7) }
            let message = CTAPHIDMessage(channel: Self.channel, command: CTAPHIDCommand.ping.rawValue, payload: payload)
            let reports = message.reports
            #expect(reports.allSatisfy { $0.count == 64 })
            #expect(reports.count == 1 + max(0, (length - 57 + 58) / 59))
            var assembler = Self.ready()
            var events: [CTAPHIDAssembler.Event] = []
            for report in reports { events += assembler.receive(report, at: 0) }
            #expect(events == [.message(message)], "length \(length)")
        }
    }

    @Test func initOnTheBroadcastChannelIsAMessageAndAllocationAvoidsReservedIds() {
        var assembler = CTAPHIDAssembler()
        let nonce: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        let events = assembler.receive(Self.raw(CTAPHID.broadcastChannel, [0x86, 0, 8] + nonce), at: 0)
        #expect(events == [.message(CTAPHIDMessage(channel: CTAPHID.broadcastChannel, command: 0x06, payload: nonce))])
        var channels = CTAPHIDChannels(firstChannel: 0xFFFF_FFFF)
        let first = channels.allocate(), second = channels.allocate()
        #expect(first == 1 && second == 2)
        for id in UInt32(100)..<UInt32(100 + 2 * CTAPHIDChannels.capacity) { channels.adopt(id) }
        #expect(channels.contains(UInt32(99 + 2 * CTAPHIDChannels.capacity)), "bounded, newest kept")
    }

    @Test func channelErrors() {
        var assembler = Self.ready()
        // INIT on channel 0, PING on the broadcast channel; a channel the client picked is served.
        #expect(assembler.receive(Self.raw(0, [0x86, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]), at: 0) == [.error(channel: 0, .invalidChannel)])
        #expect(assembler.receive(Self.raw(CTAPHID.broadcastChannel, [0x81, 0, 8]), at: 0)
                == [.error(channel: CTAPHID.broadcastChannel, .invalidChannel)])
        #expect(assembler.receive(Self.raw(0x5555_5555, [0x81, 0, 1, 9]), at: 0)
                == [.message(CTAPHIDMessage(channel: 0x5555_5555, command: 0x01, payload: [9]))])
        #expect(assembler.channels.contains(0x5555_5555))
    }

    @Test func lengthErrors() {
        var assembler = Self.ready()
        // BCNT 7610 is one more than 128 continuation packets can carry.
        #expect(assembler.receive(Self.raw(Self.channel, [0x81, 0x1D, 0xBA]), at: 0) == [.error(channel: Self.channel, .invalidLength)])
        // INIT must carry exactly the 8-byte nonce.
        #expect(assembler.receive(Self.raw(Self.channel, [0x86, 0, 4, 1, 2, 3, 4]), at: 0) == [.error(channel: Self.channel, .invalidLength)])
        // A datagram longer than a report.
        #expect(assembler.receive(Self.raw(Self.channel, [0x81, 0, 1]) + [0], at: 0) == [.error(channel: Self.channel, .invalidLength)])
        #expect(assembler.receive([1, 2], at: 0) == [])
    }

    @Test func skippedSequenceNumberIsInvalidSeq() {
        var assembler = Self.ready()
        #expect(assembler.receive(Self.raw(Self.channel, [0x81, 0x04, 0x90]), at: 0) == [])
        #expect(assembler.receive(Self.raw(Self.channel, [0x00]), at: 1) == [])
        #expect(assembler.receive(Self.raw(Self.channel, [0x01]), at: 2) == [])
        #expect(assembler.receive(Self.raw(Self.channel, [0x03]), at: 3) == [.error(channel: Self.channel, .invalidSequence)])
        #expect(!assembler.isAssembling)
    }

    @Test func newInitPacketMidMessageIsInvalidSeq() {
        var assembler = Self.ready()
        _ = assembler.receive(Self.raw(Self.channel, [0x81, 0x04, 0x00]), at: 0)
        _ = assembler.receive(Self.raw(Self.channel, [0x00]), at: 1)
        #expect(assembler.receive(Self.raw(Self.channel, [0x81, 0x10, 0x00]), at: 2) == [.error(channel: Self.channel, .invalidSequence)])
        #expect(!assembler.isAssembling, "neither message is kept")
    }

    @Test func stalledMessageTimesOutAfterHalfASecond() {
        var assembler = Self.ready()
        _ = assembler.receive(Self.raw(Self.channel, [0x81, 0x04, 0x00]), at: 1000)
        _ = assembler.receive(Self.raw(Self.channel, [0x00]), at: 1100)
        #expect(assembler.nextDeadline == 1600)
        #expect(assembler.expire(at: 1599) == [])
        #expect(assembler.expire(at: 1600) == [.error(channel: Self.channel, .messageTimeout)])
        #expect(assembler.expire(at: 5000) == [])
    }

    @Test func otherChannelIsBusyButInitIsAnswered() {
        var assembler = Self.ready()
        _ = assembler.receive(Self.raw(Self.channel, [0x81, 0x04, 0x00]), at: 0)
        #expect(assembler.receive(Self.raw(Self.other, [0x81, 0x04, 0x00]), at: 1) == [.error(channel: Self.other, .channelBusy)])
        // Its continuation packets are ignored, not answered again.
        #expect(assembler.receive(Self.raw(Self.other, [0x00]), at: 2) == [])
        let nonce: [UInt8] = [8, 7, 6, 5, 4, 3, 2, 1]
        #expect(assembler.receive(Self.raw(Self.other, [0x86, 0, 8] + nonce), at: 3)
                == [.message(CTAPHIDMessage(channel: Self.other, command: 0x06, payload: nonce))])
        #expect(assembler.isAssembling, "INIT from another channel leaves the message alone")
        #expect(assembler.expire(at: 600) == [.error(channel: Self.channel, .messageTimeout)])
    }

    @Test func initOnTheSameChannelAbandonsTheMessage() {
        var assembler = Self.ready()
        _ = assembler.receive(Self.raw(Self.channel, [0x81, 0x04, 0x00]), at: 0)
        let events = assembler.receive(Self.raw(Self.channel, [0x86, 0, 8, 1, 1, 1, 1, 1, 1, 1, 1]), at: 1)
        #expect(events.count == 1)
        #expect(!assembler.isAssembling)
    }

    @Test func whileProcessingOnlyInitAndCancelGetThrough() {
        var assembler = Self.ready()
        assembler.channels.adopt(Self.other)
        assembler.processingChannel = Self.channel
        #expect(assembler.receive(Self.raw(Self.other, [0x81, 0, 1, 5]), at: 0) == [.error(channel: Self.other, .channelBusy)])
        #expect(assembler.receive(Self.raw(Self.channel, [0x81, 0, 1, 5]), at: 0) == [.error(channel: Self.channel, .channelBusy)])
        #expect(assembler.receive(Self.raw(Self.channel, [0x91, 0, 0]), at: 0)
                == [.message(CTAPHIDMessage(channel: Self.channel, command: 0x11, payload: []))])
    }

    @Test func strayContinuationPacketsAreIgnored() {
        var assembler = Self.ready()
        #expect(assembler.receive(Self.raw(Self.channel, [0x05, 1, 2]), at: 0) == [])
    }

    @Test func randomReportsNeverTrapAndAlwaysLeaveAUsableAssembler() {
        var assembler = Self.ready()
        var state: UInt64 = 0x5EED
        for step in 0..<20_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let length = Int(state >> 58) + 1
            var report: [UInt8] = [1, 2, 3, 4].map { UInt8($0) }
            for _ in 0..<length {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                report.append(UInt8(truncatingIfNeeded: state >> 33))
            }
            _ = assembler.receive(report, at: UInt64(step))
            _ = assembler.expire(at: UInt64(step))
        }
        _ = assembler.expire(at: .max / 2)
        #expect(assembler.receive(Self.raw(Self.channel, [0x81, 0, 2, 7, 7]), at: .max / 2)
                == [.message(CTAPHIDMessage(channel: Self.channel, command: 0x01, payload: [7, 7]))])
    }
}
