#if canImport(Glibc)
import Glibc
#endif

/// Reads a file argument, `-` meaning stdin.
enum InputFile {
    static func read(_ path: String, what: String) throws -> String {
        let data = path == "-" ? Terminal.readAll(fd: 0) : Terminal.readAll(path: KeystoreOptions.absolute(path))
        guard let data else { throw CLIError.badInput("cannot read \(what) \(path)") }
        guard let text = String(validating: data, as: UTF8.self) else { throw CLIError.badInput("\(what) \(path) is not UTF-8 text") }
        return text
    }
}
