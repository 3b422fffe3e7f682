/* sgx_thread_* (sgx_thread.h): a thread is its thread data (TD); waiters
 * queue through a link in their TD and sleep on their untrusted event
 * (sgx_tstdc.edl's OCALLs). Every enqueue is followed by exactly one wait
 * and every dequeue by exactly one set, and an event set before its wait
 * is kept, so no wake-up is lost. Without the OCALLs imported, waiting
 * spins. Errors are errno values, as the SDK returns. */
#include <errno.h>

#include "sgx_thread.h"
#include "trts_internal.h"

/* The OCALL proxies nsgx-edger8r generates for sgx_tstdc.edl, if imported
 * (hidden weak: absent ones are 0 at link time). */
extern sgx_status_t sgx_thread_wait_untrusted_event_ocall(int* retval, const void* self)
    __attribute__((weak, visibility("hidden")));
extern sgx_status_t sgx_thread_set_untrusted_event_ocall(int* retval, const void* waiter)
    __attribute__((weak, visibility("hidden")));

static void spin_lock(volatile uint32_t* l) {
  while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE)) __builtin_ia32_pause();
}
static void spin_unlock(volatile uint32_t* l) { __atomic_store_n(l, 0, __ATOMIC_RELEASE); }

static nsgx_td_t* td_of(sgx_thread_t t) { return (nsgx_td_t*)t; }

static void enqueue(sgx_thread_queue_t* q, sgx_thread_t self) {
  td_of(self)->next_waiter = 0;
  if (q->m_last)
    td_of(q->m_last)->next_waiter = self;
  else
    q->m_first = self;
  q->m_last = self;
}

static sgx_thread_t dequeue(sgx_thread_queue_t* q) {
  const sgx_thread_t t = q->m_first;
  if (t) {
    q->m_first = td_of(t)->next_waiter;
    if (!q->m_first) q->m_last = 0;
    td_of(t)->next_waiter = 0;
  }
  return t;
}

/* Sleep until woken: until an enclave thread that took this one off its
 * queue set `woken`. The untrusted event is only how to sleep, never the
 * proof of a wake-up: a wait OCALL that returns early (a hostile or buggy
 * application, a signal) leaves the thread queued, and leaving here then
 * would queue it a second time (a cycle in the list) or let it run while
 * still queued. So it waits again; an event set for a wake-up already seen
 * makes one wait return at once, and the loop absorbs that too. */
static void sleep_self(sgx_thread_t self) {
  nsgx_td_t* td = td_of(self);
  while (!__atomic_load_n(&td->woken, __ATOMIC_ACQUIRE)) {
    if (sgx_thread_wait_untrusted_event_ocall) {
      int r = 0;
      (void)sgx_thread_wait_untrusted_event_ocall(&r, (const void*)self);
    } else {
      __builtin_ia32_pause();
    }
  }
  __atomic_store_n(&td->woken, 0, __ATOMIC_RELEASE);
}

static void wake(sgx_thread_t t) {
  __atomic_store_n(&td_of(t)->woken, 1, __ATOMIC_RELEASE);
  if (sgx_thread_set_untrusted_event_ocall) {
    int r = 0;
    (void)sgx_thread_set_untrusted_event_ocall(&r, (const void*)t);
  }
}

sgx_thread_t sgx_thread_self(void) { return (sgx_thread_t)nsgx_td(); }
int sgx_thread_equal(sgx_thread_t a, sgx_thread_t b) { return a == b; }

int sgx_thread_mutex_init(sgx_thread_mutex_t* m, const sgx_thread_mutexattr_t* unused) {
  (void)unused;
  if (m == NULL) return EINVAL;
  m->m_refcount = 0;
  m->m_control = SGX_THREAD_MUTEX_NONRECURSIVE;
  m->m_lock = 0;
  m->m_owner = 0;
  m->m_queue.m_first = m->m_queue.m_last = 0;
  return 0;
}

int sgx_thread_mutex_destroy(sgx_thread_mutex_t* m) {
  if (m == NULL) return EINVAL;
  spin_lock(&m->m_lock);
  const int busy = m->m_owner != 0 || m->m_queue.m_first != 0;
  spin_unlock(&m->m_lock);
  return busy ? EBUSY : 0;
}

static int acquire(sgx_thread_mutex_t* m, int try_only) {
  if (m == NULL) return EINVAL;
  const sgx_thread_t self = sgx_thread_self();
  for (;;) {
    spin_lock(&m->m_lock);
    if (m->m_owner == 0 || (m->m_owner == self && (m->m_control & SGX_THREAD_MUTEX_RECURSIVE))) {
      m->m_owner = self;
      ++m->m_refcount;
      spin_unlock(&m->m_lock);
      return 0;
    }
    if (m->m_owner == self) {
      spin_unlock(&m->m_lock);
      return EDEADLK;
    }
    if (try_only) {
      spin_unlock(&m->m_lock);
      return EBUSY;
    }
    enqueue(&m->m_queue, self);
    spin_unlock(&m->m_lock);
    sleep_self(self);
  }
}

int sgx_thread_mutex_lock(sgx_thread_mutex_t* m) { return acquire(m, 0); }
int sgx_thread_mutex_trylock(sgx_thread_mutex_t* m) { return acquire(m, 1); }

int sgx_thread_mutex_unlock(sgx_thread_mutex_t* m) {
  if (m == NULL) return EINVAL;
  spin_lock(&m->m_lock);
  if (m->m_owner != sgx_thread_self()) {
    spin_unlock(&m->m_lock);
    return EPERM;
  }
  sgx_thread_t next = 0;
  if (--m->m_refcount == 0) {
    m->m_owner = 0;
    next = dequeue(&m->m_queue);
  }
  spin_unlock(&m->m_lock);
  if (next) wake(next);
  return 0;
}

int sgx_thread_cond_init(sgx_thread_cond_t* c, const sgx_thread_condattr_t* unused) {
  (void)unused;
  if (c == NULL) return EINVAL;
  c->m_lock = 0;
  c->m_queue.m_first = c->m_queue.m_last = 0;
  return 0;
}

int sgx_thread_cond_destroy(sgx_thread_cond_t* c) {
  if (c == NULL) return EINVAL;
  spin_lock(&c->m_lock);
  const int busy = c->m_queue.m_first != 0;
  spin_unlock(&c->m_lock);
  return busy ? EBUSY : 0;
}

int sgx_thread_cond_wait(sgx_thread_cond_t* c, sgx_thread_mutex_t* m) {
  if (c == NULL || m == NULL) return EINVAL;
  const sgx_thread_t self = sgx_thread_self();
  spin_lock(&c->m_lock);
  enqueue(&c->m_queue, self);
  spin_unlock(&c->m_lock);
  const int r = sgx_thread_mutex_unlock(m);
  if (r != 0) { /* not the owner: take ourselves off the queue again */
    spin_lock(&c->m_lock);
    sgx_thread_queue_t rest = {0, 0};
    for (sgx_thread_t t; (t = dequeue(&c->m_queue)) != 0;)
      if (t != self) enqueue(&rest, t);
    c->m_queue = rest;
    spin_unlock(&c->m_lock);
    return r;
  }
  sleep_self(self);
  return sgx_thread_mutex_lock(m);
}

int sgx_thread_cond_signal(sgx_thread_cond_t* c) {
  if (c == NULL) return EINVAL;
  spin_lock(&c->m_lock);
  const sgx_thread_t t = dequeue(&c->m_queue);
  spin_unlock(&c->m_lock);
  if (t) wake(t);
  return 0;
}

int sgx_thread_cond_broadcast(sgx_thread_cond_t* c) {
  if (c == NULL) return EINVAL;
  spin_lock(&c->m_lock);
  sgx_thread_queue_t all = c->m_queue;
  c->m_queue.m_first = c->m_queue.m_last = 0;
  spin_unlock(&c->m_lock);
  for (sgx_thread_t t; (t = dequeue(&all)) != 0;) wake(t);
  return 0;
}

/* The same wait queues and sleeping for the pthread primitives (pthread.c). */
void nsgx_waitq_push(sgx_thread_queue_t* q, sgx_thread_t self) { enqueue(q, self); }
sgx_thread_t nsgx_waitq_pop(sgx_thread_queue_t* q) { return dequeue(q); }
void nsgx_thread_sleep(sgx_thread_t self) { sleep_self(self); }
void nsgx_thread_wake(sgx_thread_t t) { wake(t); }
