import VauthWebAuthn

/// The part of the bridge every transport shares: it takes the injected script's calls as the
/// transport hands them over, keeps what a page may ask of vauth bounded, runs each ceremony
/// through the ``CeremonyPerformer`` one at a time, keeps a new credential only when the page
/// received it, answers with the browser's exceptions and logs one line per call.
actor BridgeCore {
    private let performer: any CeremonyPerformer
    private let limits: BridgeLimits
    private let log: @Sendable (String) -> Void
    private let ceremonies = CeremonyQueue()

    private struct CallKey: Hashable {
        let realm: String
        let number: Int
    }

    /// Calls admitted and not finished, per page and in all (``BridgeLimits``).
    private var perPage: [String: Int] = [:]
    private var inAll = 0
    private var admitted: Set<CallKey> = []
    /// Admitted calls the page ended (signal, timer) before their ceremony ran.
    private var cancelled: Set<CallKey> = []

    /// Calls answered (a credential or an exception), for the log's last line.
    private(set) var answered = 0

    init(performer: any CeremonyPerformer, limits: BridgeLimits, log: @escaping @Sendable (String) -> Void) {
        self.performer = performer
        self.limits = limits
        self.log = log
    }

    var capabilities: BridgeCapabilities { performer.capabilities() }

    /// One message from the injected script in `source`. Returns at once: the call runs later.
    func receive(_ payload: String, from source: CallSource, via transport: any BridgeTransport) {
        // vauth's script never sends more (it reports an oversized call in a few bytes instead).
        guard payload.utf8.count <= limits.maxCallBytes + 4096 else {
            log("ignored a call of \(payload.utf8.count) bytes from \(source.origin) (the limit is \(limits.maxCallBytes))")
            return
        }
        let message: BridgeMessage
        do {
            message = try BridgeMessage(payload: payload)
        } catch {
            guard let number = BridgeCall.number(in: payload) else {
                log("ignored a bridge call without a number from \(source.origin)")
                return
            }
            refuse(number, BridgeRefusal(error, profile: transport.profile), kind: "call", origin: source.origin, rpId: nil,
                   source: source, transport: transport)
            return
        }
        switch message {
        case .cancel(let number):
            let key = CallKey(realm: source.realm, number: number)
            if admitted.contains(key) { cancelled.insert(key) }
        case .oversize(let number, let kind, let bytes):
            refuse(number, .named("NotAllowedError", "options of \(bytes) bytes, more than the bridge takes (\(limits.maxCallBytes))",
                                  profile: transport.profile),
                   kind: kind, origin: source.origin, rpId: nil, source: source, transport: transport)
        case .call(let call):
            let onPage = perPage[source.page, default: 0]
            guard onPage < limits.callsPerPage, inAll < limits.callsInAll else {
                let detail = onPage >= limits.callsPerPage
                    ? "\(onPage) calls of this page are already waiting (at most \(limits.callsPerPage))"
                    : "\(inAll) calls are already waiting (at most \(limits.callsInAll))"
                refuse(call.number, .named("NotAllowedError", detail, profile: transport.profile), kind: call.logName,
                       origin: source.origin, rpId: nil, source: source, transport: transport)
                return
            }
            let key = CallKey(realm: source.realm, number: call.number)
            perPage[source.page] = onPage + 1
            inAll += 1
            admitted.insert(key)
            Task {
                await self.process(call, source: source, transport: transport)
                self.finished(key, page: source.page)
            }
        }
    }

    private func finished(_ key: CallKey, page: String) {
        admitted.remove(key)
        cancelled.remove(key)
        inAll -= 1
        if let count = perPage[page], count > 1 { perPage[page] = count - 1 } else { perPage[page] = nil }
    }

    private func isCancelled(_ call: BridgeCall, _ source: CallSource) -> Bool {
        cancelled.contains(CallKey(realm: source.realm, number: call.number))
    }

    private func countAnswer() { answered += 1 }

    // MARK: - Ceremonies

    private func process(_ call: BridgeCall, source: CallSource, transport: any BridgeTransport) async {
        var place = source.origin
        var rpId: String?
        do {
            let caller = try await transport.caller(of: source)
            place = caller.origin.serialized + Self.frameNote(caller)
            switch call.kind {
            case .create(let options): rpId = options.rp.id ?? caller.origin.effectiveDomain
            case .get(let options): rpId = options.rpId ?? caller.origin.effectiveDomain
            }
            guard try await transport.permits(call.feature, for: source, caller: caller) else {
                let key = call.feature == "publickey-credentials-create" ? "PermissionsPolicy.create" : "PermissionsPolicy.get"
                throw BridgeRefusal(name: "NotAllowedError", pageMessage: transport.profile.message(key),
                                    detail: "The '\(call.feature)' feature is not enabled in this document (Permissions Policy)")
            }
            switch call.kind {
            case .create(let options):
                try await create(call, options, caller: caller, place: place, rpId: rpId ?? "", source: source, transport: transport)
            case .get(let options):
                try await get(call, options, caller: caller, place: place, rpId: rpId ?? "", source: source, transport: transport)
            }
        } catch {
            let refusal = BridgeRefusal(error, profile: transport.profile)
            // Conditional mediation never fails for want of a credential: the request waits for
            // the user (here: for the page to abort it) (L3 §5.1.4.1).
            if call.conditional, refusal.name == "NotAllowedError" {
                log("\(call.logName) origin=\(place)\(rpId.map { " rpId=\($0)" } ?? ""): no credential, left pending")
                return
            }
            refuse(call.number, refusal, kind: call.logName, origin: place, rpId: rpId, source: source, transport: transport)
        }
    }

    /// A registration is kept only if the page's call still waits for it (asked just before the
    /// commit) and receives it (the answer right after); otherwise nothing, or nothing any more,
    /// is in the keystore: the site never got the credential.
    private func create(_ call: BridgeCall, _ options: PublicKeyCredentialCreationOptions, caller: CallerContext, place: String,
                        rpId: String, source: CallSource, transport: any BridgeTransport) async throws {
        let line = "create origin=\(place) rpId=\(rpId)"
        let performer = performer
        try await ceremonies.exclusive {
            if await self.isCancelled(call, source) {
                self.log("\(line): the page ended the call before it ran")
                return
            }
            let staged = try await self.ceremonies.run { try performer.create(options, caller: caller) }
            let id = staged.response.id
            let waiting = await Self.attempt { try await transport.deliver(["claim": true], call: call.number, to: source) }
            guard case .success(true) = waiting else {
                try? await self.ceremonies.run { staged.discard() }
                let why = if case .failure(let error) = waiting { "the page is gone (\(error))" } else { "the page's call had ended (aborted or timed out)" }
                self.log("\(line) credential=\(id): not kept: \(why)")
                return
            }
            do {
                try await self.ceremonies.run { try staged.commit() }
            } catch {
                try? await self.ceremonies.run { staged.discard() }
                throw error
            }
            let delivered = (try? await transport.deliver(["ok": staged.response.json], call: call.number, to: source)) ?? false
            if delivered {
                await self.countAnswer()
                self.log("\(line) credential=\(id): ok")
            } else {
                do {
                    try await self.ceremonies.run { try staged.remove() }
                    self.log("\(line) credential=\(id): not kept: the page went away before it received the credential")
                } catch {
                    self.log("\(line) credential=\(id): the page went away before it received the credential, and removing it failed: \(error)")
                }
            }
        }
    }

    private func get(_ call: BridgeCall, _ options: PublicKeyCredentialRequestOptions, caller: CallerContext, place: String,
                     rpId: String, source: CallSource, transport: any BridgeTransport) async throws {
        let line = "\(call.logName) origin=\(place) rpId=\(rpId)"
        let performer = performer
        let response: AuthenticationResponseJSON? = try await ceremonies.exclusive {
            if await self.isCancelled(call, source) { return nil }
            return try await self.ceremonies.run { try performer.get(options, caller: caller) }
        }
        guard let response else {
            log("\(line): the page ended the call before it ran")
            return
        }
        let delivered = (try? await transport.deliver(["ok": response.json], call: call.number, to: source)) ?? false
        if delivered { countAnswer() }
        log("\(line) credential=\(response.id): \(delivered ? "ok" : "ok, but the page's call had ended (the counter stays incremented)")")
    }

    private func refuse(_ number: Int, _ refusal: BridgeRefusal, kind: String, origin: String, rpId: String?,
                        source: CallSource, transport: any BridgeTransport) {
        log("\(kind) origin=\(origin)\(rpId.map { " rpId=\($0)" } ?? ""): \(refusal.name): \(refusal.detail)")
        Task {
            if (try? await transport.deliver(refusal.answer, call: number, to: source)) == true { self.countAnswer() }
        }
    }

    static func attempt(_ body: () async throws -> Bool) async -> Result<Bool, any Error> {
        do { return .success(try await body()) } catch { return .failure(error) }
    }

    static func frameNote(_ caller: CallerContext) -> String {
        guard caller.crossOrigin, let top = caller.topOrigin else { return "" }
        return " (iframe under \(top.serialized))"
    }
}
