import Testing
import VauthAuthenticator
import VauthCBOR
import VauthCrypto

/// The attestation format seam: names, getInfo and the choice of format come from the registry.
struct AttestationFormatTests {
    @Test func theRegisteredFormatsAreTheNamesUsersPick() {
        #expect(AttestationKind.allCases.map(\.rawValue) == ["packed", "self", "none"])
        #expect(Set(AttestationFormats.registered.map { $0.name }).count == AttestationFormats.registered.count, "names are unique")
        #expect(AttestationKind(rawValue: "self") == .self)
        #expect(AttestationKind(rawValue: "x5c") == nil, "only registered names exist")
        #expect(AttestationKind.packed.format.identifier == "packed")
        #expect(AttestationKind.`self`.format.identifier == "packed")
        #expect(AttestationKind.none.format.attestationType == .none)
    }

    @Test(arguments: [(AttestationKind.packed, ["packed", "none"]), (.self, ["packed", "none"]), (.none, ["none"])])
    func getInfoOffersTheConfiguredFormatAndNone(_ kind: AttestationKind, _ formats: [String]) throws {
        let auth = makeAuthenticator(.init(attestation: kind))
        #expect(auth.getInfo().attestationFormats == formats)
        let info = try CBORDecoder().decode(auth.handle([0x04]).dropFirst())
        #expect(info[0x16] == .array(formats.map(CBORValue.text)))
    }

    /// CTAP 2.2 §6.1.2: the first entry of attestationFormatsPreference the authenticator offers
    /// decides; formats it does not offer are passed over.
    @Test func thePreferencesFirstOfferedFormatDecides() throws {
        func format(_ kind: AttestationKind, preference: [String]?, requested: AttestationKind? = nil) throws -> (String, Bool) {
            var request = makeRequest()
            request.attestationFormatsPreference = preference
            request.requestedAttestation = requested
            let statement = try makeAuthenticator(.init(attestation: kind)).makeCredential(request).attestation
            return (statement.format, statement.statement["x5c"] != nil)
        }
        #expect(try format(.packed, preference: ["tpm", "none", "packed"]) == ("none", false))
        #expect(try format(.packed, preference: ["tpm", "packed", "none"]) == ("packed", true))
        #expect(try format(.packed, preference: ["apple"]) == ("packed", true), "nothing offered: the configured format")
        #expect(try format(.none, preference: ["packed"]) == ("none", false), "none cannot be raised")
        // An in-process platform's request only ever lowers the format.
        #expect(try format(.packed, preference: nil, requested: .self) == ("packed", false))
        #expect(try format(.self, preference: nil, requested: .packed) == ("packed", false))
        #expect(try format(.self, preference: nil, requested: AttestationKind.none) == ("none", false))
    }

    @Test func attestationTypesOrderByWhatTheyReveal() {
        #expect(AttestationType.allCases.sorted() == [.none, .selfAttestation, .anonymizationCA, .basic, .attestationCA])
        #expect(AttestationType.allCases.filter(\.hasCertificateChain) == [.anonymizationCA, .basic, .attestationCA])
    }

    /// Keys a format derives for its own chain: stable for one root, distinct per purpose and root.
    @Test func derivedKeysAreStablePerRootAndPurpose() throws {
        let tpm = try sharedIdentity.derivedKey(for: "tpm")
        #expect(try tpm.publicKey.coseKey() == sharedIdentity.derivedKey(for: "tpm").publicKey.coseKey())
        #expect(try tpm.publicKey.coseKey() != sharedIdentity.derivedKey(for: "apple").publicKey.coseKey())
        let other = try AuthenticatorIdentity.generate(now: 1_750_000_000)
        #expect(try tpm.publicKey.coseKey() != other.derivedKey(for: "tpm").publicKey.coseKey())
        #expect(try sharedIdentity.derivedKey(for: "tpm", algorithm: .edDSA).algorithm == .edDSA)
    }
}
