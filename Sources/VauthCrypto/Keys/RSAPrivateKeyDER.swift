import COpenSSL

/// Reads an RSA PKCS#8 `PrivateKeyInfo` (RFC 5208) around an `RSAPrivateKey` (RFC 8017 §A.1.2)
/// and builds the key with `EVP_PKEY_fromdata`, instead of OpenSSL's decoder whose set-up costs
/// more than the key. Only the exact two-prime shape OpenSSL writes is taken; anything else is
/// nil and goes to the decoder.
enum RSAPrivateKeyDER {
    static func key(fromPKCS8 der: UnsafeRawBufferPointer) -> EVPKey? {
        var outer = DERReader(der)
        guard var info = outer.read(tag: 0x30).map({ DERReader($0) }), outer.isAtEnd,
              let version = info.read(tag: 0x02), version.count == 1, version[0] == 0,
              let algorithm = info.read(tag: 0x30), algorithm.elementsEqual(rsaEncryptionAlgorithm),
              var octets = info.read(tag: 0x04).map({ DERReader($0) }), info.isAtEnd,
              var rsa = octets.read(tag: 0x30).map({ DERReader($0) }), octets.isAtEnd,
              let rsaVersion = rsa.read(tag: 0x02), rsaVersion.count == 1, rsaVersion[0] == 0 else { return nil }
        var numbers: [UnsafeRawBufferPointer] = []
        for _ in 0..<8 {
            guard let number = rsa.read(tag: 0x02), !number.isEmpty, number[0] & 0x80 == 0 else { return nil }
            numbers.append(number)
        }
        guard rsa.isAtEnd else { return nil }
        // The two-prime names (core_names.h builds them by macro concatenation, which Swift cannot import).
        let names = [OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E, OSSL_PKEY_PARAM_RSA_D, "rsa-factor1",
                     "rsa-factor2", "rsa-exponent1", "rsa-exponent2",
                     "rsa-coefficient1"]
        let key = try? EVPKey.fromParameters(typeName: "RSA", selection: vauth_EVP_PKEY_KEYPAIR()) { (builder) throws(CryptoError) in
            for (number, name) in zip(numbers, names) { try builder.pushSecretBigNumber(number, named: name) }
        }
        OpenSSLErrorQueue.clear()
        return key
    }

    /// The contents of AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL }.
    static let rsaEncryptionAlgorithm: [UInt8] = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00]
}

/// A cursor over DER elements (X.690 §8.1) that lends out their contents without copying.
struct DERReader {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    /// The contents of the next element if its tag is `tag` (single-byte tags, definite lengths).
    mutating func read(tag: UInt8) -> UnsafeRawBufferPointer? {
        guard offset + 2 <= bytes.count, bytes[offset] == tag else { return nil }
        var length = Int(bytes[offset + 1])
        var cursor = offset + 2
        if length & 0x80 != 0 {
            let count = length & 0x7f
            guard count >= 1, count <= 3, cursor + count <= bytes.count else { return nil }
            length = 0
            for i in 0..<count { length = length << 8 | Int(bytes[cursor + i]) }
            cursor += count
        }
        guard length <= bytes.count - cursor else { return nil }
        offset = cursor + length
        return UnsafeRawBufferPointer(rebasing: bytes[cursor..<cursor + length])
    }
}
