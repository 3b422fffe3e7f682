// EDL parsing: the grammar, sgx_edger8r's numbering of imported functions,
// and its refusals — each with the file and line of the offence.
#include "sdk/edger8r/parser.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "sdk/edger8r/codegen.h"

namespace nsgx::edl {
namespace {

std::vector<std::string> names(const std::vector<Function>& fs) {
  std::vector<std::string> n;
  for (const auto& f : fs) n.push_back(f.name);
  return n;
}

TEST(EdlParser, MarshalEdl) {
  auto e = parse_file(std::string(NSGX_EDL_TESTDATA) + "/marshal.edl", {});
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(e->name, "marshal");
  ASSERT_EQ(e->ecalls.size(), 17u);
  EXPECT_EQ(e->ecalls.front().name, "ecall_sum_in");
  EXPECT_EQ(e->ecalls.back().name, "ecall_imported");  // imported functions come after the root's
  EXPECT_EQ(names(e->ocalls), (std::vector<std::string>{"ocall_sum", "ocall_fill", "ocall_string", "ocall_errno",
                                                        "ocall_naked", "ocall_nested", "ocall_imported"}));
  const Function& priv = e->ecalls[13];
  EXPECT_EQ(priv.name, "ecall_private");
  EXPECT_FALSE(priv.is_public);
  EXPECT_EQ(e->ocalls[5].allow, (std::vector<std::string>{"ecall_private", "ecall_naked"}));
  EXPECT_EQ(e->ocalls[5].conv, CallConv::kCdecl);
  EXPECT_TRUE(e->ocalls[3].propagate_errno);
  const Param& v = e->ecalls[0].params[0];
  EXPECT_TRUE(v.attrs.in);
  EXPECT_EQ(v.attrs.count, "n");
  EXPECT_TRUE(v.type.is_const);
  EXPECT_EQ(v.type.str(), "const int*");
  const Param& b = e->ecalls[7].params[1];
  EXPECT_EQ(b.dims, (std::vector<std::uint64_t>{2, 3}));
  ASSERT_EQ(e->types.size(), 3u);
  EXPECT_EQ(e->types[2].enumerators[1].value, "5");
  EXPECT_EQ(e->trusted_includes, (std::vector<std::string>{"marshal_types.h"}));
}

TEST(EdlParser, EnclaveNameFromFileName) {
  EXPECT_EQ(enclave_name_of("/a/b/Enclave.edl"), "Enclave");
  EXPECT_EQ(enclave_name_of("my-encl.v2.edl"), "my_encl_v2");
}

struct Bad {
  const char* edl;
  int line;
  const char* message;
};

const std::string kHead = "enclave {\n trusted {\n  public void ok(void);\n";
const std::string kTail = " };\n};\n";

TEST(EdlParser, RefusesWhatTheSdkRefuses) {
  const Bad cases[] = {
      {"  public void f([in] int* p, [in] int* p);\n", 4, "duplicated parameter"},
      {"  public void f([in, in] int* p);\n", 4, "duplicated attribute 'in'"},
      {"  public void f([sizefunc=g] int* p);\n", 4, "deprecated"},
      {"  public void f([bogus] int* p);\n", 4, "unknown attribute 'bogus'"},
      {"  public void f([in, string, wstring] char* p);\n", 4, "mutually exclusive"},
      {"  public void f([in, string, size=4] char* p);\n", 4, "cannot be used with 'string'"},
      {"  public void f([size=4] char* p);\n", 4, "need a direction"},
      {"  public void f([in, user_check] char* p);\n", 4, "'user_check' cannot be combined"},
      {"  public void f(int* p);\n", 4, "needs a direction attribute"},
      {"  public void f([out, string] char* p);\n", 4, "must be used with an 'in'"},
      {"  public void f([in, string] int* p);\n", 4, "char* only"},
      {"  public void f([in, wstring] char* p);\n", 4, "wchar_t* only"},
      {"  public void f([in] void* p);\n", 4, "buffer size unknown"},
      {"  public void f([out] const char* p, size_t n);\n", 4, "const pointer cannot be 'out'"},
      {"  public void f([in, isptr] int p);\n", 4, "bare typedef name"},
      {"  public void f([in, readonly] foo_t p);\n", 4, "'readonly' needs 'isptr'"},
      {"  public void f([in, isary, isptr] foo_t p);\n", 4, "'isary' cannot be combined"},
      {"  public void f([in, size=4] int a[4]);\n", 4, "declared array"},
      {"  public void f([in] int* a[4]);\n", 4, "Pointer array not allowed"},
      {"  public void f([in] int x);\n", 4, "not a pointer"},
      {"  public void f(void v);\n", 4, "cannot be void"},
      {"  public void f([in, size=len] char* p);\n", 4, "parameter 'len' not found"},
      {"  public void f([in, count=q] char* p, char* q);\n", 4, "must be an integer parameter"},
      {"  public void f(int a[]);\n", 4, "'[]'"},
      {"  public void f(int a[0]);\n", 4, "zero-length"},
      {"  public void f(const int x);\n", 4, "only on pointers"},
      {"  public void ok(int x);\n", 4, "already declared at"},
      {"  public void f(int x)\n", 5, "expected ';'"},
      {"  public void f(int x);\n };\n untrusted {\n  void g(void) allow(nope);\n", 7, "not an ECALL"},
      {"  public void f(int x);\n };\n untrusted {\n  [stdcall, cdecl] void g(void);\n", 7,
       "more than one calling convention"},
      {"  public void f(int x);\n };\n untrusted {\n  [oops] void g(void);\n", 7, "invalid function attribute"},
      {"  public void f(unsigned float x);\n", 4, "is not a type"},
      {"  /* never closed\n", 4, "unterminated comment"},
      {"  public void f(int x); $\n", 4, "invalid character '$'"},
      {"#define X 1\n", 4, "preprocessor"},
  };
  for (const Bad& b : cases) {
    const std::string text = kHead + b.edl + kTail;
    auto e = parse_text("t.edl", text, {});
    ASSERT_FALSE(e) << b.edl;
    EXPECT_NE(e.error().message().find("t.edl:" + std::to_string(b.line) + ":"), std::string::npos)
        << b.edl << " → " << e.error().message();
    EXPECT_NE(e.error().message().find(b.message), std::string::npos) << b.edl << " → " << e.error().message();
  }
}

TEST(EdlParser, NoPublicEcall) {
  auto e = parse_text("t.edl", "enclave { trusted { void f(void); }; };", {});
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("no public ECALL"), std::string::npos);
  ParseOptions o;
  o.require_public_ecall = false;
  EXPECT_TRUE(parse_text("t.edl", "enclave { trusted { void f(void); }; };", o));
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/edl-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ + "/" + name) << text;
    return path_ + "/" + name;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(EdlParser, ImportsDepthFirstNamedAndSearched) {
  TempDir d;
  d.write("b.edl", "enclave { untrusted { void b1(void); void b2(void); }; };");
  std::filesystem::create_directory(d.path() + "/inc");
  d.write("inc/c.edl", "enclave { untrusted { void c1(void); }; };");
  d.write("a.edl", "enclave { from \"b.edl\" import *; untrusted { void a1(void); }; };");
  const std::string root =
      d.write("root.edl",
              "enclave { from \"a.edl\" import *; from \"c.edl\" import c1; from \"b.edl\" import b2, b1;\n"
              " trusted { public void e(void); }; untrusted { void r1(void); }; };");
  ParseOptions o;
  o.search_path = {d.path() + "/inc"};
  auto e = parse_file(root, o);
  ASSERT_TRUE(e) << e.error().message();
  // Root first, then a (which brings b), then c; b again adds nothing.
  EXPECT_EQ(names(e->ocalls), (std::vector<std::string>{"r1", "a1", "b1", "b2", "c1"}));
  auto missing =
      parse_text(d.path() + "/m.edl", "enclave { from \"b.edl\" import nope; trusted { public void e(void); }; };", o);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("function 'nope' not found"), std::string::npos);
  auto absent = parse_text(d.path() + "/m.edl", "enclave {\n from \"zz.edl\" import *; };", o);
  ASSERT_FALSE(absent);
  EXPECT_NE(absent.error().message().find("m.edl:2: cannot find imported EDL file \"zz.edl\""), std::string::npos)
      << absent.error().message();
}

TEST(EdlParser, ImportCycleIsAnError) {
  TempDir d;
  d.write("x.edl", "enclave { from \"y.edl\" import *; trusted { public void x(void); }; };");
  d.write("y.edl", "enclave {\n from \"x.edl\" import *; };");
  auto e = parse_file(d.path() + "/x.edl", {});
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("y.edl:2: circular import"), std::string::npos) << e.error().message();
}

TEST(EdlCodegen, TablesAndNames) {
  auto e = parse_file(std::string(NSGX_EDL_TESTDATA) + "/marshal.edl", {});
  ASSERT_TRUE(e) << e.error().message();
  const Generated g = generate(*e, {});
  EXPECT_NE(g.trusted_header.find("#ifndef MARSHAL_T_H__"), std::string::npos);
  EXPECT_NE(g.trusted_source.find("} g_ecall_table = {\n\t17,"), std::string::npos);
  EXPECT_NE(g.trusted_source.find("{(void*)(uintptr_t)sgx_ecall_private, 1, 0}"), std::string::npos);
  EXPECT_NE(g.trusted_source.find("uint8_t entry_table[7][17];"), std::string::npos);
  EXPECT_NE(g.trusted_source.find(
                "typedef struct ms_ecall_strlen_t {\n\tsize_t ms_retval;\n\tconst char* ms_s;\n\tsize_t ms_s_len;\n}"),
            std::string::npos);
  EXPECT_NE(g.trusted_source.find(
                "typedef struct ms_ocall_errno_t {\n\tint ms_retval;\n\tint ocall_errno;\n\tint ms_value;\n}"),
            std::string::npos);
  EXPECT_NE(g.untrusted_source.find("} ocall_table_marshal = {\n\t7,"), std::string::npos);
  EXPECT_NE(g.untrusted_source.find("static sgx_status_t SGX_CDECL marshal_ocall_sum(void* pms)"), std::string::npos);
  EXPECT_NE(g.untrusted_header.find("int SGX_UBRIDGE(SGX_CDECL, ocall_nested, (int x));"), std::string::npos);
  EXPECT_NE(g.untrusted_header.find("sgx_status_t ecall_imported(sgx_enclave_id_t eid, int* retval, int x);"),
            std::string::npos);
  const Generated p = generate(*e, CodegenOptions{true});
  EXPECT_NE(p.untrusted_header.find("sgx_status_t marshal_ecall_naked(sgx_enclave_id_t eid);"), std::string::npos);
}

}  // namespace
}  // namespace nsgx::edl
