#ifndef VAUTH_CLIBIDN2_SHIM_H
#define VAUTH_CLIBIDN2_SHIM_H
/* libidn2: IDNA2008 with Unicode TS #46 processing, the host-name conversion browsers use. */
#include <idn2.h>
#endif
