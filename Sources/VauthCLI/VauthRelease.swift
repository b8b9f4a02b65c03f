/// The release both executables (`vauth`, `vauth-services`) report with `--version`.
package enum VauthRelease {
    package static let version = "0.1.0"
}
