/// The channel ids a CTAPHID device has handed out (CTAP 2.2 §11.2.3). INIT on the broadcast
/// channel allocates a fresh one; ids survive a power cycle of the simulated device, as the
/// SoloKeys simulator's clients expect.
public struct CTAPHIDChannels: Sendable {
    private var known: Set<UInt32> = []
    private var next: UInt32

    /// The first id to hand out; any value other than 0 and 0xFFFFFFFF.
    public init(firstChannel: UInt32 = 1) {
        next = firstChannel
    }

    public func contains(_ channel: UInt32) -> Bool { known.contains(channel) }

    /// A fresh channel id, never 0 or the broadcast channel.
    public mutating func allocate() -> UInt32 {
        while next == CTAPHID.reservedChannel || next == CTAPHID.broadcastChannel || known.contains(next) { next &+= 1 }
        let channel = next
        adopt(channel)
        next &+= 1
        return channel
    }

    /// INIT sent on a channel's own id resynchronises it; a client that picked its id itself
    /// (as conformance suites do) is taken at its word.
    public mutating func adopt(_ channel: UInt32) {
        guard channel != CTAPHID.reservedChannel, channel != CTAPHID.broadcastChannel else { return }
        // Bounded: a client cycling through ids forgets the oldest rather than growing the set.
        if known.count >= Self.capacity && !known.contains(channel) { known.remove(known.first!) }
        known.insert(channel)
    }

    /// How many channel ids are remembered at once.
    public static let capacity = 4096
}
