import VauthAuthenticator

extension WebAuthnClientError {
    /// The DOMException a browser raises for an authenticator error.
    ///
    /// WebAuthn L3 §5.1.3 (and §6.3.2): an excluded credential ends the ceremony
    /// with `InvalidStateError`; every other authenticator failure becomes `NotAllowedError`, so a
    /// page learns nothing about which credentials exist. Two exceptions make a headless client
    /// useful: an algorithm the authenticator lacks is `NotSupportedError` (what Chromium reports,
    /// and what §5.1.3 says when no algorithm is supported), and a credential store
    /// failure (``CTAPError/underlying`` set) is ``Kind/storage`` with the store's own error kept,
    /// because "the keystore is corrupt" is not something the RP did.
    init(ctap error: CTAPError, during operation: String) {
        if let stored = error.underlying {
            self.init(.storage, "\(stored)", underlying: stored)
            return
        }
        let detail = "\(operation): \(error.status.name): \(error.message)"
        switch error.status {
        case .credentialExcluded:
            self.init(.invalidState, detail, underlying: error)
        case .unsupportedAlgorithm:
            self.init(.notSupported, detail, underlying: error)
        case .noCredentials, .operationDenied, .invalidOption, .unsupportedOption, .notAllowed, .keyStoreFull,
             .pinAuthInvalid, .pinNotSet, .puatRequired, .unsupportedExtension:
            self.init(.notAllowed, detail, underlying: error)
        default:
            // Malformed-request statuses (invalid parameter, CBOR errors) and CTAP1_ERR_OTHER: the
            // client or authenticator misbehaved, which no RP input should cause.
            self.init(.unknown, detail, underlying: error)
        }
    }
}
