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
from gdb.unwinder import Unwinder, register_unwinder

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

# nsgx_debug_trts_info v1 (the trusted runtime's, read from the image):
# version, struct_size, td_self, td_entry.
TRTS_INFO_FORMAT = "<IIII"
TRTS_VERSION = 1

# base -> (path, address inside .text) of the enclaves whose symbols gdb has.
_loaded = {}
# base -> (enclave_entry start, end, td_self, td_entry, isolated) of those
# whose trusted runtime says where it keeps the untrusted state of an entry.
_entry_frames = {}
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
    # host_pid, at 80 in writers whose struct_size says they have it.
    host_pid = struct.unpack("<I", bytes(inferior.read_memory(addr + 80, 4)))[0] if size >= 88 else 0
    path = gdb.Value(path_ptr).cast(gdb.lookup_type("char").pointer()).string() if path_ptr else ""
    return dict(next=nxt, path=path, base=base, size=esize, eid=eid, debug=debug, backend=backend,
                vector=vector, error_code=error_code, fault_flags=fault_flags, fault_address=fault_address,
                fault_rip=fault_rip, host_pid=host_pid)


def _elf_facts(path):
    """From the enclave file: the image address of .text (an address inside
    the enclave's symbol file, for remove-symbol-file -a), and the image
    addresses of the symbols the ECALL unwinder needs: enclave_entry
    (start, end) and nsgx_debug_trts (sdk/include/nsgx_debugger.h)."""
    facts = {"text": None, "entry": None, "trts": None, "shift": 0}
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return facts
    # Where the image sits in ELRANGE: its symbols are link-time (from its
    # header), its program headers RVAs — moved up by the user region's
    # size where the signer put the region first (<UserRegionFirst>,
    # docs/sdk-abi.md), else equal. The PT_LOAD holding the header says.
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        if phoff + (i + 1) * phentsize > len(data) or phentsize < 56:
            break
        p_type, _, p_offset, p_vaddr = struct.unpack_from("<IIQQ", data, phoff + i * phentsize)
        if p_type == 1 and p_offset == 0:  # PT_LOAD
            facts["shift"] = p_vaddr
            break
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3a)
    if shoff == 0 or shstrndx >= shnum or shoff + shnum * shentsize > len(data):
        return facts

    def section(i):
        return struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)

    def cstr(off):
        return data[off:data.index(b"\0", off)]

    strtab = section(shstrndx)
    for i in range(shnum):
        s = section(i)
        if cstr(strtab[4] + s[0]) == b".text":
            facts["text"] = s[3]
        if s[1] == 2 and s[9] == 24 and s[6] < shnum:  # SHT_SYMTAB, Elf64_Sym entries
            names = section(s[6])[4]
            for off in range(s[4], min(s[4] + s[5], len(data) - 23), 24):
                st_name, _, _, shndx, value, size = struct.unpack_from("<IBBHQQ", data, off)
                if shndx == 0:
                    continue
                name = cstr(names + st_name)
                if name == b"enclave_entry":
                    facts["entry"] = (value, value + size)
                elif name == b"nsgx_debug_trts":
                    facts["trts"] = value
    return facts


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


# CPUID faulting (the inproc backend's, where the kernel offers it): every
# CPUID the application runs is a SIGSEGV at the instruction, which the
# runtime answers (with SGX shown) and the program never sees. `nsgx gdb`
# says so ($_nsgx_cpuid_faults); SIGSEGV then stops through a catchpoint
# whose condition passes over those, and the signal itself neither stops
# nor prints. The catchpoint is made once the program runs (its first
# shared object), after the user's own breakpoints got their numbers.
_CPUID = b"\x0f\xa2"
_cpuid_catch_done = False


class _NotCpuidFunction(gdb.Function):
    """$_nsgx_not_cpuid(): 0 if the selected thread stands at a CPUID
    instruction, else 1."""

    def __init__(self):
        super().__init__("_nsgx_not_cpuid")

    def invoke(self):
        try:
            pc = int(gdb.selected_frame().pc())
            return 0 if bytes(gdb.selected_inferior().read_memory(pc, 2)) == _CPUID else 1
        except (gdb.error, gdb.MemoryError):
            return 1


def _on_new_objfile(event):
    global _cpuid_catch_done
    if _cpuid_catch_done or gdb.selected_inferior().pid == 0:
        return
    _cpuid_catch_done = True
    if gdb.convenience_variable("_nsgx_cpuid_faults") != 1:
        return
    gdb.execute("handle SIGSEGV nostop noprint pass", to_string=True)
    gdb.execute("catch signal SIGSEGV", to_string=True)
    gdb.execute("condition $bpnum $_nsgx_not_cpuid()", to_string=True)  # the catchpoint just made


def load(info, now=False):
    """Symbols for a debug enclave; True if the program should stop (an
    isolated host to attach once it has; `now`: the program is stopped)."""
    base, path = info["base"], info["path"]
    if base in _loaded or base in _hosts:
        return
    if info["backend"] == BACKEND_ISOLATED:
        if not info["debug"]:
            _say("enclave %s at 0x%x runs in an isolated enclave host and is not a debug enclave: no debugger may "
                 "reach it" % (path, base))
            return
        if now:
            _attach_now(info)
            return False
        return _attach_host(info)
    _set_signals()
    if not info["debug"]:
        _say("enclave %s at 0x%x is not a debug enclave: no symbols loaded" % (path, base))
        return
    if not os.path.isfile(path):
        _say("enclave at 0x%x: file %s not found, no symbols loaded" % (base, path))
        return
    facts = _elf_facts(path)
    image = base + facts["shift"]
    gdb.execute("add-symbol-file '%s' -o 0x%x" % (path, image), to_string=True)
    text = facts["text"]
    _loaded[base] = (path, image + text if text is not None else None)
    _add_entry_frame(base, facts)
    _say("debug enclave %s loaded at 0x%x, symbols added" % (path, base))


# base -> (the enclave host's inferior number, its pid, the application's
# inferior number) for isolated debug enclaves whose host gdb attached.
_hosts = {}


# The isolated debug enclave whose host is attached once the program has
# stopped at its announcement (gdb cannot attach from a breakpoint's stop()).
_pending_attach = []


def _attach_host(info):
    """A debug enclave in an isolated host: the program stops at the
    announcement, and then the host (which is traceable by the enclave's
    owner only, docs/threat-model.md) becomes a second inferior with the
    enclave's symbols."""
    _pending_attach.append(info)
    return True


def _on_stop(event):
    while _pending_attach:
        _attach_now(_pending_attach.pop(0))


def _host_uid(pid):
    try:
        return os.stat("/proc/%d" % pid).st_uid
    except OSError:
        return None


def _attach_now(info):
    base, path, pid = info["base"], info["path"], info["host_pid"]
    if not pid:
        _say("debug enclave %s at 0x%x: the runtime did not say which enclave host runs it" % (path, base))
        return
    if not os.path.isfile(path):
        _say("enclave at 0x%x: file %s not found, not attaching its host" % (base, path))
        return
    _set_signals()
    app = gdb.selected_inferior()
    gdb.execute("set schedule-multiple on", to_string=True)
    # A host of another user's (the system monitor's, user nsgx-monitor)
    # cannot be traced: its debugging stub, which the monitor lends the
    # enclave's owner, is the enclave's inferior instead (gdb's remote
    # protocol through `nsgx gdb --stub`, docs/threat-model.md "Debugging").
    uid = _host_uid(pid)
    stub = uid is not None and uid != os.getuid()
    out = gdb.execute("add-inferior -no-connection" if stub else "add-inferior", to_string=True)
    num = int(out.split("inferior ")[1].split()[0].rstrip("]"))
    try:
        gdb.execute("inferior %d" % num, to_string=True)
        if stub:
            nsgx = os.environ.get("NSGX_GDB_NSGX", "nsgx")
            try:
                gdb.execute("target remote | '%s' gdb --stub %d" % (nsgx, pid), to_string=True)
            except gdb.error as e:
                # No enclave thread is stopped yet (the stub has none at an
                # AEX): gdb connects, then cannot show where the target
                # stands, as the PC is "unavailable". Connected is enough.
                if gdb.selected_inferior().connection is None or "not available" not in str(e):
                    raise
        else:
            gdb.execute("attach %d" % pid, to_string=True)
    except gdb.error as e:
        if stub:
            _say("debug enclave %s at 0x%x: cannot reach the debugging stub of its enclave host %d: %s" % (
                path, base, pid, e))
        else:
            _say("debug enclave %s at 0x%x: cannot attach to its enclave host %d: %s (only the enclave's owner may, "
                 "and only with a monitor of the owner's own: a system monitor's hosts belong to its user "
                 "nsgx-monitor, docs/threat-model.md \"Debugging\")" % (path, base, pid, e))
        gdb.execute("inferior %d" % app.num, to_string=True)
        gdb.execute("remove-inferiors %d" % num, to_string=True)
        return
    facts = _elf_facts(path)
    gdb.execute("add-symbol-file '%s' -o 0x%x" % (path, base + facts["shift"]), to_string=True)
    _add_entry_frame(base, facts, isolated=True)
    _hosts[base] = (num, pid, app.num)
    gdb.execute("inferior %d" % app.num, to_string=True)
    if stub:
        _say("debug enclave %s at 0x%x runs in enclave host %d of a monitor daemon: its debugging stub is "
             "inferior %d, symbols added; stopped, `continue` to go on" % (path, base, pid, num))
    else:
        _say("debug enclave %s at 0x%x runs in enclave host %d: attached as inferior %d, symbols added; "
             "stopped, `continue` to go on" % (path, base, pid, num))
    return True


def unload(info):
    base = info["base"]
    host = _hosts.pop(base, None)
    if host is not None:
        # Before the monitor stops the host: gdb lets it go, and the
        # program goes on without a stop for its end.
        num, pid, _ = host
        _entry_frames.pop(base, None)
        try:
            gdb.execute("detach inferiors %d" % num, to_string=True)
            _say("debug enclave %s at 0x%x unloaded, its enclave host %d detached" % (info["path"], base, pid))
        except gdb.error as e:
            _say("enclave host %d: %s" % (pid, e))
        return
    entry = _loaded.pop(base, None)
    if entry is None:
        return
    path, text = entry
    _entry_frames.pop(base, None)
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


def _add_entry_frame(base, facts, isolated=False):
    """Lets the ECALL unwinder serve this enclave if its trusted runtime
    publishes nsgx_debug_trts (ours does; the SGX SDK's does not)."""
    if facts["entry"] is None or facts["trts"] is None:
        return
    image = base + facts["shift"]
    try:
        raw = bytes(gdb.selected_inferior().read_memory(image + facts["trts"], struct.calcsize(TRTS_INFO_FORMAT)))
    except gdb.MemoryError:
        return
    version, size, td_self, td_entry = struct.unpack(TRTS_INFO_FORMAT, raw)
    if version != TRTS_VERSION or size < struct.calcsize(TRTS_INFO_FORMAT):
        _say("enclave at 0x%x: trusted runtime debug interface version %d is not known to this extension; "
             "backtraces stop at its entry" % (base, version))
        return
    start, end = facts["entry"]
    _entry_frames[base] = (image + start, image + end, td_self, td_entry, isolated)


def _entry_state(frame, td_self, td_entry):
    """(exit_address, ursp, urbp) of the latest entry of the thread whose
    frame this is, from the trusted runtime's thread data (GS base)."""
    inferior = gdb.selected_inferior()
    try:
        td = int(frame.read_register("gs_base"))
        self_ptr, = struct.unpack("<Q", bytes(inferior.read_memory(td + td_self, 8)))
        if self_ptr != td:
            return None  # GS is not (yet) this thread's data
        return struct.unpack("<QQQ", bytes(inferior.read_memory(td + td_entry, 24)))
    except (gdb.error, gdb.MemoryError, ValueError):
        return None


class _FrameId:
    """A frame's identity for create_unwind_info: gdb.Values (gdb 13)."""

    def __init__(self, sp, pc):
        self.sp = sp
        self.pc = pc


class _EcallUnwinder(Unwinder):
    """The caller of a debug enclave's entry frame (enclave_entry) is the
    application frame that made the ECALL. The trusted runtime records, at
    every entry, the address EEXIT returns to and the untrusted RSP/RBP in
    the thread data GS points at (sdk/include/nsgx_debugger.h,
    nsgx_debug_entry_state): those are that frame's registers, and gdb
    unwinds on from them with the application's own unwind information."""

    def __init__(self):
        super().__init__("nsgx-ecall")

    def __call__(self, pending_frame):
        if not _entry_frames:
            return None
        pc = int(pending_frame.read_register("rip"))
        for start, end, td_self, td_entry, isolated in _entry_frames.values():
            if start <= pc < end:
                break
        else:
            return None
        state = _entry_state(pending_frame, td_self, td_entry)
        if state is None:
            return None
        exit_address, ursp, urbp = state
        if isolated:
            # The ECALL's caller is a thread of another process (the
            # application): the backtrace ends here, and nsgx-bt goes on
            # there. A zero return address is gdb's outermost frame.
            exit_address = 0
        rip_type = pending_frame.read_register("rip").type
        info = pending_frame.create_unwind_info(_FrameId(pending_frame.read_register("rsp"),
                                                         gdb.Value(start).cast(rip_type)))
        for name, value in (("rip", exit_address), ("rsp", ursp), ("rbp", urbp)):
            info.add_saved_register(name, gdb.Value(value).cast(pending_frame.read_register(name).type))
        return info


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
            # Stop once when an enclave host was attached: gdb reports the
            # attach as a stop, so the program stops here, with every
            # inferior stopped, and `continue` goes on.
            return load(info)
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
            load(info, now=True)
            addr = info["next"]
            seen += 1


# The untrusted runtime's functions an ECALL waits in (sgx_urts.h, sgx_urts_ex.h).
_ECALL_FUNCTIONS = ("sgx_ecall", "sgx_ecall_switchless", "nsgx_ecall_ex", "nsgx_ecall_switchless_ex")


def _in_ecall(frame):
    while frame is not None:
        if frame.name() in _ECALL_FUNCTIONS:
            return True
        frame = frame.older()
    return False


class _BtCommand(gdb.Command):
    """Backtrace across the ECALL, also on the isolated backend: the
selected thread's frames, and if it runs an isolated debug enclave (in an
enclave host, inferior 2...), then the frames of the application thread
waiting for that ECALL in the application's inferior. The enclave host
and the application are two processes, so gdb cannot unwind from one into
the other: this prints the two backtraces one after the other. The
application thread is the one inside sgx_ecall (or another ECALL entry of
the runtime); with several such threads, each is listed. On inproc the
ordinary `bt` already crosses the ECALL, and this is the same."""

    def __init__(self):
        super().__init__("nsgx-bt", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        gdb.execute("backtrace " + arg)
        thread = gdb.selected_thread()
        if thread is None:
            return
        app_num = None
        for num, _, app in _hosts.values():
            if num == thread.inferior.num:
                app_num = app
        if app_num is None:
            return
        app = [i for i in gdb.inferiors() if i.num == app_num]
        callers = []
        try:
            for t in (app[0].threads() if app else ()):
                t.switch()
                if _in_ecall(gdb.newest_frame()):
                    callers.append(t)
            if not callers:
                gdb.write("nsgx: no thread of the application (inferior %d) is in an ECALL\n" % app_num)
            for t in callers:
                t.switch()
                gdb.write("--- %s ECALL, in the application: thread %d.%d (inferior %d)\n"
                          % ("the" if len(callers) == 1 else "one of %d threads in an" % len(callers), app_num,
                             t.num, app_num))
                gdb.execute("backtrace " + arg)
        finally:
            thread.switch()


gdb.execute("set breakpoint pending on", to_string=True)
gdb.events.stop.connect(_on_stop)
gdb.events.new_objfile.connect(_on_new_objfile)
_NotCpuidFunction()
_EventBreakpoint()
_EnclavesCommand()
_BtCommand()
register_unwinder(None, _EcallUnwinder(), replace=True)
