import VauthCLI

#if canImport(Glibc)
import Glibc
#endif

/// `vauth` runs the commands the catalogue places in it; for everything else it replaces itself
/// (exec, same arguments) with `vauth-services`, which holds the whole command tree and links
/// FoundationNetworking, libcurl's forty-odd libraries and swift-nio. Keeping those out of this
/// executable keeps them out of every `vauth get`'s start-up.
enum Forwarding {
    /// Whether this process runs the command line itself: an offline command, or `help` about one.
    static func runsHere(_ arguments: [String]) -> Bool {
        guard let first = arguments.first else { return false }
        let command = first == "help" && arguments.count > 1 ? arguments[1] : first
        return CommandCatalogue.vauthCommandNames.contains(command)
    }

    /// Replaces this process with `vauth-services`. When it is missing, help and unknown commands
    /// are still answered here (about this executable's commands); a networked command is refused.
    static func execServices(_ arguments: [String]) throws {
        guard let executable = servicesExecutable() else {
            let command = arguments.first.map { $0 == "help" && arguments.count > 1 ? arguments[1] : $0 }
            if let command, CommandCatalogue.commands.contains(where: { $0.name == command }) {
                throw CLIError.badInput("`vauth \(command)` runs vauth-services, which is missing next to \(ownPath ?? "vauth") (build it: swift build)")
            }
            return
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        execv(executable, argv)
        throw CLIError.badInput("cannot run \(executable): \(String(cString: strerror(errno)))")
    }

    /// `vauth-services` beside this executable (a build directory) or in ../libexec/vauth/ (the
    /// Debian package: /usr/bin/vauth, /usr/libexec/vauth/vauth-services). Symbolic links to vauth
    /// are resolved first, as setup.sh installs one.
    static func servicesExecutable() -> String? {
        guard let path = ownPath, let slash = path.lastIndex(of: "/") else { return nil }
        let directory = String(path[..<slash])
        for candidate in [directory + "/vauth-services", directory + "/../libexec/vauth/vauth-services"]
        where access(candidate, X_OK) == 0 {
            return candidate
        }
        return nil
    }

    private static var ownPath: String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
