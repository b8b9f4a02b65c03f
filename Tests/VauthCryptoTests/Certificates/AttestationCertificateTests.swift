import Foundation
import Testing
import VauthCrypto

struct AttestationCertificateTests {
    @Test func rootAndLeafChainAndCarryTheAAGUID() throws {
        let rootKey = try SigningKey.generate(.es256), leafKey = try SigningKey.generate(.es256)
        let validity = AttestationCertificates.Validity(notBefore: 1_700_000_000, notAfter: 2_500_000_000)
        let root = try AttestationCertificates.makeRoot(key: rootKey, subject: [("C", "US"), ("O", "vauth test"), ("CN", "vauth test root")],
                                                       serial: [1, 2, 3], validity: validity)
        let aaguid = Array(0..<16).map(UInt8.init)
        let leaf = try AttestationCertificates.makeAttestationLeaf(
            publicKey: leafKey.publicKey,
            subject: [("C", "US"), ("O", "vauth test"), ("OU", "Authenticator Attestation"), ("CN", "vauth test batch")],
            aaguid: aaguid, serial: [9, 9], validity: validity, issuer: root, issuerKey: rootKey)
        #expect(leaf.isSigned(by: root))
        #expect(!root.isSigned(by: leaf))
        #expect(AttestationCertificates.aaguid(of: leaf) == aaguid)
        #expect(AttestationCertificates.aaguid(of: root) == nil)
        #expect(leaf.subjectDescription.contains("OU=Authenticator Attestation"))
        #expect(try X509Certificate(der: leaf.der()).der() == leaf.der())
        #expect(try X509Certificate(pem: root.pem()).der() == root.der())

        // An independent check: the openssl command line verifies the chain and shows the fields.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vauth-x509-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try root.pem().write(to: dir.appendingPathComponent("root.pem"), atomically: true, encoding: .utf8)
        try leaf.pem().write(to: dir.appendingPathComponent("leaf.pem"), atomically: true, encoding: .utf8)
        let verify = try run("/usr/bin/openssl", ["verify", "-x509_strict", "-CAfile", dir.appendingPathComponent("root.pem").path,
                                                  dir.appendingPathComponent("leaf.pem").path])
        #expect(verify.contains(": OK"), "\(verify)")
        let text = try run("/usr/bin/openssl", ["x509", "-noout", "-text", "-in", dir.appendingPathComponent("leaf.pem").path])
        #expect(text.contains("Version: 3 (0x2)"))
        #expect(text.contains("CA:FALSE"))
        #expect(text.contains("1.3.6.1.4.1.45724.1.1.4:"))
        #expect(!text.contains("1.3.6.1.4.1.45724.1.1.4: critical"))
    }

    private func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
