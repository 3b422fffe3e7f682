/* An nbench-style CPU, FPU and memory suite: the ten kernels of BYTE's
 * nbench (BYTEmark) as its documentation describes them, written anew. Each
 * iteration regenerates its input from a seed that depends on the iteration
 * (so no iteration can reuse another's work), runs the kernel, checks what it
 * can of its own result (sorted order, round trips, residuals) and folds the
 * output into the returned value. nbench groups them into indexes:
 * integer (numeric sort, FP emulation, IDEA, Huffman), memory (string sort,
 * bitfield, assignment) and floating point (Fourier, neural net, LU). */
#include <math.h>
#include <stddef.h>

#include "workloads.h"

typedef unsigned __int128 u128;

/* ---- numeric sort: heapsort of 32-bit integers ---- */

static void sift_i32(int32_t* a, uint64_t root, uint64_t end) {
  while (2 * root + 1 < end) {
    uint64_t child = 2 * root + 1;
    if (child + 1 < end && a[child] < a[child + 1]) ++child;
    if (a[root] >= a[child]) return;
    const int32_t t = a[root];
    a[root] = a[child];
    a[child] = t;
    root = child;
  }
}

static uint64_t numsort(wl_state* st, uint64_t it) {
  int32_t* a = st->buf[0];
  const uint64_t n = st->a;
  uint64_t seed = it * 7919 + 1;
  for (uint64_t i = 0; i < n; ++i) a[i] = (int32_t)(uint32_t)wl_rng(&seed);
  for (uint64_t i = n / 2; i-- > 0;) sift_i32(a, i, n);
  for (uint64_t end = n - 1; end > 0; --end) {
    const int32_t t = a[0];
    a[0] = a[end];
    a[end] = t;
    sift_i32(a, 0, end);
  }
  uint64_t h = 0;
  for (uint64_t i = 0; i < n; ++i) {
    if (i > 0 && a[i - 1] > a[i]) return WL_FAILED;
    h = wl_hash(h, (uint32_t)a[i]);
  }
  return h;
}

/* ---- string sort: heapsort of variable-length strings, moved as bytes ---- */

/* Strings are stored as a length byte and the bytes; buf[1] holds their
 * offsets, sorted; buf[2] receives the strings in order. */
static int str_less(const uint8_t* s, uint32_t x, uint32_t y) {
  const uint8_t lx = s[x], ly = s[y];
  const uint8_t n = lx < ly ? lx : ly;
  for (uint8_t i = 1; i <= n; ++i)
    if (s[x + i] != s[y + i]) return s[x + i] < s[y + i];
  return lx < ly;
}

static void sift_str(const uint8_t* s, uint32_t* off, uint64_t root, uint64_t end) {
  while (2 * root + 1 < end) {
    uint64_t child = 2 * root + 1;
    if (child + 1 < end && str_less(s, off[child], off[child + 1])) ++child;
    if (!str_less(s, off[root], off[child])) return;
    const uint32_t t = off[root];
    off[root] = off[child];
    off[child] = t;
    root = child;
  }
}

static uint64_t strsort(wl_state* st, uint64_t it) {
  uint8_t* s = st->buf[0];
  uint32_t* off = st->buf[1];
  uint8_t* out = st->buf[2];
  const uint64_t bytes = st->a;
  uint64_t seed = it * 104729 + 3, used = 0, n = 0;
  while (used + 81 <= bytes) { /* 4 to 80 letters each */
    const uint8_t len = (uint8_t)(4 + wl_rng(&seed) % 77);
    off[n++] = (uint32_t)used;
    s[used] = len;
    for (uint8_t i = 1; i <= len; ++i) s[used + i] = (uint8_t)('a' + wl_rng(&seed) % 26);
    used += 1u + len;
  }
  for (uint64_t i = n / 2; i-- > 0;) sift_str(s, off, i, n);
  for (uint64_t end = n - 1; end > 0; --end) {
    const uint32_t t = off[0];
    off[0] = off[end];
    off[end] = t;
    sift_str(s, off, 0, end);
  }
  uint64_t o = 0, h = 0;
  for (uint64_t i = 0; i < n; ++i) {
    if (i > 0 && str_less(s, off[i], off[i - 1])) return WL_FAILED;
    const uint8_t len = s[off[i]];
    for (uint32_t k = 0; k <= len; ++k) out[o + k] = s[off[i] + k];
    h = wl_hash(h, off[i]);
    o += 1u + len;
  }
  return o == used ? h : WL_FAILED;
}

/* ---- bitfield: runs of bits set, cleared and complemented ---- */

static uint64_t bitfield(wl_state* st, uint64_t it) {
  uint64_t* map = st->buf[0];
  const uint64_t bits = st->a, words = bits / 64;
  uint64_t seed = it * 31337 + 5;
  for (uint64_t i = 0; i < words; ++i) map[i] = 0;
  for (uint64_t op = 0; op < bits / 16; ++op) {
    const uint64_t x = wl_rng(&seed);
    const uint64_t start = (x >> 8) % bits;
    uint64_t len = 1 + (x >> 40) % 128;
    if (start + len > bits) len = bits - start;
    for (uint64_t b = start; b < start + len; ++b) {
      const uint64_t m = UINT64_C(1) << (b % 64);
      switch (x & 3) {
        case 0:
          map[b / 64] |= m;
          break;
        case 1:
          map[b / 64] &= ~m;
          break;
        default:
          map[b / 64] ^= m;
          break;
      }
    }
  }
  uint64_t h = 0, ones = 0;
  for (uint64_t i = 0; i < words; ++i) {
    h = wl_hash(h, map[i]);
    ones += (uint64_t)__builtin_popcountll(map[i]);
  }
  return wl_hash(h, ones);
}

/* ---- FP emulation: floating point in software (64-bit mantissas) ---- */

typedef struct {
  uint64_t m; /* normalised: bit 63 set, or 0 for zero */
  int32_t e;  /* value = m * 2^e */
  uint32_t s; /* sign */
} sf_t;

static sf_t sf_norm(uint32_t s, int32_t e, u128 m) {
  sf_t r = {0, 0, s};
  if (m == 0) return r;
  const uint64_t hi = (uint64_t)(m >> 64);
  if (hi != 0) {
    const int sh = 64 - __builtin_clzll(hi);
    m >>= sh;
    e += sh;
  }
  const int sh = __builtin_clzll((uint64_t)m);
  r.m = (uint64_t)m << sh;
  r.e = e - sh;
  return r;
}

static sf_t sf_from_int(int64_t v) { return sf_norm(v < 0, 0, (u128)(v < 0 ? -(uint64_t)v : (uint64_t)v)); }

static sf_t sf_add(sf_t a, sf_t b) {
  if (b.m == 0) return a;
  if (a.m == 0) return b;
  if (a.e < b.e) {
    const sf_t t = a;
    a = b;
    b = t;
  }
  const int32_t d = a.e - b.e;
  const u128 x = (u128)a.m << 63;
  const u128 y = d >= 127 ? 0 : ((u128)b.m << 63) >> d;
  if (a.s == b.s) return sf_norm(a.s, a.e - 63, x + y);
  return x >= y ? sf_norm(a.s, a.e - 63, x - y) : sf_norm(b.s, a.e - 63, y - x);
}

static sf_t sf_sub(sf_t a, sf_t b) {
  b.s ^= 1;
  return sf_add(a, b);
}

static sf_t sf_mul(sf_t a, sf_t b) { return sf_norm(a.s ^ b.s, a.e + b.e, (u128)a.m * b.m); }

static sf_t sf_div(sf_t a, sf_t b) {
  if (b.m == 0 || a.m == 0) return sf_norm(a.s ^ b.s, 0, 0);
  return sf_norm(a.s ^ b.s, a.e - 64 - b.e, ((u128)a.m << 64) / b.m);
}

static uint64_t fpemu(wl_state* st, uint64_t it) {
  sf_t* out = st->buf[0];
  const uint64_t n = st->a;
  uint64_t seed = it * 65537 + 7, h = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t x = wl_rng(&seed);
    const sf_t a = sf_from_int((int64_t)(x >> 34) - (1 << 29));
    const sf_t b = sf_from_int((int64_t)((x & 0x3fffffff) | 1));
    sf_t r;
    switch (i & 3) {
      case 0:
        r = sf_add(a, b);
        break;
      case 1:
        r = sf_sub(a, b);
        break;
      case 2:
        r = sf_mul(a, b);
        break;
      default:
        r = sf_div(a, b);
        break;
    }
    out[i] = r;
    h = wl_hash(wl_hash(h, r.m), ((uint64_t)(uint32_t)r.e << 1) | r.s);
  }
  /* (a + b) - b == a holds exactly for these 30-bit integers. */
  const sf_t a = sf_from_int((int64_t)it + 12345), b = sf_from_int(-987654321);
  const sf_t c = sf_sub(sf_add(a, b), b);
  if (c.m != a.m || c.e != a.e || c.s != a.s) return WL_FAILED;
  return h;
}

/* ---- Fourier: coefficients of (x+1)^x on [0,2], trapezoid rule ---- */

static double fourier_f(double x, double omega_n, int kind) {
  const double y = pow(x + 1.0, x);
  if (kind == 0) return y;
  return y * (kind == 1 ? cos(omega_n * x) : sin(omega_n * x));
}

static double trapezoid(double omega_n, int kind) {
  const int steps = 200;
  const double dx = 2.0 / steps;
  double sum = (fourier_f(0.0, omega_n, kind) + fourier_f(2.0, omega_n, kind)) / 2.0;
  for (int i = 1; i < steps; ++i) sum += fourier_f(dx * i, omega_n, kind);
  return sum * dx;
}

static uint64_t fourier(wl_state* st, uint64_t it) {
  double* c = st->buf[0];
  const uint64_t n = st->a;
  const double omega = 3.14159265358979323846 * (1.0 + (double)(it % 3) / 1024.0);
  c[0] = trapezoid(0.0, 0) / 2.0;
  c[1] = 0;
  for (uint64_t k = 1; k < n; ++k) {
    c[2 * k] = trapezoid(omega * (double)k, 1);
    c[2 * k + 1] = trapezoid(omega * (double)k, 2);
  }
  /* c[0] is the mean of (x+1)^x over [0,2], about 2.88 (nbench's a0). */
  if (!(c[0] > 2.85 && c[0] < 2.91)) return WL_FAILED;
  uint64_t h = 0;
  for (uint64_t k = 0; k < 2 * n; ++k) {
    uint64_t u;
    __builtin_memcpy(&u, &c[k], sizeof u);
    h = wl_hash(h, u);
  }
  return h;
}

/* ---- assignment: the n x n assignment problem, Hungarian method ---- */

static uint64_t assignment(wl_state* st, uint64_t it) {
  const uint64_t n = st->a;
  int64_t* cost = st->buf[0]; /* (n+1) x (n+1), 1-based */
  int64_t* work = st->buf[1]; /* u, v, minv: 3 (n+1) */
  uint64_t* idx = st->buf[2]; /* p, way, used: 3 (n+1) */
  int64_t *u = work, *v = work + n + 1, *minv = work + 2 * (n + 1);
  uint64_t *p = idx, *way = idx + n + 1, *used = idx + 2 * (n + 1);
  uint64_t seed = it * 2654435761u + 11;
  for (uint64_t i = 1; i <= n; ++i)
    for (uint64_t j = 1; j <= n; ++j) cost[i * (n + 1) + j] = (int64_t)(wl_rng(&seed) % 100000);
  for (uint64_t j = 0; j <= n; ++j) u[j] = v[j] = 0, p[j] = way[j] = 0;
  const int64_t inf = INT64_MAX / 4;
  for (uint64_t i = 1; i <= n; ++i) {
    p[0] = i;
    uint64_t j0 = 0;
    for (uint64_t j = 0; j <= n; ++j) minv[j] = inf, used[j] = 0;
    do {
      used[j0] = 1;
      const uint64_t i0 = p[j0];
      int64_t delta = inf;
      uint64_t j1 = 0;
      for (uint64_t j = 1; j <= n; ++j) {
        if (used[j]) continue;
        const int64_t cur = cost[i0 * (n + 1) + j] - u[i0] - v[j];
        if (cur < minv[j]) minv[j] = cur, way[j] = j0;
        if (minv[j] < delta) delta = minv[j], j1 = j;
      }
      for (uint64_t j = 0; j <= n; ++j)
        if (used[j])
          u[p[j]] += delta, v[j] -= delta;
        else
          minv[j] -= delta;
      j0 = j1;
    } while (p[j0] != 0);
    do {
      const uint64_t j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  /* A permutation, whose cost the dual certifies optimal (-v[0]). */
  int64_t total = 0;
  uint64_t h = 0;
  for (uint64_t j = 1; j <= n; ++j) used[j] = 0;
  for (uint64_t j = 1; j <= n; ++j) {
    if (p[j] < 1 || p[j] > n || used[p[j]]) return WL_FAILED;
    used[p[j]] = 1;
    total += cost[p[j] * (n + 1) + j];
    h = wl_hash(h, p[j]);
  }
  if (total != -v[0]) return WL_FAILED;
  return wl_hash(h, (uint64_t)total);
}

/* ---- IDEA: the block cipher (8.5 rounds of 16-bit operations) ---- */

static uint16_t idea_mul(uint16_t a, uint16_t b) { /* modulo 2^16 + 1, 0 standing for 2^16 */
  if (a == 0) return (uint16_t)(1 - b);
  if (b == 0) return (uint16_t)(1 - a);
  const uint32_t p = (uint32_t)a * b;
  const uint16_t lo = (uint16_t)p, hi = (uint16_t)(p >> 16);
  return (uint16_t)(lo - hi + (lo < hi));
}

static uint16_t idea_inv(uint16_t x) { /* x^(65537-2) mod 65537; 0 and 1 are their own inverses */
  if (x <= 1) return x;
  uint64_t r = 1, b = x; /* b may reach 65536: its square needs 33 bits */
  for (uint32_t e = 65535; e != 0; e >>= 1, b = b * b % 65537)
    if (e & 1) r = r * b % 65537;
  return (uint16_t)r;
}

static void idea_block(const uint16_t* k, const uint8_t* in, uint8_t* out) {
  uint16_t x1 = (uint16_t)(in[0] << 8 | in[1]), x2 = (uint16_t)(in[2] << 8 | in[3]);
  uint16_t x3 = (uint16_t)(in[4] << 8 | in[5]), x4 = (uint16_t)(in[6] << 8 | in[7]);
  for (int r = 0; r < 8; ++r, k += 6) {
    x1 = idea_mul(x1, k[0]);
    x2 = (uint16_t)(x2 + k[1]);
    x3 = (uint16_t)(x3 + k[2]);
    x4 = idea_mul(x4, k[3]);
    uint16_t t2 = idea_mul(x1 ^ x3, k[4]);
    const uint16_t t1 = idea_mul((uint16_t)(t2 + (x2 ^ x4)), k[5]);
    t2 = (uint16_t)(t1 + t2);
    x1 ^= t1;
    x4 ^= t2;
    t2 ^= x2;
    x2 = x3 ^ t1;
    x3 = t2;
  }
  const uint16_t y1 = idea_mul(x1, k[0]), y2 = (uint16_t)(x3 + k[1]), y3 = (uint16_t)(x2 + k[2]),
                 y4 = idea_mul(x4, k[3]);
  const uint16_t y[4] = {y1, y2, y3, y4};
  for (size_t i = 0; i < 4; ++i) out[2 * i] = (uint8_t)(y[i] >> 8), out[2 * i + 1] = (uint8_t)y[i];
}

static void idea_keys(uint64_t seed, uint16_t* ek, uint16_t* dk) {
  uint16_t key[8];
  for (int i = 0; i < 8; ++i) key[i] = (uint16_t)wl_rng(&seed);
  for (int i = 0; i < 52; ++i) { /* the 128-bit key rotated left 25 bits every 8 subkeys */
    const int rot = (i / 8) * 25, bit = (rot + (i % 8) * 16) % 128;
    const int w = bit / 16, s = bit % 16;
    ek[i] = s == 0 ? key[w] : (uint16_t)(key[w] << s | key[(w + 1) % 8] >> (16 - s));
  }
  /* Decryption: the inverses, in reverse round order, middle additions swapped. */
  dk[0] = idea_inv(ek[48]);
  dk[1] = (uint16_t)-ek[49];
  dk[2] = (uint16_t)-ek[50];
  dk[3] = idea_inv(ek[51]);
  for (size_t r = 1; r < 8; ++r) {
    const size_t b = 48 - 6 * r;
    dk[6 * r - 2] = ek[b + 4];
    dk[6 * r - 1] = ek[b + 5];
    dk[6 * r] = idea_inv(ek[b]);
    dk[6 * r + 1] = (uint16_t)-ek[b + 2];
    dk[6 * r + 2] = (uint16_t)-ek[b + 1];
    dk[6 * r + 3] = idea_inv(ek[b + 3]);
  }
  dk[46] = ek[4];
  dk[47] = ek[5];
  dk[48] = idea_inv(ek[0]);
  dk[49] = (uint16_t)-ek[1];
  dk[50] = (uint16_t)-ek[2];
  dk[51] = idea_inv(ek[3]);
}

static uint64_t idea(wl_state* st, uint64_t it) {
  uint8_t* plain = st->buf[0];
  uint8_t* crypt = st->buf[1];
  uint8_t* back = st->buf[2];
  const uint64_t n = st->a;
  uint16_t ek[52], dk[52];
  idea_keys(it * 48271 + 13, ek, dk);
  uint64_t seed = it + 17;
  for (uint64_t i = 0; i < n; ++i) plain[i] = (uint8_t)wl_rng(&seed);
  for (uint64_t i = 0; i < n; i += 8) idea_block(ek, plain + i, crypt + i);
  for (uint64_t i = 0; i < n; i += 8) idea_block(dk, crypt + i, back + i);
  uint64_t h = 0;
  for (uint64_t i = 0; i < n; ++i) {
    if (back[i] != plain[i]) return WL_FAILED;
    h = wl_hash(h, crypt[i]);
  }
  return h;
}

/* ---- Huffman: build the code of a text, compress it, expand it ---- */

typedef struct {
  uint64_t freq;
  int32_t left, right, parent; /* -1: none */
  int32_t live;
} hnode_t;

static uint64_t huffman(wl_state* st, uint64_t it) {
  uint8_t* text = st->buf[0];
  uint8_t* packed = st->buf[1];
  uint8_t* back = st->buf[2];
  hnode_t* node = st->buf[3]; /* 256 leaves + 255 inner nodes */
  const uint64_t n = st->a;
  uint64_t seed = it * 69069 + 19;
  /* Skewed letters: the smaller of two uniform picks favours early letters. */
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t x = wl_rng(&seed);
    const uint64_t a = (x & 0xffff) % 40, b = ((x >> 16) & 0xffff) % 40;
    text[i] = (uint8_t)(' ' + (a < b ? a : b));
  }
  for (int i = 0; i < 511; ++i) node[i] = (hnode_t){0, -1, -1, -1, 0};
  for (uint64_t i = 0; i < n; ++i) node[text[i]].freq++;
  int count = 0;
  for (int i = 0; i < 256; ++i)
    if (node[i].freq) node[i].live = 1, ++count;
  int next = 256, root = -1;
  if (count == 1)
    for (int i = 0; i < 256; ++i)
      if (node[i].live) root = i;
  while (count > 1) { /* join the two least frequent live nodes */
    int m1 = -1, m2 = -1;
    for (int i = 0; i < next; ++i) {
      if (!node[i].live) continue;
      if (m1 < 0 || node[i].freq < node[m1].freq)
        m2 = m1, m1 = i;
      else if (m2 < 0 || node[i].freq < node[m2].freq)
        m2 = i;
    }
    node[next] = (hnode_t){node[m1].freq + node[m2].freq, m1, m2, -1, 1};
    node[m1].live = node[m2].live = 0;
    node[m1].parent = node[m2].parent = next;
    root = next++;
    --count;
  }
  /* Codes, root to leaf, as bit strings of up to 64 bits. */
  uint64_t code[256] = {0};
  int len[256] = {0};
  for (int c = 0; c < 256; ++c) {
    if (node[c].freq == 0) continue;
    for (int x = c; node[x].parent >= 0; x = node[x].parent) {
      if (len[c] >= 64) return WL_FAILED;
      if (node[node[x].parent].right == x) code[c] |= UINT64_C(1) << len[c];
      ++len[c];
    }
  }
  uint64_t bit = 0;
  for (uint64_t i = 0; i < st->len[1]; ++i) packed[i] = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const uint8_t c = text[i];
    for (int k = len[c] - 1; k >= 0; --k, ++bit) /* the bit nearest the root first */
      if ((code[c] >> k) & 1) packed[bit / 8] |= (uint8_t)(1u << (bit % 8));
  }
  const uint64_t total = bit;
  bit = 0;
  for (uint64_t i = 0; i < n; ++i) {
    int x = root;
    while (node[x].left >= 0) {
      const int b = (packed[bit / 8] >> (bit % 8)) & 1;
      ++bit;
      x = b ? node[x].right : node[x].left;
    }
    back[i] = (uint8_t)x;
    if (back[i] != text[i]) return WL_FAILED;
  }
  if (bit != total || total >= 8 * n) return WL_FAILED; /* it must have compressed */
  uint64_t h = total;
  for (uint64_t i = 0; i < (total + 7) / 8; ++i) h = wl_hash(h, packed[i]);
  return h;
}

/* ---- neural net: a 35-8-8 perceptron trained by back-propagation ---- */

enum { NN_IN = 35, NN_MID = 8, NN_OUT = 8, NN_PATTERNS = 26 };

static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

static uint64_t neural(wl_state* st, uint64_t it) {
  double* w = st->buf[0];
  double* w1 = w;                        /* NN_MID x (NN_IN + 1) */
  double* w2 = w + (size_t)NN_MID * (NN_IN + 1); /* NN_OUT x (NN_MID + 1) */
  double in[NN_PATTERNS][NN_IN], target[NN_PATTERNS][NN_OUT];
  uint64_t seed = it * 40503 + 23;
  for (int p = 0; p < NN_PATTERNS; ++p) { /* 5x7 "letters" and their 8-bit codes */
    for (int i = 0; i < NN_IN; ++i) in[p][i] = (wl_rng(&seed) & 1) ? 0.9 : 0.1;
    for (int o = 0; o < NN_OUT; ++o) target[p][o] = ((p + 'A') >> o) & 1 ? 0.9 : 0.1;
  }
  for (int i = 0; i < NN_MID * (NN_IN + 1) + NN_OUT * (NN_MID + 1); ++i)
    w[i] = ((double)(wl_rng(&seed) % 2001) - 1000.0) / 2000.0;
  const double rate = 0.5;
  double err = 0, first_err = -1;
  for (uint64_t epoch = 0; epoch < st->a; ++epoch) {
    err = 0;
    for (int p = 0; p < NN_PATTERNS; ++p) {
      double mid[NN_MID], out[NN_OUT], dout[NN_OUT], dmid[NN_MID];
      for (int m = 0; m < NN_MID; ++m) {
        double s = w1[m * (NN_IN + 1) + NN_IN];
        for (int i = 0; i < NN_IN; ++i) s += w1[m * (NN_IN + 1) + i] * in[p][i];
        mid[m] = sigmoid(s);
      }
      for (int o = 0; o < NN_OUT; ++o) {
        double s = w2[o * (NN_MID + 1) + NN_MID];
        for (int m = 0; m < NN_MID; ++m) s += w2[o * (NN_MID + 1) + m] * mid[m];
        out[o] = sigmoid(s);
        const double e = target[p][o] - out[o];
        err += e * e;
        dout[o] = e * out[o] * (1.0 - out[o]);
      }
      for (int m = 0; m < NN_MID; ++m) {
        double s = 0;
        for (int o = 0; o < NN_OUT; ++o) s += dout[o] * w2[o * (NN_MID + 1) + m];
        dmid[m] = s * mid[m] * (1.0 - mid[m]);
      }
      for (int o = 0; o < NN_OUT; ++o) {
        for (int m = 0; m < NN_MID; ++m) w2[o * (NN_MID + 1) + m] += rate * dout[o] * mid[m];
        w2[o * (NN_MID + 1) + NN_MID] += rate * dout[o];
      }
      for (int m = 0; m < NN_MID; ++m) {
        for (int i = 0; i < NN_IN; ++i) w1[m * (NN_IN + 1) + i] += rate * dmid[m] * in[p][i];
        w1[m * (NN_IN + 1) + NN_IN] += rate * dmid[m];
      }
    }
    if (first_err < 0) first_err = err;
  }
  if (st->a > 20 && !(err < first_err)) return WL_FAILED; /* training must reduce the error */
  uint64_t h = 0;
  for (int i = 0; i < NN_MID * (NN_IN + 1) + NN_OUT * (NN_MID + 1); ++i) {
    uint64_t u;
    __builtin_memcpy(&u, &w[i], sizeof u);
    h = wl_hash(h, u);
  }
  return h;
}

/* ---- LU decomposition: solve A x = b with partial pivoting ---- */

static uint64_t lu(wl_state* st, uint64_t it) {
  const uint64_t n = st->a;
  double* a = st->buf[0];    /* n x n, then factored in place */
  double* orig = st->buf[1]; /* n x n, and b, for the residual */
  double* x = st->buf[2];    /* b, then the solution */
  uint64_t seed = it * 16807 + 29;
  for (uint64_t i = 0; i < n * n; ++i) orig[i] = a[i] = (double)(int64_t)(wl_rng(&seed) % 2001) - 1000.0;
  for (uint64_t i = 0; i < n; ++i) orig[n * n + i] = x[i] = (double)(int64_t)(wl_rng(&seed) % 2001) - 1000.0;
  for (uint64_t k = 0; k < n; ++k) {
    uint64_t piv = k;
    for (uint64_t i = k + 1; i < n; ++i)
      if (fabs(a[i * n + k]) > fabs(a[piv * n + k])) piv = i;
    if (a[piv * n + k] == 0) return WL_FAILED;
    if (piv != k) {
      for (uint64_t j = 0; j < n; ++j) {
        const double t = a[k * n + j];
        a[k * n + j] = a[piv * n + j];
        a[piv * n + j] = t;
      }
      const double t = x[k];
      x[k] = x[piv];
      x[piv] = t;
    }
    for (uint64_t i = k + 1; i < n; ++i) {
      const double f = a[i * n + k] / a[k * n + k];
      a[i * n + k] = f;
      for (uint64_t j = k + 1; j < n; ++j) a[i * n + j] -= f * a[k * n + j];
      x[i] -= f * x[k];
    }
  }
  for (uint64_t i = n; i-- > 0;) {
    double s = x[i];
    for (uint64_t j = i + 1; j < n; ++j) s -= a[i * n + j] * x[j];
    x[i] = s / a[i * n + i];
  }
  /* The residual |A x - b| relative to |A| |x|. */
  double worst = 0, scale = 0;
  for (uint64_t i = 0; i < n; ++i) {
    double r = -orig[n * n + i], s = 0;
    for (uint64_t j = 0; j < n; ++j) r += orig[i * n + j] * x[j], s += fabs(orig[i * n + j] * x[j]);
    if (fabs(r) > worst) worst = fabs(r);
    if (s > scale) scale = s;
  }
  if (!(worst <= 1e-9 * scale + 1e-9)) return WL_FAILED;
  uint64_t h = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t u;
    __builtin_memcpy(&u, &x[i], sizeof u);
    h = wl_hash(h, u);
  }
  return h;
}

/* ---- preparing and running ---- */

int nb_prepare(wl_state* st) {
  const uint64_t a = st->a;
  if (a == 0) return WL_EINVAL;
  uint64_t b0 = 0, b1 = 0, b2 = 0, b3 = 0;
  switch (st->kernel) {
    case WL_NUMSORT:
      b0 = a * 4;
      if (a < 2 || a > (UINT64_C(1) << 28)) return WL_EINVAL;
      break;
    case WL_STRSORT:
      if (a < 256 || a > (UINT64_C(1) << 30)) return WL_EINVAL;
      b0 = a, b1 = a / 5 * 4 + 64, b2 = a;
      break;
    case WL_BITFIELD:
      if (a < 64 || a % 64 || a > (UINT64_C(1) << 34)) return WL_EINVAL;
      b0 = a / 8;
      break;
    case WL_FPEMU:
      if (a > (UINT64_C(1) << 26)) return WL_EINVAL;
      b0 = a * sizeof(sf_t);
      break;
    case WL_FOURIER:
      if (a < 2 || a > 100000) return WL_EINVAL;
      b0 = 2 * a * sizeof(double);
      break;
    case WL_ASSIGN:
      if (a > 4096) return WL_EINVAL;
      b0 = (a + 1) * (a + 1) * 8, b1 = b2 = 3 * (a + 1) * 8;
      break;
    case WL_IDEA:
      if (a % 8 || a > (UINT64_C(1) << 30)) return WL_EINVAL;
      b0 = b1 = b2 = a;
      break;
    case WL_HUFFMAN:
      if (a < 16 || a > (UINT64_C(1) << 28)) return WL_EINVAL;
      b0 = b1 = b2 = a, b3 = 511 * sizeof(hnode_t);
      break;
    case WL_NEURAL:
      if (a > 100000) return WL_EINVAL;
      b0 = (uint64_t)(NN_MID * (NN_IN + 1) + NN_OUT * (NN_MID + 1)) * 8;
      break;
    case WL_LU:
      if (a < 2 || a > 4096) return WL_EINVAL;
      b0 = a * a * 8, b1 = (a * a + a) * 8, b2 = a * 8;
      break;
    default:
      return WL_EINVAL;
  }
  const uint64_t sizes[4] = {b0, b1, b2, b3};
  for (int i = 0; i < 4; ++i)
    if (sizes[i] && wl_alloc(st, i, sizes[i]) == 0) return WL_ENOMEM;
  return WL_OK;
}

uint64_t nb_run(wl_state* st, uint64_t iters) {
  uint64_t h = 0;
  for (uint64_t it = 0; it < iters; ++it) {
    uint64_t r;
    switch (st->kernel) {
      case WL_NUMSORT:
        r = numsort(st, it);
        break;
      case WL_STRSORT:
        r = strsort(st, it);
        break;
      case WL_BITFIELD:
        r = bitfield(st, it);
        break;
      case WL_FPEMU:
        r = fpemu(st, it);
        break;
      case WL_FOURIER:
        r = fourier(st, it);
        break;
      case WL_ASSIGN:
        r = assignment(st, it);
        break;
      case WL_IDEA:
        r = idea(st, it);
        break;
      case WL_HUFFMAN:
        r = huffman(st, it);
        break;
      case WL_NEURAL:
        r = neural(st, it);
        break;
      default:
        r = lu(st, it);
        break;
    }
    if (r == WL_FAILED) return WL_FAILED;
    h = wl_hash(h, r);
  }
  return h;
}
