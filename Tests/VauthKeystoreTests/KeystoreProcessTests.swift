import Foundation
import Testing
import VauthAuthenticator
import VauthCrypto
import VauthKeystore

/// Real processes: killed in the middle of writes, and racing each other.
struct KeystoreProcessTests {
    @Test func sigkillAtRandomPointsLosesNoCompletedWrite() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let (keyPath, unlock) = scratch.keyFile()
        var committed = Set<String>()
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<12 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: stressExecutable())
            process.arguments = ["write-loop", scratch.keystore, keyPath]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Somewhere between a few writes and a few dozen: the kill lands at a random instant.
            usleep(UInt32.random(in: 20_000...250_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            committed.formUnion(text.split(separator: "\n").map(String.init))
            // On a loaded machine the kill can land before the child's first write: then there is
            // no keystore yet, which is right only while nothing was acknowledged.
            if committed.isEmpty && !FileManager.default.fileExists(atPath: scratch.keystore) { continue }
            // After every kill the keystore opens, authenticates, and holds every acknowledged id.
            let file = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .read)
            try file.verifyAll()
            let present = Set(try file.allRecords().map { Base64.urlEncode($0.id) })
            #expect(committed.isSubset(of: present), "lost \(committed.subtracting(present).count) acknowledged credentials")
        }
        #expect(committed.count > 12, "the loop made progress (\(committed.count) writes)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.directory + "/store").filter { $0.contains(".tmp-") }
        // Temporary files of killed writers may remain; they are never read and never mistaken for the keystore.
        _ = leftovers
    }

    @Test func eightConcurrentWritersAllLand() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let (keyPath, unlock) = scratch.keyFile()
        let processes = (0..<8).map { _ -> (Process, Pipe) in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: stressExecutable())
            process.arguments = ["add-one", scratch.keystore, keyPath]
            let pipe = Pipe()
            process.standardOutput = pipe
            return (process, pipe)
        }
        for (process, _) in processes { try process.run() }
        var ids = Set<String>()
        for (process, pipe) in processes {
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            ids.insert(text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let file = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .read)
        #expect(ids.count == 8)
        #expect(Set(try file.allRecords().map { Base64.urlEncode($0.id) }) == ids)
    }
}
