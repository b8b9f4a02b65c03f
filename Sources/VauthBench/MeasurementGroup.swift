/// Measurements taken together (in the same alternating slices), the ratios between them, and
/// the machine's load while they ran.
struct MeasurementGroup {
    enum Unit: String, Sendable {
        case perSecond = "/s"
        case milliseconds = "ms"
        case megabytes = "MB"
        case ratio = "×"
        case count = ""
    }

    struct Entry {
        var name: String
        var unit: Unit
        var statistic: Statistic
    }

    let name: String
    private(set) var entries: [Entry] = []
    /// Per-round rates by operation name, for ratios.
    private var rates: [String: [Double]] = [:]
    var load: MachineLoad?
    /// What a reader needs to know about this group's numbers (where it ran, what was skipped).
    var notes: [String] = []

    init(name: String) {
        self.name = name
    }

    /// Rates from ``Measure/slices(_:rounds:slice:)``: one entry per operation, in /s.
    init(name: String, operations: [Measure.Operation], rates: [[Double]]) {
        self.name = name
        for (operation, samples) in zip(operations, rates) { add(operation.name, rates: samples) }
    }

    mutating func add(_ name: String, rates samples: [Double]) {
        rates[name] = samples
        entries.append(Entry(name: name, unit: .perSecond, statistic: Statistic(samples)))
    }

    mutating func add(_ name: String, _ unit: Unit, _ statistic: Statistic) {
        entries.append(Entry(name: name, unit: unit, statistic: statistic))
    }

    func has(_ name: String) -> Bool { rates[name] != nil }

    /// `name` / `reference` from the same rounds, as the entry `name/reference`.
    mutating func ratio(_ name: String, over reference: String) {
        guard let numerator = rates[name], let denominator = rates[reference] else { return }
        entries.append(Entry(name: "\(name)/\(reference)", unit: .ratio, statistic: .ratio(numerator, denominator)))
    }

    /// The ratio of two entries of another unit (milliseconds) from paired samples.
    mutating func ratio(_ name: String, samples numerator: [Double], over denominator: [Double]) {
        entries.append(Entry(name: name, unit: .ratio, statistic: .ratio(numerator, denominator)))
    }

    func statistic(_ name: String) -> Statistic? { entries.first { $0.name == name }?.statistic }
}
