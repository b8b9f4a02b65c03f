import VauthAuthenticator
import VauthCBOR
import VauthCrypto
import VauthKeystore
import VauthTransfer
import VauthTransport
import VauthWebAuthn
#if canImport(Glibc)
import Glibc
#endif

/// One libFuzzer target: a parser of untrusted bytes and the properties it must keep on any input.
///
/// A harness returns normally for every input the parser handles correctly (accepted or refused);
/// it traps (`precondition`) when an invariant breaks, which libFuzzer and the regression tests
/// report as a crash, exactly like a crash inside the parser.
public struct FuzzHarness: Sendable {
    public let name: String
    public let summary: String
    public let run: @Sendable ([UInt8]) -> Void

    /// Every harness, by name (the `vauth-fuzz` argument and the corpus directory name).
    public static let all: [FuzzHarness] = [
        FuzzHarness(name: "cbor", summary: "the strict CBOR decoder (canonical round trip)", run: cbor),
        FuzzHarness(name: "ctap", summary: "CTAP2 messages: makeCredential, getAssertion, clientPIN, …", run: ctap),
        FuzzHarness(name: "options-json", summary: "the JSON parser and WebAuthn creation / request options", run: optionsJSON),
        FuzzHarness(name: "import", summary: "vauth and CDP import documents", run: importDocument),
        FuzzHarness(name: "keystore", summary: "a keystore file opened and checked with its key", run: keystoreFile),
        FuzzHarness(name: "journal", summary: "a counter journal next to a valid keystore", run: counterJournal),
        FuzzHarness(name: "ctaphid", summary: "the CTAPHID packet assembler: reports with time steps", run: ctaphid),
    ]

    public static func named(_ name: String) -> FuzzHarness? { all.first { $0.name == name } }

    // MARK: - CBOR

    /// The decoder accepts only canonical CTAP2 CBOR, so anything it accepts must encode back to
    /// exactly the input bytes.
    static func cbor(_ bytes: [UInt8]) {
        guard let value = try? CBORDecoder(limits: .ctap).decode(bytes) else { return }
        let again = value.encoded
        precondition(again == bytes, "CBOR round trip changed the bytes")
        precondition((try? CBORDecoder(limits: .ctap).decode(again)) == value, "re-decoding gave another value")
    }

    // MARK: - CTAP

    nonisolated(unsafe) private static let authenticator: Authenticator = {
        let identity = try! AuthenticatorIdentity.generate(now: 1_750_000_000)
        var tick: Int64 = 1_750_000_000_000
        return Authenticator(identity: identity, store: InMemoryCredentialStore(), clock: {
            tick += 1
            return tick
        })
    }()

    /// One CTAP2 message (command byte ‖ CBOR). The answer is a known status byte; success carries
    /// one canonical CBOR value (or nothing), failure nothing at all; parameters that are not
    /// valid CBOR are CTAP2_ERR_INVALID_CBOR.
    static func ctap(_ bytes: [UInt8]) {
        guard bytes.count <= 8192 else { return }
        let response = authenticator.handle(bytes)
        checkCTAPResponse(message: bytes, response: response)
    }

    /// The properties of a CTAP2 response to `message`, shared with the unit tests.
    public static func checkCTAPResponse(message: [UInt8], response: [UInt8]) {
        precondition(!response.isEmpty, "empty CTAP response")
        let status = response[0]
        if status == CTAPStatus.ok.rawValue {
            if response.count > 1 {
                precondition((try? CBORDecoder(limits: .init()).decode(response.dropFirst())) != nil, "success response is not canonical CBOR")
            }
        } else {
            precondition(response.count == 1, "an error status carries no data")
            precondition(!CTAPStatus(rawValue: status).name.hasPrefix("CTAP status"), "unknown status 0x\(String(status, radix: 16))")
        }
        if message.count > 1, [0x01, 0x02, 0x06].contains(message[0]),
           (try? CBORDecoder(limits: .ctap).decode(message.dropFirst())) == nil {
            precondition(status == CTAPStatus.invalidCBOR.rawValue, "undecodable parameters gave status 0x\(String(status, radix: 16))")
        }
    }

    // MARK: - CTAPHID

    /// The input as a stream of `[time step] [report length 0…63] [report bytes]` records, fed to
    /// one assembler with a clock that advances by the step (×8 ms, so timeouts happen). Every
    /// message it completes is within the transport's size limit and survives a round trip through
    /// its own reports.
    static func ctaphid(_ bytes: [UInt8]) {
        var assembler = CTAPHIDAssembler()
        var now: UInt64 = 1_000
        var index = 0
        while index + 2 <= bytes.count {
            now += UInt64(bytes[index]) * 8
            let length = min(Int(bytes[index + 1] & 0x3F) + 1, CTAPHID.reportSize)
            index += 2
            let report = Array(bytes[index..<min(index + length, bytes.count)])
            index += length
            for event in assembler.expire(at: now) + assembler.receive(report, at: now) {
                checkCTAPHIDEvent(event)
            }
        }
    }

    private static func checkCTAPHIDEvent(_ event: CTAPHIDAssembler.Event) {
        switch event {
        case .message(let message):
            precondition(message.payload.count <= CTAPHID.maximumMessageSize, "message larger than CTAPHID allows")
            var fresh = CTAPHIDAssembler()
            fresh.channels.adopt(message.channel)
            var again: [CTAPHIDAssembler.Event] = []
            for report in message.reports { again += fresh.receive(report, at: 0) }
            precondition(again == [.message(message)], "a message does not survive its own reports: \(again)")
        case .error:
            // ERR_INVALID_CHANNEL is answered on channel 0 itself, as a token does.
            break
        }
    }

    // MARK: - JSON options

    static func optionsJSON(_ bytes: [UInt8]) {
        guard let value = try? JSONParser.parse(bytes) else { return }
        // What the parser accepted serializes and parses back to the same value.
        let text = JSONSerializer.serialize(value, style: .compact)
        precondition((try? JSONParser.parse(text)) == value, "JSON round trip changed the value")
        _ = try? PublicKeyCredentialCreationOptions(json: value)
        _ = try? PublicKeyCredentialRequestOptions(json: value)
    }

    // MARK: - import

    static func importDocument(_ bytes: [UInt8]) {
        guard let value = try? JSONParser.parse(bytes) else { return }
        guard let records = try? CredentialTransfer.importRecords(value, now: 1_750_000_000_000) else { return }
        // What imports exports again, and that export imports to the same credentials.
        for format in [CredentialTransfer.Format.vauth, .cdp] {
            guard let exported = try? CredentialTransfer.export(records, format: format) else {
                preconditionFailure("imported credentials cannot be exported as \(format)")
            }
            let again = try? CredentialTransfer.importRecords(exported, now: 1_750_000_000_000)
            precondition(again?.map(\.id) == records.map(\.id), "export of an import does not import back (\(format))")
        }
    }

    // MARK: - keystore files

    /// The key the seed keystores of Tests/Fuzz/corpus/keystore and /journal were made with:
    /// bytes 0x00…0x1f (`vauth-fuzz --make-keystore-seeds`).
    public static let seedKey: [UInt8] = Array(0..<32)

    private static let scratch: String = {
        var template = Array("/tmp/vauth-fuzz-XXXXXX".utf8CString)
        let directory = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(directory != nil, "mkdtemp failed")
        return String(cString: directory!)
    }()

    /// Opens `bytes` as a keystore with the seed key, reads everything, and checks every byte.
    /// Any input must open, or fail with a ``KeystoreError``; never trap.
    static func keystoreFile(_ bytes: [UInt8]) {
        let path = scratch + "/keystore.vauth"
        unlink(path + ".counters")
        write(bytes, to: path)
        openAndRead(path)
    }

    /// A valid keystore (the first seed of the keystore corpus, built in) with `bytes` as its
    /// counter journal.
    static func counterJournal(_ bytes: [UInt8]) {
        let path = scratch + "/journal-keystore.vauth"
        write(journalKeystore, to: path)
        write(bytes, to: path + ".counters")
        openAndRead(path)
    }

    /// The keystore the journal harness puts its input next to: Tests/Fuzz/seed-keystore.vauth,
    /// made with ``seedKey``; it has a journal of its own in the journal corpus.
    nonisolated(unsafe) public static var journalKeystore: [UInt8] = []

    /// Where the fuzz tree is (from this file's path), for the seed keystore.
    public static let fuzzDirectory: String = {
        var path = #filePath
        for _ in 0..<2 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path
    }()

    /// Loads what the harnesses share before the first input.
    public static func prepare() {
        if journalKeystore.isEmpty, let file = fopen(fuzzDirectory + "/seed-keystore.vauth", "rb") {
            defer { fclose(file) }
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            let n = fread(&buffer, 1, buffer.count, file)
            journalKeystore = Array(buffer[..<n])
        }
        _ = authenticator
    }

    private static func openAndRead(_ path: String) {
        do {
            let file = try KeystoreFile(path: path, unlock: .keyFile(SecretBytes(seedKey)), access: .read, lockTimeout: 1)
            defer { file.close() }
            _ = try file.identity()
            try file.verifyAll()
            for record in try file.allRecords() {
                _ = try file.record(id: record.id, rpId: record.rpId)
            }
        } catch {
            // Refused cleanly: that is the point.
        }
    }

    private static func write(_ bytes: [UInt8], to path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0, "cannot write \(path)")
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            precondition(n > 0, "short write")
            offset += n
        }
        close(fd)
    }
}
