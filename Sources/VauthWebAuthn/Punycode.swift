/// Punycode encoding (RFC 3492) and the ACE form of a domain label (RFC 5890 §2.3.2.1).
///
/// The Public Suffix List writes internationalised rules in Unicode (`公司.cn`) while origins
/// arrive in their ASCII form (`xn--55qx5d.cn`), as a browser's URL parser produces them. Only
/// encoding is needed to compare the two, so only encoding is implemented.
///
/// This is not full IDNA: no UTS #46 mapping and no NFC normalisation. Labels are lowercased
/// (Unicode default case mapping) and encoded as they are, which is exact for the PSL, whose
/// rules are already in canonical form.
public enum Punycode {
    private static let base: UInt32 = 36, tMin: UInt32 = 1, tMax: UInt32 = 26
    private static let skew: UInt32 = 38, damp: UInt32 = 700
    private static let initialBias: UInt32 = 72, initialN: UInt32 = 128

    /// The Punycode of `input` (without the `xn--` prefix); `nil` on arithmetic overflow, which
    /// only absurdly long labels can cause.
    public static func encode(_ input: String) -> String? {
        let scalars = input.unicodeScalars.map(\.value)
        var output = scalars.filter { $0 < 0x80 }.map { Character(Unicode.Scalar(UInt8($0))) }
        let basicCount = UInt32(output.count)
        if basicCount > 0 { output.append("-") }
        var n = initialN, delta: UInt32 = 0, bias = initialBias
        var handled = basicCount
        while handled < UInt32(scalars.count) {
            // The smallest code point not yet handled.
            guard let m = scalars.filter({ $0 >= n }).min() else { return nil }
            let (step, overflow1) = (m - n).multipliedReportingOverflow(by: handled + 1)
            let (sum, overflow2) = delta.addingReportingOverflow(step)
            guard !overflow1, !overflow2 else { return nil }
            delta = sum
            n = m
            for c in scalars {
                if c < n {
                    let (next, overflow) = delta.addingReportingOverflow(1)
                    guard !overflow else { return nil }
                    delta = next
                }
                if c == n {
                    var q = delta
                    var k = base
                    while true {
                        let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                        if q < t { break }
                        output.append(digit(t + (q - t) % (base - t)))
                        q = (q - t) / (base - t)
                        k += base
                    }
                    output.append(digit(q))
                    bias = adapt(delta, numPoints: handled + 1, firstTime: handled == basicCount)
                    delta = 0
                    handled += 1
                }
            }
            delta += 1
            n += 1
        }
        return String(output)
    }

    /// A label's ASCII form: lowercased, and `xn--` + Punycode when it has non-ASCII characters.
    public static func asciiLabel(_ label: some StringProtocol) -> String? {
        let lower = label.lowercased()
        if lower.unicodeScalars.allSatisfy(\.isASCII) { return lower }
        return encode(lower).map { "xn--" + $0 }
    }

    /// Every label of a dotted name in ASCII form.
    public static func asciiDomain(_ domain: String) -> String? {
        var labels: [String] = []
        for label in domain.split(separator: ".", omittingEmptySubsequences: false) {
            guard let ascii = asciiLabel(label) else { return nil }
            labels.append(ascii)
        }
        return labels.joined(separator: ".")
    }

    private static func digit(_ d: UInt32) -> Character {
        Character(Unicode.Scalar(UInt8(d < 26 ? d + 0x61 : d - 26 + 0x30)))
    }

    /// RFC 3492 §6.1.
    private static func adapt(_ delta: UInt32, numPoints: UInt32, firstTime: Bool) -> UInt32 {
        var delta = firstTime ? delta / damp : delta / 2
        delta += delta / numPoints
        var k: UInt32 = 0
        while delta > ((base - tMin) * tMax) / 2 {
            delta /= base - tMin
            k += base
        }
        return k + (base - tMin + 1) * delta / (delta + skew)
    }
}
