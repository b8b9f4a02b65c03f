import VauthAuthenticator
import VauthCBOR
import VauthCrypto
import VauthWebAuthn

/// Turns a valid vector into a negative one that fails exactly one check: what the check reads is
/// changed, and whatever a signature covers is signed again with the key that signed it (the
/// credential key, or the batch attestation key for packed x5c), so no other check trips first.
struct FixtureTampering {
    let ceremony: FixtureCeremony
    let identity: AuthenticatorIdentity
    let authority: FixtureAuthority
    let random: HMACDRBG

    func apply(_ failure: FixtureFailure, to vector: inout FixtureVector) throws {
        switch (failure, vector.fixture.ceremony) {
        case (.signature, .authentication):
            guard var response = vector.authentication else { break }
            response.signature[response.signature.count - 1] ^= 0x01
            vector.authentication = response
        case (.signature, .registration):
            guard var response = vector.registration else { break }
            var attestation = try AttestationObject(encoded: response.attestationObject)
            guard var signature = attestation.attestation.statement["sig"]?.bytesValue else { throw FixtureError("no sig to corrupt") }
            signature[signature.count - 1] ^= 0x01
            attestation.attestation.statement["sig"] = .bytes(signature)
            response.attestationObject = attestation.encoded
            vector.registration = response

        case (.rpIdHash, _):
            try replaceAuthenticatorData(in: &vector) { SHA256.hash(Array(FixtureGenerator.foreignRpId.utf8)) + $0.dropFirst(32) }

        case (.origin, .authentication):
            try replaceClientData(in: &vector, CollectedClientData(type: .get, challenge: vector.challenge, origin: FixtureGenerator.foreignOrigin))
        case (.origin, .registration):
            try replaceClientData(in: &vector, CollectedClientData(type: .create, challenge: vector.challenge, origin: FixtureGenerator.foreignOrigin))

        case (.challenge, _):
            vector.options = vector.options.setting("challenge", .string(Base64.urlEncode(random.bytes(32))))

        case (.type, .authentication):
            try replaceClientData(in: &vector, CollectedClientData(type: .create, challenge: vector.challenge, origin: vector.origin))
        case (.type, .registration):
            try replaceClientData(in: &vector, CollectedClientData(type: .get, challenge: vector.challenge, origin: vector.origin))

        case (.userPresence, _):
            try replaceAuthenticatorData(in: &vector) { data in
                var changed = data
                changed[32] &= ~AuthenticatorFlags.userPresent.rawValue
                return changed
            }

        case (.userVerification, .authentication):
            vector.options = vector.options.setting("userVerification", "required")
        case (.userVerification, .registration):
            let selection = vector.options["authenticatorSelection"] ?? [:]
            vector.options = vector.options.setting("authenticatorSelection", selection.setting("userVerification", "required"))

        case (.signCount, _):
            // The stored counter is ahead of the one the authenticator reports: a cloned
            // authenticator, or a replayed assertion.
            let reported = vector.authentication.map { response in
                response.authenticatorData[33...36].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            } ?? 0
            vector.previousSignCount = reported + 7

        case (.canonicalCBOR, _):
            guard var response = vector.registration else { break }
            response.attestationObject = try Self.nonCanonicalAttestationObject(response.attestationObject)
            vector.registration = response

        case (.attestationAAGUID, _), (.attestationTrustChain, _):
            // The identity chosen for the ceremony already did it; the RP trusts the real root.
            vector.trustAnchorPem = try authority.root.pem()

        case (.authenticatorDataTruncated, _):
            try replaceAuthenticatorData(in: &vector) { Array($0.prefix(35)) }

        case (.authenticatorDataTrailingBytes, _):
            try replaceAuthenticatorData(in: &vector) { $0 + [0x00] }

        case (.algorithm, _):
            vector.options = vector.options.setting("pubKeyCredParams", [["type": "public-key", "alg": .number(Double(COSEAlgorithm.es256.rawValue))]])
        }
    }

    /// New authenticator data, signed again (assertion, or packed attestation statement).
    private func replaceAuthenticatorData(in vector: inout FixtureVector, _ change: ([UInt8]) -> [UInt8]) throws {
        if var response = vector.authentication {
            response.authenticatorData = change(response.authenticatorData)
            response.signature = try assertionSignature(response.authenticatorData, response.clientDataJSON, credentialId: response.rawId)
            vector.authentication = response
        } else if var response = vector.registration {
            response.authenticatorData = change(response.authenticatorData)
            try reattest(&response)
            vector.registration = response
        }
    }

    /// New client data, signed again.
    private func replaceClientData(in vector: inout FixtureVector, _ clientData: CollectedClientData) throws {
        if var response = vector.authentication {
            response.clientDataJSON = clientData.serialized
            response.signature = try assertionSignature(response.authenticatorData, response.clientDataJSON, credentialId: response.rawId)
            vector.authentication = response
        } else if var response = vector.registration {
            response.clientDataJSON = clientData.serialized
            try reattest(&response)
            vector.registration = response
        }
    }

    /// Signature over authenticatorData ‖ SHA-256(clientDataJSON) (L3 §6.3.3).
    private func assertionSignature(_ authenticatorData: [UInt8], _ clientDataJSON: [UInt8], credentialId: [UInt8]) throws -> [UInt8] {
        try ceremony.credentialKey(id: credentialId).signDeterministically(authenticatorData + SHA256.hash(clientDataJSON))
    }

    /// Rebuilds the attestation object around the response's authenticator data, with a fresh
    /// packed signature when there is one (self: credential key; x5c: batch key).
    private func reattest(_ response: inout RegistrationResponseJSON) throws {
        var attestation = try AttestationObject(encoded: response.attestationObject).attestation
        if attestation.format == "packed" {
            let key = attestation.statement["x5c"] == nil ? try ceremony.credentialKey(id: response.rawId) : identity.attestationKey
            let signature = try key.signDeterministically(response.authenticatorData + SHA256.hash(response.clientDataJSON))
            attestation.statement["sig"] = .bytes(signature)
        }
        response.attestationObject = AttestationObject(authenticatorData: response.authenticatorData, attestation: attestation).encoded
    }

    /// The same attestation object with its keys in the order authData, fmt, attStmt: well-formed
    /// CBOR, but not the length-first order CTAP2 canonical form (CTAP 2.2 §8) requires, nor
    /// RFC 8949 §4.2.1's bytewise order.
    static func nonCanonicalAttestationObject(_ encoded: [UInt8]) throws -> [UInt8] {
        let attestation = try AttestationObject(encoded: encoded)
        let authData = attestation.authenticatorData
        var out: [UInt8] = [0xa3]
        out += CBORValue.text("authData").encoded + CBORValue.bytes(authData).encoded
        out += CBORValue.text("fmt").encoded + CBORValue.text(attestation.attestation.format).encoded
        out += CBORValue.text("attStmt").encoded + CBORValue.map(attestation.attestation.statement).encoded
        return out
    }
}
