import VauthCrypto
import VauthWebAuthn

#if canImport(Glibc)
import Glibc
#endif

/// stdout for documents, stderr for people, /dev/tty for secrets.
package enum Terminal {
    /// One `vauth: error:` line. Newlines inside a message are folded so it stays one line, and
    /// control characters (which may come from an RP's options: an `rp.id` holding ESC could
    /// drive the user's terminal) are escaped.
    package static func printError(_ message: String) {
        writeStderr("vauth: error: \(escaped(oneLine(message)))\n")
    }

    /// A warning: the command succeeded, but something the user should know did not.
    package static func warn(_ message: String) {
        writeStderr("vauth: warning: \(escaped(oneLine(message)))\n")
    }

    /// A human message (progress, notes) on stderr.
    package static func note(_ message: String) {
        writeStderr("vauth: \(escaped(oneLine(message)))\n")
    }

    package static func oneLine(_ message: String) -> String {
        message.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// C0 and C1 control characters and DEL as `\u{…}`, everything else as it is.
    package static func escaped(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}" {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    package static func writeStderr(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }

    /// The first failure writing to stdout, if any: `main` turns it into exit status 2 even when
    /// the command itself went on (a backup cut short on a full disk must not look complete).
    package nonisolated(unsafe) static var stdoutFailure: Int32?

    /// Writes all of `text` to stdout (unbuffered: nothing is left to flush at exit). Throws on a
    /// write error (a full disk, a closed pipe: SIGPIPE is ignored so it arrives here as EPIPE).
    package static func writeStdoutChecked(_ text: String) throws {
        let bytes = Array(text.utf8)
        var offset = 0
        var failure: Int32?
        bytes.withUnsafeBytes { buffer in
            while offset < buffer.count {
                let n = write(1, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { failure = n < 0 ? errno : EIO; return }
                offset += n
            }
        }
        if let failure {
            if stdoutFailure == nil { stdoutFailure = failure }
            throw CLIError.badInput(stdoutMessage(failure))
        }
    }

    package static func stdoutMessage(_ code: Int32) -> String {
        "cannot write to standard output: \(String(cString: strerror(code)))"
    }

    /// Writes to stdout; a failure is remembered and reported by `main` (exit 2).
    package static func writeStdout(_ text: String) {
        try? writeStdoutChecked(text)
    }

    /// Prints one JSON document on stdout: pretty unless `compact`.
    package static func printJSON(_ value: JSONValue, compact: Bool) {
        writeStdout(JSONSerializer.serialize(value, style: compact ? .compact : .pretty) + "\n")
    }

    /// The same, throwing when the document could not be written.
    package static func writeJSON(_ value: JSONValue, compact: Bool) throws {
        try writeStdoutChecked(JSONSerializer.serialize(value, style: compact ? .compact : .pretty) + "\n")
    }

    /// The whole of a file (or of stdin for fd 0); nil when it cannot be read. Plain POSIX reads:
    /// the CLI does without Foundation, whose libraries (ICU among them) would cost every command
    /// start-up time and memory.
    package static func readAll(path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return readAll(fd: fd)
    }

    package static func readAll(fd: Int32) -> [UInt8]? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 { if errno == EINTR { continue }; return nil }
            if n == 0 { return bytes }
            bytes += buffer[0..<n]
        }
    }

    /// The environment, as a dictionary.
    package static var environment: [String: String] {
        var out: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") { out[String(text[..<equals])] = String(text[text.index(after: equals)...]) }
            entry += 1
        }
        return out
    }

    /// The current directory.
    package static var currentDirectory: String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "." }
        return String(cString: buffer)
    }

    /// $HOME, else the password database's home directory.
    package static var homeDirectory: String {
        if let home = getenv("HOME"), home.pointee != 0 { return String(cString: home) }
        if let entry = getpwuid(getuid()), let dir = entry.pointee.pw_dir { return String(cString: dir) }
        return "/"
    }

    /// Asks for a secret on the controlling terminal with echo off. `nil` when there is no
    /// terminal (a CI job, a pipe without a tty).
    package static func readSecret(prompt: String) -> SecretBytes? {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var original = termios()
        let haveAttributes = tcgetattr(fd, &original) == 0
        if haveAttributes {
            var silent = original
            silent.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(fd, TCSAFLUSH, &silent)
        }
        defer {
            if haveAttributes { tcsetattr(fd, TCSAFLUSH, &original) }
            _ = "\n".withCString { write(fd, $0, 1) }
        }
        _ = prompt.withCString { write(fd, $0, strlen($0)) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        defer { for i in buffer.indices { buffer[i] = 0 } }
        var length = 0
        while length < buffer.count {
            var byte: UInt8 = 0
            let n = read(fd, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 || byte == UInt8(ascii: "\n") { break }
            buffer[length] = byte
            length += 1
        }
        return SecretBytes(buffer[0..<length])
    }
}
