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
    public var firmwareVersion: Int
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
            0x0E: .int(firmwareVersion),
            0x16: .array(attestationFormats.map(CBORValue.text)),
        ]
    }
}

extension Authenticator {
    /// The firmware version getInfo reports: vauth's version as major·10000 + minor·100 + patch.
    public static let firmwareVersion = 100

    /// authenticatorGetInfo (CTAP 2.2 §6.4).
    public func getInfo() -> AuthenticatorInfo {
        var options: [String: Bool] = [
            "rk": true, "up": true, "plat": false,
            // makeCredential without UV is fine for non-discoverable and discoverable credentials alike.
            "makeCredUvNotRqd": true,
        ]
        // "uv" present means built-in UV exists; absent means none (CTAP 2.2 §6.4 options table).
        if policy.userVerification != .unsupported { options["uv"] = true }
        return AuthenticatorInfo(
            versions: ["FIDO_2_0", "FIDO_2_1"],
            extensions: ["credProtect", "hmac-secret", "hmac-secret-mc"],
            aaguid: aaguid,
            options: options,
            maxMsgSize: 7609,
            pinUvAuthProtocols: [2, 1],
            maxCredentialCountInList: 64,
            maxCredentialIdLength: 128,
            transports: ["usb"],
            algorithms: policy.algorithms,
            firmwareVersion: Self.firmwareVersion,
            attestationFormats: policy.attestation == .none ? ["none"] : ["packed", "none"])
    }
}
