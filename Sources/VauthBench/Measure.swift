#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Timing on a shared, noisy machine. Everything compared is measured in **alternating slices**:
/// a slice of each operation in turn, then again, for several rounds, so that a burst of load
/// from another process falls on all of them alike. Each operation's result is the median of its
/// slices with the lowest and highest slice as the spread, and each ratio is the median of the
/// per-round ratios (both rates from the same moments), never a ratio of two bests.
enum Measure {
    /// Monotonic seconds.
    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// CPU seconds of the calling thread (user and system): what an in-process operation costs,
    /// whoever else wants the machine meanwhile. On a shared machine the wall clock also counts
    /// the time the scheduler gives to other processes, which moved single slices by 10× here.
    static func threadCPU() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// One operation under measurement. `run(seconds)` performs it repeatedly for about that long
    /// (at least once) and returns how many times and in how many seconds; an operation timed
    /// elsewhere (a child process timing itself) returns its own numbers.
    struct Operation {
        let name: String
        let run: (Double) throws -> (count: Int, seconds: Double)

        /// An operation this process times: `body` in a loop for `seconds` of this thread's CPU
        /// time (``Measure/threadCPU()``), so its rate is operations per CPU-second.
        init(_ name: String, _ body: @escaping () throws -> Void) {
            self.name = name
            run = { seconds in
                let start = Measure.threadCPU()
                var count = 0, elapsed = 0.0
                repeat {
                    try body()
                    count += 1
                    elapsed = Measure.threadCPU() - start
                } while elapsed < seconds
                return (count, elapsed)
            }
        }

        /// An operation timed by the wall clock: one whose cost is partly elsewhere (another
        /// process, the disk), so this thread's CPU time would leave it out.
        init(wallClock name: String, _ body: @escaping () throws -> Void) {
            self.name = name
            run = { seconds in
                let start = Measure.now()
                var count = 0, elapsed = 0.0
                repeat {
                    try body()
                    count += 1
                    elapsed = Measure.now() - start
                } while elapsed < seconds
                return (count, elapsed)
            }
        }

        init(name: String, timedElsewhere: @escaping (Double) throws -> (count: Int, seconds: Double)) {
            self.name = name
            run = timedElsewhere
        }
    }

    /// Rates (operations per second) of `operations`, `rounds` slices each of about `slice`
    /// seconds, alternating; index [operation][round]. Each operation runs once before timing
    /// starts (lazy state, page cache), and the order within a round rotates so that no
    /// operation always follows the same one.
    static func slices(_ operations: [Operation], rounds: Int, slice: Double) throws -> [[Double]] {
        for operation in operations { _ = try operation.run(0) }
        var rates = [[Double]](repeating: [], count: operations.count)
        for round in 0..<rounds {
            for step in 0..<operations.count {
                let index = (step + round) % operations.count
                let (count, seconds) = try operations[index].run(slice)
                rates[index].append(Double(count) / max(seconds, 1e-9))
            }
        }
        return rates
    }
}

/// The median of some samples and their spread (lowest and highest).
struct Statistic: Sendable {
    var median: Double
    var low: Double
    var high: Double
    var samples: Int

    init(_ values: [Double]) {
        precondition(!values.isEmpty, "a statistic of no samples")
        let sorted = values.sorted()
        let middle = sorted.count / 2
        median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        low = sorted[0]
        high = sorted[sorted.count - 1]
        samples = sorted.count
    }

    /// Per-round quotients `numerator[i] / denominator[i]`: a ratio of rates from the same moments.
    static func ratio(_ numerator: [Double], _ denominator: [Double]) -> Statistic {
        Statistic(zip(numerator, denominator).map { $0 / $1 })
    }

    /// The same measurement in another unit (rates to milliseconds per operation: 1000 / rate).
    func map(_ transform: (Double) -> Double) -> Statistic {
        let values = [transform(low), transform(median), transform(high)]
        var result = self
        result.median = values[1]
        result.low = min(values[0], values[2])
        result.high = max(values[0], values[2])
        return result
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Optional {
    func orThrow(_ message: String) throws -> Wrapped {
        guard let self else { throw BenchmarkError(message) }
        return self
    }
}
