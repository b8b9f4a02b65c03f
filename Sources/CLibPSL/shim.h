#ifndef VAUTH_CLIBPSL_SHIM_H
#define VAUTH_CLIBPSL_SHIM_H
/* libpsl: the Public Suffix List (Debian's /usr/share/publicsuffix via psl_latest). */
#include <libpsl.h>
#include <stdio.h>
#endif
