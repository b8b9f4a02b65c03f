import Testing
import VauthAuthenticator
import VauthCBOR
import VauthCrypto

/// The byte-level front door a transport uses.
struct CTAPCommandTests {
    @Test func getInfoDescribesTheAuthenticator() throws {
        let auth = makeAuthenticator()
        let response = auth.handle([0x04])
        #expect(response.first == 0x00)
        let info = try CBORDecoder().decode(response.dropFirst())
        #expect(info[1] == ["FIDO_2_0", "FIDO_2_1"])
        #expect(info[3] == .bytes(AAGUID.vauthDefault.bytes))
        #expect(info[4]?["uv"] == true)
        #expect(info[4]?["rk"] == true)
        #expect(makeAuthenticator(.init(userVerification: .unsupported)).getInfo().options["uv"] == nil)
    }

    @Test func makeCredentialAndGetAssertionOverBytes() throws {
        let auth = makeAuthenticator()
        let made = auth.handle([0x01] + makeRequest(rk: true).cborValue.encoded)
        #expect(made.first == 0x00)
        let response = try MakeCredentialResponse(cbor: try CBORDecoder().decode(made.dropFirst()))
        #expect(response.attestation.format == "packed")
        let asserted = auth.handle([0x02] + GetAssertionRequest(rpId: "example.com", clientDataHash: exampleHash).cborValue.encoded)
        #expect(asserted.first == 0x00)
        let assertion = try GetAssertionResponse(cbor: try CBORDecoder().decode(asserted.dropFirst()))
        #expect(assertion.credentialId == response.authenticatorData.attestedCredentialData?.credentialId)
    }

    @Test func malformedRequestsBecomeStatusCodes() {
        let auth = makeAuthenticator()
        #expect(auth.handle([]) == [CTAPStatus.invalidLength.rawValue])
        #expect(auth.handle([0x55]) == [CTAPStatus.invalidCommand.rawValue])
        #expect(auth.handle([0x01]) == [CTAPStatus.missingParameter.rawValue])
        #expect(auth.handle([0x01, 0xa1, 0x01]) == [CTAPStatus.invalidCBOR.rawValue])
        #expect(auth.handle([0x01, 0xa2, 0x02, 0x00, 0x01, 0x00]) == [CTAPStatus.invalidCBOR.rawValue], "unsorted keys")
        #expect(auth.handle([0x01] + CBORValue.array([]).encoded) == [CTAPStatus.cborUnexpectedType.rawValue])
        #expect(auth.handle([0x01] + CBORValue.map([1: .bytes(exampleHash)]).encoded) == [CTAPStatus.missingParameter.rawValue])
        var wrongType = makeRequest().cborValue.mapValue!
        wrongType[2] = "example.com"
        #expect(auth.handle([0x01] + CBORValue.map(wrongType).encoded) == [CTAPStatus.cborUnexpectedType.rawValue])
        var shortHash = makeRequest().cborValue.mapValue!
        shortHash[1] = .bytes([1, 2, 3])
        #expect(auth.handle([0x01] + CBORValue.map(shortHash).encoded) == [CTAPStatus.invalidLength.rawValue])
        let rkInGet: CBORValue = [1: "example.com", 2: .bytes(exampleHash), 5: ["rk": true]]
        #expect(auth.handle([0x02] + rkInGet.encoded) == [CTAPStatus.unsupportedOption.rawValue])
        #expect(auth.handle([0x08]) == [CTAPStatus.notAllowed.rawValue])
        #expect(auth.handle([0x07]) == [CTAPStatus.notAllowed.rawValue])
        #expect(auth.handle([0x06] + CBORValue.map([1: 2, 2: 4]).encoded) == [CTAPStatus.pinNotSet.rawValue])
    }

    @Test func randomMessagesNeverCrash() {
        let auth = makeAuthenticator()
        var state: UInt64 = 0xC7A9
        for _ in 0..<3000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let length = Int(state >> 58)
            var message: [UInt8] = [UInt8([1, 2, 4, 6, 8][Int(state >> 40) % 5])]
            for _ in 0..<length {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                message.append(UInt8(truncatingIfNeeded: state >> 33))
            }
            _ = auth.handle(message)
        }
    }
}
