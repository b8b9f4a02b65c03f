import VauthCBOR
import VauthCrypto

/// authenticatorGetInfo response (CTAP 2.2 §6.4).
public struct AuthenticatorInfo: Sendable {
    public var versions: [String]
    public var extensions: [String]
    public var aaguid: AAGUID
    public var options: [String: Bool]
    public var maxMsgSize: Int
    public var pinUvAuthProtocols: [Int]
    public var maxCredentialCountInList: Int
    public var maxCredentialIdLength: Int
    public var transports: [String]
    public var algorithms: [COSEAlgorithm]
    public var minPINLength: Int
    public var firmwareVersion: Int
    public var forcePINChange: Bool
    public var attestationFormats: [String]

    public var cborValue: CBORValue {
        [
            0x01: .array(versions.map(CBORValue.text)),
            0x02: .array(extensions.map(CBORValue.text)),
            0x03: .bytes(aaguid.bytes),
            0x04: .map(Dictionary(uniqueKeysWithValues: options.map { (CBORValue.text($0.key), CBORValue.boolean($0.value)) })),
            0x05: .int(maxMsgSize),
            0x06: .array(pinUvAuthProtocols.map(CBORValue.int)),
            0x07: .int(maxCredentialCountInList),
            0x08: .int(maxCredentialIdLength),
            0x09: .array(transports.map(CBORValue.text)),
            0x0A: .array(algorithms.map { ["type": "public-key", "alg": .int($0.rawValue)] }),
            0x0C: .boolean(forcePINChange),
            0x0D: .int(minPINLength),
            0x0E: .int(firmwareVersion),
            0x16: .array(attestationFormats.map(CBORValue.text)),
        ]
    }
}

extension Authenticator {
    /// The firmware version getInfo reports: vauth's version as major·10000 + minor·100 + patch.
    public static let firmwareVersion = 100
    /// The largest CTAP message (command byte and CBOR) ``handle(_:)`` accepts; the CTAPHID
    /// limit of 7609 bytes (CTAP 2.2 §11.2.4) is the most a single HID message can carry.
    public static let maximumMessageSize = 7609
    /// The most entries an allowList or excludeList may have.
    public static let maximumCredentialCountInList = 64
    /// Credential ids this authenticator makes are 16 bytes; it accepts others up to this.
    public static let maximumCredentialIdLength = 128

    /// makeCredUvNotRqd (CTAP 2.2 §6.4): while no PIN is set, non-discoverable credentials can be
    /// made without user verification. Once a PIN is set, every makeCredential needs a
    /// pinUvAuthParam (or built-in UV), as CTAP 2.0 platforms expect.
    var makeCredUvNotRequired: Bool { !isPINSet }

    /// authenticatorGetInfo (CTAP 2.2 §6.4). Everything listed is implemented: FIDO_2_1 and
    /// FIDO_2_2 need clientPIN with pinUvAuthToken (both protocols), credentialManagement,
    /// selection, authenticatorConfig and, for 2.2, hmac-secret-mc; U2F_V2 is CTAP1 over MSG.
    public func getInfo() -> AuthenticatorInfo {
        var options: [String: Bool] = [
            "rk": true, "up": true, "plat": false,
            "clientPin": isPINSet,
            "pinUvAuthToken": true,
            "credMgmt": true,
            "authnrCfg": true,
            "setMinPINLength": true,
        ]
        if makeCredUvNotRequired { options["makeCredUvNotRqd"] = true }
        // "uv" present means built-in UV exists; absent means none (CTAP 2.2 §6.4 options table).
        if policy.userVerification != .unsupported { options["uv"] = true }
        let minimumPINLength = (try? pinState().minimumLength) ?? PINState.defaultMinimumLength
        return AuthenticatorInfo(
            versions: ["U2F_V2", "FIDO_2_0", "FIDO_2_1", "FIDO_2_2"],
            extensions: AuthenticatorExtensions.identifiers,
            aaguid: aaguid,
            options: options,
            maxMsgSize: Self.maximumMessageSize,
            pinUvAuthProtocols: [2, 1],
            maxCredentialCountInList: Self.maximumCredentialCountInList,
            maxCredentialIdLength: Self.maximumCredentialIdLength,
            transports: transports,
            algorithms: policy.algorithms,
            minPINLength: minimumPINLength,
            firmwareVersion: Self.firmwareVersion,
            forcePINChange: (try? pinState().forceChange) ?? false,
            attestationFormats: AttestationFormats.offered(by: policy.attestation.format))
    }
}
