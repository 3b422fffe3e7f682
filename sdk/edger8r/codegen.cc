#include "sdk/edger8r/codegen.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace nsgx::edl {
namespace {

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool is_number(const std::string& s) { return !s.empty() && std::isdigit(static_cast<unsigned char>(s[0])); }

std::string dims_str(const std::vector<std::uint64_t>& dims) {
  std::string s;
  for (auto d : dims) s += "[" + std::to_string(d) + "]";
  return s;
}

std::uint64_t dims_product(const std::vector<std::uint64_t>& dims) {
  std::uint64_t n = 1;
  for (auto d : dims) n *= d;
  return n;
}

// A declaration: "T name[dims]".
std::string decl(const Type& t, const std::string& name, const std::vector<std::uint64_t>& dims = {}) {
  return t.str() + " " + name + dims_str(dims);
}

std::string param_list(const Function& f) {
  std::string s;
  for (const auto& p : f.params) s += (s.empty() ? "" : ", ") + decl(p.type, p.name, p.dims);
  return s.empty() ? "void" : s;
}

bool has_ms(const Function& f) { return !f.ret.is_void() || !f.params.empty() || f.propagate_errno; }

bool is_string(const Param& p) { return p.attrs.string || p.attrs.wstring; }

// The marshalling struct's field type for `p`: arrays travel as a pointer
// to their element, an `isary` typedef as a pointer to it.
std::string ms_type(const Param& p) {
  if (p.is_array()) return p.type.str() + "*";
  if (p.attrs.isary) return p.type.str() + "*";
  return p.type.str();
}

// The type of the bridge's private copy: the same, without const.
std::string copy_type(const Param& p) {
  Type t = p.type;
  t.is_const = false;
  if (p.is_array() || p.attrs.isary) return t.str() + "*";
  return t.str();
}

bool copies(const Param& p) { return p.is_buffer(); }

// A switchless call that passes pointers its bridges do not copy reaches
// application memory directly; the runtimes send it the ordinary way where
// enclave threads see that memory only at transitions (docs/sdk-abi.md).
bool passes_app_memory(const Function& f) {
  return std::any_of(f.params.begin(), f.params.end(), [](const Param& p) { return p.attrs.user_check; });
}

// The trusted runtime's OCALL for `f`: sgx_ocall, or for a
// transition_using_threads OCALL the switchless one.
std::string ocall_call(const Function& f, std::size_t index, const std::string& ms) {
  if (!f.switchless) return "sgx_ocall(" + std::to_string(index) + ", " + ms + ")";
  if (passes_app_memory(f)) return "nsgx_ocall_switchless_ex(" + std::to_string(index) + ", " + ms + ", 1)";
  return "sgx_ocall_switchless(" + std::to_string(index) + ", " + ms + ")";
}

// Element-size check applies to typed, non-string buffers of known types.
bool typed_elements(const Param& p) {
  if (is_string(p) || p.attrs.isary || p.attrs.isptr) return false;
  if (p.is_array()) return false;
  const Type e = p.type.pointee();
  return !(e.base == "void" && e.pointers == 0) && !(e.foreign && e.pointers == 0);
}

// How many bytes a buffer parameter covers. `val(name)` reads an integer
// parameter; `ptr` is the expression of the pointer itself.
template <typename Val>
std::string length_expr(const Param& p, const std::string& ptr, Val val, bool from_ms_len) {
  const PtrAttrs& a = p.attrs;
  auto ref = [&](const std::string& s) { return is_number(s) ? s : "(size_t)" + val(s); };
  if (a.string) return from_ms_len ? val(p.name + "_len") : "(" + ptr + " ? strlen(" + ptr + ") + 1 : 0)";
  if (a.wstring)
    return from_ms_len ? val(p.name + "_len") : "(" + ptr + " ? (wcslen(" + ptr + ") + 1) * sizeof(wchar_t) : 0)";
  if (p.is_array()) return std::to_string(dims_product(p.dims)) + " * sizeof(*" + ptr + ")";
  if (a.isary) return "sizeof(" + p.type.str() + ")";
  std::string elem = "sizeof(*" + ptr + ")";
  if (a.count && a.size) return ref(*a.count) + " * " + ref(*a.size);
  if (a.count) return ref(*a.count) + " * " + elem;
  if (a.size) return ref(*a.size);
  return elem;
}

// `count` times the element size must not wrap (the SDK's check).
template <typename Val>
std::string overflow_check(const Param& p, const std::string& ptr, Val val) {
  if (!p.attrs.count || is_number(*p.attrs.count)) return "";
  const std::string sz = p.attrs.size ? (is_number(*p.attrs.size) ? *p.attrs.size : "(size_t)" + val(*p.attrs.size))
                                      : "sizeof(*" + ptr + ")";
  return "\tif (" + sz + " != 0 && (size_t)" + val(*p.attrs.count) + " > SIZE_MAX / " + sz +
         ") return SGX_ERROR_INVALID_PARAMETER;\n";
}

std::string array_arg(const Param& p, const std::string& expr) {
  if (p.dims.size() <= 1) return expr;
  std::vector<std::uint64_t> inner(p.dims.begin() + 1, p.dims.end());
  return "(" + p.type.str() + " (*)" + dims_str(inner) + ")" + expr;
}

std::string ms_struct(const Function& f) {
  if (!has_ms(f)) return "";
  std::ostringstream o;
  o << "typedef struct ms_" << f.name << "_t {\n";
  if (!f.ret.is_void()) o << "\t" << f.ret.str() << " ms_retval;\n";
  if (f.propagate_errno) o << "\tint ocall_errno;\n";
  for (const auto& p : f.params) {
    o << "\t" << ms_type(p) << " ms_" << p.name << ";\n";
    if (f.trusted && is_string(p)) o << "\tsize_t ms_" << p.name << "_len;\n";
  }
  o << "} ms_" << f.name << "_t;\n\n";
  return o.str();
}

std::string user_types(const Enclave& e) {
  std::ostringstream o;
  for (const auto& t : e.types) {
    if (t.kind == UserType::Kind::kEnum) {
      if (!t.name.empty())
        o << "#ifndef _" << t.name << "\n#define _" << t.name << "\ntypedef enum " << t.name << " {\n";
      else
        o << "enum {\n";
      for (std::size_t i = 0; i < t.enumerators.size(); ++i) {
        const auto& en = t.enumerators[i];
        o << "\t" << en.name << (en.value ? " = " + *en.value : "") << (i + 1 < t.enumerators.size() ? "," : "")
          << "\n";
      }
      if (!t.name.empty())
        o << "} " << t.name << ";\n#endif\n\n";
      else
        o << "};\n\n";
      continue;
    }
    const char* kw = t.kind == UserType::Kind::kStruct ? "struct" : "union";
    o << "#ifndef _" << t.name << "\n#define _" << t.name << "\ntypedef " << kw << " " << t.name << " {\n";
    for (const auto& m : t.members) o << "\t" << decl(m.type, m.name, m.dims) << ";\n";
    o << "} " << t.name << ";\n#endif\n\n";
  }
  return o.str();
}

std::string preamble(const std::string& guard, const std::vector<std::string>& includes, bool untrusted) {
  std::ostringstream o;
  o << "#ifndef " << guard << "\n#define " << guard << "\n\n"
    << "/* Generated by nsgx-edger8r. Do not edit. */\n\n"
    << "#include <stdint.h>\n#include <wchar.h>\n#include <stddef.h>\n";
  if (untrusted) o << "#include <string.h>\n";
  o << "#include \"sgx_edger8r.h\"\n\n";
  for (const auto& i : includes) o << "#include \"" << i << "\"\n";
  o << "\n#include <stdlib.h> /* for size_t */\n\n"
    << "#define SGX_CAST(type, item) ((type)(item))\n\n"
    << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  return o.str();
}

const char* kPostamble = "#ifdef __cplusplus\n}\n#endif /* __cplusplus */\n\n#endif\n";

std::string conv_name(CallConv c) {
  switch (c) {
    case CallConv::kCdecl:
      return "SGX_CDECL";
    case CallConv::kStdcall:
      return "SGX_STDCALL";
    case CallConv::kFastcall:
      return "SGX_FASTCALL";
    default:
      return "SGX_NOCONVENTION";
  }
}

std::string ocall_proxy_proto(const Function& f) {
  std::string s;
  if (!f.ret.is_void()) s = f.ret.str() + "* retval";
  for (const auto& p : f.params) s += (s.empty() ? "" : ", ") + decl(p.type, p.name, p.dims);
  return "sgx_status_t SGX_CDECL " + f.name + "(" + (s.empty() ? "void" : s) + ")";
}

std::string ecall_proxy_proto(const Enclave& e, const Function& f, const CodegenOptions& o) {
  std::string s = "sgx_enclave_id_t eid";
  if (!f.ret.is_void()) s += ", " + f.ret.str() + "* retval";
  for (const auto& p : f.params) s += ", " + decl(p.type, p.name, p.dims);
  return "sgx_status_t " + (o.use_prefix ? e.name + "_" : std::string()) + f.name + "(" + s + ")";
}

// ------------------------------------------------------------ trusted

std::string trusted_header(const Enclave& e) {
  std::ostringstream o;
  o << preamble(upper(e.name) + "_T_H__", e.trusted_includes, false) << user_types(e);
  for (const auto& f : e.ecalls) o << f.ret.str() << " " << f.name << "(" << param_list(f) << ");\n";
  o << "\n";
  for (const auto& f : e.ocalls) o << ocall_proxy_proto(f) << ";\n";
  o << "\n" << kPostamble;
  return o.str();
}

std::string ecall_bridge(const Function& f) {
  std::ostringstream o;
  o << "static sgx_status_t SGX_CDECL sgx_" << f.name << "(void* pms)\n{\n";
  if (!has_ms(f)) {
    o << "\tsgx_status_t status = SGX_SUCCESS;\n"
      << "\tif (pms != NULL) return SGX_ERROR_INVALID_PARAMETER;\n"
      << "\t" << f.name << "();\n\treturn status;\n}\n\n";
    return o.str();
  }
  const std::string ms_t = "ms_" + f.name + "_t";
  auto val = [](const std::string& n) { return "__in_ms.ms_" + n; };
  o << "\tCHECK_REF_POINTER(pms, sizeof(" << ms_t << "));\n"
    << "\t/* Stop speculation past the check (the SDK's sgx_lfence). */\n\tsgx_lfence();\n"
    << "\t" << ms_t << "* ms = SGX_CAST(" << ms_t << "*, pms);\n"
    << "\t/* One fetch of the untrusted struct: later reads cannot see another value. */\n"
    << "\t" << ms_t << " __in_ms;\n\tmemcpy(&__in_ms, ms, sizeof(" << ms_t << "));\n"
    << "\tsgx_status_t status = SGX_SUCCESS;\n";
  for (const auto& p : f.params) {
    if (!copies(p) && !p.attrs.user_check) continue;
    o << "\t" << ms_type(p) << " _tmp_" << p.name << " = __in_ms.ms_" << p.name << ";\n";
    if (!copies(p)) continue;
    o << "\tsize_t _len_" << p.name << " = " << length_expr(p, "_tmp_" + p.name, val, true) << ";\n"
      << "\t" << copy_type(p) << " _in_" << p.name << " = NULL;\n";
  }
  if (!f.ret.is_void()) o << "\t" << f.ret.str() << " _in_retval;\n";
  o << "\n";
  for (const auto& p : f.params)
    if (copies(p)) o << overflow_check(p, "_tmp_" + p.name, val);
  for (const auto& p : f.params)
    if (copies(p)) o << "\tCHECK_UNIQUE_POINTER(_tmp_" << p.name << ", _len_" << p.name << ");\n";
  o << "\tsgx_lfence();\n\n";
  for (const auto& p : f.params) {
    if (!copies(p)) continue;
    const std::string tmp = "_tmp_" + p.name, len = "_len_" + p.name, in = "_in_" + p.name;
    o << "\tif (" << tmp << " != NULL && " << len << " != 0) {\n";
    if (p.attrs.wstring)
      o << "\t\tif (" << len
        << " % sizeof(wchar_t) != 0) {\n\t\t\tstatus = SGX_ERROR_UNEXPECTED;\n\t\t\tgoto err;\n\t\t}\n";
    else if (typed_elements(p))
      o << "\t\tif (" << len << " % sizeof(*" << tmp
        << ") != 0) {\n\t\t\tstatus = SGX_ERROR_INVALID_PARAMETER;\n\t\t\tgoto err;\n\t\t}\n";
    o << "\t\t" << in << " = (" << copy_type(p) << ")malloc(" << len << ");\n"
      << "\t\tif (" << in << " == NULL) {\n\t\t\tstatus = SGX_ERROR_OUT_OF_MEMORY;\n\t\t\tgoto err;\n\t\t}\n";
    if (p.attrs.in) {
      o << "\t\tmemcpy((void*)" << in << ", (const void*)" << tmp << ", " << len << ");\n";
      if (p.attrs.string)
        o << "\t\t" << in << "[" << len << " - 1] = '\\0';\n\t\tif (" << len << " != strlen(" << in
          << ") + 1) {\n\t\t\tstatus = SGX_ERROR_UNEXPECTED;\n\t\t\tgoto err;\n\t\t}\n";
      if (p.attrs.wstring)
        o << "\t\t" << in << "[(" << len << " - sizeof(wchar_t)) / sizeof(wchar_t)] = (wchar_t)0;\n\t\tif (" << len
          << " != (wcslen(" << in
          << ") + 1) * sizeof(wchar_t)) {\n\t\t\tstatus = SGX_ERROR_UNEXPECTED;\n\t\t\tgoto err;\n\t\t}\n";
    } else {
      o << "\t\tmemset((void*)" << in << ", 0, " << len << ");\n";
    }
    o << "\t}\n";
  }
  std::string args;
  for (const auto& p : f.params) {
    std::string a;
    if (copies(p)) {
      const std::string in = "_in_" + p.name;
      if (p.attrs.isary)
        a = "(" + in + " != NULL) ? (*" + in + ") : NULL";
      else if (p.is_array())
        a = array_arg(p, in);
      else if (p.type.is_const)
        a = "(" + p.type.str() + ")" + in;
      else
        a = in;
    } else if (p.attrs.user_check) {
      a = p.attrs.isary  ? "(_tmp_" + p.name + " != NULL) ? (*_tmp_" + p.name + ") : NULL"
          : p.is_array() ? array_arg(p, "_tmp_" + p.name)
                         : "_tmp_" + p.name;
    } else {
      a = "__in_ms.ms_" + p.name;
    }
    args += (args.empty() ? "" : ", ") + a;
  }
  o << "\n\t" << (f.ret.is_void() ? "" : "_in_retval = ") << f.name << "(" << args << ");\n";
  if (!f.ret.is_void()) o << "\tmemcpy(&ms->ms_retval, &_in_retval, sizeof(_in_retval));\n";
  for (const auto& p : f.params) {
    if (!copies(p) || !p.attrs.out) continue;
    const std::string tmp = "_tmp_" + p.name, len = "_len_" + p.name, in = "_in_" + p.name;
    o << "\tif (" << in << ") {\n";
    if (p.attrs.string)
      o << "\t\t" << in << "[" << len << " - 1] = '\\0';\n\t\t" << len << " = strlen(" << in << ") + 1;\n";
    if (p.attrs.wstring)
      o << "\t\t" << in << "[(" << len << " - sizeof(wchar_t)) / sizeof(wchar_t)] = (wchar_t)0;\n\t\t" << len
        << " = (wcslen(" << in << ") + 1) * sizeof(wchar_t);\n";
    o << "\t\tmemcpy((void*)" << tmp << ", (const void*)" << in << ", " << len << ");\n\t}\n";
  }
  bool any = false;
  for (const auto& p : f.params) any = any || copies(p);
  if (any) {
    o << "\nerr:\n";
    for (const auto& p : f.params)
      if (copies(p)) o << "\tif (_in_" << p.name << ") free((void*)_in_" << p.name << ");\n";
  }
  o << "\treturn status;\n}\n\n";
  return o.str();
}

std::string ocall_proxy(const Function& f, std::size_t index) {
  std::ostringstream o;
  o << ocall_proxy_proto(f) << "\n{\n\tsgx_status_t status = SGX_SUCCESS;\n";
  if (!has_ms(f)) {
    o << "\tstatus = " << ocall_call(f, index, "NULL") << ";\n\treturn status;\n}\n\n";
    return o.str();
  }
  const std::string ms_t = "ms_" + f.name + "_t";
  auto val = [](const std::string& n) { return n; };
  for (const auto& p : f.params)
    if (copies(p)) o << "\tsize_t _len_" << p.name << " = " << length_expr(p, p.name, val, false) << ";\n";
  o << "\n\t" << ms_t << "* ms = NULL;\n\tsize_t ocalloc_size = sizeof(" << ms_t << ");\n\tvoid *__tmp = NULL;\n";
  for (const auto& p : f.params)
    if (copies(p) && p.attrs.out) o << "\tvoid *__tmp_" << p.name << " = NULL;\n";
  o << "\n";
  for (const auto& p : f.params)
    if (copies(p)) o << overflow_check(p, p.name, val);
  for (const auto& p : f.params) {
    if (!copies(p)) continue;
    o << "\tCHECK_ENCLAVE_POINTER(" << p.name << ", _len_" << p.name << ");\n";
  }
  // Each buffer starts 8-byte aligned in the untrusted frame (its length
  // rounded up): the untrusted side reads and writes [out] structs and
  // integers in place, which must be aligned for their type (C11 6.3.2.3;
  // UBSan's misaligned-store report in the POSIX layer's stat OCALL after a
  // path string).
  for (const auto& p : f.params) {
    if (!copies(p)) continue;
    o << "\tif (ADD_ASSIGN_OVERFLOW(ocalloc_size, (" << p.name << " != NULL) ? _len_" << p.name
      << " : 0))\n\t\treturn SGX_ERROR_INVALID_PARAMETER;\n"
      << "\tif (ADD_ASSIGN_OVERFLOW(ocalloc_size, (" << p.name << " != NULL) ? (8 - _len_" << p.name
      << " % 8) % 8 : 0))\n\t\treturn SGX_ERROR_INVALID_PARAMETER;\n";
  }
  o << "\n\t__tmp = sgx_ocalloc(ocalloc_size);\n\tif (__tmp == NULL) {\n\t\tsgx_ocfree();\n\t\treturn "
       "SGX_ERROR_UNEXPECTED;\n\t}\n"
    << "\tms = (" << ms_t << "*)__tmp;\n\t__tmp = (void *)((size_t)__tmp + sizeof(" << ms_t << "));\n\n";
  for (const auto& p : f.params) {
    if (!copies(p)) {
      if (p.is_array())
        o << "\tms->ms_" << p.name << " = (" << ms_type(p) << ")" << p.name << ";\n";
      else if (p.attrs.isary)
        o << "\tms->ms_" << p.name << " = (" << ms_type(p) << ")&" << p.name << "[0];\n";
      else
        o << "\tms->ms_" << p.name << " = " << p.name << ";\n";
      continue;
    }
    const std::string len = "_len_" + p.name;
    o << "\tif (" << p.name << " != NULL) {\n"
      << "\t\tms->ms_" << p.name << " = (" << ms_type(p) << ")__tmp;\n";
    if (p.attrs.out) o << "\t\t__tmp_" << p.name << " = __tmp;\n";
    if (typed_elements(p))
      o << "\t\tif (" << len << " % sizeof(*" << p.name
        << ") != 0) {\n\t\t\tsgx_ocfree();\n\t\t\treturn SGX_ERROR_INVALID_PARAMETER;\n\t\t}\n";
    if (p.attrs.in)
      o << "\t\tmemcpy(__tmp, (const void*)" << p.name << ", " << len << ");\n";
    else
      o << "\t\tmemset(__tmp, 0, " << len << ");\n";
    o << "\t\t__tmp = (void *)((size_t)__tmp + " << len << " + (8 - " << len << " % 8) % 8);\n"
      << "\t} else {\n\t\tms->ms_" << p.name << " = NULL;\n\t}\n";
  }
  o << "\n\tstatus = " << ocall_call(f, index, "ms") << ";\n\n\tif (status == SGX_SUCCESS) {\n";
  if (!f.ret.is_void()) o << "\t\tif (retval) memcpy((void*)retval, (const void*)&ms->ms_retval, sizeof(*retval));\n";
  for (const auto& p : f.params) {
    if (!copies(p) || !p.attrs.out) continue;
    const std::string len = "_len_" + p.name;
    // From the saved position, never from ms->ms_p, which the untrusted
    // side may have changed.
    o << "\t\tif (" << p.name << ") {\n\t\t\tmemcpy((void*)" << p.name << ", __tmp_" << p.name << ", " << len << ");\n";
    if (p.attrs.string) o << "\t\t\t((char*)" << p.name << ")[" << len << " - 1] = '\\0';\n";
    if (p.attrs.wstring)
      o << "\t\t\t((wchar_t*)" << p.name << ")[(" << len << " - sizeof(wchar_t)) / sizeof(wchar_t)] = (wchar_t)0;\n";
    o << "\t\t}\n";
  }
  if (f.propagate_errno) o << "\t\terrno = ms->ocall_errno;\n";
  o << "\t}\n\tsgx_ocfree();\n\treturn status;\n}\n\n";
  return o.str();
}

std::string trusted_source(const Enclave& e) {
  std::ostringstream o;
  o << "/* Generated by nsgx-edger8r. Do not edit. */\n"
    << "#include \"" << e.short_name << "_t.h\"\n\n"
    << "#include \"sgx_trts.h\" /* for sgx_ocalloc, sgx_is_outside_enclave */\n"
    << "#include \"sgx_lfence.h\" /* for sgx_lfence */\n\n"
    << "#include <errno.h>\n#include <string.h> /* for memcpy etc */\n#include <stdlib.h> /* for malloc/free etc */\n\n"
    << "#define CHECK_REF_POINTER(ptr, siz) do {\t\\\n"
    << "\tif (!(ptr) || ! sgx_is_outside_enclave((ptr), (siz)))\t\\\n\t\treturn SGX_ERROR_INVALID_PARAMETER;\\\n} "
       "while (0)\n\n"
    << "#define CHECK_UNIQUE_POINTER(ptr, siz) do {\t\\\n"
    << "\tif ((ptr) && ! sgx_is_outside_enclave((ptr), (siz)))\t\\\n\t\treturn SGX_ERROR_INVALID_PARAMETER;\\\n} while "
       "(0)\n\n"
    << "#define CHECK_ENCLAVE_POINTER(ptr, siz) do {\t\\\n"
    << "\tif ((ptr) && ! sgx_is_within_enclave((ptr), (siz)))\t\\\n\t\treturn SGX_ERROR_INVALID_PARAMETER;\\\n} while "
       "(0)\n\n"
    << "#define ADD_ASSIGN_OVERFLOW(a, b) (\t\\\n\t((a) += (b)) < (b)\t\\\n)\n\n";
  for (const auto& f : e.ecalls) o << ms_struct(f);
  for (const auto& f : e.ocalls) o << ms_struct(f);
  for (const auto& f : e.ecalls) o << ecall_bridge(f);
  o << "SGX_EXTERNC const struct {\n\tsize_t nr_ecall;\n"
    << "\tstruct {void* ecall_addr; uint8_t is_priv; uint8_t is_switchless;} ecall_table[" << e.ecalls.size() << "];\n"
    << "} g_ecall_table = {\n\t" << e.ecalls.size() << ",\n\t{\n";
  for (const auto& f : e.ecalls)
    o << "\t\t{(void*)(uintptr_t)sgx_" << f.name << ", " << (f.is_public ? 0 : 1) << ", " << (f.switchless ? 1 : 0)
      << "},\n";
  o << "\t}\n};\n\n";
  if (e.ocalls.empty() || e.ecalls.empty()) {
    o << "SGX_EXTERNC const struct {\n\tsize_t nr_ocall;\n} g_dyn_entry_table = {\n\t" << e.ocalls.size()
      << ",\n};\n\n";
  } else {
    o << "SGX_EXTERNC const struct {\n\tsize_t nr_ocall;\n\tuint8_t entry_table[" << e.ocalls.size() << "]["
      << e.ecalls.size() << "];\n} g_dyn_entry_table = {\n\t" << e.ocalls.size() << ",\n\t{\n";
    for (const auto& oc : e.ocalls) {
      o << "\t\t{";
      for (std::size_t i = 0; i < e.ecalls.size(); ++i) {
        const bool allowed = std::find(oc.allow.begin(), oc.allow.end(), e.ecalls[i].name) != oc.allow.end();
        o << (i ? ", " : "") << (allowed ? 1 : 0);
      }
      o << ", },\n";
    }
    o << "\t}\n};\n\n";
  }
  for (std::size_t i = 0; i < e.ocalls.size(); ++i) o << ocall_proxy(e.ocalls[i], i);
  return o.str();
}

// ------------------------------------------------------------ untrusted

std::string untrusted_header(const Enclave& e, const CodegenOptions& opt) {
  std::ostringstream o;
  o << preamble(upper(e.name) + "_U_H__", e.untrusted_includes, true) << user_types(e);
  for (const auto& f : e.ocalls) {
    o << "#ifndef " << upper(f.name) << "_DEFINED__\n#define " << upper(f.name) << "_DEFINED__\n"
      << (f.dllimport ? "SGX_DLLIMPORT " : "") << f.ret.str() << " SGX_UBRIDGE(" << conv_name(f.conv) << ", " << f.name
      << ", (" << param_list(f) << "));\n#endif\n";
  }
  o << "\n";
  for (const auto& f : e.ecalls) o << ecall_proxy_proto(e, f, opt) << ";\n";
  o << "\n" << kPostamble;
  return o.str();
}

std::string untrusted_source(const Enclave& e, const CodegenOptions& opt) {
  std::ostringstream o;
  o << "/* Generated by nsgx-edger8r. Do not edit. */\n"
    << "#include \"" << e.short_name << "_u.h\"\n#include <errno.h>\n#include <stddef.h>\n\n";
  for (const auto& f : e.ecalls) o << ms_struct(f);
  for (const auto& f : e.ocalls) o << ms_struct(f);
  for (const auto& f : e.ocalls) {
    o << "static sgx_status_t SGX_CDECL " << e.name << "_" << f.name << "(void* pms)\n{\n";
    if (!has_ms(f)) {
      o << "\tif (pms != NULL) return SGX_ERROR_INVALID_PARAMETER;\n\t" << f.name
        << "();\n\treturn SGX_SUCCESS;\n}\n\n";
      continue;
    }
    o << "\tms_" << f.name << "_t* ms = SGX_CAST(ms_" << f.name << "_t*, pms);\n\t";
    if (!f.ret.is_void()) o << "ms->ms_retval = ";
    std::string args;
    for (const auto& p : f.params) {
      std::string a = "ms->ms_" + p.name;
      if (p.attrs.isary)
        a = "(" + a + " != NULL) ? (*" + a + ") : NULL";
      else if (p.is_array())
        a = array_arg(p, a);
      args += (args.empty() ? "" : ", ") + a;
    }
    o << f.name << "(" << args << ");\n";
    if (f.propagate_errno) o << "\tms->ocall_errno = errno;\n";
    o << "\treturn SGX_SUCCESS;\n}\n\n";
  }
  const std::size_t n = e.ocalls.size();
  o << "static const struct {\n\tsize_t nr_ocall;\n\tvoid * table[" << std::max<std::size_t>(n, 1)
    << "];\n} ocall_table_" << e.name << " = {\n\t" << n << ",\n\t{\n";
  if (n == 0) o << "\t\tNULL,\n";
  for (const auto& f : e.ocalls) o << "\t\t(void*)" << e.name << "_" << f.name << ",\n";
  o << "\t}\n};\n\n";
  for (std::size_t i = 0; i < e.ecalls.size(); ++i) {
    const Function& f = e.ecalls[i];
    o << ecall_proxy_proto(e, f, opt) << "\n{\n\tsgx_status_t status;\n";
    if (!has_ms(f)) {
      o << "\tstatus = " << (f.switchless ? "sgx_ecall_switchless" : "sgx_ecall") << "(eid, " << i << ", &ocall_table_"
        << e.name << ", NULL);\n\treturn status;\n}\n\n";
      continue;
    }
    // transition_using_threads: the switchless form, told whether the call
    // reaches application memory through uncopied pointers.
    const std::string ecall_fn = f.switchless ? "nsgx_ecall_switchless_ex" : "nsgx_ecall_ex";
    const std::string ecall_tail = f.switchless ? (passes_app_memory(f) ? ", 1" : ", 0") : "";
    o << "\tms_" << f.name << "_t ms;\n";
    for (const auto& p : f.params) {
      if (p.is_array())
        o << "\tms.ms_" << p.name << " = (" << ms_type(p) << ")" << p.name << ";\n";
      else if (p.attrs.isary)
        o << "\tms.ms_" << p.name << " = (" << ms_type(p) << ")&" << p.name << "[0];\n";
      else
        o << "\tms.ms_" << p.name << " = " << p.name << ";\n";
      if (p.attrs.string) o << "\tms.ms_" << p.name << "_len = " << p.name << " ? strlen(" << p.name << ") + 1 : 0;\n";
      if (p.attrs.wstring)
        o << "\tms.ms_" << p.name << "_len = " << p.name << " ? (wcslen(" << p.name
          << ") + 1) * sizeof(wchar_t) : 0;\n";
    }
    // The struct and the buffers the trusted bridge will copy, so that a
    // backend whose enclave cannot read this process's memory (the isolated
    // backend) can stage them in memory shared with it (nsgx_ecall_ex).
    std::vector<const Param*> bufs;
    for (const auto& p : f.params)
      if (copies(p)) bufs.push_back(&p);
    if (bufs.empty()) {
      o << "\tstatus = " << ecall_fn << "(eid, " << i << ", &ocall_table_" << e.name << ", &ms, sizeof(ms), NULL, 0"
        << ecall_tail << ");\n";
    } else {
      const auto val = [](const std::string& name) { return name; };
      for (const Param* p : bufs) o << overflow_check(*p, p->name, val);
      o << "\tnsgx_ecall_buffer_t bufs[" << bufs.size() << "] = {\n";
      for (const Param* p : bufs) {
        const std::string ptr = p->attrs.isary ? "(&" + p->name + "[0])" : p->name;
        o << "\t\t{offsetof(ms_" << f.name << "_t, ms_" << p->name << "), "
          << (p->is_array() || p->attrs.isary ? length_expr(*p, ptr, val, false)
                                               : "(" + p->name + " ? " + length_expr(*p, p->name, val, false) + " : 0)")
          << ", " << ((p->attrs.in ? 1 : 0) | (p->attrs.out ? 2 : 0)) << "},\n";
      }
      o << "\t};\n\tstatus = " << ecall_fn << "(eid, " << i << ", &ocall_table_" << e.name
        << ", &ms, sizeof(ms), bufs, " << bufs.size() << ecall_tail << ");\n";
    }
    if (!f.ret.is_void()) o << "\tif (status == SGX_SUCCESS && retval) *retval = ms.ms_retval;\n";
    o << "\treturn status;\n}\n\n";
  }
  return o.str();
}

}  // namespace

Generated generate(const Enclave& enclave, const CodegenOptions& options) {
  return Generated{trusted_header(enclave), trusted_source(enclave), untrusted_header(enclave, options),
                   untrusted_source(enclave, options)};
}

}  // namespace nsgx::edl
