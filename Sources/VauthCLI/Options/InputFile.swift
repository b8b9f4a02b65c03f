import VauthKeystore

#if canImport(Glibc)
import Glibc
#endif

/// Reads a file argument, `-` meaning stdin. Pipes work (`<(…)`, `/dev/stdin`); a failure names
/// the real reason (no such file, a directory, permission denied).
package enum InputFile {
    package static func read(_ path: String, what: String) throws -> String {
        let bytes = try Self.bytes(path, what: what)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw CLIError.badInput("\(what) \(path) is not UTF-8 text") }
        return text
    }

    package static func bytes(_ path: String, what: String, limit: Int = 64 << 20) throws -> [UInt8] {
        do {
            return try WholeFile.read(path == "-" ? "/dev/stdin" : KeystoreOptions.absolute(path), limit: limit)
        } catch {
            switch error {
            case .io(_, let operation, let code):
                throw CLIError.badInput("cannot read \(what) \(path): \(String(cString: strerror(code)))")
            case .notRegularFile(_, let kind):
                throw CLIError.badInput("cannot read \(what) \(path): it is \(kind)")
            default:
                throw CLIError.badInput("cannot read \(what) \(path): \(error)")
            }
        }
    }
}
