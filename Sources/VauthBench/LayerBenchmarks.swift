import VauthAuthenticator
import VauthCBOR
import VauthCrypto
import VauthWebAuthn

/// One signature algorithm's `get` and `create` at every layer a user runs, in the same slices as
/// OpenSSL's own loop (and, for ES256, soft-webauthn):
///
/// | layer | what runs | who runs it |
/// |---|---|---|
/// | typed | `Authenticator.getAssertion(GetAssertionRequest)` | a Swift program using the library |
/// | CBOR bytes | `Authenticator.handle([0x02] ‖ CBOR)` → status ‖ CBOR | `vauth serve`, any CTAP transport |
/// | JSON client | `WebAuthnClient.get(optionsJSON:origin:)` → response JSON text | `vauth attach`, the services, the library's users |
///
/// **warm** is a long-lived authenticator whose key cache holds the credential's key (serve,
/// attach); **cold** loads the key from its stored PKCS#8 for every call — for the JSON client
/// a new authenticator and client per call, as each `vauth get` process makes.
///
/// Rates are per CPU-second of the measuring thread (``Measure/threadCPU()``; soft-webauthn's
/// worker counts its own thread's the same way): on this shared machine the wall clock mostly
/// measured how much of a core the scheduler left to each slice.
struct LayerBenchmarks {
    let algorithm: COSEAlgorithm
    let identity: AuthenticatorIdentity
    let rounds: Int
    let slice: Double
    let softWebauthn: SoftWebauthnWorker?

    static let origin = "https://bench.example"

    /// getAssertion at each layer. Names: `opensslSign`, `typedWarm`, `typedCold`, `cborWarm`,
    /// `cborCold`, `jsonWarm`, `jsonCold`, and for ES256 with a worker `softWebauthn`,
    /// `softWebauthnJSON`.
    func assertions() throws -> MeasurementGroup {
        let probe = MachineLoad.Probe(helpers: softWebauthn.map { [$0.pid] } ?? [])
        let limit = try OpenSSLSignLoop(typeName: OpenSSLSignLoop.typeName(algorithm))
        let key = try SigningKey.generate(algorithm)
        let record = CredentialRecord(id: try SecureRandom.bytes(16), rp: RelyingPartyEntity(id: "bench.example"),
                                      user: UserEntity(id: [1, 2, 3, 4], name: "bench"), algorithm: algorithm,
                                      privateKey: try key.pkcs8DER(), discoverable: false, createdAt: 0)
        let store = InMemoryCredentialStore([record])
        let warm = Authenticator(identity: identity, store: store)
        let cold = Authenticator(identity: identity, store: store)
        cold.keyCache.capacity = 0
        let request = GetAssertionRequest(rpId: "bench.example", clientDataHash: SHA256.hash(Array("bench".utf8)),
                                          allowList: [CredentialDescriptor(id: record.id)])
        let message = [CTAPCommand.getAssertion.rawValue] + request.cborValue.encoded
        let client = WebAuthnClient(authenticator: warm)
        let optionsJSON = """
            {"challenge":"AAAAAAAAAAAAAAAAAAAAAA","rpId":"bench.example",\
            "allowCredentials":[{"type":"public-key","id":"\(Base64.urlEncode(record.id))"}]}
            """
        var operations = [
            Measure.Operation("opensslSign") { try limit.sign() },
            Measure.Operation("typedWarm") { _ = try warm.getAssertion(request) },
            Measure.Operation("typedCold") { _ = try cold.getAssertion(request) },
            Measure.Operation("cborWarm") { try Self.expectOK(warm.handle(message)) },
            Measure.Operation("cborCold") { try Self.expectOK(cold.handle(message)) },
            Measure.Operation("jsonWarm") { _ = try client.get(optionsJSON: optionsJSON, origin: Self.origin).serialized(.compact) },
            Measure.Operation("jsonCold") {
                let fresh = WebAuthnClient(authenticator: Authenticator(identity: identity, store: store))
                _ = try fresh.get(optionsJSON: optionsJSON, origin: Self.origin).serialized(.compact)
            },
        ]
        if algorithm == .es256, let softWebauthn {
            operations.append(softWebauthn.operation("get", label: "softWebauthn"))
            operations.append(softWebauthn.operation("getJSON", label: "softWebauthnJSON"))
        }
        let rates = try Measure.slices(operations, rounds: rounds, slice: slice)
        var group = MeasurementGroup(name: "\(Benchmarks.groupName(algorithm)).get", operations: operations, rates: rates)
        for name in ["typedWarm", "typedCold", "cborWarm", "cborCold", "jsonWarm", "jsonCold"] {
            group.ratio(name, over: "opensslSign")
        }
        if group.has("softWebauthn") {
            for name in ["jsonWarm", "jsonCold", "typedWarm"] { group.ratio(name, over: "softWebauthn") }
            group.ratio("jsonWarm", over: "softWebauthnJSON")
        }
        group.load = probe.finish()
        return group
    }

    /// makeCredential at each layer, next to OpenSSL generating a key pair of the algorithm (the
    /// floor of any create). Names: `opensslKeygen`, `typedNone`, `typedSelf`, `typedX5c`,
    /// `cborNone`, `jsonWarm`, `jsonCold` (all `none` attestation unless named), and for ES256
    /// `softWebauthn`, `softWebauthnJSON`.
    func creations() throws -> MeasurementGroup {
        let probe = MachineLoad.Probe(helpers: softWebauthn.map { [$0.pid] } ?? [])
        let keygen = try OpenSSLKeygenLoop(typeName: OpenSSLSignLoop.typeName(algorithm))
        // A store that keeps nothing: the rate is not that of a store growing without bound.
        func maker(_ attestation: AttestationKind) -> Authenticator {
            Authenticator(identity: identity, policy: AuthenticatorPolicy(attestation: attestation), store: DiscardingCredentialStore())
        }
        let none = maker(.none), selfAttesting = maker(.self), batch = maker(.packed)
        let request = MakeCredentialRequest(clientDataHash: SHA256.hash(Array("bench".utf8)),
                                            rp: RelyingPartyEntity(id: "bench.example", name: "Bench"),
                                            user: UserEntity(id: [1, 2, 3, 4], name: "bench", displayName: "Bench"),
                                            pubKeyCredParams: [CredentialParameter(algorithm: algorithm.rawValue)])
        let message = [CTAPCommand.makeCredential.rawValue] + request.cborValue.encoded
        let client = WebAuthnClient(authenticator: none)
        let optionsJSON = """
            {"rp":{"id":"bench.example","name":"Bench"},"user":{"id":"AQIDBA","name":"bench","displayName":"Bench"},\
            "challenge":"AAAAAAAAAAAAAAAAAAAAAA","pubKeyCredParams":[{"type":"public-key","alg":\(algorithm.rawValue)}],\
            "attestation":"none"}
            """
        var operations = [
            Measure.Operation("opensslKeygen") { try keygen.generate() },
            Measure.Operation("typedNone") { _ = try none.makeCredential(request) },
            Measure.Operation("typedSelf") { _ = try selfAttesting.makeCredential(request) },
            Measure.Operation("typedX5c") { _ = try batch.makeCredential(request) },
            Measure.Operation("cborNone") { try Self.expectOK(none.handle(message)) },
            Measure.Operation("jsonWarm") { _ = try client.create(optionsJSON: optionsJSON, origin: Self.origin).serialized(.compact) },
            Measure.Operation("jsonCold") {
                let fresh = WebAuthnClient(authenticator: maker(.none))
                _ = try fresh.create(optionsJSON: optionsJSON, origin: Self.origin).serialized(.compact)
            },
        ]
        if algorithm == .es256, let softWebauthn {
            operations.append(softWebauthn.operation("create", label: "softWebauthn"))
            operations.append(softWebauthn.operation("createJSON", label: "softWebauthnJSON"))
        }
        let rates = try Measure.slices(operations, rounds: rounds, slice: slice)
        var group = MeasurementGroup(name: "\(Benchmarks.groupName(algorithm)).create", operations: operations, rates: rates)
        for name in ["typedNone", "cborNone", "jsonWarm", "jsonCold"] { group.ratio(name, over: "opensslKeygen") }
        if group.has("softWebauthn") {
            for name in ["jsonWarm", "jsonCold", "typedNone"] { group.ratio(name, over: "softWebauthn") }
            group.ratio("jsonWarm", over: "softWebauthnJSON")
        }
        group.load = probe.finish()
        return group
    }

    static func expectOK(_ reply: [UInt8]) throws {
        guard reply.first == CTAPStatus.ok.rawValue else { throw BenchmarkError("CTAP status 0x\(String(reply.first ?? 0xff, radix: 16))") }
    }
}

/// A store that keeps nothing: makeCredential is timed without a growing store under it.
final class DiscardingCredentialStore: CredentialStore {
    func credential(id: [UInt8], rpId: String) -> CredentialRecord? { nil }
    func credential(id: [UInt8]) -> CredentialRecord? { nil }
    func discoverableCredentials(rpId: String) -> [CredentialSummary] { [] }
    func allCredentials() -> [CredentialRecord] { [] }
    func save(_ record: CredentialRecord, replacing: [UInt8]?) {}
    func updateSignCount(id: [UInt8], to count: UInt32) {}
    func delete(id: [UInt8]) -> Bool { false }
}
