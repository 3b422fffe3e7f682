/* POSIX threads inside an enclave, as the SGX SDK offers them (sgx_pthread.h):
 * mutexes, condition variables, once, thread-specific keys, and threads.
 *
 * Objects have glibc's layouts (pthread_abi.h): enclave code and Debian's
 * libstdc++ are compiled with glibc's <pthread.h>, so std::mutex,
 * std::condition_variable and std::thread work on these. Waiting threads
 * sleep on their untrusted events like sgx_thread_* (thread.c).
 *
 * A thread, as in the SDK: pthread_create queues the thread and asks the
 * application (pthread_create_ocall, sdk/edl/sgx_pthread.edl) to start an
 * application thread that enters the enclave on a free TCS with
 * ECMD_ECALL_PTHREAD (-6), naming the queued thread; that entry runs the
 * start routine. The creator waits on the thread's untrusted event until
 * the new thread is running (it then wakes the creator) or the application
 * reports that it could not enter (no free TCS: pthread_create returns
 * EAGAIN). When the thread's ECALL has returned — its TCS free again — the
 * application sets the same event, which pthread_join waits for. The
 * application decides only when things happen: which routine runs, with
 * which argument and result, is kept inside; a wrong or repeated name is
 * refused.
 *
 * Without `from "sgx_pthread.edl" import *;` pthread_create fails with
 * ENOSYS. Every error is a return value, as POSIX specifies. */
/* glibc's <pthread.h> declares most arguments non-null, which lets the
 * compiler drop the NULL checks below; they refuse bad input with EINVAL,
 * so the attribute is switched off for this file (sys/cdefs.h lets a file
 * define it first). */
#define __attribute_nonnull__(params)
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pthread_abi.h"
#include "sgx_thread.h"
#include "sgx_trts.h"
#include "trts_internal.h"

/* The OCALL proxies nsgx-edger8r generates for sgx_pthread.edl, if imported
 * (hidden weak: absent ones are 0 at link time). */
extern sgx_status_t pthread_wait_timeout_ocall(int* retval, unsigned long long waiter, unsigned long long timeout)
    __attribute__((weak, visibility("hidden")));
extern sgx_status_t pthread_create_ocall(int* retval, unsigned long long self)
    __attribute__((weak, visibility("hidden")));
extern sgx_status_t pthread_wakeup_ocall(int* retval, unsigned long long waiter)
    __attribute__((weak, visibility("hidden")));

static void spin_lock(volatile uint32_t* l) {
  while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE)) __builtin_ia32_pause();
}
static void spin_unlock(volatile uint32_t* l) { __atomic_store_n(l, 0, __ATOMIC_RELEASE); }

/* ---------------- mutexes ---------------- */

static nsgx_pthread_mutex_t* mx(pthread_mutex_t* m) { return (nsgx_pthread_mutex_t*)(void*)m; }

int pthread_mutexattr_init(pthread_mutexattr_t* a) {
  if (a == NULL) return EINVAL;
  memset(a, 0, sizeof *a);
  return 0;
}
int pthread_mutexattr_destroy(pthread_mutexattr_t* a) { return a == NULL ? EINVAL : 0; }
int pthread_mutexattr_settype(pthread_mutexattr_t* a, int type) {
  if (a == NULL || type < PTHREAD_MUTEX_NORMAL || type > PTHREAD_MUTEX_ADAPTIVE_NP) return EINVAL;
  a->__align = type; /* our own use of the attribute object: the kind */
  return 0;
}
int pthread_mutexattr_gettype(const pthread_mutexattr_t* a, int* type) {
  if (a == NULL || type == NULL) return EINVAL;
  *type = a->__align;
  return 0;
}

int pthread_mutex_init(pthread_mutex_t* m, const pthread_mutexattr_t* a) {
  if (m == NULL) return EINVAL;
  memset(m, 0, sizeof *m);
  mx(m)->kind = a ? a->__align : PTHREAD_MUTEX_NORMAL;
  return 0;
}

int pthread_mutex_destroy(pthread_mutex_t* m) {
  if (m == NULL) return EINVAL;
  nsgx_pthread_mutex_t* x = mx(m);
  spin_lock(&x->lock);
  const int busy = x->owner != 0 || x->waiters.m_first != 0;
  spin_unlock(&x->lock);
  return busy ? EBUSY : 0;
}

/* Takes the mutex `count` times (a condition wait gives back what it took). */
static int acquire(nsgx_pthread_mutex_t* x, int try_only, uint32_t count) {
  const sgx_thread_t self = sgx_thread_self();
  for (;;) {
    spin_lock(&x->lock);
    if (x->owner == 0) {
      x->owner = self;
      x->count = count;
      spin_unlock(&x->lock);
      return 0;
    }
    if (x->owner == self) {
      int r = EDEADLK; /* a normal mutex relocked by its owner would hang forever: refused instead */
      if (x->kind == PTHREAD_MUTEX_RECURSIVE) r = x->count == UINT32_MAX ? EAGAIN : (++x->count, 0);
      spin_unlock(&x->lock);
      return r;
    }
    if (try_only) {
      spin_unlock(&x->lock);
      return EBUSY;
    }
    nsgx_waitq_push(&x->waiters, self);
    spin_unlock(&x->lock);
    nsgx_thread_sleep(self);
  }
}

int pthread_mutex_lock(pthread_mutex_t* m) { return m == NULL ? EINVAL : acquire(mx(m), 0, 1); }
int pthread_mutex_trylock(pthread_mutex_t* m) { return m == NULL ? EINVAL : acquire(mx(m), 1, 1); }

/* Gives the mutex up entirely (all `*held` times); EPERM if not the owner. */
static int release_all(nsgx_pthread_mutex_t* x, uint32_t* held, int once) {
  spin_lock(&x->lock);
  if (x->owner != sgx_thread_self()) {
    spin_unlock(&x->lock);
    return EPERM;
  }
  if (held) *held = x->count;
  sgx_thread_t next = 0;
  if (once && --x->count != 0) {
    spin_unlock(&x->lock);
    return 0;
  }
  x->count = 0;
  x->owner = 0;
  next = nsgx_waitq_pop(&x->waiters);
  spin_unlock(&x->lock);
  if (next) nsgx_thread_wake(next);
  return 0;
}

int pthread_mutex_unlock(pthread_mutex_t* m) { return m == NULL ? EINVAL : release_all(mx(m), NULL, 1); }

/* ---------------- condition variables ---------------- */

static nsgx_pthread_cond_t* cv(pthread_cond_t* c) { return (nsgx_pthread_cond_t*)(void*)c; }

int pthread_condattr_init(pthread_condattr_t* a) {
  if (a == NULL) return EINVAL;
  memset(a, 0, sizeof *a);
  return 0;
}
int pthread_condattr_destroy(pthread_condattr_t* a) { return a == NULL ? EINVAL : 0; }

int pthread_cond_init(pthread_cond_t* c, const pthread_condattr_t* a) {
  (void)a;
  if (c == NULL) return EINVAL;
  memset(c, 0, sizeof *c);
  return 0;
}

int pthread_cond_destroy(pthread_cond_t* c) {
  if (c == NULL) return EINVAL;
  spin_lock(&cv(c)->lock);
  const int busy = cv(c)->waiters.m_first != 0;
  spin_unlock(&cv(c)->lock);
  return busy ? EBUSY : 0;
}

int pthread_cond_wait(pthread_cond_t* c, pthread_mutex_t* m) {
  if (c == NULL || m == NULL) return EINVAL;
  nsgx_pthread_cond_t* q = cv(c);
  const sgx_thread_t self = sgx_thread_self();
  /* On the condition's queue before the mutex is released: a signal sent
   * after the caller's last check under the mutex finds it there. */
  spin_lock(&q->lock);
  nsgx_waitq_push(&q->waiters, self);
  spin_unlock(&q->lock);
  uint32_t held = 0;
  const int r = release_all(mx(m), &held, 0);
  if (r != 0) { /* not the owner: off the queue again */
    spin_lock(&q->lock);
    sgx_thread_queue_t rest = {0, 0};
    for (sgx_thread_t t; (t = nsgx_waitq_pop(&q->waiters)) != 0;)
      if (t != self) nsgx_waitq_push(&rest, t);
    q->waiters = rest;
    spin_unlock(&q->lock);
    return r;
  }
  nsgx_thread_sleep(self);
  return acquire(mx(m), 0, held);
}

int pthread_cond_signal(pthread_cond_t* c) {
  if (c == NULL) return EINVAL;
  spin_lock(&cv(c)->lock);
  const sgx_thread_t t = nsgx_waitq_pop(&cv(c)->waiters);
  spin_unlock(&cv(c)->lock);
  if (t) nsgx_thread_wake(t);
  return 0;
}

int pthread_cond_broadcast(pthread_cond_t* c) {
  if (c == NULL) return EINVAL;
  spin_lock(&cv(c)->lock);
  sgx_thread_queue_t all = cv(c)->waiters;
  cv(c)->waiters.m_first = cv(c)->waiters.m_last = 0;
  spin_unlock(&cv(c)->lock);
  for (sgx_thread_t t; (t = nsgx_waitq_pop(&all)) != 0;) nsgx_thread_wake(t);
  return 0;
}

/* ---------------- once ---------------- */

/* Weak: C++ enclaves link sdk/trts/cxxrt/once.c's, which lets a C++
 * exception from init() through (std::call_once). C has no exceptions, and
 * this file is compiled without unwind tables (C enclaves link no unwinder). */
__attribute__((weak)) int pthread_once(pthread_once_t* once, void (*init)(void)) {
  if (once == NULL || init == NULL) return EINVAL;
  for (;;) {
    int expected = NSGX_ONCE_NEW;
    if (__atomic_compare_exchange_n(once, &expected, NSGX_ONCE_RUNNING, 0, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
      init();
      __atomic_store_n(once, NSGX_ONCE_DONE, __ATOMIC_RELEASE);
      return 0;
    }
    if (expected == NSGX_ONCE_DONE) return 0;
    __builtin_ia32_pause();
  }
}

/* ---------------- thread-specific data ---------------- */

#define NSGX_PTHREAD_KEYS 128
#define NSGX_PTHREAD_DESTRUCTOR_ROUNDS 4 /* POSIX's PTHREAD_DESTRUCTOR_ITERATIONS minimum */

/* A key is a slot; its generation changes when the slot is deleted, so a
 * value stored under a deleted key is never seen under the slot's next key. */
static struct {
  uint64_t generation; /* odd while in use */
  void (*destructor)(void*);
} keys[NSGX_PTHREAD_KEYS];
static volatile uint32_t keys_lock;

typedef struct {
  uint64_t generation;
  void* value;
} specific_t;

/* This thread's values (per TD), allocated on first use. */
static specific_t* specifics(int create) {
  nsgx_td_t* td = nsgx_td();
  if (td->pthread_specific == NULL && create) {
    specific_t* s = calloc(NSGX_PTHREAD_KEYS, sizeof *s);
    td->pthread_specific = s;
  }
  return td->pthread_specific;
}

int pthread_key_create(pthread_key_t* key, void (*destructor)(void*)) {
  if (key == NULL) return EINVAL;
  spin_lock(&keys_lock);
  for (unsigned i = 0; i < NSGX_PTHREAD_KEYS; ++i)
    if ((keys[i].generation & 1) == 0) {
      ++keys[i].generation;
      keys[i].destructor = destructor;
      spin_unlock(&keys_lock);
      *key = i;
      return 0;
    }
  spin_unlock(&keys_lock);
  return EAGAIN; /* all NSGX_PTHREAD_KEYS keys in use */
}

/* glibc's internal name, which libgcc's and libstdc++'s gthreads test to
 * decide that the program is multi-threaded (gthr-posix.h). */
int __pthread_key_create(pthread_key_t* key, void (*destructor)(void*)) { return pthread_key_create(key, destructor); }

static int key_generation(pthread_key_t key, uint64_t* gen) {
  if (key >= NSGX_PTHREAD_KEYS) return EINVAL;
  *gen = __atomic_load_n(&keys[key].generation, __ATOMIC_ACQUIRE);
  return (*gen & 1) ? 0 : EINVAL;
}

int pthread_key_delete(pthread_key_t key) {
  if (key >= NSGX_PTHREAD_KEYS) return EINVAL;
  spin_lock(&keys_lock);
  const int ok = (keys[key].generation & 1) != 0;
  if (ok) {
    keys[key].destructor = NULL;
    __atomic_store_n(&keys[key].generation, keys[key].generation + 1, __ATOMIC_RELEASE);
  }
  spin_unlock(&keys_lock);
  return ok ? 0 : EINVAL;
}

void* pthread_getspecific(pthread_key_t key) {
  uint64_t gen = 0;
  if (key_generation(key, &gen) != 0) return NULL;
  const specific_t* s = specifics(0);
  return s != NULL && s[key].generation == gen ? s[key].value : NULL;
}

int pthread_setspecific(pthread_key_t key, const void* value) {
  uint64_t gen = 0;
  if (key_generation(key, &gen) != 0) return EINVAL;
  specific_t* s = specifics(1);
  if (s == NULL) return ENOMEM;
  s[key].generation = gen;
  s[key].value = (void*)value;
  return 0;
}

/* At a pthread's end: the destructors of its non-NULL values (POSIX). */
static void run_key_destructors(void) {
  specific_t* s = specifics(0);
  if (s == NULL) return;
  for (int round = 0; round < NSGX_PTHREAD_DESTRUCTOR_ROUNDS; ++round) {
    int again = 0;
    for (unsigned i = 0; i < NSGX_PTHREAD_KEYS; ++i) {
      spin_lock(&keys_lock);
      void (*d)(void*) = s[i].generation == keys[i].generation ? keys[i].destructor : NULL;
      spin_unlock(&keys_lock);
      void* v = s[i].value;
      if (d == NULL || v == NULL || s[i].generation != keys[i].generation) continue;
      s[i].value = NULL;
      d(v);
      again = 1;
    }
    if (!again) break;
  }
  nsgx_td()->pthread_specific = NULL;
  free(s);
}

/* ---------------- threads ---------------- */

enum { T_CREATED, T_RUNNING, T_EXITED };

typedef struct nsgx_pthread {
  struct nsgx_pthread* next; /* every thread not yet joined or detached-and-exited */
  uint64_t key;              /* its untrusted event, and its name towards the application */
  void* (*start)(void*);
  void* arg;
  void* result;
  int state;            /* T_*, under threads_lock */
  int detached;         /* under threads_lock */
  int joining;          /* someone is in pthread_join; under threads_lock */
  void* exit_ctx[5]; /* __builtin_setjmp's buffer (void* words, as GCC and clang both take it): where pthread_exit returns to */
} nsgx_pthread_t;

static nsgx_pthread_t* threads; /* under threads_lock */
static volatile uint32_t threads_lock;
static uint64_t next_key = 1; /* under threads_lock */

/* Event names that can never be an address (bit 63 set, bits 48..62 clear is
 * non-canonical), so they never collide with the TDs that thread.c's
 * events use; never reused. */
#define KEY_TAG (UINT64_C(1) << 63)

static nsgx_pthread_t* find_locked(uint64_t key) {
  for (nsgx_pthread_t* t = threads; t != NULL; t = t->next)
    if (t->key == key) return t;
  return NULL;
}
static void unlink_locked(nsgx_pthread_t* p) {
  for (nsgx_pthread_t** t = &threads; *t != NULL; t = &(*t)->next)
    if (*t == p) {
      *t = p->next;
      return;
    }
}
/* A pthread_t the caller gave us: one of ours, or NULL. */
static nsgx_pthread_t* lookup_locked(pthread_t t) {
  for (nsgx_pthread_t* p = threads; p != NULL; p = p->next)
    if ((pthread_t)p == t) return p;
  return NULL;
}

/* Sleeps until the application sets `key`'s event; -1 if it reports failure. */
static int wait_event(uint64_t key) {
  int r = -1;
  if (pthread_wait_timeout_ocall(&r, key, 0) != SGX_SUCCESS) return -1;
  return r;
}

int pthread_attr_init(pthread_attr_t* a) {
  if (a == NULL) return EINVAL;
  memset(a, 0, sizeof *a);
  return 0;
}
int pthread_attr_destroy(pthread_attr_t* a) { return a == NULL ? EINVAL : 0; }
int pthread_attr_setdetachstate(pthread_attr_t* a, int state) {
  if (a == NULL || (state != PTHREAD_CREATE_JOINABLE && state != PTHREAD_CREATE_DETACHED)) return EINVAL;
  a->__align = state;
  return 0;
}
int pthread_attr_getdetachstate(const pthread_attr_t* a, int* state) {
  if (a == NULL || state == NULL) return EINVAL;
  *state = (int)a->__align;
  return 0;
}

int pthread_create(pthread_t* out, const pthread_attr_t* attr, void* (*start)(void*), void* arg) {
  if (out == NULL || start == NULL) return EINVAL;
  if (pthread_create_ocall == NULL || pthread_wait_timeout_ocall == NULL)
    return ENOSYS; /* sgx_pthread.edl not imported */
  nsgx_pthread_t* p = calloc(1, sizeof *p);
  if (p == NULL) return EAGAIN;
  p->start = start;
  p->arg = arg;
  p->state = T_CREATED;
  p->detached = attr != NULL && attr->__align == PTHREAD_CREATE_DETACHED;
  spin_lock(&threads_lock);
  p->key = KEY_TAG | next_key++;
  p->next = threads;
  threads = p;
  spin_unlock(&threads_lock);
  const uint64_t key = p->key;
  int r = -1;
  if (pthread_create_ocall(&r, key) != SGX_SUCCESS || r != 0) {
    r = -1;
  } else {
    /* Exactly one wake-up comes: from the new thread once it runs, or from
     * the application if its thread could not enter. */
    (void)wait_event(key);
  }
  /* Looked up again by name: a detached thread may have run, finished and
   * been freed already. */
  spin_lock(&threads_lock);
  nsgx_pthread_t* q = find_locked(key);
  if (q != NULL && q->state == T_CREATED) { /* it never started: the application could not run it */
    unlink_locked(q);
    spin_unlock(&threads_lock);
    free(q);
    return EAGAIN;
  }
  spin_unlock(&threads_lock);
  *out = (pthread_t)p; /* from here on only a name, compared, never followed */
  return 0;
}

/* The start routine, or until pthread_exit jumps back here. */
static __attribute__((noinline)) void run_start(nsgx_pthread_t* p) {
  if (__builtin_setjmp(p->exit_ctx) == 0) p->result = p->start(p->arg);
}

/* ECMD_ECALL_PTHREAD: `ms` is a uint64_t in the application's memory,
 * in: the name pthread_create_ocall gave; out: the event the application
 * sets once this ECALL has returned (0: none, the thread was detached). */
sgx_status_t nsgx_pthread_run(void* ms, nsgx_td_t* td) {
  if (td->last_sp != 0) return SGX_ERROR_ECALL_NOT_ALLOWED; /* never nested in an OCALL */
  if (ms == NULL || !sgx_is_outside_enclave(ms, sizeof(uint64_t))) return SGX_ERROR_INVALID_PARAMETER;
  const uint64_t key = __atomic_load_n((volatile uint64_t*)ms, __ATOMIC_RELAXED); /* read once */
  spin_lock(&threads_lock);
  nsgx_pthread_t* p = (key & KEY_TAG) ? find_locked(key) : NULL;
  if (p == NULL || p->state != T_CREATED) { /* unknown, or already started: refused */
    spin_unlock(&threads_lock);
    return SGX_ERROR_INVALID_PARAMETER;
  }
  p->state = T_RUNNING;
  spin_unlock(&threads_lock);
  int r = 0;
  (void)pthread_wakeup_ocall(&r, key); /* the creator */
  td->pthread = p;
  run_start(p);
  run_key_destructors();
  nsgx_tls_thread_end(td);
  td->pthread = NULL;
  spin_lock(&threads_lock);
  p->state = T_EXITED;
  const int detached = p->detached;
  if (detached) unlink_locked(p);
  spin_unlock(&threads_lock);
  if (detached) free(p);
  *(volatile uint64_t*)ms = detached ? 0 : key;
  return SGX_SUCCESS;
}

int pthread_join(pthread_t t, void** result) {
  spin_lock(&threads_lock);
  nsgx_pthread_t* p = lookup_locked(t);
  if (p == NULL) {
    spin_unlock(&threads_lock);
    return ESRCH;
  }
  if (p == nsgx_td()->pthread) {
    spin_unlock(&threads_lock);
    return EDEADLK;
  }
  if (p->detached || p->joining) {
    spin_unlock(&threads_lock);
    return EINVAL;
  }
  p->joining = 1;
  const uint64_t key = p->key;
  spin_unlock(&threads_lock);
  /* The application sets the event once the thread's ECALL has returned
   * (its TCS is free then); the state says whether it really finished. */
  for (;;) {
    if (wait_event(key) != 0) { /* the application gave up waiting: the enclave is failing */
      spin_lock(&threads_lock);
      p->joining = 0;
      spin_unlock(&threads_lock);
      return EINVAL;
    }
    spin_lock(&threads_lock);
    if (p->state == T_EXITED) break;
    spin_unlock(&threads_lock);
  }
  unlink_locked(p);
  spin_unlock(&threads_lock);
  if (result) *result = p->result;
  free(p);
  return 0;
}

int pthread_detach(pthread_t t) {
  spin_lock(&threads_lock);
  nsgx_pthread_t* p = lookup_locked(t);
  if (p == NULL || p->detached || p->joining) {
    spin_unlock(&threads_lock);
    return p == NULL ? ESRCH : EINVAL;
  }
  p->detached = 1;
  const int done = p->state == T_EXITED;
  if (done) unlink_locked(p);
  spin_unlock(&threads_lock);
  if (done) free(p);
  return 0;
}

/* Ends the calling pthread: back to nsgx_pthread_run, without unwinding the
 * frames in between (C++ destructors there do not run, as with the SDK).
 * Outside a pthread (in an ordinary ECALL) there is no thread to end: the
 * enclave crashes rather than return into the caller. */
void pthread_exit(void* result) {
  nsgx_pthread_t* p = nsgx_td()->pthread;
  if (p == NULL) nsgx_crash();
  p->result = result;
  __builtin_longjmp(p->exit_ctx, 1);
}

/* An enclave pthread's name is its record; any other thread's (an ECALL's)
 * is its TD, distinct from every record. */
pthread_t pthread_self(void) {
  nsgx_td_t* td = nsgx_td();
  return td->pthread ? (pthread_t)td->pthread : (pthread_t)td;
}
int pthread_equal(pthread_t a, pthread_t b) { return a == b; }

/* For std::thread::hardware_concurrency: how many threads can be inside. */
int get_nprocs(void) { return (int)nsgx_gd.tcs_num; }

int sched_yield(void) {
  __builtin_ia32_pause();
  return 0;
}
