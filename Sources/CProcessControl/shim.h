#ifndef VAUTH_CPROCESSCONTROL_SHIM_H
#define VAUTH_CPROCESSCONTROL_SHIM_H
/* prctl(2) is variadic, which Swift cannot call; these fixed-signature wrappers can be. */
#include <sys/prctl.h>
#include <sys/resource.h>

/* PR_SET_DUMPABLE 0: no core dump, and no ptrace or /proc/<pid>/mem access by other processes of
   the same user (without CAP_SYS_PTRACE). Returns 0 or -1 with errno. */
static inline int vauth_set_dumpable(int dumpable) { return prctl(PR_SET_DUMPABLE, (unsigned long)dumpable, 0UL, 0UL, 0UL); }

/* PR_GET_DUMPABLE: 1 dumpable, 0 not, 2 dumps readable by root only; -1 with errno on failure. */
static inline int vauth_get_dumpable(void) { return prctl(PR_GET_DUMPABLE, 0UL, 0UL, 0UL, 0UL); }
#endif
