import COpenSSL

/// AES-256-GCM (NIST SP 800-38D) with a 16-byte tag.
public enum AESGCM {
    public static let keyByteCount = 32
    public static let nonceByteCount = 12
    public static let tagByteCount = 16

    /// A sealed message: ciphertext (same length as the plaintext) and tag.
    public struct Sealed: Sendable, Equatable {
        public var ciphertext: [UInt8]
        public var tag: [UInt8]
        public init(ciphertext: [UInt8], tag: [UInt8]) {
            self.ciphertext = ciphertext
            self.tag = tag
        }
    }

    /// Encrypts and authenticates `plaintext`, and authenticates `associatedData`. `nonce` must never
    /// repeat under one key; 12 bytes is the size GCM is built for, other sizes are accepted for
    /// protocols that fix them (Dfns recovery keys use 16).
    public static func seal(_ plaintext: some Collection<UInt8>, key: SecretBytes, nonce: [UInt8],
                            associatedData: some Collection<UInt8> = [UInt8]()) throws(CryptoError) -> Sealed {
        try seal(SecretBytes(plaintext), key: key, nonce: nonce, associatedData: associatedData)
    }

    /// Seals a secret straight from its wiped-on-free storage, so no plain copy of it is left in
    /// ordinary memory.
    public static func seal(_ plaintext: SecretBytes, key: SecretBytes, nonce: [UInt8],
                            associatedData: some Collection<UInt8> = [UInt8]()) throws(CryptoError) -> Sealed {
        try plaintext.withUnsafeBytes { (buffer) throws(CryptoError) in
            try seal(buffer, key: key, nonce: nonce, associatedData: Array(associatedData))
        }
    }

    private static func seal(_ input: UnsafeRawBufferPointer, key: SecretBytes, nonce: [UInt8],
                             associatedData aad: [UInt8]) throws(CryptoError) -> Sealed {
        guard key.count == keyByteCount else { throw CryptoError.invalidInput("AES-256-GCM key must be 32 bytes") }
        guard !nonce.isEmpty else { throw CryptoError.invalidInput("empty GCM nonce") }
        let ctx = try unwrap(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new")
        defer { EVP_CIPHER_CTX_free(ctx) }
        try check(EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nil, nil, nil), "EVP_EncryptInit_ex")
        try check(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, Int32(nonce.count), nil), "EVP_CTRL_GCM_SET_IVLEN")
        try key.withUnsafeBytes { (k) throws(CryptoError) in
            try check(EVP_EncryptInit_ex(ctx, nil, nil, k.baseAddress!.assumingMemoryBound(to: UInt8.self), nonce), "EVP_EncryptInit_ex(key)")
        }
        var outLength: Int32 = 0
        if !aad.isEmpty {
            try check(EVP_EncryptUpdate(ctx, nil, &outLength, aad, Int32(aad.count)), "EVP_EncryptUpdate(aad)")
        }
        var ciphertext = [UInt8](repeating: 0, count: input.count + 16)
        var total = 0
        if !input.isEmpty {
            try check(EVP_EncryptUpdate(ctx, &ciphertext, &outLength, input.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(input.count)),
                      "EVP_EncryptUpdate")
            total = Int(outLength)
        }
        try ciphertext.withUnsafeMutableBufferPointer { (buffer) throws(CryptoError) in
            try check(EVP_EncryptFinal_ex(ctx, buffer.baseAddress! + total, &outLength), "EVP_EncryptFinal_ex")
        }
        total += Int(outLength)
        ciphertext.removeLast(ciphertext.count - total)
        var tag = [UInt8](repeating: 0, count: tagByteCount)
        try check(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, Int32(tagByteCount), &tag), "EVP_CTRL_GCM_GET_TAG")
        return Sealed(ciphertext: ciphertext, tag: tag)
    }

    /// Verifies the tag and decrypts. A wrong key, nonce, associated data or any changed byte gives
    /// ``CryptoError/authenticationFailed`` and no plaintext.
    public static func open(_ sealed: Sealed, key: SecretBytes, nonce: [UInt8],
                            associatedData: some Collection<UInt8> = [UInt8]()) throws(CryptoError) -> SecretBytes {
        guard key.count == keyByteCount else { throw CryptoError.invalidInput("AES-256-GCM key must be 32 bytes") }
        guard sealed.tag.count == tagByteCount, !nonce.isEmpty else { throw CryptoError.authenticationFailed }
        let ctx = try unwrap(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new")
        defer { EVP_CIPHER_CTX_free(ctx) }
        try check(EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nil, nil, nil), "EVP_DecryptInit_ex")
        try check(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, Int32(nonce.count), nil), "EVP_CTRL_GCM_SET_IVLEN")
        try key.withUnsafeBytes { (k) throws(CryptoError) in
            try check(EVP_DecryptInit_ex(ctx, nil, nil, k.baseAddress!.assumingMemoryBound(to: UInt8.self), nonce), "EVP_DecryptInit_ex(key)")
        }
        let aad = Array(associatedData)
        var outLength: Int32 = 0
        if !aad.isEmpty {
            try check(EVP_DecryptUpdate(ctx, nil, &outLength, aad, Int32(aad.count)), "EVP_DecryptUpdate(aad)")
        }
        let count = sealed.ciphertext.count
        return try SecretBytes(count: count) { (out) throws(CryptoError) in
            let base = out.baseAddress?.assumingMemoryBound(to: UInt8.self)
            var total = 0
            if count > 0 {
                try check(EVP_DecryptUpdate(ctx, base, &outLength, sealed.ciphertext, Int32(count)), "EVP_DecryptUpdate")
                total = Int(outLength)
            }
            var tag = sealed.tag
            try check(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, Int32(tagByteCount), &tag), "EVP_CTRL_GCM_SET_TAG")
            // GCM writes no bytes in Final; a scratch buffer keeps a zero-length output legal.
            var scratch = [UInt8](repeating: 0, count: 16)
            guard EVP_DecryptFinal_ex(ctx, &scratch, &outLength) == 1 else {
                OpenSSLErrorQueue.clear()
                throw CryptoError.authenticationFailed
            }
            precondition(total == count)
        }
    }
}
