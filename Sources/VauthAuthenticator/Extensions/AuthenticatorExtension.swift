import VauthCBOR
import VauthCrypto

/// One CTAP authenticator extension (CTAP 2.2 §12): how it reads its input, what it does in
/// authenticatorMakeCredential and authenticatorGetAssertion, and what it keeps with the credential.
///
/// Each extension is one file under `Extensions/` and one entry of
/// ``AuthenticatorExtensions/registered``; getInfo's `extensions` list, the parsing of a request's
/// `extensions` map and the extension outputs in authenticator data all come from that list.
/// An extension that takes no part in one of the two commands leaves that input type `Never`
/// and gets the default, which ignores the member (CTAP 2.2 §6.1.2 step 9 and §6.2.2 step 4:
/// an authenticator ignores extensions it does not process).
///
/// The article "Adding an extension" in the VauthAuthenticator documentation walks through one.
public protocol AuthenticatorExtension: Sendable {
    /// The parsed input of makeCredential's `extensions` member.
    associatedtype MakeCredentialInput: Sendable = Never
    /// The parsed input of getAssertion's `extensions` member.
    associatedtype GetAssertionInput: Sendable = Never

    /// The extension identifier (CTAP 2.2 §12): the key of its input and output and getInfo's entry.
    static var identifier: String { get }

    /// Parses the input of makeCredential. `nil` means the request does not ask for the
    /// extension (e.g. `hmac-secret: false`); a malformed input throws, and the request fails.
    static func makeCredentialInput(from value: CBORValue) throws(CTAPError) -> MakeCredentialInput?
    /// The input as a platform sends it.
    static func encodeMakeCredentialInput(_ input: MakeCredentialInput) -> CBORValue
    /// Runs during makeCredential, once the key pair and credential id exist and before the
    /// authenticator data is built (CTAP 2.2 §6.1.2 steps 15–16). What it sets in
    /// ``MakeCredentialExtensionContext/record`` is stored with the credential; what it returns is
    /// its output in the authenticator data's extensions map (`nil`: no output).
    static func makeCredential(_ input: MakeCredentialInput, _ context: inout MakeCredentialExtensionContext) throws(CTAPError) -> CBORValue?

    /// Parses the input of getAssertion, as ``makeCredentialInput(from:)``.
    static func getAssertionInput(from value: CBORValue) throws(CTAPError) -> GetAssertionInput?
    /// The input as a platform sends it.
    static func encodeGetAssertionInput(_ input: GetAssertionInput) -> CBORValue
    /// Runs during getAssertion for the credential that answers, before the signature counter is
    /// updated (CTAP 2.2 §6.2.2 step 9); returns its output in the authenticator data.
    static func getAssertion(_ input: GetAssertionInput, _ context: GetAssertionExtensionContext) throws(CTAPError) -> CBORValue?
}

extension AuthenticatorExtension where MakeCredentialInput == Never {
    public static func makeCredentialInput(from value: CBORValue) throws(CTAPError) -> Never? { nil }
    public static func encodeMakeCredentialInput(_ input: Never) -> CBORValue { switch input {} }
    public static func makeCredential(_ input: Never, _ context: inout MakeCredentialExtensionContext) throws(CTAPError) -> CBORValue? {
        switch input {}
    }
}

extension AuthenticatorExtension where GetAssertionInput == Never {
    public static func getAssertionInput(from value: CBORValue) throws(CTAPError) -> Never? { nil }
    public static func encodeGetAssertionInput(_ input: Never) -> CBORValue { switch input {} }
    public static func getAssertion(_ input: Never, _ context: GetAssertionExtensionContext) throws(CTAPError) -> CBORValue? {
        switch input {}
    }
}

extension AuthenticatorExtension {
    /// An input of the expected CBOR type, or `CTAP2_ERR_CBOR_UNEXPECTED_TYPE` naming the member
    /// (CTAP 2.2 §8.2), as every other request member is read.
    static func typed<T>(_ value: CBORValue, _ extract: (CBORValue) -> T?) throws(CTAPError) -> T {
        guard let typed = extract(value) else {
            throw CTAPError(.cborUnexpectedType, "extensions.\(identifier) has the wrong type (\(value.kindDescription))")
        }
        return typed
    }
}

/// What an extension sees and may change during makeCredential.
public struct MakeCredentialExtensionContext {
    public let request: MakeCredentialRequest
    /// Whether the user was verified (a pinUvAuthToken or built-in UV).
    public let userVerified: Bool
    /// The credential being made. What an extension sets here (its credProtect level, its
    /// secrets) is stored with it; the core fields are already final.
    public var record: CredentialRecord
    let authenticator: Authenticator

    /// Random bytes from the authenticator's source (seeded for fixtures).
    public func randomBytes(_ count: Int) throws -> [UInt8] { try authenticator.randomBytes(count) }
    /// The key agreement key of this power cycle (CTAP 2.2 §6.5.5.1).
    public func keyAgreementKey() throws(CTAPError) -> KeyAgreementKey { try authenticator.keyAgreementKey() }
}

/// What an extension sees during getAssertion.
public struct GetAssertionExtensionContext {
    public let request: GetAssertionRequest
    public let userVerified: Bool
    /// The credential that answers.
    public let record: CredentialRecord
    let authenticator: Authenticator

    /// The key agreement key of this power cycle (CTAP 2.2 §6.5.5.1).
    public func keyAgreementKey() throws(CTAPError) -> KeyAgreementKey { try authenticator.keyAgreementKey() }
}
