import Testing
import VauthAuthenticator
import VauthCBOR
import VauthCrypto
import VauthFixtures
import VauthWebAuthn

/// The generator's own promises; the interop suite (Tests/Interop/test_fixtures.py) checks the
/// vectors with py_webauthn, python-fido2 and libfido2.
struct FixtureGeneratorTests {
    /// One full round, made once for the tests that read it.
    static let fullRound: [FixtureGenerator.File] = try! FixtureGenerator(seed: 7).generate()

    static func vector(_ file: FixtureGenerator.File) throws -> JSONValue { try JSONParser.parse(file.bytes) }

    @Test func theSameSeedAndCountGiveTheSameBytes() throws {
        let a = try FixtureGenerator(seed: 42, count: 6).generate()
        let b = try FixtureGenerator(seed: 42, count: 6).generate()
        #expect(a.map(\.name) == b.map(\.name))
        #expect(a.map(\.bytes) == b.map(\.bytes))
    }

    @Test func anotherSeedGivesOtherBytes() throws {
        let a = try FixtureGenerator(seed: 42, count: 3).generate()
        let b = try FixtureGenerator(seed: 43, count: 3).generate()
        #expect(a.map(\.name) == b.map(\.name))
        for (x, y) in zip(a, b) { #expect(x.bytes != y.bytes, "\(x.name)") }
    }

    @Test func countsBeyondOneRoundRepeatTheCasesWithFreshMaterial() throws {
        let count = FixtureGenerator.casesPerRound + 2
        let files = try FixtureGenerator(seed: 1, count: count).generate()
        #expect(files.count == count + 1)
        #expect(files[FixtureGenerator.casesPerRound].name == String(files[0].name.dropLast(5)) + "-r1.json")
        #expect(files[FixtureGenerator.casesPerRound].bytes != files[0].bytes)
    }

    @Test func countOutOfRangeIsRefused() {
        #expect(throws: FixtureError.self) { try FixtureGenerator(seed: 1, count: 0) }
        #expect(throws: FixtureError.self) { try FixtureGenerator(seed: 1, count: 10_001) }
        #expect(throws: FixtureError.self) { try FixtureGenerator(seed: FixtureGenerator.maximumSeed + 1) }
    }

    @Test func theManifestListsEveryFileWithItsHash() throws {
        let files = Self.fullRound
        let manifest = try Self.vector(files.last!)
        #expect(files.last?.name == "manifest.json")
        let entries = manifest["files"]?.arrayValue ?? []
        #expect(entries.count == files.count - 1)
        #expect(Set(files.map(\.name)).count == files.count, "file names are unique")
        for (entry, file) in zip(entries, files) {
            #expect(entry["file"]?.stringValue == file.name)
            #expect(entry["sha256"]?.stringValue == SHA256.hex(file.bytes))
        }
    }

    /// A negative vector fails its labelled check only: whatever it changed under a signature was
    /// signed again, so the assertion signature still verifies unless the label is the signature
    /// (or authenticator data too short to be one).
    @Test func assertionSignaturesVerifyExceptWhereTheLabelSaysNot() throws {
        for file in Self.fullRound.dropLast() {
            let vector = try Self.vector(file)
            guard vector["ceremony"]?.stringValue == "authentication" else { continue }
            let failure = vector["expected"]?["failure"]?.stringValue
            let response = vector["response"]?["response"]
            let authData = Base64.urlDecode(response?["authenticatorData"]?.stringValue ?? "") ?? []
            let clientData = Base64.urlDecode(response?["clientDataJSON"]?.stringValue ?? "") ?? []
            let signature = Base64.urlDecode(response?["signature"]?.stringValue ?? "") ?? []
            let key = try PublicKey(spkiDER: Base64.urlDecode(vector["credential"]?["publicKeySpki"]?.stringValue ?? "") ?? [])
            let verifies = key.isValidSignature(signature, for: authData + SHA256.hash(clientData))
            #expect(verifies == (failure != "signature"), "\(file.name)")
            if failure != "authenticatorDataTruncated" {
                #expect(throws: Never.self, "\(file.name)") { try AuthenticatorData(bytes: authData) }
            }
        }
    }

    /// Valid registrations parse with vauth's strict decoders and carry the flags their
    /// properties claim.
    @Test func validRegistrationsMatchTheirProperties() throws {
        for file in Self.fullRound.dropLast() {
            let vector = try Self.vector(file)
            guard vector["ceremony"]?.stringValue == "registration", vector["expected"]?["valid"]?.boolValue == true else { continue }
            let properties = vector["properties"]
            let encoded = Base64.urlDecode(vector["response"]?["response"]?["attestationObject"]?.stringValue ?? "") ?? []
            let attestation = try AttestationObject(encoded: encoded)
            #expect(attestation.encoded == encoded, "canonical CBOR: \(file.name)")
            let authData = try AuthenticatorData(bytes: attestation.authenticatorData)
            #expect(authData.flags.contains(.userPresent))
            #expect(authData.flags.contains(.userVerified) == (properties?["userVerification"]?.boolValue == true), "\(file.name)")
            #expect(authData.flags.contains(.backupEligible) == (properties?["backupEligible"]?.boolValue == true), "\(file.name)")
            #expect(authData.flags.contains(.backedUp) == (properties?["backedUp"]?.boolValue == true), "\(file.name)")
            let format = ["none": "none", "self": "packed", "x5c": "packed"][properties?["attestation"]?.stringValue ?? ""]
            #expect(attestation.attestation.format == format, "\(file.name)")
            #expect((attestation.attestation.statement["x5c"] != nil) == (properties?["attestation"]?.stringValue == "x5c"))
        }
    }

    @Test func chromiumsExtraMemberAndCrossOriginReachClientDataJSON() throws {
        var sawExtra = false, sawCrossOrigin = false
        for file in Self.fullRound.dropLast() {
            let vector = try Self.vector(file)
            let clientData = String(decoding: Base64.urlDecode(vector["response"]?["response"]?["clientDataJSON"]?.stringValue ?? "") ?? [], as: UTF8.self)
            if vector["properties"]?["clientDataShape"]?.stringValue == "chromium-extra-member" {
                #expect(clientData.hasSuffix(#","other_keys_can_be_added_here":"do not compare clientDataJSON against a template. See https://goo.gl/yabPex"}"#))
                sawExtra = true
            }
            if vector["properties"]?["crossOrigin"]?.boolValue == true {
                #expect(clientData.hasSuffix(#","crossOrigin":true,"topOrigin":"https://shop.example.net"}"#))
                sawCrossOrigin = true
            }
        }
        #expect(sawExtra && sawCrossOrigin)
    }
}
