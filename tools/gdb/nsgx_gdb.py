# nestedsgx's gdb extension: enclave symbols at the enclave's base, and the
# crashes of debug enclaves explained. Loaded by `nsgx gdb` (gdb -x), or by
# hand with `source PREFIX/share/nestedsgx/gdb/nsgx_gdb.py`.
#
# The untrusted runtime announces every enclave it creates or destroys by
# calling nsgx_debug_enclave_event(event, info) (sdk/include/nsgx_debugger.h,
# docs/sdk-abi.md "Debugger interface"); a breakpoint there reads the
# versioned nsgx_debug_enclave_info at its documented offsets and loads or
# unloads the enclave file's symbols. Only debug enclaves (SECS.ATTRIBUTES.
# DEBUG) are given symbols, as only they can be debugged on SGX.
import os
import struct

import gdb

EVENT_LOAD, EVENT_UNLOAD, EVENT_CRASH = 1, 2, 3
BACKEND_IN_PROCESS, BACKEND_ISOLATED = 0, 1
FAULT_VALID, FAULT_HAS_RIP = 1, 2
INFO_VERSION = 1
# nsgx_debug_enclave_info v1: version, struct_size, next, path, base, size,
# enclave_id, debug, backend, vector, error_code, fault_flags,
# fault_address, fault_rip (80 bytes, offsets asserted in the header).
INFO_FORMAT = "<IIQQQQQIIHHIQQ"
INFO_SIZE = struct.calcsize(INFO_FORMAT)
assert INFO_SIZE == 80

VECTORS = {0: "#DE", 1: "#DB", 3: "#BP", 5: "#BR", 6: "#UD", 13: "#GP", 14: "#PF", 16: "#MF", 17: "#AC",
           19: "#XM"}

# base -> (path, address inside .text) of the enclaves whose symbols gdb has.
_loaded = {}
_signals_set = False


def _say(msg):
    gdb.write("nsgx: %s\n" % msg)


def _read_info(addr):
    inferior = gdb.selected_inferior()
    head = bytes(inferior.read_memory(addr, 8))
    version, size = struct.unpack("<II", head)
    if version != INFO_VERSION or size < INFO_SIZE:
        raise gdb.GdbError("nsgx: debugger interface version %d (size %d) is not known to this extension"
                           % (version, size))
    fields = struct.unpack(INFO_FORMAT, bytes(inferior.read_memory(addr, INFO_SIZE)))
    (_, _, nxt, path_ptr, base, esize, eid, debug, backend, vector, error_code, fault_flags, fault_address,
     fault_rip) = fields
    path = gdb.Value(path_ptr).cast(gdb.lookup_type("char").pointer()).string() if path_ptr else ""
    return dict(next=nxt, path=path, base=base, size=esize, eid=eid, debug=debug, backend=backend,
                vector=vector, error_code=error_code, fault_flags=fault_flags, fault_address=fault_address,
                fault_rip=fault_rip)


def _text_offset(path):
    """The file offset-relative address of .text (an address inside the
    enclave's symbol file, for remove-symbol-file -a)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return None
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3a)
    if shoff == 0 or shstrndx >= shnum:
        return None
    def section(i):
        return struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
    strtab = section(shstrndx)
    for i in range(shnum):
        s = section(i)
        name_off = strtab[4] + s[0]
        name = data[name_off:data.index(b"\0", name_off)]
        if name == b".text":
            return s[3]
    return None


def _set_signals():
    # On the in-process backend every ENCLU inside the enclave is a trapped
    # #UD (SIGILL) that the runtime emulates, and threads are kicked out of
    # enclaves with SIGRTMAX-2 (docs/inproc.md): both are the runtime's,
    # not the program's faults. SIGSEGV still stops: it is where an enclave
    # page fault shows, at the faulting line.
    global _signals_set
    if _signals_set:
        return
    _signals_set = True
    gdb.execute("handle SIGILL nostop noprint pass", to_string=True)
    gdb.execute("handle SIG62 nostop noprint pass", to_string=True)


def load(info):
    base, path = info["base"], info["path"]
    if base in _loaded:
        return
    if info["backend"] == BACKEND_ISOLATED:
        _say("enclave %s at 0x%x runs in an isolated enclave host, which no debugger may reach; run the program "
             "with `nsgx gdb` (the in-process backend) to debug it" % (path, base))
        return
    _set_signals()
    if not info["debug"]:
        _say("enclave %s at 0x%x is not a debug enclave: no symbols loaded" % (path, base))
        return
    if not os.path.isfile(path):
        _say("enclave at 0x%x: file %s not found, no symbols loaded" % (base, path))
        return
    gdb.execute("add-symbol-file '%s' -o 0x%x" % (path, base), to_string=True)
    text = _text_offset(path)
    _loaded[base] = (path, base + text if text is not None else None)
    _say("debug enclave %s loaded at 0x%x, symbols added" % (path, base))


def unload(info):
    base = info["base"]
    entry = _loaded.pop(base, None)
    if entry is None:
        return
    path, text = entry
    if text is not None:
        gdb.execute("remove-symbol-file -a 0x%x" % text, to_string=True)
    _say("debug enclave %s at 0x%x unloaded, symbols removed" % (path, base))


def where(addr):
    """'function at file:line' for an address, or '' without symbols."""
    sal = gdb.find_pc_line(addr)
    func = ""
    try:
        block = gdb.block_for_pc(addr)
        while block is not None and block.function is None:
            block = block.superblock
        if block is not None:
            func = block.function.print_name
    except RuntimeError:
        pass
    if sal.symtab is not None and sal.line:
        return "%s at %s:%d" % (func or "??", sal.symtab.filename, sal.line)
    return func


def crash(info):
    base = info["base"]
    msg = "debug enclave %s at 0x%x crashed" % (info["path"], base)
    if info["fault_flags"] & FAULT_VALID:
        v = info["vector"]
        msg += ": %s (vector %d), error code 0x%x, address 0x%x" % (VECTORS.get(v, "exception"), v,
                                                                    info["error_code"], info["fault_address"])
        if info["fault_flags"] & FAULT_HAS_RIP:
            rip = info["fault_rip"]
            msg += ", rip = base + 0x%x (0x%x)" % (rip, base + rip)
            w = where(base + rip) if base in _loaded else ""
            if w:
                msg += " in " + w
    else:
        msg += " (no exception reported)"
    _say(msg)


class _EventBreakpoint(gdb.Breakpoint):
    def __init__(self):
        super().__init__("nsgx_debug_enclave_event", internal=True)
        self.silent = True

    def stop(self):
        frame = gdb.selected_frame()
        event = int(frame.read_register("rdi")) & 0xffffffff
        try:
            info = _read_info(int(frame.read_register("rsi")))
        except gdb.error as e:
            _say("cannot read the enclave's debug information: %s" % e)
            return False
        if event == EVENT_LOAD:
            load(info)
        elif event == EVENT_UNLOAD:
            unload(info)
        elif event == EVENT_CRASH:
            crash(info)
            return True  # stop: the program is about to learn SGX_ERROR_ENCLAVE_CRASHED
        return False


class _EnclavesCommand(gdb.Command):
    """List the enclaves of the program (nsgx_debug_enclave_list) and load
the symbols of debug enclaves gdb does not have yet (after `attach`)."""

    def __init__(self):
        super().__init__("nsgx-enclaves", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        try:
            addr = int(gdb.parse_and_eval("(unsigned long)nsgx_debug_enclave_list"))
        except gdb.error:
            _say("no nestedsgx runtime in this program")
            return
        seen = 0
        while addr and seen < 4096:
            info = _read_info(addr)
            gdb.write("enclave %d: %s at 0x%x, size 0x%x, %s, %s\n" % (
                info["eid"], info["path"], info["base"], info["size"], "debug" if info["debug"] else "not debug",
                "isolated host" if info["backend"] == BACKEND_ISOLATED else "in process"))
            load(info)
            addr = info["next"]
            seen += 1


gdb.execute("set breakpoint pending on", to_string=True)
_EventBreakpoint()
_EnclavesCommand()
