import COpenSSL

extension X509Certificate {
    /// This certificate with its signature replaced by `issuerKey`'s deterministic one
    /// (``SigningKey/signDeterministically(_:)``) over the same to-be-signed part.
    ///
    /// `X509_sign` with an EC key draws a random nonce, so a certificate signed twice differs. Test
    /// vectors need certificates that are byte-identical for a seed: the certificate is first
    /// signed by OpenSSL (which fills in the signature algorithm in both places), then its
    /// `tbsCertificate` is re-encoded and signed again, and the DER is assembled as RFC 5280 §4.1
    /// lays it out: `SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }`.
    public func resignedDeterministically(by issuerKey: SigningKey) throws(CryptoError) -> X509Certificate {
        var tbsOut: UnsafeMutablePointer<UInt8>?
        let tbsLength = i2d_re_X509_tbs(pointer, &tbsOut)
        guard tbsLength > 0, let tbsOut else { throw CryptoError.openSSL("i2d_re_X509_tbs") }
        let tbs = Array(UnsafeBufferPointer(start: tbsOut, count: Int(tbsLength)))
        vauth_OPENSSL_free(tbsOut)

        // The outer AlgorithmIdentifier repeats the one inside the TBS (RFC 5280 §4.1.1.2).
        var algorithmPointer: UnsafePointer<X509_ALGOR>?
        X509_get0_signature(nil, &algorithmPointer, pointer)
        guard let algorithmPointer else { throw CryptoError.openSSL("X509_get0_signature") }
        var algorithmOut: UnsafeMutablePointer<UInt8>?
        let algorithmLength = i2d_X509_ALGOR(algorithmPointer, &algorithmOut)
        guard algorithmLength > 0, let algorithmOut else { throw CryptoError.openSSL("i2d_X509_ALGOR") }
        let algorithm = Array(UnsafeBufferPointer(start: algorithmOut, count: Int(algorithmLength)))
        vauth_OPENSSL_free(algorithmOut)

        let signature = try issuerKey.signDeterministically(tbs)
        let bitString = DER.tagged(0x03, [0x00] + signature)
        return try X509Certificate(der: DER.tagged(0x30, tbs + algorithm + bitString))
    }
}

/// The two DER building blocks the certificate assembly needs (X.690 §8.1).
enum DER {
    static func tagged(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        [tag] + length(content.count) + content
    }

    static func length(_ count: Int) -> [UInt8] {
        if count < 0x80 { return [UInt8(count)] }
        var bytes: [UInt8] = []
        var remaining = count
        while remaining > 0 {
            bytes.insert(UInt8(remaining & 0xff), at: 0)
            remaining >>= 8
        }
        return [0x80 | UInt8(bytes.count)] + bytes
    }
}
