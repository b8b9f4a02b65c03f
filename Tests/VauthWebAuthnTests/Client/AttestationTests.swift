import Testing
import VauthAuthenticator
import VauthCBOR
import VauthCrypto
@testable import VauthWebAuthn

struct AttestationTests {
    @Test(arguments: [nil, "none", "unknown-value"])
    func noneZeroesTheAAGUIDAndDropsTheStatement(_ conveyance: String?) throws {
        let client = makeClient()
        let created = try client.create(creationOptions(attestation: conveyance), origin: exampleOrigin)
        let decoded = try DecodedRegistration(created)
        #expect(decoded.attestationObject.attestation.format == "none")
        #expect(decoded.attestationObject.attestation.statement.isEmpty)
        #expect(decoded.attested.aaguid == .zero)
        #expect(created.authenticatorData == decoded.attestationObject.authenticatorData)
        // The re-encoded authenticator data still carries a working credential key.
        let assertion = try client.get(requestOptions(allow: [created.rawId]), origin: exampleOrigin)
        _ = try verifyAssertion(assertion, key: decoded.publicKey)
        // Canonical CBOR keys: fmt, attStmt, authData.
        let map = try CBORDecoder.decode(created.attestationObject)
        #expect(map.mapValue?.count == 3)
    }

    @Test func indirectGivesSelfAttestation() throws {
        let created = try makeClient().create(creationOptions(algorithms: [-8], attestation: "indirect"), origin: exampleOrigin)
        let decoded = try DecodedRegistration(created)
        let statement = decoded.attestationObject.attestation
        #expect(statement.format == "packed")
        #expect(statement.statement["x5c"] == nil)
        #expect(statement.statement["alg"] == .int(-8))
        let signature = try #require(statement.statement["sig"]?.bytesValue)
        #expect(decoded.publicKey.isValidSignature(signature, for: created.authenticatorData + SHA256.hash(created.clientDataJSON)))
        #expect(decoded.attested.aaguid == sharedIdentity.aaguid)
    }

    @Test(arguments: ["direct", "enterprise"])
    func directGivesPackedWithACertificateChain(_ conveyance: String) throws {
        let created = try makeClient().create(creationOptions(attestation: conveyance), origin: exampleOrigin)
        let decoded = try DecodedRegistration(created)
        let statement = decoded.attestationObject.attestation
        #expect(statement.format == "packed")
        #expect(statement.statement["alg"] == .int(-7))
        let chain = try #require(statement.statement["x5c"]?.arrayValue)
        #expect(chain.count == 1)
        let leaf = try X509Certificate(der: try #require(chain.first?.bytesValue))
        #expect(leaf.isSigned(by: sharedIdentity.rootCertificate))
        let signature = try #require(statement.statement["sig"]?.bytesValue)
        #expect(try leaf.publicKey().isValidSignature(signature, for: created.authenticatorData + SHA256.hash(created.clientDataJSON)))
        #expect(decoded.attested.aaguid == sharedIdentity.aaguid)
    }

    @Test func attestationFormatsArePassedAsAPreference() throws {
        var options = creationOptions(attestation: "direct")
        options.attestationFormats = ["none", "packed"]
        let created = try makeClient().create(options, origin: exampleOrigin)
        let decoded = try DecodedRegistration(created)
        #expect(decoded.attestationObject.attestation.format == "none")
        #expect(decoded.attested.aaguid == sharedIdentity.aaguid, "direct keeps the AAGUID even when the format is none")
    }

    @Test func anAuthenticatorWithoutAttestationGivesNoneToDirect() throws {
        let created = try makeClient(AuthenticatorPolicy(attestation: .none)).create(creationOptions(attestation: "direct"), origin: exampleOrigin)
        #expect(try DecodedRegistration(created).attestationObject.attestation.format == "none")
    }
}
