import VauthAuthenticator
import VauthCrypto
import VauthWebAuthn

/// Moving credentials in and out of vauth: vauth's own export format, the Chrome DevTools
/// Protocol `WebAuthn.Credential` shape, so a credential can go into headless Chromium's virtual
/// authenticator (`WebAuthn.addCredential`) and come back (`WebAuthn.getCredentials`), and
/// Playwright's `VirtualCredential` (PlaywrightCredentials.swift).
public enum CredentialTransfer {
    public enum Format: String, Sendable, CaseIterable {
        case vauth
        case cdp
        case playwright
    }

    public struct Error: Swift.Error, Sendable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    static let formatName = "vauth-credentials"

    // MARK: - Export

    /// The export document. It holds private keys: callers say so on stderr.
    public static func export(_ records: [CredentialRecord], format: Format) throws -> JSONValue {
        switch format {
        case .vauth:
            return .object([
                ("format", .string(formatName)), ("version", 1),
                ("credentials", .array(try records.map(vauthObject))),
            ])
        case .cdp:
            return .object([("credentials", .array(try records.map(cdpObject)))])
        case .playwright:
            return try playwrightDocument(records)
        }
    }

    static func vauthObject(_ record: CredentialRecord) throws -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("credentialId", .string(Base64.urlEncode(record.id))),
            ("rpId", .string(record.rpId)),
        ]
        if let name = record.rp.name { members.append(("rpName", .string(name))) }
        // An empty handle means none is known (a non-discoverable credential imported without one).
        if !record.user.id.isEmpty { members.append(("userHandle", .string(Base64.urlEncode(record.user.id)))) }
        if let name = record.user.name { members.append(("userName", .string(name))) }
        if let name = record.user.displayName { members.append(("userDisplayName", .string(name))) }
        members += secretMembers(record)
        members += [
            ("signCount", .number(Double(record.signCount))),
            ("signCounter", .string(record.signCounterMode.rawValue)),
            ("discoverable", .bool(record.discoverable)),
            ("createdAt", .string(Timestamp.iso8601(milliseconds: record.createdAt))),
            ("credProtect", .number(Double(record.protection.rawValue))),
            ("backupEligible", .bool(record.backupEligible)),
            ("backedUp", .bool(record.backedUp)),
        ]
        if record.kind != .webAuthn { members.append(("kind", .string(record.kind.rawValue))) }
        if let keys = record.hmacSecret {
            members.append(("hmacSecret", .object([
                ("withUV", .string(keys.withUV.withUnsafeBytes { Base64.urlEncode($0) })),
                ("withoutUV", .string(keys.withoutUV.withUnsafeBytes { Base64.urlEncode($0) })),
            ])))
        }
        return .object(members)
    }

    /// The record's secret: a signing key as `algorithm` and base64url PKCS#8 `privateKey`; a TOTP
    /// secret as its `otpauth` URI (what an authenticator app imports); a kept password as
    /// `password`.
    static func secretMembers(_ record: CredentialRecord) -> [(String, JSONValue)] {
        if record.kind.holdsSigningKey {
            return [("algorithm", .string(record.algorithm.name)),
                    ("privateKey", .string(record.privateKey.withUnsafeBytes { Base64.urlEncode($0) }))]
        }
        let text = record.privateKey.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        return [(record.kind == .totp ? "otpauth" : "password", .string(text))]
    }

    /// `WebAuthn.Credential` as `WebAuthn.getCredentials` returns it: binary members in standard
    /// padded base64, the private key as PKCS#8.
    static func cdpObject(_ record: CredentialRecord) throws -> JSONValue {
        guard record.kind == .webAuthn else {
            throw Error("credential \(Base64.urlEncode(record.id)) is a Dfns \(record.kind.rawValue) credential, which the cdp format "
                        + "(WebAuthn only) cannot carry: use --format vauth")
        }
        var members: [(String, JSONValue)] = [
            ("credentialId", .string(Base64.encode(record.id))),
            ("isResidentCredential", .bool(record.discoverable)),
            ("rpId", .string(record.rpId)),
            ("privateKey", .string(record.privateKey.withUnsafeBytes { Base64.encode($0) })),
        ]
        if !record.user.id.isEmpty { members.append(("userHandle", .string(Base64.encode(record.user.id)))) }
        members += [
            ("signCount", .number(Double(record.signCount))),
            ("backupEligibility", .bool(record.backupEligible)),
            ("backupState", .bool(record.backedUp)),
        ]
        if let name = record.user.name { members.append(("userName", .string(name))) }
        if let name = record.user.displayName { members.append(("userDisplayName", .string(name))) }
        return .object(members)
    }

    // MARK: - Import

    /// Reads a CDP `{"credentials": [...]}` document, a single CDP credential object, vauth's own
    /// export, or Playwright's credentials (a storageState with `credentials`, an array of
    /// VirtualCredentials, or one). Every credential is checked (its private key must parse)
    /// before any is returned.
    ///
    /// Names longer than a credential may store (`rpName`, `userName`, `userDisplayName`: 64
    /// bytes, ``NameTruncation``) are imported truncated, as an authenticator stores them, rather
    /// than refused: they are display strings, an export from before vauth truncated may hold
    /// longer ones, and the credential itself is intact. `notice` hears one line per truncated name.
    public static func importRecords(_ document: JSONValue, now: Int64, notice: (String) -> Void = { _ in }) throws -> [CredentialRecord] {
        try refuseDuplicateMembers(document, path: "")
        if let items = document["credentials"]?.arrayValue ?? document.arrayValue,
           !items.isEmpty, items.allSatisfy(isPlaywrightCredential) {
            let name = document.arrayValue == nil ? "credentials" : ""
            return try unique(items.enumerated().map { try playwrightRecord($0.element, path: "\(name)[\($0.offset)]", now: now) })
        }
        if isPlaywrightCredential(document) { return [try playwrightRecord(document, path: "credential", now: now)] }
        if document["format"]?.stringValue == formatName {
            guard document["version"]?.numberValue == 1 else { throw Error("unsupported vauth export version") }
            guard let items = document["credentials"]?.arrayValue else { throw Error("missing member credentials") }
            return try unique(items.enumerated().map { try vauthRecord($0.element, path: "credentials[\($0.offset)]", notice: notice) })
        }
        if let items = document["credentials"]?.arrayValue {
            return try unique(items.enumerated().map { try cdpRecord($0.element, path: "credentials[\($0.offset)]", now: now, notice: notice) })
        }
        if document["credentialId"] != nil, document["privateKey"] != nil {
            return [try cdpRecord(document, path: "credential", now: now, notice: notice)]
        }
        throw Error("not a vauth export, a CDP {\"credentials\": [...]} document, a CDP credential, or Playwright credentials")
    }

    /// An import file is vauth's own format (or Chromium's, written by a program), never what a
    /// page's `JSON.parse` saw: a member given twice means the file was edited or forged, and
    /// taking either value would hide that, so it is refused (options JSON, by contrast, takes
    /// the last as `JSON.parse` does). Checked over the whole document, unknown members included.
    static func refuseDuplicateMembers(_ value: JSONValue, path: String) throws {
        switch value {
        case .object(let members):
            var seen = Set<String>()
            seen.reserveCapacity(members.count)
            for (name, member) in members {
                let child = path.isEmpty ? name : path + "." + name
                guard seen.insert(name).inserted else { throw Error("\(child) is given twice") }
                try refuseDuplicateMembers(member, path: child)
            }
        case .array(let items):
            for (index, item) in items.enumerated() { try refuseDuplicateMembers(item, path: "\(path)[\(index)]") }
        default:
            break
        }
    }

    /// The same credential id twice in one file is a malformed file, not a keystore conflict.
    static func unique(_ records: [CredentialRecord]) throws -> [CredentialRecord] {
        var seen: [[UInt8]: Int] = [:]
        for (offset, record) in records.enumerated() {
            if let first = seen[record.id] {
                throw Error("credentials[\(offset)].credentialId repeats credentials[\(first)]: \(Base64.urlEncode(record.id))")
            }
            seen[record.id] = offset
        }
        return records
    }

    /// An rpId as the options JSON would accept it for its own origin: a valid domain in canonical
    /// form (lowercase ASCII, `xn--` labels), not an IP address and not a public suffix. A record
    /// with any other rpId could never be used, or would be used for a whole suffix.
    static func validRPID(_ rpId: String, path: String) throws -> String {
        let problem = "\(path).rpId \"\(rpId)\" is not a valid RP ID"
        let origin: Origin
        do { origin = try Origin("https://" + rpId) } catch { throw Error("\(problem) (not a domain)") }
        guard origin.effectiveDomain == rpId else { throw Error("\(problem) (expected lowercase ASCII, xn-- labels for IDNs)") }
        do { _ = try RPIDValidator().rpId(rpId, for: origin) } catch { throw Error("\(problem): \(error.message)") }
        if rpId != "localhost", !rpId.hasSuffix(".localhost") {
            let list: PublicSuffixList
            do { list = try PublicSuffixList.system() } catch { throw Error("\(path).rpId: cannot check it: \(error.message)") }
            guard !list.isPublicSuffix(rpId) else { throw Error("\(problem) (it is a public suffix)") }
        }
        return rpId
    }

    static func vauthRecord(_ item: JSONValue, path: String, notice: (String) -> Void = { _ in }) throws -> CredentialRecord {
        let fields = Fields(item, path: path, decode: Base64.urlDecode)
        let kind = try fields.optionalString("kind").map { (name: String) throws -> CredentialKind in
            guard let kind = CredentialKind(rawValue: name) else {
                throw Error("\(path).kind must be one of \(CredentialKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return kind
        } ?? .webAuthn
        let (privateKey, algorithm) = try secret(of: kind, fields: fields)
        var hmac: HMACSecretKeys?
        if let secret = item["hmacSecret"] {
            let inner = Fields(secret, path: path + ".hmacSecret", decode: Base64.urlDecode)
            let withUV = try inner.bytes("withUV"), withoutUV = try inner.bytes("withoutUV")
            guard withUV.count == 32, withoutUV.count == 32 else { throw Error("\(path).hmacSecret keys must be 32 bytes") }
            hmac = HMACSecretKeys(withUV: SecretBytes(withUV), withoutUV: SecretBytes(withoutUV))
        }
        // A Dfns key is kept under its app's origin (CredentialKind), which no WebAuthn RP ID can equal.
        if kind != .webAuthn {
            let rpId = try fields.string("rpId")
            guard let origin = try? Origin(rpId), origin.serialized == rpId else {
                throw Error("\(path).rpId \"\(rpId)\" must be the app origin of a Dfns \(kind.rawValue) credential, e.g. https://app.example.com")
            }
        }
        let discoverable = try fields.optionalBool("discoverable") ?? true
        // Compared as a number before any conversion: Int(1e300) would trap.
        let level = try fields.optionalNumber("credProtect") ?? 1
        guard [1.0, 2.0, 3.0].contains(level), let protection = CredentialProtection(rawValue: Int(level)) else {
            throw Error("\(path).credProtect must be 1, 2 or 3")
        }
        let mode = try fields.optionalString("signCounter").map { (name: String) throws -> SignCounterMode in
            guard let mode = SignCounterMode(rawValue: name) else { throw Error("\(path).signCounter must be increment or zero") }
            return mode
        } ?? .increment
        let createdAt: Int64 = try fields.optionalString("createdAt").map { (text: String) throws -> Int64 in
            guard let ms = Timestamp.milliseconds(iso8601: text), ms >= 0 else {
                throw Error("\(path).createdAt is not a time from 1970 to 9999 as YYYY-MM-DDTHH:MM:SS[.sss](Z|±HH:MM): \"\(text)\"")
            }
            return ms
        } ?? 0
        return CredentialRecord(
            id: try fields.credentialId(), rp: RelyingPartyEntity(id: kind == .webAuthn ? try validRPID(try fields.string("rpId"), path: path) : try fields.string("rpId"),
                                                                 name: try fields.name("rpName", notice)),
            user: UserEntity(id: try fields.userHandle(required: discoverable) ?? [], name: try fields.name("userName", notice),
                             displayName: try fields.name("userDisplayName", notice)),
            algorithm: algorithm, privateKey: privateKey, signCount: try fields.signCount(), signCounterMode: mode,
            discoverable: discoverable, createdAt: createdAt, protection: protection,
            hmacSecret: hmac, backupEligible: try fields.optionalBool("backupEligible") ?? false,
            backedUp: try fields.optionalBool("backedUp") ?? false, kind: kind)
    }

    /// The secret of a vauth export's credential, checked: a private key that parses and matches
    /// `algorithm`, an otpauth URI that parses, a password that is UTF-8 text of at most 1024
    /// bytes. Each kind carries exactly its own members.
    static func secret(of kind: CredentialKind, fields: Fields) throws -> (SecretBytes, COSEAlgorithm) {
        let path = fields.path
        let members = kind.holdsSigningKey ? ["algorithm", "privateKey"] : [kind == .totp ? "otpauth" : "password"]
        for other in ["algorithm", "privateKey", "otpauth", "password"] where !members.contains(other) && fields.item[other] != nil {
            throw Error("\(path).\(other) does not belong to a \(kind.rawValue) credential (it carries \(members.joined(separator: " and ")))")
        }
        switch kind {
        case .totp:
            let text = try fields.string("otpauth")
            do { _ = try OneTimePassword(uri: text) } catch { throw Error("\(path).otpauth: \(error.description)") }
            return (SecretBytes(Array(text.utf8)), .es256)
        case .password:
            let text = try fields.string("password")
            guard !text.isEmpty, text.utf8.count <= 1024, !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
                throw Error("\(path).password must be 1 to 1024 bytes of text without control characters")
            }
            return (SecretBytes(Array(text.utf8)), .es256)
        default:
            let privateKey = SecretBytes(try fields.bytes("privateKey"))
            let key = try parseKey(privateKey, path: path)
            guard let algorithmName = try fields.optionalString("algorithm"), let algorithm = COSEAlgorithm(name: algorithmName),
                  algorithm == key.algorithm else {
                throw Error("\(path).algorithm does not match the private key (\(key.algorithm.name))")
            }
            return (privateKey, algorithm)
        }
    }

    static func cdpRecord(_ item: JSONValue, path: String, now: Int64, notice: (String) -> Void = { _ in }) throws -> CredentialRecord {
        let fields = Fields(item, path: path, decode: Base64.decode)
        let privateKey = SecretBytes(try fields.bytes("privateKey"))
        let key = try parseKey(privateKey, path: path)
        let resident = try fields.optionalBool("isResidentCredential") ?? false
        guard let rpId = try fields.optionalString("rpId").map({ (id: String) throws -> String in try validRPID(id, path: path) }) else {
            throw Error("\(path).rpId is missing (vauth needs to know which RP a credential belongs to)")
        }
        let backupEligible = try fields.optionalBool("backupEligibility") ?? false
        let backupState = try fields.optionalBool("backupState") ?? false
        return CredentialRecord(
            id: try fields.credentialId(), rp: RelyingPartyEntity(id: rpId),
            user: UserEntity(id: try fields.userHandle(required: resident) ?? [], name: try fields.name("userName", notice),
                             displayName: try fields.name("userDisplayName", notice)),
            algorithm: key.algorithm, privateKey: privateKey, signCount: try fields.signCount(), discoverable: resident,
            createdAt: now, backupEligible: backupEligible,
            backedUp: backupEligible && backupState)
    }

    static func parseKey(_ privateKey: SecretBytes, path: String) throws -> SigningKey {
        do {
            let key = try privateKey.withUnsafeBytes { (der) throws(CryptoError) in try SigningKey(pkcs8DER: der) }
            try key.checkPairwise()
            return key
        } catch {
            throw Error("\(path).privateKey: \(error)")
        }
    }

    /// Typed member access with messages that name the member.
    struct Fields {
        let item: JSONValue
        let path: String
        let decode: (String) -> [UInt8]?

        init(_ item: JSONValue, path: String, decode: @escaping (String) -> [UInt8]?) {
            self.item = item
            self.path = path
            self.decode = decode
        }

        func string(_ name: String) throws -> String {
            guard let value = try optionalString(name) else { throw Error("\(path).\(name) is missing") }
            return value
        }

        func optionalString(_ name: String) throws -> String? {
            guard let value = item[name], value != .null else { return nil }
            guard let string = value.stringValue else { throw Error("\(path).\(name) must be a string") }
            return string
        }

        /// A display name, truncated as a credential stores it (``NameTruncation``).
        func name(_ name: String, _ notice: (String) -> Void) throws -> String? {
            guard let value = try optionalString(name) else { return nil }
            let kept = NameTruncation.truncated(value)
            if kept.utf8.count != value.utf8.count {
                notice("\(path).\(name) has \(value.utf8.count) bytes; imported truncated to \(kept.utf8.count) (names are stored with at most \(NameTruncation.maximumBytes))")
            }
            return kept
        }

        func optionalBool(_ name: String) throws -> Bool? {
            guard let value = item[name], value != .null else { return nil }
            guard let bool = value.boolValue else { throw Error("\(path).\(name) must be true or false") }
            return bool
        }

        func optionalNumber(_ name: String) throws -> Double? {
            guard let value = item[name], value != .null else { return nil }
            guard let number = value.numberValue else { throw Error("\(path).\(name) must be a number") }
            return number
        }

        func bytes(_ name: String) throws -> [UInt8] {
            guard let bytes = decode(try string(name)) else { throw Error("\(path).\(name) is not valid base64") }
            return bytes
        }

        func credentialId() throws -> [UInt8] {
            let id = try bytes("credentialId")
            guard (1...1023).contains(id.count) else { throw Error("\(path).credentialId must be 1 to 1023 bytes") }
            return id
        }

        func userHandle(required: Bool) throws -> [UInt8]? {
            guard try optionalString("userHandle") != nil else {
                if required { throw Error("\(path).userHandle is missing (a discoverable credential needs one)") }
                return nil
            }
            let handle = try bytes("userHandle")
            guard (1...64).contains(handle.count) else { throw Error("\(path).userHandle must be 1 to 64 bytes") }
            return handle
        }

        func signCount() throws -> UInt32 {
            let count = try optionalNumber("signCount") ?? 0
            guard count >= 0, count <= Double(UInt32.max), count == count.rounded() else {
                throw Error("\(path).signCount must be a whole number from 0 to 4294967295")
            }
            return UInt32(count)
        }
    }
}

/// The rows of `vauth list`.
public enum CredentialListing {
    public static func row(_ record: CredentialRecord) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("credentialId", .string(Base64.urlEncode(record.id))),
            ("rpId", .string(record.rpId)),
        ]
        members.append(("userName", record.user.name.map(JSONValue.string) ?? .null))
        members += [
            ("userHandle", record.user.id.isEmpty ? .null : .string(Base64.urlEncode(record.user.id))),
            // A TOTP secret or a password has no signing algorithm.
            ("algorithm", record.kind.holdsSigningKey ? .string(record.algorithm.name) : .null),
            ("signCount", .number(Double(record.signCount))),
            ("createdAt", .string(Timestamp.iso8601(milliseconds: record.createdAt))),
            ("discoverable", .bool(record.discoverable)),
            ("kind", .string(record.kind.rawValue)),
        ]
        return .object(members)
    }
}
