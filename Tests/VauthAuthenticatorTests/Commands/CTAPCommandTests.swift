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
        #expect(info[1] == ["U2F_V2", "FIDO_2_0", "FIDO_2_1", "FIDO_2_2"])
        #expect(info[4]?["clientPin"] == false)
        #expect(info[4]?["credMgmt"] == true)
        #expect(info[9] == ["internal"])
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
        #expect(auth.handle([0x07]) == [CTAPStatus.operationDenied.rawValue], "reset without --allow-reset")
        #expect(auth.handle([0x06] + CBORValue.map([1: 2, 2: 4]).encoded) == [CTAPStatus.missingParameter.rawValue])
        #expect(auth.handle([0x06] + CBORValue.map([1: 2, 2: 0x42]).encoded) == [CTAPStatus.invalidSubcommand.rawValue])
        #expect(auth.handle([0x0A] + CBORValue.map([1: 0x42]).encoded) == [CTAPStatus.invalidSubcommand.rawValue])
        #expect(auth.handle([0x0A] + CBORValue.map([1: 1]).encoded) == [CTAPStatus.puatRequired.rawValue])
        #expect(auth.handle([0x0B]) == [CTAPStatus.ok.rawValue])
        #expect(auth.handle([0x04] + [UInt8](repeating: 0, count: Authenticator.maximumMessageSize)) == [CTAPStatus.requestTooLarge.rawValue])
        let tooMany = makeRequest(exclude: (0..<65).map { [UInt8($0)] }).cborValue.encoded
        #expect(auth.handle([0x01] + tooMany) == [CTAPStatus.limitExceeded.rawValue])
        var tooManyAllowed: [CBORValue: CBORValue] = [1: "example.com", 2: .bytes(exampleHash)]
        tooManyAllowed[3] = .array((0..<65).map { ["type": "public-key", "id": .bytes([UInt8($0)])] })
        #expect(auth.handle([0x02] + CBORValue.map(tooManyAllowed).encoded) == [CTAPStatus.limitExceeded.rawValue])
    }

    @Test func randomMessagesGetTheRightStatus() throws {
        let auth = makeAuthenticator()
        var invalid = 0
        var state: UInt64 = 0xC7A9
        for _ in 0..<3000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let length = Int(state >> 58)
            var message: [UInt8] = [UInt8([1, 2, 4, 6, 8][Int(state >> 40) % 5])]
            for _ in 0..<length {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                message.append(UInt8(truncatingIfNeeded: state >> 33))
            }
            let response = auth.handle(message)
            // The answer is a status byte CTAP 2.2 §8.2 defines; an error carries nothing else, a
            // success one canonical CBOR value or nothing; parameters that are not (canonical)
            // CBOR are CTAP2_ERR_INVALID_CBOR whatever the command (§8.1 / §6).
            let status = try #require(response.first, "empty response to \(message)")
            #expect(!CTAPStatus(rawValue: status).name.hasPrefix("CTAP status"), "unknown status 0x\(String(status, radix: 16))")
            if status == CTAPStatus.ok.rawValue {
                if response.count > 1 { #expect((try? CBORDecoder.decode(response.dropFirst())) != nil) }
            } else {
                #expect(response.count == 1, "error \(status) with data")
            }
            let parameters = message.dropFirst()
            if parameters.isEmpty {
                let expected: [UInt8: CTAPStatus] = [1: .missingParameter, 2: .missingParameter, 6: .missingParameter, 8: .notAllowed, 4: .ok]
                #expect(status == expected[message[0]]?.rawValue, "\(message) gave 0x\(String(status, radix: 16))")
            } else if (try? CBORDecoder(limits: .ctap).decode(parameters)) == nil {
                #expect(status == CTAPStatus.invalidCBOR.rawValue, "\(message) gave 0x\(String(status, radix: 16))")
                invalid += 1
            } else if message[0] != 4 {
                #expect(status != CTAPStatus.ok.rawValue, "random parameters were accepted: \(message)")
            }
        }
        // The generator is fixed: most messages are not CBOR at all, and each was told so.
        #expect(invalid > 2000)
    }
}
