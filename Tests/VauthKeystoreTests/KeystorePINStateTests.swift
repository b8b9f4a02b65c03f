import Foundation
import Testing
import VauthAuthenticator
import VauthCrypto
@testable import VauthKeystore

/// The clientPIN state `vauth serve` keeps sealed in the identity section: it survives reopening,
/// policy and identity changes and a change of unlock, and the PIN hash is not in the file.
struct KeystorePINStateTests {
    @Test func pinStateSurvivesEveryRewriteAndStaysSealed() throws {
        let scratch = Scratch()
        defer { scratch.cleanup() }
        let (_, unlock) = scratch.keyFile()
        let file = try KeystoreFile(path: scratch.keystore, unlock: unlock, access: .readWrite, creating: .init(identity: testIdentity))
        #expect(!file.pinState.isSet && file.pinState.retries == 8)
        let hash = PINState.hash(of: Array("correct horse".utf8))
        try file.setPINState(PINState(pinHash: hash, pinLength: 13, retries: 5, minimumLength: 6, forceChange: true))
        var policy = AuthenticatorPolicy()
        policy.signCounter = .zero
        try file.setPolicy(policy)
        try file.setIdentity(try testIdentity.reissued(for: try AAGUID.random(), now: 1_750_000_000))
        let (_, newUnlock) = scratch.keyFile(9)
        try file.changeUnlock(to: newUnlock)
        file.close()

        let reopened = try KeystoreFile(path: scratch.keystore, unlock: newUnlock, access: .readWrite)
        let state = reopened.pinState
        #expect(state.pinHash?.constantTimeEquals(hash) == true)
        #expect(state.pinLength == 13 && state.retries == 5 && state.minimumLength == 6 && state.forceChange)
        try reopened.verifyAll()
        let bytes = [UInt8](try #require(FileManager.default.contents(atPath: scratch.keystore)))
        #expect(!bytes.contains(subsequence: hash.exposedCopy()))

        // Through the authenticator's store protocol, as `vauth serve` uses it.
        let store = KeystorePINStateStore(file: reopened)
        var cleared = try store.loadPINState()
        cleared.pinHash = nil
        cleared.retries = PINState.maximumRetries
        try store.savePINState(cleared)
        reopened.close()
        #expect(try KeystoreFile(path: scratch.keystore, unlock: newUnlock, access: .read).pinState.isSet == false)
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        for start in 0...(count - needle.count) where self[start..<start + needle.count].elementsEqual(needle) { return true }
        return false
    }
}
