# What libos/tests/nopie_test.sh runs with Debian's python3 (a non-PIE
# program, ET_EXEC) natively and inside: its output must be the same.
# Computation, the standard library's pure-Python and C modules (json,
# re, hashlib through OpenSSL's libcrypto, struct, collections), files,
# threads, fork, a traceback read from a trusted source file, and an exit
# status of its own.
import _hashlib
import _json
import collections
import hashlib
import json
import os
import re
import struct
import sys
import threading


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def sieve(n):
    flags = bytearray([1]) * (n + 1)
    flags[0:2] = b"\0\0"
    for i in range(2, int(n**0.5) + 1):
        if flags[i]:
            flags[i * i :: i] = bytes(len(flags[i * i :: i]))
    return [i for i, f in enumerate(flags) if f]


print("fib(22) =", fib(22))
primes = sieve(50000)
print("primes below 50000:", len(primes), "last", primes[-1])
words = re.findall(r"[a-z]+", open(sys.argv[1]).read().lower())
print("words:", len(words), "most common:", collections.Counter(words).most_common(3))
doc = {"primes": primes[:10], "nested": {"pi": 3.14159, "s": "t\u00e9st"}, "n": None}
text = json.dumps(doc, sort_keys=True)
print("json:", text, json.loads(text) == doc)
print("sha256:", hashlib.sha256(text.encode()).hexdigest())
print("blake2b:", hashlib.blake2b(b"nestedsgx", digest_size=16).hexdigest())
# The C modules themselves, not a pure-Python fallback: OpenSSL's SHA-256
# and the JSON accelerator.
print("openssl:", _hashlib.openssl_sha256(b"nestedsgx").hexdigest(), _json.encode_basestring_ascii("t\u00e9st"))
print("struct:", struct.pack("<IhQ", 1, -2, 3).hex())
print("bigint:", pow(3, 1000, 10**40), (2**521 - 1) % 1000003)

results = [0] * 4


def work(i):
    results[i] = sum(x * x for x in range(20000 * (i + 1)))


threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("threads:", results)

r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    os.write(w, ("child %d" % fib(15)).encode())
    os._exit(7)
os.close(w)
got = os.read(r, 100).decode()
_, status = os.waitpid(pid, 0)
print("fork:", got, "exit", os.waitstatus_to_exitcode(status))

try:
    json.loads("{not json")
except json.JSONDecodeError as e:
    import traceback

    traceback.print_exc(file=sys.stdout)  # source lines read from trusted files (linecache)
sys.stdout.flush()
sys.exit(3)
