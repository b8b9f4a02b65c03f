/// The extensions this authenticator implements, in the order getInfo lists them (CTAP 2.2 §6.4
/// `extensions`) and their hooks run. Adding an extension is adding its file and its line here.
public enum AuthenticatorExtensions {
    public static let registered: [any AuthenticatorExtension.Type] = [
        CredProtectExtension.self,
        HMACSecretExtension.self,
        HMACSecretMCExtension.self,
    ]

    /// getInfo's `extensions`.
    public static var identifiers: [String] { registered.map { $0.identifier } }
}
