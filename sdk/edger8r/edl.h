// The EDL (Enclave Definition Language) syntax tree, as the SGX SDK's
// sgx_edger8r reads it: an `enclave { … };` with includes, imports, user
// types, and the trusted (ECALL) and untrusted (OCALL) function lists.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nsgx::edl {

struct Location {
  std::string file;
  int line = 0;
  std::string str() const { return file + ":" + std::to_string(line); }
};

// A C type as EDL spells it: base words ("unsigned int", "struct s",
// "uint8_t", a foreign typedef name), `const`, pointer depth.
struct Type {
  std::string base;
  bool is_const = false;
  int pointers = 0;
  bool foreign = false;  // a typedef name EDL does not know (declared in an included header)
  std::string str() const;
  bool is_void() const { return base == "void" && pointers == 0; }
  // The pointee for pointer parameters (one level less).
  Type pointee() const;
};

// Pointer attributes (SDK "Enclave Definition Language Syntax").
struct PtrAttrs {
  bool in = false, out = false, user_check = false, string = false, wstring = false;
  bool isptr = false, isary = false, readonly = false;
  std::optional<std::string> size, count;  // a parameter name or a decimal/hex number
  bool any_direction() const { return in || out; }
  bool empty() const {
    return !in && !out && !user_check && !string && !wstring && !isptr && !isary && !readonly && !size && !count;
  }
};

struct Param {
  Type type;
  std::string name;
  std::vector<std::uint64_t> dims;  // fixed-size array dimensions, outermost first
  PtrAttrs attrs;
  bool has_attrs = false;
  Location loc;
  bool is_array() const { return !dims.empty(); }
  // Pointer or array that the bridges copy (a direction attribute).
  bool is_buffer() const {
    return (type.pointers > 0 || is_array() || attrs.isptr || attrs.isary) && attrs.any_direction();
  }
};

enum class CallConv { kNone, kCdecl, kStdcall, kFastcall };

struct Function {
  std::string name;
  Type ret;
  std::vector<Param> params;
  bool trusted = false;
  bool is_public = false;          // ECALL: callable from outside as a root ECALL
  std::vector<std::string> allow;  // OCALL: ECALLs that may be called while it runs
  bool propagate_errno = false;    // OCALL
  bool switchless = false;         // transition_using_threads
  CallConv conv = CallConv::kNone;
  bool dllimport = false;
  Location loc;
};

struct Member {
  Type type;
  std::string name;
  std::vector<std::uint64_t> dims;
  Location loc;
};

struct Enumerator {
  std::string name;
  std::optional<std::string> value;  // as written
};

struct UserType {
  enum class Kind { kStruct, kUnion, kEnum } kind = Kind::kStruct;
  std::string name;  // empty for an anonymous enum
  std::vector<Member> members;
  std::vector<Enumerator> enumerators;
  Location loc;
};

// One parsed file, imports resolved: the root's functions first, then each
// imported file's (depth first, in import order), as sgx_edger8r numbers them.
struct Enclave {
  std::string name;  // the C identifier made of the root file's short name
  std::string short_name;
  std::vector<std::string> trusted_includes, untrusted_includes;  // top-level includes go to both
  std::vector<UserType> types;
  std::vector<Function> ecalls, ocalls;
};

}  // namespace nsgx::edl
