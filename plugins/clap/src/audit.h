/* Audio-thread audit (test builds, -DLEMM_CLAP_AUDIT): the plugin's calls to the allocator,
 * to mutexes/condition variables and to blocking I/O are routed through counting wrappers
 * (the linker's --wrap), which count the calls made from inside process() on the audio
 * thread. In normal builds the hooks compile to nothing. */
#ifndef LEMM_AUDIT_H
#define LEMM_AUDIT_H

#include <stdint.h>

#ifdef LEMM_CLAP_AUDIT
void lemm_audit_enter(void);
void lemm_audit_leave(void);
int64_t lemm_audit_count(int counter);
#else
static inline void lemm_audit_enter(void) {}
static inline void lemm_audit_leave(void) {}
static inline int64_t lemm_audit_count(int counter) { (void)counter; return -1; }
#endif

#endif
