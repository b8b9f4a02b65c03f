#ifndef VAUTH_CLIBCBOR_SHIM_H
#define VAUTH_CLIBCBOR_SHIM_H
#include <cbor.h>
#include <stdlib.h>

/* libcbor's version macros are not importable into Swift. */
static inline int vauth_cbor_major_version(void) { return CBOR_MAJOR_VERSION; }
static inline int vauth_cbor_minor_version(void) { return CBOR_MINOR_VERSION; }

/* cbor_serialize_alloc hands back a malloc'd buffer; free it from Swift through this. */
static inline void vauth_cbor_free_buffer(unsigned char *buffer) { free(buffer); }

#endif
