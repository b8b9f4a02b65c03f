import Foundation
import Testing
import VauthCBOR
import VauthCrypto

/// The hand-written encodings (PKCS#8 and SPKI templates, the fast PKCS#8 readers, the reused
/// signing contexts) against OpenSSL's own command line, an implementation they do not share code with.
struct KeyEncodingTests {
    /// `openssl pkcs8 -topk8` re-encodes a key as OpenSSL writes PKCS#8: ours must be byte-identical.
    @Test(arguments: COSEAlgorithm.allCases)
    func pkcs8AndSPKIAreWhatOpenSSLWrites(algorithm: COSEAlgorithm) throws {
        let key = try SigningKey.generate(algorithm)
        let pkcs8 = try key.pkcs8DER().exposedCopy()
        #expect(try openssl(["pkcs8", "-topk8", "-nocrypt", "-inform", "DER", "-outform", "DER"], input: pkcs8) == pkcs8)
        let spki = try key.publicKey.spkiDER()
        #expect(try openssl(["pkey", "-inform", "DER", "-outform", "DER", "-pubout"], input: pkcs8) == spki)
        #expect(SubjectPublicKeyInfo.der(for: try key.publicKey.coseKey()) == spki)
    }

    /// A key read back from PKCS#8 (the keystore's path) signs what OpenSSL verifies with the
    /// public key it derives itself; each key signs several times with its reused context.
    @Test(arguments: COSEAlgorithm.allCases)
    func importedKeySignsForOpenSSL(algorithm: COSEAlgorithm) throws {
        let original = try SigningKey.generate(algorithm)
        let pkcs8 = try original.pkcs8DER().exposedCopy()
        let imported = try SigningKey(pkcs8DER: pkcs8)
        #expect(imported.algorithm == algorithm)
        #expect(try imported.pkcs8DER().exposedCopy() == pkcs8)
        #expect(try imported.publicKey.coseKey() == original.publicKey.coseKey())
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vauth-keyenc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let pub = dir.appendingPathComponent("pub.der")
        try Data(try openssl(["pkey", "-inform", "DER", "-outform", "DER", "-pubout"], input: pkcs8)).write(to: pub)
        for round in 0..<3 {
            let message = Array("message \(round)".utf8)
            let signature = try imported.sign(message)
            let msg = dir.appendingPathComponent("msg"), sig = dir.appendingPathComponent("sig")
            try Data(message).write(to: msg)
            try Data(signature).write(to: sig)
            var args = ["pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-inkey", pub.path, "-in", msg.path, "-sigfile", sig.path]
            if algorithm == .edDSA { args.insert("-rawin", at: 2) } else { args += ["-rawin", "-digest", "sha256"] }
            let out = String(decoding: try openssl(args, input: []), as: UTF8.self)
            #expect(out.contains("Signature Verified Successfully"), "\(algorithm) round \(round): \(out)")
        }
    }

    @Test func rawP256ScalarStillImports() throws {
        let scalar = [UInt8](repeating: 0, count: 31) + [7]
        let key = try SigningKey(algorithm: .es256, rawPrivateKey: scalar)
        let pkcs8 = try key.pkcs8DER().exposedCopy()
        #expect(pkcs8.count == 138, "the public point is carried along")
        #expect(try openssl(["pkcs8", "-topk8", "-nocrypt", "-inform", "DER", "-outform", "DER"], input: pkcs8) == pkcs8)
    }

    @Test func offCurvePointInPKCS8IsRefused() throws {
        let key = try SigningKey.generate(.es256)
        var pkcs8 = try key.pkcs8DER().exposedCopy()
        pkcs8[pkcs8.count - 1] ^= 0x01
        #expect(throws: CryptoError.self) { try SigningKey(pkcs8DER: pkcs8) }
    }

    @Test func rsaSPKIFromCOSEMatchesOpenSSL() throws {
        let key = try SigningKey.generate(.rs256)
        let spki = try key.publicKey.spkiDER()
        #expect(SubjectPublicKeyInfo.der(for: try key.publicKey.coseKey()) == spki)
        #expect(try PublicKey(spkiDER: spki).coseKey() == key.publicKey.coseKey())
    }

    private func openssl(_ arguments: [String], input: [UInt8]) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stdout
        try process.run()
        stdin.fileHandleForWriting.write(Data(input))
        try stdin.fileHandleForWriting.close()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Array(data)
    }
}
