/// The names an authenticator stores with a credential — `rp.name`, `user.name`,
/// `user.displayName` — cut to 64 bytes of UTF-8.
///
/// CTAP 2.2 §6.1.2 and WebAuthn L3 §5.4.2–§5.4.3 let an authenticator truncate each of them to
/// 64 bytes or more when it stores them, and L3 §6.4.1 asks that truncation respect UTF-8
/// sequence or grapheme cluster boundaries. vauth truncates rather than refuses, as hardware keys
/// do, so a relying party that sends a long display name still gets a credential, and a record
/// never holds a name of unbounded size (a 1 MiB display name once made a keystore unreadable).
/// The names are for display only: nothing is signed over them, so truncating changes no
/// signature, attestation or credential id.
public enum NameTruncation {
    /// Bytes of UTF-8 kept per name.
    public static let maximumBytes = 64

    /// `name`, or its longest prefix of at most ``maximumBytes`` UTF-8 bytes that ends on a
    /// grapheme cluster boundary (so `e` + U+0301 is never left as a bare `e`); when even the
    /// first cluster is longer than that (a base letter under hundreds of combining marks), the
    /// longest prefix that ends on a Unicode scalar boundary, so the result is always valid UTF-8.
    public static func truncated(_ name: String, maximumBytes: Int = maximumBytes) -> String {
        guard name.utf8.count > maximumBytes else { return name }
        var clusterEnd = name.startIndex
        var bytes = 0
        for character in name {
            let size = character.utf8.count
            guard bytes + size <= maximumBytes else { break }
            bytes += size
            clusterEnd = name.index(after: clusterEnd)
        }
        if clusterEnd > name.startIndex { return String(name[..<clusterEnd]) }
        var scalars = String.UnicodeScalarView()
        bytes = 0
        for scalar in name.unicodeScalars {
            let size = UTF8.width(scalar)
            guard bytes + size <= maximumBytes else { break }
            bytes += size
            scalars.append(scalar)
        }
        return String(scalars)
    }

    /// `name` truncated, or `nil` when it was not.
    static func truncatedIfLonger(_ name: String?) -> String? {
        guard let name, name.utf8.count > maximumBytes else { return nil }
        return truncated(name)
    }
}

extension RelyingPartyEntity {
    /// This entity as a credential stores it: `name` truncated (``NameTruncation``).
    public var truncatedForStorage: RelyingPartyEntity {
        var entity = self
        if let name = NameTruncation.truncatedIfLonger(name) { entity.name = name }
        return entity
    }
}

extension UserEntity {
    /// This entity as a credential stores it: `name` and `displayName` truncated
    /// (``NameTruncation``); the user handle is never touched (it is 1 to 64 bytes already).
    public var truncatedForStorage: UserEntity {
        var entity = self
        if let name = NameTruncation.truncatedIfLonger(name) { entity.name = name }
        if let displayName = NameTruncation.truncatedIfLonger(displayName) { entity.displayName = displayName }
        return entity
    }
}
