/* Counting wrappers for the audio-thread audit; linked with -Wl,--wrap=<name> for each. */
#ifdef LEMM_CLAP_AUDIT
#define _GNU_SOURCE
#include "audit.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lemm_clap_abi.h"

static _Atomic int in_process;
static _Atomic unsigned long audio_thread;
static _Atomic int64_t counts[LEMM_AUDIT_COUNTERS];

void lemm_audit_enter(void) {
    atomic_store(&audio_thread, (unsigned long)pthread_self());
    atomic_store(&in_process, 1);
}

void lemm_audit_leave(void) { atomic_store(&in_process, 0); }

int64_t lemm_audit_count(int counter) {
    return counter >= 0 && counter < LEMM_AUDIT_COUNTERS ? atomic_load(&counts[counter]) : -1;
}

static void hit(int counter) {
    if (atomic_load(&in_process) && (unsigned long)pthread_self() == atomic_load(&audio_thread)) atomic_fetch_add(&counts[counter], 1);
}

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
int __real_pthread_mutex_lock(pthread_mutex_t *m);
int __real_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
int __real_poll(struct pollfd *fds, nfds_t n, int timeout);
ssize_t __real_recv(int fd, void *buf, size_t n, int flags);
ssize_t __real_send(int fd, const void *buf, size_t n, int flags);
int __real_connect(int fd, const struct sockaddr *addr, socklen_t len);
int __real_nanosleep(const struct timespec *req, struct timespec *rem);

void *__wrap_malloc(size_t n) { hit(LEMM_AUDIT_ALLOC); return __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t size) { hit(LEMM_AUDIT_ALLOC); return __real_calloc(n, size); }
void *__wrap_realloc(void *p, size_t n) { hit(LEMM_AUDIT_ALLOC); return __real_realloc(p, n); }
void __wrap_free(void *p) { hit(LEMM_AUDIT_ALLOC); __real_free(p); }
int __wrap_pthread_mutex_lock(pthread_mutex_t *m) { hit(LEMM_AUDIT_LOCK); return __real_pthread_mutex_lock(m); }
int __wrap_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m) { hit(LEMM_AUDIT_LOCK); return __real_pthread_cond_wait(c, m); }
int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout) { hit(LEMM_AUDIT_SYSCALL); return __real_poll(fds, n, timeout); }
ssize_t __wrap_recv(int fd, void *buf, size_t n, int flags) { hit(LEMM_AUDIT_SYSCALL); return __real_recv(fd, buf, n, flags); }
ssize_t __wrap_send(int fd, const void *buf, size_t n, int flags) { hit(LEMM_AUDIT_SYSCALL); return __real_send(fd, buf, n, flags); }
int __wrap_connect(int fd, const struct sockaddr *addr, socklen_t len) { hit(LEMM_AUDIT_SYSCALL); return __real_connect(fd, addr, len); }
int __wrap_nanosleep(const struct timespec *req, struct timespec *rem) { hit(LEMM_AUDIT_SYSCALL); return __real_nanosleep(req, rem); }
#else
typedef int lemm_audit_unused; /* keeps this translation unit non-empty in normal builds */
#endif
