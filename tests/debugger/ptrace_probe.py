#!/usr/bin/env python3
"""ptrace_probe.py PID: what a debugger running as the calling user can do to
process PID (an enclave host): PTRACE_ATTACH, and reading the enclave's code
through /proc/PID/mem at the first executable mapping of an EPC memfd.
Prints one line per attempt ("attach: ok" or "attach: refused (...)",
"read: ok N bytes" or "read: refused (...)"); exit 0 if both succeeded,
1 if both were refused, 2 otherwise (boundary_test.sh)."""
import ctypes
import os
import sys

PTRACE_ATTACH, PTRACE_DETACH = 16, 17
pid = int(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
libc.ptrace.restype = ctypes.c_long

attached = libc.ptrace(PTRACE_ATTACH, pid, None, None) == 0
if attached:
    os.waitpid(pid, 0x40000000)  # __WALL: the attach stop
    print("attach: ok")
else:
    print("attach: refused (%s)" % os.strerror(ctypes.get_errno()))

read = False
try:
    with open("/proc/%d/maps" % pid) as f:
        maps = f.read().splitlines()
    code = [l for l in maps if "memfd:" in l and l.split()[1][2] == "x"]
    if not code:
        print("read: no executable enclave mapping in the maps")
    else:
        start = int(code[0].split("-")[0], 16)
        with open("/proc/%d/mem" % pid, "rb", buffering=0) as mem:
            mem.seek(start)
            data = mem.read(16)
        read = len(data) == 16
        print("read: ok %d bytes at 0x%x" % (len(data), start))
except OSError as e:
    print("read: refused (%s)" % e.strerror)
if attached:
    libc.ptrace(PTRACE_DETACH, pid, None, None)
sys.exit(0 if attached and read else 1 if not attached and not read else 2)
