import VauthCrypto

/// Where a U2F registration is kept: a credential whose RP is named after its application
/// parameter, since U2F never tells the authenticator the RP ID (FIDO U2F Raw Message Formats §4).
public enum U2FRegistration {
    /// "u2f:" and the hex application parameter (SHA-256 of the AppID).
    public static func rpId(forApplication application: some Collection<UInt8>) -> String {
        "u2f:" + Hex.encode(application)
    }
}

/// ISO 7816-4 status words of U2F responses (FIDO U2F Raw Message Formats §3.3).
public enum U2FStatusWord: UInt16, Sendable {
    case noError = 0x9000
    case conditionsNotSatisfied = 0x6985
    case wrongData = 0x6A80
    case wrongLength = 0x6700
    case claNotSupported = 0x6E00
    case insNotSupported = 0x6D00

    var bytes: [UInt8] { [UInt8(rawValue >> 8), UInt8(rawValue & 0xFF)] }
}

/// A U2F request APDU (ISO 7816-4 short or extended length, FIDO U2F Raw Message Formats §3.1).
struct U2FRequestAPDU {
    var cla: UInt8, ins: UInt8, p1: UInt8, p2: UInt8
    var data: [UInt8]

    init?(_ bytes: [UInt8]) {
        guard bytes.count >= 4 else { return nil }
        cla = bytes[0]; ins = bytes[1]; p1 = bytes[2]; p2 = bytes[3]
        let body = Array(bytes.dropFirst(4))
        if body.isEmpty {
            data = []
        } else if body[0] == 0 && body.count >= 3 {
            // Extended length: 00 Lc1 Lc2 data [Le1 Le2]; or 00 Le1 Le2 with no data.
            let length = Int(body[1]) << 8 | Int(body[2])
            let rest = body.count - 3
            if rest == 0 { data = [] }  // only Le
            else {
                guard rest == length || rest == length + 2 else { return nil }
                data = Array(body[3..<3 + length])
            }
        } else if body.count == 1 {
            data = []  // only a short Le
        } else {
            let length = Int(body[0])
            guard body.count - 1 == length || body.count - 1 == length + 1 else { return nil }
            data = Array(body[1..<1 + length])
        }
    }
}

extension Authenticator {
    /// Serves one U2F (CTAP1) request APDU, as CTAPHID_MSG carries it (CTAP 2.2 §11.2.9.1.1):
    /// REGISTER, AUTHENTICATE and VERSION. The response is data ‖ status word.
    public func handleU2F(_ message: [UInt8]) -> [UInt8] {
        guard let apdu = U2FRequestAPDU(message) else { return U2FStatusWord.wrongLength.bytes }
        guard apdu.cla == 0 else { return U2FStatusWord.claNotSupported.bytes }
        switch apdu.ins {
        case 0x01: return u2fRegister(apdu)
        case 0x02: return u2fAuthenticate(apdu)
        case 0x03:
            guard apdu.data.isEmpty else { return U2FStatusWord.wrongLength.bytes }
            return Array("U2F_V2".utf8) + U2FStatusWord.noError.bytes
        default: return U2FStatusWord.insNotSupported.bytes
        }
    }

    /// The uncompressed point 04 ‖ x ‖ y of a P-256 key, U2F's public key form.
    private static func uncompressedPoint(_ key: SigningKey) -> [UInt8]? {
        guard case .ec2(_, _, let x, let y) = try? key.publicKey.coseKey() else { return nil }
        return [0x04] + x + y
    }

    /// REGISTER (§4): a new ES256 credential for the application parameter, attested by the
    /// batch key over 00 ‖ application ‖ challenge ‖ key handle ‖ public key.
    private func u2fRegister(_ apdu: U2FRequestAPDU) -> [UInt8] {
        guard apdu.data.count == 64 else { return U2FStatusWord.wrongLength.bytes }
        let challenge = Array(apdu.data[0..<32]), application = Array(apdu.data[32..<64])
        do {
            let key = try keyGenerator(.es256)
            guard let point = Self.uncompressedPoint(key) else { return U2FStatusWord.wrongData.bytes }
            let keyHandle = try randomBytes(16)
            let record = CredentialRecord(
                id: keyHandle, rp: RelyingPartyEntity(id: U2FRegistration.rpId(forApplication: application)),
                user: UserEntity(id: keyHandle), algorithm: .es256, privateKey: try key.pkcs8DER(),
                signCounterMode: policy.signCounter, discoverable: false, createdAt: now())
            let signature = try signer(identity.attestationKey, [0x00] + application + challenge + keyHandle + point)
            try store.save(record, replacing: nil)
            return [0x05] + point + [UInt8(keyHandle.count)] + keyHandle + (try identity.attestationCertificate.der())
                + signature + U2FStatusWord.noError.bytes
        } catch {
            return U2FStatusWord.wrongData.bytes
        }
    }

    /// AUTHENTICATE (§5): P1 07 checks a key handle (6985 when it is ours), 03 and 08 sign
    /// application ‖ user presence ‖ counter ‖ challenge. Credentials made through CTAP2 work
    /// too when the application parameter is SHA-256 of their RP ID.
    private func u2fAuthenticate(_ apdu: U2FRequestAPDU) -> [UInt8] {
        guard apdu.data.count >= 65 else { return U2FStatusWord.wrongLength.bytes }
        let challenge = Array(apdu.data[0..<32]), application = Array(apdu.data[32..<64])
        let handleLength = Int(apdu.data[64])
        guard apdu.data.count == 65 + handleLength else { return U2FStatusWord.wrongData.bytes }
        let keyHandle = Array(apdu.data[65...])
        let record: CredentialRecord?
        do { record = try store.credential(id: keyHandle) } catch { return U2FStatusWord.wrongData.bytes }
        guard let record, record.kind == .webAuthn, record.algorithm == .es256,
              record.rpId == U2FRegistration.rpId(forApplication: application) || SHA256.hash(Array(record.rpId.utf8)) == application,
              record.protection != .userVerificationRequired else {
            return U2FStatusWord.wrongData.bytes
        }
        switch apdu.p1 {
        case 0x07: return U2FStatusWord.conditionsNotSatisfied.bytes
        case 0x03, 0x08: break
        default: return U2FStatusWord.wrongData.bytes
        }
        var counter: UInt32 = 0
        if (counterOverride ?? record.signCounterMode) == .increment {
            counter = record.signCount == UInt32.max ? UInt32.max : record.signCount + 1
            do { try store.updateSignCount(id: record.id, to: counter) } catch { return U2FStatusWord.wrongData.bytes }
        }
        let counterBytes = [UInt8(counter >> 24), UInt8((counter >> 16) & 0xFF), UInt8((counter >> 8) & 0xFF), UInt8(counter & 0xFF)]
        let presence: UInt8 = 0x01
        do {
            let signature = try signer(try record.signingKey(), application + [presence] + counterBytes + challenge)
            return [presence] + counterBytes + signature + U2FStatusWord.noError.bytes
        } catch {
            return U2FStatusWord.wrongData.bytes
        }
    }
}
