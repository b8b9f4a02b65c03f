/// The release both executables (`vauth`, `vauth-services`) report with `--version`.
enum VauthRelease {
    static let version = "0.1.0"
}
