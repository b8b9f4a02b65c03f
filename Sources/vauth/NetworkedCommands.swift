import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

/// `register`, `signin`, `demo`, `dfns`, `attach` and `serve` talk to a network or a socket, so they live in the executable
/// `vauth-services` next to this one, and `vauth` runs it in its place with the same arguments.
/// That keeps FoundationNetworking and libcurl's forty-odd libraries out of every other command's
/// start-up. These stand-ins only put the commands in `vauth --help`; ``forwardIfNetworked(_:)``
/// runs before parsing (also for `vauth help register`).
enum NetworkedCommands {
    static let names: Set<String> = ["register", "signin", "demo", "dfns", "attach", "serve"]

    /// Replaces this process with `vauth-services` when the command is a networked one.
    static func forwardIfNetworked(_ arguments: [String]) throws {
        guard let first = arguments.first else { return }
        let command = first == "help" && arguments.count > 1 ? arguments[1] : first
        guard names.contains(command) else { return }
        let executable = siblingExecutable("vauth-services")
        guard access(executable, X_OK) == 0 else {
            throw CLIError.badInput("`vauth \(command)` runs \(executable), which is missing: build it with ./setup.sh (swift build)")
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        execv(executable, argv)
        throw CLIError.badInput("cannot run \(executable): \(String(cString: strerror(errno)))")
    }

    /// A file in the directory of this executable (symbolic links resolved, as installed by setup.sh).
    static func siblingExecutable(_ name: String) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return name }
        let path = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = path.lastIndex(of: "/") else { return name }
        return String(path[..<slash]) + "/" + name
    }
}

/// `vauth register TOKEN`: forwarded to vauth-services.
struct RegisterForward: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register", abstract: "Register a passkey with Passwordless.dev using a register_… token from your backend.")
}

/// `vauth signin`: forwarded to vauth-services.
struct SigninForward: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signin", abstract: "Sign in to Passwordless.dev; prints the verify_… token for your backend.")
}

/// `vauth demo`: forwarded to vauth-services.
struct DemoForward: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Register and sign in against a built-in relying party that verifies every step (nothing else needed).")
}

/// `vauth dfns …`: forwarded to vauth-services.
struct DfnsForward: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dfns", abstract: "Dfns user credentials: Key, Fido2 and RecoveryKey; action signing; user recovery.")
}

/// `vauth attach`: forwarded to vauth-services.
struct AttachForward: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attach",
        abstract: "Answer a running Chromium's navigator.credentials.create()/get() through the DevTools Protocol.")
}

/// `vauth serve`: forwarded to vauth-services.
struct ServeForward: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the keystore as a CTAPHID security key over UDP (one 64-byte report per datagram).")
}
