import VauthAuthenticator

extension WebAuthnClient {
    /// The part of `allowCredentials` to send, when it is longer than the authenticator takes.
    ///
    /// An authenticator refuses an allowList longer than getInfo's `maxCredentialCountInList`
    /// with CTAP2_ERR_LIMIT_EXCEEDED (CTAP 2.2 §6.2.2, §6.4), yet WebAuthn sets no bound on
    /// `allowCredentials`, and an RP may list every credential of an account. As Chromium does,
    /// the client then cuts the list into batches of that size and asks about each with a silent
    /// request (`up: false`: CTAP 2.2 §6.2.2's option for an assertion without user presence,
    /// so nothing a person would see) until one yields an assertion; the real request then names only the credential
    /// that answered. When no batch matches, the first batch goes out, so the ceremony fails
    /// with the same error as an unbatched one.
    ///
    /// The probe carries the real request's `uv`: vauth's user verification is instant (no
    /// person to bother), and without it a credProtect level 3 credential (CTAP 2.2 §12.1) would
    /// hide from the probe. Like any getAssertion, a probe advances the credential's signature
    /// counter (as it does on a hardware key under Chromium), so such a `get` advances it twice.
    func allowListToSend(_ allowList: [CredentialDescriptor], rpId: String, clientDataHash: [UInt8], userVerification: Bool,
                         info: AuthenticatorInfo) throws(WebAuthnClientError) -> [CredentialDescriptor] {
        let batchSize = info.maxCredentialCountInList
        guard batchSize > 0, allowList.count > batchSize else { return allowList }
        var batches: [[CredentialDescriptor]] = []
        batches.reserveCapacity((allowList.count + batchSize - 1) / batchSize)
        for start in stride(from: 0, to: allowList.count, by: batchSize) {
            batches.append(Array(allowList[start..<min(start + batchSize, allowList.count)]))
        }
        for batch in batches {
            let probe = GetAssertionRequest(rpId: rpId, clientDataHash: clientDataHash, allowList: batch, userPresence: false,
                                            userVerification: userVerification)
            do {
                let found = try authenticator.getAssertion(probe)
                return [batch.first { $0.id == found.credentialId } ?? CredentialDescriptor(id: found.credentialId)]
            } catch where error.underlying == nil && error.status == .noCredentials {
                continue
            } catch {
                throw WebAuthnClientError(ctap: error, during: "getAssertion (silent pre-flight)")
            }
        }
        return batches[0]
    }
}
