import COpenSSL

extension SigningKey {
    /// Checks that the key's public half belongs to its private half (`EVP_PKEY_pairwise_check`).
    ///
    /// A PKCS#8 EC key carries its public point next to the private scalar, and nothing forces the
    /// two to match: an imported key whose embedded point is another key's would sign with one key
    /// while vauth reported the other. Imports call this before accepting a key.
    public func checkPairwise() throws(CryptoError) {
        guard let ctx = EVP_PKEY_CTX_new_from_pkey(nil, key.pointer, nil) else {
            throw CryptoError.openSSL("EVP_PKEY_CTX_new_from_pkey")
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_pairwise_check(ctx) == 1 else {
            OpenSSLErrorQueue.clear()
            throw CryptoError.invalidKey("its public key does not belong to its private key")
        }
    }
}
