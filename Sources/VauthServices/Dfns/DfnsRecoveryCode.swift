import VauthCrypto

/// A Dfns recovery code, `D1-XXXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXXX` over the 32-letter alphabet
/// without 0/O/1/I (contract: "Recovery credential"): 32 letters of 5 bits, 160 bits in all. It is
/// the password the recovery key is encrypted under, so it is kept in wipe-on-free storage.
public struct DfnsRecoveryCode: Sendable {
    public static let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789".utf8)
    static let prefix = "D1"
    static let groupLengths = [6, 5, 5, 5, 5, 6]

    /// The code's text, UTF-8, as PBKDF2's password.
    public let text: SecretBytes

    /// A new random code. The alphabet has 32 letters, so the low five bits of a random byte pick
    /// one without bias.
    public static func generate() throws -> DfnsRecoveryCode {
        let count = groupLengths.reduce(0, +)
        let random = try SecretBytes(randomCount: count)
        let layout = (prefix.utf8.count + 1) + count + (groupLengths.count - 1)
        let text = random.withUnsafeBytes { randomBytes in
            SecretBytes(count: layout) { out in
                var position = 0
                for byte in prefix.utf8 { out[position] = byte; position += 1 }
                var source = 0
                for length in groupLengths {
                    out[position] = UInt8(ascii: "-"); position += 1
                    for _ in 0..<length {
                        out[position] = alphabet[Int(randomBytes[source] & 0x1f)]
                        position += 1; source += 1
                    }
                }
            }
        }
        return DfnsRecoveryCode(text: text)
    }

    /// A code as the user typed it: surrounding whitespace is ignored and letters may be lower
    /// case; anything else that is not the code's shape is refused before any key derivation.
    public init(typed: String) throws(DfnsError) {
        var bytes = Array(typed.utf8)
        defer { for index in bytes.indices { bytes[index] = 0 } }
        while let last = bytes.last, last == 0x20 || last == 0x09 || last == 0x0a || last == 0x0d { bytes.removeLast() }
        var start = 0
        while start < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[start]) { start += 1 }
        var normalized = bytes[start...].map { (0x61...0x7a).contains($0) ? $0 - 0x20 : $0 }
        defer { for index in normalized.indices { normalized[index] = 0 } }
        guard Self.isWellFormed(normalized) else {
            throw .malformed("the recovery code is not of the form D1-XXXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXXX "
                             + "(letters A-Z without I and O, digits 2-9)")
        }
        text = SecretBytes(normalized)
    }

    private init(text: SecretBytes) {
        self.text = text
    }

    static func isWellFormed(_ bytes: [UInt8]) -> Bool {
        let groups = bytes.split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
        guard groups.count == groupLengths.count + 1, Array(groups[0]) == Array(prefix.utf8) else { return false }
        for (group, length) in zip(groups.dropFirst(), groupLengths) {
            guard group.count == length, group.allSatisfy(alphabet.contains) else { return false }
        }
        return true
    }

    /// The code for showing to the user, once.
    public func revealedText() -> String {
        text.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }
}
