import Foundation
import Testing
import VauthAuthenticator
import VauthCrypto
import VauthKeystore

/// The crash torture of issue 14: a writer doing what separate commands do — add, import, an
/// import that must fail, delete, counter update, key change — SIGKILLed at random instants, at
/// least 1,000 times (VAUTH_TORTURE_KILLS overrides). After every kill the keystore opens with one
/// of the two keys, authenticates every byte, and holds exactly what the acknowledged operations
/// say: every credential whose add or import reported success and that no acknowledged delete
/// removed, none that was deleted, none from a refused import, no duplicate, and every counter at
/// least its acknowledged value. The one operation in flight at the kill may have landed or not;
/// whichever it did is taken from what is on disk.
struct KeystoreTortureTests {
    /// What the acknowledged history says the keystore must hold.
    struct Model {
        var present: [String: UInt32] = [:]      // id → lowest counter it may have
        var deleted: Set<String> = []
        var refused: Set<String> = []
        var acknowledgedOps = 0
    }

    static var kills: Int {
        ProcessInfo.processInfo.environment["VAUTH_TORTURE_KILLS"].flatMap(Int.init) ?? 1000
    }

    @Test func writerKilledAtRandomInstantsKeepsEveryAcknowledgedChange() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let (keyA, unlockA) = scratch.keyFile(0xA1)
        let (keyB, unlockB) = scratch.keyFile(0xB2)
        var model = Model()
        var generator = SystemRandomNumberGenerator()
        var inFlightCounts: [String: Int] = [:]
        var bricked: [String] = []
        var acknowledgedRounds = 0

        for round in 0..<Self.kills {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: stressExecutable())
            process.arguments = ["torture", scratch.keystore, keyA, keyB]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Mostly short lives (a kill inside the first write, during start-up, or between
            // writes), sometimes a few dozen operations. One round in ten first waits for an
            // acknowledged operation, so the history holds acknowledged writes however loaded the
            // machine is (issue 19: a property, not a throughput).
            var early: [UInt8] = []
            if round % 10 == 0 {
                early = waitForAcknowledgement(output.fileHandleForReading.fileDescriptor, seconds: 120)
                acknowledgedRounds += 1
            }
            let delay = round % 10 == 0 ? UInt32.random(in: 1_000...100_000, using: &generator)
                                         : UInt32.random(in: 1_000...25_000, using: &generator)
            usleep(delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let lines = String(decoding: early + output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                .split(separator: "\n").map(String.init)
            #expect(!lines.contains { $0.hasPrefix("unexpected") || $0.hasPrefix("error") }, "round \(round): \(lines.filter { $0.hasPrefix("unexpected") || $0.hasPrefix("error") })")

            // Replay the acknowledged history; remember the operation in flight.
            var inFlight: [String]?
            for line in lines {
                let words = line.split(separator: " ").map(String.init)
                if words.first == "begin" { inFlight = Array(words.dropFirst()); continue }
                guard let op = inFlight, line == "ok" || line == "refused" else { continue }
                inFlight = nil
                model.acknowledgedOps += 1
                apply(op, acknowledged: line == "ok", to: &model)
            }
            if let op = inFlight { inFlightCounts[op[0], default: 0] += 1 }

            guard (try? KeystoreFile.exists(at: scratch.keystore)) == true else {
                #expect(model.present.isEmpty, "round \(round): the keystore vanished")
                continue
            }
            // It opens with A or B (an interrupted key change may or may not have landed).
            func openEither() -> KeystoreFile? {
                (try? KeystoreFile(path: scratch.keystore, unlock: unlockA, access: .read))
                    ?? (try? KeystoreFile(path: scratch.keystore, unlock: unlockB, access: .read))
            }
            var opened = openEither()
            if opened == nil {
                var reasons: [String] = []
                for unlock in [unlockA, unlockB] {
                    do { _ = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .read) } catch { reasons.append("\(error)") }
                }
                bricked.append("round \(round), in flight \(inFlight ?? []): \(reasons.joined(separator: " / "))")
                // Issue 9 item 1 (hardening): the journal is still sealed under the old data key.
                // Remove it as the fix will, so the remaining kills still test everything else;
                // its counters are lost, so the model restarts from the disk below.
                if inFlight?.first == "passwd" {
                    unlink(scratch.keystore + ".counters")
                    opened = openEither()
                    if let file = opened {
                        model.present = Dictionary(((try? file.allRecords()) ?? []).map { (Base64.urlEncode($0.id), $0.signCount) }, uniquingKeysWith: max)
                        inFlight = nil
                    }
                }
            }
            guard let file = opened else {
                Issue.record("round \(round): the keystore no longer opens: \(bricked.last ?? "")")
                break
            }
            let records: [CredentialRecord]
            do {
                try file.verifyAll()
                records = try file.allRecords()
            } catch {
                Issue.record("round \(round): the keystore does not authenticate: \(error)")
                break
            }
            file.close()
            let ids = records.map { Base64.urlEncode($0.id) }
            #expect(Set(ids).count == ids.count, "round \(round): duplicate credential ids")
            let onDisk = Dictionary(records.map { (Base64.urlEncode($0.id), $0.signCount) }, uniquingKeysWith: max)

            // The in-flight operation: take its outcome from the disk.
            if let op = inFlight {
                switch op[0] {
                case "add", "import":
                    for id in op.dropFirst() where onDisk[id] != nil { model.present[id] = 0 }
                case "delete":
                    if onDisk[op[1]] == nil { model.present[op[1]] = nil; model.deleted.insert(op[1]) }
                case "failimport":
                    model.refused.insert(op[1])    // refused or never attempted: it must not appear
                case "counter":
                    if let value = UInt32(op[2]), let now = onDisk[op[1]], now >= value { model.present[op[1]] = value }
                default:
                    break
                }
            }
            for (id, counter) in model.present {
                guard let stored = onDisk[id] else {
                    Issue.record("round \(round): acknowledged credential \(id) is missing")
                    continue
                }
                #expect(stored >= counter, "round \(round): \(id) counter went back from \(counter) to \(stored)")
            }
            for id in onDisk.keys {
                #expect(!model.deleted.contains(id), "round \(round): deleted credential \(id) is back")
                #expect(!model.refused.contains(id), "round \(round): credential \(id) of a refused import is present")
                #expect(model.present[id] != nil, "round \(round): credential \(id) was never acknowledged")
            }
            // What is on disk is the truth the next round starts from.
            model.present = onDisk
        }
        if !bricked.isEmpty {
            // Issue 9 item 1 (hardening): a key change killed between the keystore's rename and the
            // journal's removal leaves a journal sealed under the old data key.
            withKnownIssue("issue 9 item 1: passwd killed after the rename leaves a journal under the old key") {
                Issue.record("\(bricked.count) kills left a keystore that opened with neither key: \(bricked[0])")
            }
            print("torture: \(bricked.count) bricked: \(bricked)")
        }
        // Every round that waited for an acknowledgement contributed at least one.
        #expect(model.acknowledgedOps >= acknowledgedRounds, "\(model.acknowledgedOps) acknowledged operations in \(acknowledgedRounds) waiting rounds")
        print("torture: \(Self.kills) kills, \(model.acknowledgedOps) acknowledged operations, in flight at the kill: \(inFlightCounts)")
    }

    /// Reads the child's output until it holds an acknowledged operation ("ok" or "refused" on a
    /// line of its own), at most `seconds`; returns what was read (the rest is read after the kill).
    private func waitForAcknowledgement(_ fd: Int32, seconds: Double) -> [UInt8] {
        var buffer: [UInt8] = []
        let deadline = Date().addingTimeInterval(seconds)
        var chunk = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            let text = String(decoding: buffer, as: UTF8.self)
            if text.hasPrefix("ok\n") || text.hasPrefix("refused\n") || text.contains("\nok\n") || text.contains("\nrefused\n") { break }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 1000) >= 0 else { break }
            guard poller.revents != 0 else { continue }
            let count = read(fd, &chunk, chunk.count)
            if count <= 0 { break }
            buffer += chunk[0..<count]
        }
        return buffer
    }

    private func apply(_ op: [String], acknowledged: Bool, to model: inout Model) {
        switch op[0] {
        case "add", "import":
            for id in op.dropFirst() { model.present[id] = 0 }
        case "delete":
            model.present[op[1]] = nil
            model.deleted.insert(op[1])
        case "failimport":
            model.refused.insert(op[1])
        case "counter":
            if let value = UInt32(op[2]), model.present[op[1]] != nil { model.present[op[1]] = max(model.present[op[1]]!, value) }
        default:
            break
        }
    }
}
