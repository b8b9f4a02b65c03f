#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Timing on a shared, noisy machine: each measurement runs for a fixed time in several rounds,
/// interleaved with the measurements it is compared with, and keeps its best round (the rate the
/// code reaches when the machine lets it).
enum Measure {
    /// Monotonic seconds.
    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Operations per second of `body` over about `seconds` (at least `minimum` operations).
    static func rate(seconds: Double, minimum: Int = 3, _ body: () throws -> Void) throws -> Double {
        try body()  // warm up lazy state outside the timing
        let start = now()
        var count = 0, elapsed = 0.0
        repeat {
            // Batches keep the clock reads out of the cost of fast operations.
            let batch = count < 8 ? 1 : 8
            for _ in 0..<batch { try body() }
            count += batch
            elapsed = now() - start
        } while elapsed < seconds || count < minimum
        return Double(count) / elapsed
    }

    /// Rates of several operations measured in alternating slices of about `slice` seconds for
    /// `seconds` in all: a ratio between them is then immune to the machine's load drifting
    /// (each gets the same share of good and bad moments), which separate rounds are not.
    static func interleaved(seconds: Double, slice: Double = 0.02, _ bodies: [() throws -> Void]) throws -> [Double] {
        for body in bodies { try body() }  // warm up
        var counts = [Int](repeating: 0, count: bodies.count)
        var times = [Double](repeating: 0, count: bodies.count)
        let end = now() + seconds
        repeat {
            for (index, body) in bodies.enumerated() {
                let start = now()
                var elapsed = 0.0
                repeat {
                    try body()
                    counts[index] += 1
                    elapsed = now() - start
                } while elapsed < slice
                times[index] += elapsed
            }
        } while now() < end
        return zip(counts, times).map { Double($0) / $1 }
    }

    /// Median seconds of `iterations` runs of `body`.
    static func median(iterations: Int, _ body: () throws -> Void) throws -> Double {
        try body()
        var samples: [Double] = []
        for _ in 0..<iterations {
            let start = now()
            try body()
            samples.append(now() - start)
        }
        samples.sort()
        return samples[samples.count / 2]
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
