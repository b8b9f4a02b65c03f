#ifndef VAUTH_CLIBCURL_SHIM_H
#define VAUTH_CLIBCURL_SHIM_H
/* curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot call; these
   fixed-signature wrappers can be. VauthServices' CurlTransfer is their only user. */
#include <curl/curl.h>

/* Once per process, before the first handle (curl_global_init is not thread-safe itself; the
   Swift side calls it from a lazily initialised static, which is). */
static inline CURLcode vauth_curl_global_init(void) { return curl_global_init(CURL_GLOBAL_DEFAULT); }

static inline long vauth_curl_error_size(void) { return CURL_ERROR_SIZE; }

typedef size_t (*vauth_curl_data_callback)(char *data, size_t size, size_t count, void *context);

static inline CURLcode vauth_curl_set_long(CURL *easy, CURLoption option, long value) {
    return curl_easy_setopt(easy, option, value);
}
static inline CURLcode vauth_curl_set_offset(CURL *easy, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(easy, option, value);
}
static inline CURLcode vauth_curl_set_string(CURL *easy, CURLoption option, const char *value) {
    return curl_easy_setopt(easy, option, value); /* libcurl copies strings it is given */
}
static inline CURLcode vauth_curl_set_pointer(CURL *easy, CURLoption option, const void *value) {
    return curl_easy_setopt(easy, option, value);
}
static inline CURLcode vauth_curl_set_callback(CURL *easy, CURLoption option, vauth_curl_data_callback value) {
    return curl_easy_setopt(easy, option, value);
}
static inline CURLcode vauth_curl_get_long(CURL *easy, CURLINFO info, long *value) {
    return curl_easy_getinfo(easy, info, value);
}
static inline CURLcode vauth_curl_get_string(CURL *easy, CURLINFO info, const char **value) {
    return curl_easy_getinfo(easy, info, value);
}
#endif
