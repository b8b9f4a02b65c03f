import Foundation
import VauthAuthenticator
import VauthCBOR
import VauthCrypto
import VauthKeystore
import VauthChildProcess

/// vauth's speed and memory goals, measured in one run so their ratios mean something on a noisy
/// shared machine (absolute times do not; the ratios are the results).
public struct Benchmarks {
    public struct Settings: Sendable {
        /// Credentials in the large keystore (the goal speaks of 10,000).
        public var largeKeystore: Int
        /// Credentials in the small one.
        public var smallKeystore: Int
        /// Timed repetitions per measurement.
        public var iterations: Int

        public init(largeKeystore: Int = 10_000, smallKeystore: Int = 10, iterations: Int = 200) {
            self.largeKeystore = largeKeystore
            self.smallKeystore = smallKeystore
            self.iterations = iterations
        }
    }

    /// One row of the table.
    public struct Row: Sendable {
        public var name: String
        public var value: String
        public var goal: String?
        public var met: Bool?
    }

    public let settings: Settings
    /// The `vauth` binary, for the whole-command measurement (nil skips it).
    public let executable: String?

    public init(settings: Settings, executable: String?) {
        self.settings = settings
        self.executable = executable
    }

    public func run(progress: (String) -> Void) throws -> [Row] {
        var rows: [Row] = []
        let scratch = NSTemporaryDirectory() + "vauth-bench-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let keyPath = scratch + "/key"
        _ = FileManager.default.createFile(atPath: keyPath, contents: Data(try SecureRandom.bytes(32)))
        let unlock = try KeystoreUnlock.keyFile(path: keyPath)
        let identity = try AuthenticatorIdentity.generate(now: Authenticator.systemClock() / 1000)

        // Keystores of both sizes. The credential we assert with is the same kind in both; the
        // others belong to other RPs, and a tenth are discoverable.
        var targets: [Int: [UInt8]] = [:]
        var paths: [Int: String] = [:]
        for size in [settings.smallKeystore, settings.largeKeystore] {
            progress("making a keystore of \(size) credentials")
            let path = scratch + "/keystore-\(size).vauth"
            let file = try KeystoreFile(path: path, unlock: unlock, access: .readWrite, creating: .init(identity: identity))
            var records: [CredentialRecord] = []
            for n in 0..<size {
                let key = try SigningKey.generate(.es256)
                records.append(CredentialRecord(
                    id: try SecureRandom.bytes(16), rp: RelyingPartyEntity(id: n == 0 ? "bench.example" : "rp\(n % 500).example"),
                    user: UserEntity(id: Array("user-\(n)".utf8), name: "user \(n)"), algorithm: .es256,
                    privateKey: try key.pkcs8DER(), discoverable: n == 0 || n % 10 == 0, createdAt: Int64(n)))
            }
            try file.insert(records)
            targets[size] = records[0].id
            paths[size] = path
            file.close()
        }

        // 1. An assertion through the keystore, in process: open (lock, header, data key, index),
        //    find the credential, decrypt it, sign, journal the counter, close.
        let clientDataHash = SHA256.hash(Array("bench".utf8))
        func assertion(size: Int, discoverable: Bool) throws -> Double {
            let request = GetAssertionRequest(rpId: "bench.example", clientDataHash: clientDataHash,
                                              allowList: discoverable ? [] : [CredentialDescriptor(id: targets[size]!)])
            return try Self.median(iterations: settings.iterations) {
                let file = try KeystoreFile(path: paths[size]!, unlock: unlock, access: .readWrite)
                let authenticator = Authenticator(identity: identity, store: EncryptedCredentialStore(file: file))
                _ = try authenticator.getAssertion(request)
                file.close()
            }
        }
        for discoverable in [false, true] {
            let label = discoverable ? "discoverable" : "allowCredentials"
            progress("timing assertions (\(label))")
            // Interleave the sizes so drifting machine load affects both alike.
            let small1 = try assertion(size: settings.smallKeystore, discoverable: discoverable)
            let large1 = try assertion(size: settings.largeKeystore, discoverable: discoverable)
            let small2 = try assertion(size: settings.smallKeystore, discoverable: discoverable)
            let large2 = try assertion(size: settings.largeKeystore, discoverable: discoverable)
            let small = min(small1, small2), large = min(large1, large2)
            let ratio = large / small
            rows.append(Row(name: "assertion, \(label), \(settings.smallKeystore) credentials", value: Self.time(small)))
            rows.append(Row(name: "assertion, \(label), \(settings.largeKeystore) credentials", value: Self.time(large)))
            rows.append(Row(name: "  ratio \(settings.largeKeystore) / \(settings.smallKeystore) (\(label))",
                            value: String(format: "%.2f×", ratio), goal: "≤ 2×", met: ratio <= 2))
        }

        // 2. The same through the whole command, as a user runs it.
        if let executable {
            progress("timing `vauth get` processes")
            func command(size: Int) throws -> Double {
                let options = "{\"challenge\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"rpId\":\"bench.example\",\"allowCredentials\":[{\"type\":\"public-key\",\"id\":\"\(Base64.urlEncode(targets[size]!))\"}]}"
                let optionsPath = scratch + "/options.json"
                try options.write(toFile: optionsPath, atomically: true, encoding: .utf8)
                return try Self.median(iterations: max(5, settings.iterations / 10)) {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: executable)
                    process.arguments = ["get", "--origin", "https://bench.example", "--options", optionsPath, "--compact"]
                    process.environment = ["VAUTH_KEYSTORE": paths[size]!, "VAUTH_KEY_FILE": keyPath, "HOME": scratch]
                    process.standardOutput = FileHandle.nullDevice
                    process.standardError = FileHandle.nullDevice
                    try process.runWithDefaultSignalMask()
                    process.waitUntilExit()
                    guard process.terminationStatus == 0 else { throw BenchmarkError("vauth get exited \(process.terminationStatus)") }
                }
            }
            let small = try command(size: settings.smallKeystore), large = try command(size: settings.largeKeystore)
            rows.append(Row(name: "`vauth get`, \(settings.smallKeystore) credentials", value: Self.time(small)))
            rows.append(Row(name: "`vauth get`, \(settings.largeKeystore) credentials", value: Self.time(large)))
            rows.append(Row(name: "  ratio (whole command)", value: String(format: "%.2f×", large / small), goal: "≤ 2×", met: large / small <= 2))
        }

        // 3. Memory: the peak resident size of this process, which has held both keystores open.
        rows.append(Row(name: "peak resident memory of this run", value: Self.peakMemory()))

        // 4. Signing, each algorithm, against OpenSSL's own `openssl speed` in the same run.
        progress("timing signatures")
        let message = [UInt8](repeating: 0x5a, count: 37 + 32)
        for algorithm in COSEAlgorithm.allCases {
            let key = try SigningKey.generate(algorithm)
            let perSign = try Self.median(iterations: algorithm == .rs256 ? 50 : 500) { _ = try key.sign(message) }
            var row = Row(name: "sign \(algorithm.name) (authData ‖ clientDataHash)", value: String(format: "%.0f/s", 1 / perSign))
            if let reference = Self.opensslSpeed(algorithm) {
                let ratio = (1 / perSign) / reference
                row.value += String(format: "  (openssl speed %.0f/s, %.2f×)", reference, ratio)
                row.goal = "≥ 0.5× openssl speed"
                row.met = ratio >= 0.5
            }
            rows.append(row)
        }

        // 5. CBOR: a makeCredential request through the canonical encoder and the strict decoder.
        let request = MakeCredentialRequest(clientDataHash: clientDataHash, rp: RelyingPartyEntity(id: "bench.example", name: "Bench"),
                                            user: UserEntity(id: [1, 2, 3], name: "u", displayName: "U"),
                                            pubKeyCredParams: [CredentialParameter(algorithm: -7), CredentialParameter(algorithm: -8)])
        let encoded = request.cborValue.encoded
        let codec = try Self.median(iterations: 2000) { _ = try CBORDecoder(limits: .ctap).decode(request.cborValue.encoded) }
        rows.append(Row(name: "CBOR encode + strict decode, makeCredential (\(encoded.count) bytes)", value: String(format: "%.0f/s", 1 / codec)))
        return rows
    }

    // MARK: - Measuring

    static func median(iterations: Int, _ body: () throws -> Void) throws -> Double {
        try body()  // warm up caches and lazy state
        var samples: [Double] = []
        samples.reserveCapacity(iterations)
        for _ in 0..<iterations {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        samples.sort()
        return samples[samples.count / 2]
    }

    static func time(_ seconds: Double) -> String {
        seconds >= 0.01 ? String(format: "%.1f ms", seconds * 1000) : String(format: "%.0f µs", seconds * 1e6)
    }

    static func peakMemory() -> String {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return String(format: "%.1f MiB", Double(usage.ru_maxrss) / 1024)
    }

    /// Signatures per second from `openssl speed` (the same library, its own loop).
    static func opensslSpeed(_ algorithm: COSEAlgorithm) -> Double? {
        let name: String
        switch algorithm {
        case .es256: name = "ecdsap256"
        case .edDSA: name = "ed25519"
        case .rs256: name = "rsa2048"
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["speed", "-seconds", "1", "-mr", name]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.runWithDefaultSignalMask()) != nil else { return nil }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        // Machine-readable lines end with signs/s and verifies/s, e.g. "+F4:3:256:62287.9:21326.5"
        // (ECDSA), "+F6:0:253:Ed25519:38147.5:14515.3" (EdDSA), "+F2:2:2048:4169.4:68746.9" (RSA).
        for line in output.split(separator: "\n") where line.hasPrefix("+F") {
            let fields = line.split(separator: ":")
            if fields.count >= 5, let signsPerSecond = Double(fields[fields.count - 2]), signsPerSecond > 0 { return signsPerSecond }
        }
        return nil
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
