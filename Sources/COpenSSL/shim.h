#ifndef VAUTH_COPENSSL_SHIM_H
#define VAUTH_COPENSSL_SHIM_H
/*
 * OpenSSL 3 headers for Swift. Everything below is a macro, a variadic or an inline function in
 * OpenSSL's headers, which Swift cannot import; each wrapper is a one-line forward.
 */
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static inline void vauth_OPENSSL_free(void *p) { OPENSSL_free(p); }
static inline int vauth_EVP_PKEY_KEYPAIR(void) { return EVP_PKEY_KEYPAIR; }
static inline int vauth_EVP_PKEY_PUBLIC_KEY(void) { return EVP_PKEY_PUBLIC_KEY; }
static inline int vauth_BN_num_bytes(const BIGNUM *bn) { return BN_num_bytes(bn); }
static inline long vauth_BIO_get_mem_data(BIO *bio, char **out) { return BIO_get_mem_data(bio, out); }
static inline STACK_OF(X509) *vauth_sk_X509_new_null(void) { return sk_X509_new_null(); }
static inline int vauth_sk_X509_push(STACK_OF(X509) *stack, X509 *cert) { return sk_X509_push(stack, cert); }
static inline void vauth_sk_X509_free(STACK_OF(X509) *stack) { sk_X509_free(stack); }
static inline unsigned long vauth_XN_FLAG_RFC2253(void) { return XN_FLAG_RFC2253; }

#endif
