import ArgumentParser
import Foundation
import VauthAuthenticator
import VauthCrypto
import VauthKeystore
import VauthTransfer
import VauthWebAuthn

/// `vauth import [FILE|-]`: CDP credentials or a vauth export.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import credentials: a CDP WebAuthn.getCredentials document, one CDP credential, or a vauth export.")

    @OptionGroup var global: KeystoreOptions

    @Argument(help: "The file to read, or - for stdin (default).")
    var input: String = "-"

    func run() async throws {
        let text = try InputFile.read(input, what: "import file")
        let document: JSONValue
        do { document = try JSONParser.parse(text) } catch { throw CLIError.badInput("import file: \(error.message)") }
        let records: [CredentialRecord]
        do { records = try CredentialTransfer.importRecords(document, now: Authenticator.systemClock()) } catch {
            throw CLIError.badInput("import file: \(error)")
        }
        guard !records.isEmpty else { throw CLIError.badInput("import file holds no credentials") }
        let file = try global.open(.readWrite, create: true)
        try file.insert(records)
        Terminal.printJSON(.object([("imported", .array(records.map { .string(Base64.urlEncode($0.id)) }))]), compact: global.compact)
    }
}

/// Reads a file argument, `-` meaning stdin. Pipes work (`<(…)`, `/dev/stdin`); a failure names
/// the real reason (no such file, a directory, permission denied).
enum InputFile {
    static func read(_ path: String, what: String) throws -> String {
        let bytes = try Self.bytes(path, what: what)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw CLIError.badInput("\(what) \(path) is not UTF-8 text") }
        return text
    }

    static func bytes(_ path: String, what: String, limit: Int = 64 << 20) throws -> [UInt8] {
        do {
            return try WholeFile.read(path == "-" ? "/dev/stdin" : KeystoreOptions.absolute(path), limit: limit)
        } catch {
            switch error {
            case .io(_, let operation, let code):
                throw CLIError.badInput("cannot \(operation.hasPrefix("read") ? "read" : operation) \(what) \(path): \(String(cString: strerror(code)))")
            case .notRegularFile(_, let kind):
                throw CLIError.badInput("cannot read \(what) \(path): it is \(kind)")
            default:
                throw CLIError.badInput("cannot read \(what) \(path): \(error)")
            }
        }
    }
}
