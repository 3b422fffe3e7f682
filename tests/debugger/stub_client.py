#!/usr/bin/env python3
"""A hostile client of a debug enclave's debugging stub (tests/debugger/
stub_test.sh), through `nsgx gdb --stub PID` as the enclave's owner: bad
checksums, oversized and malformed packets, memory outside ELRANGE, register
writes of a running thread, commands no stub of ours offers. Each must get
an error (or the empty "unsupported" reply), and the stub must still answer
a valid request afterwards.

    stub_client.py NSGX HOST_PID
Prints "ok ..." or "FAIL ..." per check; exit 1 if any failed."""
import os
import select
import subprocess
import sys
import time

nsgx, pid = sys.argv[1], sys.argv[2]
proc = subprocess.Popen([nsgx, "gdb", "--stub", pid], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
fails = 0
pending = b""


def check(what, cond):
    global fails
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        fails += 1


def write(data):
    proc.stdin.write(data)
    proc.stdin.flush()


def framed(payload):
    return b"$" + payload + b"#%02x" % (sum(payload) & 0xff)


def read_until(pred, timeout=10):
    global pending
    end = time.time() + timeout
    while not pred(pending) and time.time() < end:
        r, _, _ = select.select([proc.stdout], [], [], 0.2)
        if r:
            d = os.read(proc.stdout.fileno(), 65536)
            if not d:
                break
            pending += d


def next_packet(timeout=10):
    """The next $...#cs packet (skipping acknowledgements), or None."""
    global pending

    def has_packet(b):
        i = b.find(b"$")
        return i >= 0 and b.find(b"#", i) >= 0 and len(b) >= b.find(b"#", i) + 3

    read_until(has_packet, timeout)
    if not has_packet(pending):
        return None
    i = pending.find(b"$")
    j = pending.find(b"#", i)
    payload = pending[i + 1:j]
    pending = pending[j + 3:]
    return payload


def ask(payload):
    write(framed(payload))
    return next_packet()


def nak_for(raw):
    """Sends raw bytes; the stub's answer must be a '-' (ask again)."""
    global pending
    pending = b""
    write(raw)
    read_until(lambda b: b"-" in b or b"$" in b, 5)
    got = pending
    pending = b""
    return got.startswith(b"-")


# A valid start: what any gdb asks first.
sup = ask(b"qSupported:multiprocess+;xmlRegisters=i386")
check("qSupported answered, packets bounded (PacketSize=1000, hex)", sup is not None and b"PacketSize=1000" in sup)
check("QNonStop:1 accepted", ask(b"QNonStop:1") == b"OK")
regs = ask(b"g")
check("'g' of a thread outside the enclave: its entry RIP, the rest unavailable",
      regs is not None and len(regs) == 1120 and regs[:16] == b"x" * 16 and b"x" not in regs[256:272])
rip = int.from_bytes(bytes.fromhex(regs[256:272].decode()), "little") if regs else 0
code = rip & ~0xfff
got = ask(b"m%x,10" % rip)
check("a read at the entry point (enclave code) works: 16 bytes", got is not None and len(got) == 32)

# Framing attacks.
check("a bad checksum is refused ('-')", nak_for(b"$m0,10#00"))
check("a checksum that is not hex is refused ('-')", nak_for(b"$g#zz"))
check("an oversized packet (5000 bytes) is refused whole ('-')", nak_for(framed(b"m" + b"1" * 5000)))
pending = b""

# Memory outside ELRANGE, or beyond the bounds.
check("read at 0 (outside ELRANGE): E14", ask(b"m0,10") == b"E14")
check("read below ELRANGE (the enclave base - 1 MiB): E14", ask(b"m%x,10" % (code - 0x100000)) == b"E14")
check("read of the last bytes of the address space (wrap-around): E14", ask(b"mffffffffffffff00,100") == b"E14")
check("read longer than a packet holds: E01", ask(b"m%x,100000" % code) == b"E01")
check("read with a 17-digit address: E01", ask(b"m10000000000000000,10") == b"E01")
check("read with no length: E01", ask(b"m%x" % code) == b"E01")
check("write at 0 (outside ELRANGE): E14", ask(b"M0,2:cccc") == b"E14")
check("write whose data is shorter than its length: E01", ask(b"M%x,4:cc" % code) == b"E01")
check("write with bad hex: E01", ask(b"M%x,1:zz" % code) == b"E01")
check("write wrapping around the address space: E14", ask(b"Mffffffffffffffff,2:cccc") == b"E14")

# Registers and threads.
check("register write on a thread not stopped at an AEX: E01", ask(b"P10=0000000000000000") == b"E01")
check("'G' on a thread not stopped at an AEX: E01", ask(b"G" + b"00" * 560) == b"E01")
check("register number out of range: E01", ask(b"p1000") == b"E01")
check("thread that does not exist: E01", ask(b"Hg99") == b"E01")
check("vCont with an unknown action: E01", ask(b"vCont;z") == b"E01")
check("vCont naming a thread that does not exist: E01", ask(b"vCont;c:99") == b"E01")
check("target description read at an absurd offset: empty last part",
      ask(b"qXfer:features:read:target.xml:ffffffff,10") == b"l")

# What a general gdbserver would offer, and this stub never does.
for what, pkt in (("vFile:open (a file as nsgx-monitor)", b"vFile:open:2f6574632f736861646f77,0,0"),
                  ("vRun (a program as nsgx-monitor)", b"vRun;2f62696e2f7368"),
                  ("qRcmd (a monitor command)", b"qRcmd,6964"),
                  ("vAttach (another process)", b"vAttach;1"),
                  ("Z0 (breakpoints go through M, in the private code copy)", b"Z0,%x,1" % rip)):
    check("not offered: " + what + " -> empty reply", ask(pkt) == b"")

# Noise: random bytes, then a valid request is still answered.
write(os.urandom(200000).replace(b"$", b"?"))
time.sleep(0.5)
pending = b""
again = ask(b"m%x,10" % rip)
check("after 200 KB of noise the stub still answers a valid read", again == got)

ask(b"D")
proc.stdin.close()
proc.wait(timeout=10)
sys.exit(1 if fails else 0)
