import VauthKeystore

#if canImport(Glibc)
import Glibc
#endif

/// Reads a file argument, `-` meaning stdin. Pipes work (`<(…)`, `/dev/stdin`); a failure names
/// the real reason (no such file, a directory, permission denied). Bytes, not a String: the JSON
/// parser validates UTF-8 in place, so a large input is held once.
package enum InputFile {
    /// The most an options document may hold. Real options are a few kilobytes; this leaves room
    /// for a long allowCredentials or a megabyte challenge (both tested) while bounding what a
    /// hostile RP can make vauth hold (issue 18 item 6).
    package static let optionsLimit = 32 << 20

    package static func bytes(_ path: String, what: String, limit: Int = 64 << 20) throws -> [UInt8] {
        do {
            return try WholeFile.read(path == "-" ? "/dev/stdin" : KeystoreOptions.absolute(path), limit: limit)
        } catch {
            switch error {
            case .io(_, _, let code) where code == EFBIG:
                throw CLIError.badInput("\(what) \(path) is larger than \(limit >> 20) MiB, the most vauth reads")
            case .io(_, _, let code):
                throw CLIError.badInput("cannot read \(what) \(path): \(String(cString: strerror(code)))")
            case .notRegularFile(_, let kind):
                throw CLIError.badInput("cannot read \(what) \(path): it is \(kind)")
            default:
                throw CLIError.badInput("cannot read \(what) \(path): \(error)")
            }
        }
    }
}
