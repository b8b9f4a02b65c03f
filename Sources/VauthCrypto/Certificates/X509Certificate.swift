import COpenSSL

/// An X.509 certificate (RFC 5280), owning its OpenSSL `X509`.
public final class X509Certificate: @unchecked Sendable {
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        X509_free(pointer)
    }

    /// Parses DER; trailing bytes are refused.
    public convenience init(der: some Collection<UInt8>) throws(CryptoError) {
        let bytes = Array(der)
        let cert: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            guard let cert = d2i_X509(nil, &cursor, buffer.count) else { return nil }
            guard cursor == buffer.baseAddress! + buffer.count else {
                X509_free(cert)
                return nil
            }
            return cert
        }
        guard let cert else {
            OpenSSLErrorQueue.clear()
            throw CryptoError.invalidInput("not an X.509 certificate in DER")
        }
        self.init(taking: cert)
    }

    /// Parses the first CERTIFICATE block of a PEM text.
    public convenience init(pem: String) throws(CryptoError) {
        guard let der = PEM.decode(pem, label: "CERTIFICATE") else { throw CryptoError.invalidInput("no CERTIFICATE block in PEM") }
        try self.init(der: der)
    }

    public func der() throws(CryptoError) -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509(pointer, &out)
        guard length > 0, let out else { throw CryptoError.openSSL("i2d_X509") }
        defer { vauth_OPENSSL_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }

    public func pem() throws(CryptoError) -> String { PEM.encode(try der(), label: "CERTIFICATE") }

    /// The subject public key.
    public func publicKey() throws(CryptoError) -> PublicKey {
        let pkey = try unwrap(X509_get_pubkey(pointer), "X509_get_pubkey")
        let key = EVPKey(taking: pkey)
        return PublicKey(key: key, algorithm: try key.coseAlgorithm())
    }

    /// The subject as a one-line RFC 2253 string (for `vauth info` and messages).
    public var subjectDescription: String {
        guard let name = X509_get_subject_name(pointer), let bio = BIO_new(BIO_s_mem()) else { return "?" }
        defer { BIO_free(bio) }
        X509_NAME_print_ex(bio, name, 0, vauth_XN_FLAG_RFC2253())
        var data: UnsafeMutablePointer<CChar>?
        let length = vauth_BIO_get_mem_data(bio, &data)
        guard length > 0, let data else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    }

    /// Whether `issuer`'s key verifies this certificate's signature.
    public func isSigned(by issuer: X509Certificate) -> Bool {
        guard let key = X509_get0_pubkey(issuer.pointer) else { return false }
        let ok = X509_verify(pointer, key) == 1
        OpenSSLErrorQueue.clear()
        return ok
    }
}

/// Builds the certificates of vauth's batch attestation: a self-signed root CA that an RP trusts,
/// and a leaf per authenticator model that signs `packed` attestation statements with `x5c`.
public enum AttestationCertificates {
    /// The AAGUID certificate extension, id-fido-gen-ce-aaguid (WebAuthn L3 §8.2.1).
    public static let aaguidExtensionOID = "1.3.6.1.4.1.45724.1.1.4"

    /// A distinguished name, attributes in order, e.g. `[("C", "US"), ("O", "vauth")]`.
    public typealias Name = [(attribute: String, value: String)]

    /// The validity window, in seconds since the Unix epoch.
    public struct Validity: Sendable {
        public var notBefore: Int64
        public var notAfter: Int64
        public init(notBefore: Int64, notAfter: Int64) {
            self.notBefore = notBefore
            self.notAfter = notAfter
        }
    }

    /// A self-signed CA certificate: basicConstraints critical CA:TRUE, keyUsage keyCertSign and
    /// cRLSign, subject key identifier.
    public static func makeRoot(key: SigningKey, subject: Name, serial: [UInt8], validity: Validity) throws(CryptoError) -> X509Certificate {
        let cert = try startCertificate(subject: subject, issuerName: subject, publicKey: key.key, serial: serial, validity: validity)
        try addExtensions(cert, issuer: cert, [
            (NID_basic_constraints, "critical,CA:TRUE"),
            (NID_key_usage, "critical,keyCertSign,cRLSign"),
            (NID_subject_key_identifier, "hash"),
        ])
        return try sign(cert, with: key)
    }

    /// A packed attestation certificate (WebAuthn L3 §8.2.1): version 3; subject C, O,
    /// OU "Authenticator Attestation", CN; basicConstraints CA:FALSE; and, since one AAGUID's
    /// authenticators share it, the non-critical AAGUID extension holding the AAGUID as an
    /// OCTET STRING.
    public static func makeAttestationLeaf(publicKey: PublicKey, subject: Name, aaguid: [UInt8], serial: [UInt8],
                                           validity: Validity, issuer: X509Certificate, issuerKey: SigningKey) throws(CryptoError) -> X509Certificate {
        guard aaguid.count == 16 else { throw CryptoError.invalidInput("an AAGUID is 16 bytes") }
        guard let issuerName = X509_get_subject_name(issuer.pointer) else { throw CryptoError.openSSL("X509_get_subject_name") }
        let cert = try startCertificate(subject: subject, issuerName: nil, publicKey: publicKey.key, serial: serial, validity: validity)
        try check(X509_set_issuer_name(cert, issuerName), "X509_set_issuer_name")
        try addExtensions(cert, issuer: issuer.pointer, [
            (NID_basic_constraints, "critical,CA:FALSE"),
            (NID_key_usage, "critical,digitalSignature"),
            (NID_subject_key_identifier, "hash"),
            (NID_authority_key_identifier, "keyid:always"),
        ])
        try addAAGUIDExtension(cert, aaguid: aaguid)
        return try sign(cert, with: issuerKey)
    }

    /// Reads the AAGUID extension of a certificate, if present.
    public static func aaguid(of certificate: X509Certificate) -> [UInt8]? {
        guard let object = OBJ_txt2obj(aaguidExtensionOID, 1) else { return nil }
        defer { ASN1_OBJECT_free(object) }
        let index = X509_get_ext_by_OBJ(certificate.pointer, object, -1)
        guard index >= 0, let ext = X509_get_ext(certificate.pointer, index), let data = X509_EXTENSION_get_data(ext) else { return nil }
        let bytes = Array(UnsafeBufferPointer(start: ASN1_STRING_get0_data(data), count: Int(ASN1_STRING_length(data))))
        // extnValue holds the DER of an OCTET STRING of 16 bytes: 04 10 <aaguid>.
        guard bytes.count == 18, bytes[0] == 0x04, bytes[1] == 0x10 else { return nil }
        return Array(bytes[2...])
    }

    // MARK: - Pieces

    private static func startCertificate(subject: Name, issuerName: Name?, publicKey: EVPKey, serial: [UInt8],
                                         validity: Validity) throws(CryptoError) -> OpaquePointer {
        let cert = try unwrap(X509_new(), "X509_new")
        do throws(CryptoError) {
            try check(X509_set_version(cert, 2), "X509_set_version")  // 2 means v3
            // A positive INTEGER: clear the top bit so DER needs no sign byte games.
            var serialBytes = serial.isEmpty ? [1] : serial
            serialBytes[0] &= 0x7f
            let bn = try unwrap(BN_bin2bn(serialBytes, Int32(serialBytes.count), nil), "BN_bin2bn")
            defer { BN_free(bn) }
            guard BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != nil else { throw CryptoError.openSSL("BN_to_ASN1_INTEGER") }
            guard ASN1_TIME_set(X509_getm_notBefore(cert), time_t(validity.notBefore)) != nil,
                  ASN1_TIME_set(X509_getm_notAfter(cert), time_t(validity.notAfter)) != nil else {
                throw CryptoError.openSSL("ASN1_TIME_set")
            }
            let subjectName = try makeName(subject)
            defer { X509_NAME_free(subjectName) }
            try check(X509_set_subject_name(cert, subjectName), "X509_set_subject_name")
            if let issuerName {
                let name = try makeName(issuerName)
                defer { X509_NAME_free(name) }
                try check(X509_set_issuer_name(cert, name), "X509_set_issuer_name")
            }
            try check(X509_set_pubkey(cert, publicKey.pointer), "X509_set_pubkey")
            return cert
        } catch {
            X509_free(cert)
            throw error
        }
    }

    private static func makeName(_ entries: Name) throws(CryptoError) -> OpaquePointer {
        let name = try unwrap(X509_NAME_new(), "X509_NAME_new")
        for (attribute, value) in entries {
            let bytes = Array(value.utf8)
            guard X509_NAME_add_entry_by_txt(name, attribute, MBSTRING_UTF8, bytes, Int32(bytes.count), -1, 0) == 1 else {
                X509_NAME_free(name)
                throw CryptoError.openSSL("X509_NAME_add_entry_by_txt(\(attribute))")
            }
        }
        return name
    }

    /// Adds standard extensions from their OpenSSL config-string form (no config file needed).
    private static func addExtensions(_ cert: OpaquePointer, issuer: OpaquePointer, _ extensions: [(Int32, String)]) throws(CryptoError) {
        var ctx = X509V3_CTX()
        X509V3_set_ctx(&ctx, issuer, cert, nil, nil, 0)
        for (nid, value) in extensions {
            guard let ext = X509V3_EXT_nconf_nid(nil, &ctx, nid, value) else { throw CryptoError.openSSL("X509V3_EXT_nconf_nid(\(value))") }
            defer { X509_EXTENSION_free(ext) }
            try check(X509_add_ext(cert, ext, -1), "X509_add_ext")
        }
    }

    private static func addAAGUIDExtension(_ cert: OpaquePointer, aaguid: [UInt8]) throws(CryptoError) {
        let object = try unwrap(OBJ_txt2obj(aaguidExtensionOID, 1), "OBJ_txt2obj")
        defer { ASN1_OBJECT_free(object) }
        let octets = try unwrap(ASN1_OCTET_STRING_new(), "ASN1_OCTET_STRING_new")
        defer { ASN1_OCTET_STRING_free(octets) }
        let inner: [UInt8] = [0x04, 0x10] + aaguid
        try check(ASN1_OCTET_STRING_set(octets, inner, Int32(inner.count)), "ASN1_OCTET_STRING_set")
        let ext = try unwrap(X509_EXTENSION_create_by_OBJ(nil, object, 0, octets), "X509_EXTENSION_create_by_OBJ")
        defer { X509_EXTENSION_free(ext) }
        try check(X509_add_ext(cert, ext, -1), "X509_add_ext(aaguid)")
    }

    private static func sign(_ cert: OpaquePointer, with key: SigningKey) throws(CryptoError) -> X509Certificate {
        let owned = X509Certificate(taking: cert)
        // Ed25519 certificates are signed without a separate digest.
        let digest = key.algorithm == .edDSA ? nil : EVP_sha256()
        guard X509_sign(cert, key.key.pointer, digest) > 0 else { throw CryptoError.openSSL("X509_sign") }
        return owned
    }
}
