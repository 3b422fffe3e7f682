#include "sdk/edger8r/parser.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

namespace nsgx::edl {

std::string Type::str() const {
  std::string s = is_const ? "const " + base : base;
  if (pointers > 0) s += std::string(static_cast<std::size_t>(pointers), '*');
  return s;
}

Type Type::pointee() const {
  Type t = *this;
  if (t.pointers > 0) --t.pointers;
  return t;
}

std::string enclave_name_of(const std::string& path) {
  std::string base = std::filesystem::path(path).filename().string();
  if (auto dot = base.rfind('.'); dot != std::string::npos && dot != 0) base = base.substr(0, dot);
  for (char& c : base)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') c = '_';
  return base;
}

namespace {

// ------------------------------------------------------------ lexer

enum class Tok { kIdent, kNumber, kString, kPunct, kEnd };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;
  int line = 0;
};

class Lexer {
 public:
  Lexer(std::string file, const std::string& text) : file_(std::move(file)), text_(text) {}

  Result<std::vector<Token>> run() {
    std::vector<Token> out;
    while (true) {
      skip_space();
      if (error_) return Error(*error_);
      if (pos_ >= text_.size()) break;
      const char c = text_[pos_];
      Token t;
      t.line = line_;
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        const std::size_t start = pos_;
        while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
          ++pos_;
        t.kind = Tok::kIdent;
        t.text = text_.substr(start, pos_ - start);
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        const std::size_t start = pos_;
        while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])))) ++pos_;
        t.kind = Tok::kNumber;
        t.text = text_.substr(start, pos_ - start);
      } else if (c == '"') {
        const std::size_t start = ++pos_;
        while (pos_ < text_.size() && text_[pos_] != '"' && text_[pos_] != '\n') ++pos_;
        if (pos_ >= text_.size() || text_[pos_] != '"')
          return Error(file_ + ":" + std::to_string(line_) + ": unterminated string");
        t.kind = Tok::kString;
        t.text = text_.substr(start, pos_ - start);
        ++pos_;
      } else if (std::string_view("{}()[];,=*-+").find(c) != std::string_view::npos) {
        t.kind = Tok::kPunct;
        t.text = std::string(1, c);
        ++pos_;
      } else if (c == '#') {
        return Error(file_ + ":" + std::to_string(line_) +
                     ": preprocessor directives are not supported in EDL files by nsgx-edger8r");
      } else {
        return Error(file_ + ":" + std::to_string(line_) + ": invalid character '" + std::string(1, c) + "'");
      }
      out.push_back(std::move(t));
    }
    Token end;
    end.line = line_;
    out.push_back(end);
    return out;
  }

 private:
  void skip_space() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\n') {
        ++line_;
        ++pos_;
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        ++pos_;
      } else if (text_.compare(pos_, 2, "//") == 0) {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else if (text_.compare(pos_, 2, "/*") == 0) {
        const int start_line = line_;
        pos_ += 2;
        while (pos_ < text_.size() && text_.compare(pos_, 2, "*/") != 0) {
          if (text_[pos_] == '\n') ++line_;
          ++pos_;
        }
        if (pos_ >= text_.size()) {
          error_ = file_ + ":" + std::to_string(start_line) + ": unterminated comment";
          return;
        }
        pos_ += 2;
      } else {
        return;
      }
    }
  }

  std::string file_;
  const std::string& text_;
  std::size_t pos_ = 0;
  int line_ = 1;
  std::optional<std::string> error_;
};

// ------------------------------------------------------------ one file

struct Import {
  std::string path;
  bool all = false;
  std::vector<std::string> names;
  Location loc;
};

struct FileAst {
  std::string path;
  std::vector<std::string> includes, trusted_includes, untrusted_includes;
  std::vector<Import> imports;
  std::vector<UserType> types;
  std::vector<Function> ecalls, ocalls;
};

const std::set<std::string>& basic_words() {
  static const std::set<std::string> w = {"char",    "short",   "int",      "long",     "float",   "double",  "void",
                                          "size_t",  "wchar_t", "unsigned", "signed",   "int8_t",  "int16_t", "int32_t",
                                          "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t"};
  return w;
}

const std::set<std::string>& keywords() {
  static const std::set<std::string> k = {
      "enclave", "trusted", "untrusted", "from",  "import", "allow",           "public",
      "include", "const",   "struct",    "union", "enum",   "propagate_errno", "transition_using_threads"};
  return k;
}

class Parser {
 public:
  Parser(std::string path, std::vector<Token> toks) : path_(std::move(path)), t_(std::move(toks)) {}

  Result<FileAst> run() {
    FileAst f;
    f.path = path_;
    if (auto r = expect_word("enclave"); !r) return r.error();
    if (auto r = expect("{"); !r) return r.error();
    while (!is("}")) {
      if (at_end()) return err("unexpected end of file: missing '}' of the enclave block");
      if (auto r = top_item(f); !r) return r.error();
    }
    ++i_;
    if (auto r = expect(";"); !r) return r.error();
    if (!at_end()) return err("unexpected '" + cur().text + "' after the enclave block");
    return f;
  }

 private:
  const Token& cur() const { return t_[i_]; }
  bool at_end() const { return cur().kind == Tok::kEnd; }
  bool is(const char* p) const { return (cur().kind == Tok::kPunct || cur().kind == Tok::kIdent) && cur().text == p; }
  bool is_word(const char* w) const { return cur().kind == Tok::kIdent && cur().text == w; }
  Location loc() const { return {path_, cur().line}; }
  Error err(const std::string& m) const { return Error(path_ + ":" + std::to_string(cur().line) + ": " + m); }
  std::string shown() const { return at_end() ? std::string("end of file") : "'" + cur().text + "'"; }
  Result<void> expect(const char* p) {
    if (!is(p)) return err(std::string("expected '") + p + "', found " + shown());
    ++i_;
    return {};
  }
  Result<void> expect_word(const char* w) {
    if (!is_word(w)) return err(std::string("expected '") + w + "', found " + shown());
    ++i_;
    return {};
  }
  Result<std::string> ident(const char* what) {
    if (cur().kind != Tok::kIdent || keywords().contains(cur().text))
      return err(std::string("expected ") + what + ", found " + shown());
    return t_[i_++].text;
  }

  Result<void> top_item(FileAst& f) {
    if (is_word("include")) {
      ++i_;
      if (cur().kind != Tok::kString) return err("expected a quoted header name after 'include'");
      f.includes.push_back(t_[i_++].text);
      return {};
    }
    if (is_word("from")) return import_decl(f);
    if (is_word("struct") || is_word("union") || is_word("enum")) return type_decl(f);
    if (is_word("trusted") || is_word("untrusted")) return function_block(f);
    return err("unexpected " + shown() + ": expected include, from, struct, union, enum, trusted or untrusted");
  }

  Result<void> import_decl(FileAst& f) {
    Import im;
    im.loc = loc();
    ++i_;
    if (cur().kind != Tok::kString) return err("expected a quoted EDL file name after 'from'");
    im.path = t_[i_++].text;
    if (auto r = expect_word("import"); !r) return r;
    if (is("*")) {
      ++i_;
      im.all = true;
    } else {
      while (true) {
        auto n = ident("a function name to import");
        if (!n) return n.error();
        im.names.push_back(*n);
        if (!is(",")) break;
        ++i_;
      }
    }
    if (auto r = expect(";"); !r) return r;
    f.imports.push_back(std::move(im));
    return {};
  }

  Result<std::uint64_t> number() {
    if (cur().kind != Tok::kNumber) return err("expected a number, found " + shown());
    const std::string s = t_[i_++].text;
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(s.c_str(), &end, 0);
    if (errno != 0 || end == nullptr || *end != '\0')
      return Error(path_ + ":" + std::to_string(t_[i_ - 1].line) + ": bad number '" + s + "'");
    return static_cast<std::uint64_t>(v);
  }

  Result<std::vector<std::uint64_t>> dims() {
    std::vector<std::uint64_t> d;
    while (is("[")) {
      ++i_;
      if (is("]")) return err("flexible array members and '[]' parameters are not allowed");
      auto n = number();
      if (!n) return n.error();
      if (*n == 0) return err("zero-length arrays are not allowed");
      d.push_back(*n);
      if (auto r = expect("]"); !r) return r.error();
    }
    return d;
  }

  // [const] base-words, then '*'s.
  Result<Type> type() {
    Type t;
    if (is_word("const")) {
      t.is_const = true;
      ++i_;
    }
    if (is_word("struct") || is_word("union") || is_word("enum")) {
      const std::string kw = t_[i_++].text;
      auto n = ident("a type name");
      if (!n) return n.error();
      t.base = kw + " " + *n;
    } else if (cur().kind == Tok::kIdent && basic_words().contains(cur().text)) {
      std::vector<std::string> words;
      while (cur().kind == Tok::kIdent && basic_words().contains(cur().text)) words.push_back(t_[i_++].text);
      std::string s;
      for (const auto& w : words) s += (s.empty() ? "" : " ") + w;
      static const std::set<std::string> valid = {"char",
                                                  "signed char",
                                                  "unsigned char",
                                                  "short",
                                                  "short int",
                                                  "unsigned short",
                                                  "unsigned short int",
                                                  "signed short",
                                                  "signed short int",
                                                  "int",
                                                  "signed",
                                                  "signed int",
                                                  "unsigned",
                                                  "unsigned int",
                                                  "long",
                                                  "long int",
                                                  "unsigned long",
                                                  "unsigned long int",
                                                  "signed long",
                                                  "signed long int",
                                                  "long long",
                                                  "long long int",
                                                  "unsigned long long",
                                                  "unsigned long long int",
                                                  "signed long long",
                                                  "float",
                                                  "double",
                                                  "long double",
                                                  "void",
                                                  "size_t",
                                                  "wchar_t",
                                                  "int8_t",
                                                  "int16_t",
                                                  "int32_t",
                                                  "int64_t",
                                                  "uint8_t",
                                                  "uint16_t",
                                                  "uint32_t",
                                                  "uint64_t"};
      if (!valid.contains(s)) return err("'" + s + "' is not a type");
      t.base = s;
    } else if (cur().kind == Tok::kIdent && !keywords().contains(cur().text)) {
      t.base = t_[i_++].text;
      t.foreign = true;
    } else {
      return err("expected a type, found " + shown());
    }
    if (is_word("const")) return err("'const' is accepted only before the type");
    while (is("*")) {
      ++t.pointers;
      ++i_;
    }
    return t;
  }

  Result<void> type_decl(FileAst& f) {
    UserType u;
    u.loc = loc();
    const std::string kw = t_[i_++].text;
    u.kind = kw == "struct" ? UserType::Kind::kStruct : kw == "union" ? UserType::Kind::kUnion : UserType::Kind::kEnum;
    if (cur().kind == Tok::kIdent) {
      auto n = ident("a type name");
      if (!n) return n.error();
      u.name = *n;
    } else if (u.kind != UserType::Kind::kEnum) {
      return err(kw + " declarations need a name");
    }
    if (auto r = expect("{"); !r) return r;
    if (u.kind == UserType::Kind::kEnum) {
      while (!is("}")) {
        Enumerator e;
        auto n = ident("an enumerator");
        if (!n) return n.error();
        e.name = *n;
        if (is("=")) {
          ++i_;
          std::string v;
          if (is("-")) {
            v = "-";
            ++i_;
          }
          if (cur().kind != Tok::kNumber && cur().kind != Tok::kIdent) return err("expected a value for " + e.name);
          v += t_[i_++].text;
          e.value = v;
        }
        u.enumerators.push_back(std::move(e));
        if (is(",")) {
          ++i_;
          continue;
        }
        if (!is("}")) return err("expected ',' or '}' in enum, found " + shown());
      }
      ++i_;
      if (u.enumerators.empty()) return err("empty enum");
    } else {
      while (!is("}")) {
        if (at_end()) return err("unexpected end of file in " + kw + " " + u.name);
        Member m;
        m.loc = loc();
        if (is("[")) {
          return err("attributes on members of " + kw + " " + u.name +
                     " (deep copy) are not supported by nsgx-edger8r; pass the buffer as its own parameter");
        }
        auto t = type();
        if (!t) return t.error();
        m.type = *t;
        auto n = ident("a member name");
        if (!n) return n.error();
        m.name = *n;
        auto d = dims();
        if (!d) return d.error();
        m.dims = *d;
        if (m.type.is_void()) return Error(m.loc.str() + ": member '" + m.name + "' cannot be void");
        if (auto r = expect(";"); !r) return r;
        u.members.push_back(std::move(m));
      }
      ++i_;
      if (u.members.empty()) return err("empty " + kw + " " + u.name);
    }
    if (auto r = expect(";"); !r) return r;
    f.types.push_back(std::move(u));
    return {};
  }

  // `[key, key=value, …]` as (key, value) pairs, with their lines.
  struct RawAttr {
    std::string key;
    std::optional<std::string> value;
    int line;
  };
  Result<std::vector<RawAttr>> attr_list() {
    std::vector<RawAttr> a;
    if (auto r = expect("["); !r) return r.error();
    if (is("]")) return err("empty attribute list '[]'");
    while (true) {
      if (cur().kind != Tok::kIdent) return err("expected an attribute, found " + shown());
      RawAttr ra{t_[i_].text, std::nullopt, t_[i_].line};
      ++i_;
      if (is("=")) {
        ++i_;
        if (cur().kind != Tok::kIdent && cur().kind != Tok::kNumber)
          return err("expected a parameter name or a number after '" + ra.key + "='");
        ra.value = t_[i_++].text;
      }
      a.push_back(std::move(ra));
      if (is(",")) {
        ++i_;
        continue;
      }
      break;
    }
    if (auto r = expect("]"); !r) return r.error();
    return a;
  }

  Result<PtrAttrs> ptr_attrs(const std::vector<RawAttr>& raw) {
    PtrAttrs p;
    std::set<std::string> seen;
    for (const auto& a : raw) {
      auto bad = [&](const std::string& m) { return Error(path_ + ":" + std::to_string(a.line) + ": " + m); };
      if (!seen.insert(a.key).second) return bad("duplicated attribute '" + a.key + "'");
      const bool takes_value = a.key == "size" || a.key == "count";
      if (a.key == "sizefunc") return bad("'sizefunc' is deprecated; use 'size'");
      if (takes_value != a.value.has_value())
        return bad(takes_value ? "'" + a.key + "' needs a value" : "'" + a.key + "' takes no value");
      if (a.key == "in")
        p.in = true;
      else if (a.key == "out")
        p.out = true;
      else if (a.key == "user_check")
        p.user_check = true;
      else if (a.key == "string")
        p.string = true;
      else if (a.key == "wstring")
        p.wstring = true;
      else if (a.key == "isptr")
        p.isptr = true;
      else if (a.key == "isary")
        p.isary = true;
      else if (a.key == "readonly")
        p.readonly = true;
      else if (a.key == "size")
        p.size = a.value;
      else if (a.key == "count")
        p.count = a.value;
      else
        return bad("unknown attribute '" + a.key + "'");
    }
    return p;
  }

  Result<std::vector<Param>> params() {
    std::vector<Param> ps;
    if (auto r = expect("("); !r) return r.error();
    if (is(")")) {
      ++i_;
      return ps;
    }
    if (is_word("void") && t_[i_ + 1].kind == Tok::kPunct && t_[i_ + 1].text == ")") {
      i_ += 2;
      return ps;
    }
    while (true) {
      Param p;
      p.loc = loc();
      if (is("[")) {
        auto raw = attr_list();
        if (!raw) return raw.error();
        auto a = ptr_attrs(*raw);
        if (!a) return a.error();
        p.attrs = *a;
        p.has_attrs = true;
      }
      auto t = type();
      if (!t) return t.error();
      p.type = *t;
      auto n = ident("a parameter name");
      if (!n) return n.error();
      p.name = *n;
      auto d = dims();
      if (!d) return d.error();
      p.dims = *d;
      ps.push_back(std::move(p));
      if (is(",")) {
        ++i_;
        continue;
      }
      break;
    }
    if (auto r = expect(")"); !r) return r.error();
    return ps;
  }

  Result<void> function_block(FileAst& f) {
    const bool trusted = is_word("trusted");
    ++i_;
    if (auto r = expect("{"); !r) return r;
    while (!is("}")) {
      if (at_end())
        return err("unexpected end of file in a " + std::string(trusted ? "trusted" : "untrusted") + " block");
      if (is_word("include")) {
        ++i_;
        if (cur().kind != Tok::kString) return err("expected a quoted header name after 'include'");
        (trusted ? f.trusted_includes : f.untrusted_includes).push_back(t_[i_++].text);
        continue;
      }
      Function fn;
      fn.trusted = trusted;
      fn.loc = loc();
      if (trusted) {
        if (is("[")) return err("ECALLs take no function attributes");
        if (is_word("public")) {
          fn.is_public = true;
          ++i_;
        }
      } else if (is("[")) {
        auto raw = attr_list();
        if (!raw) return raw.error();
        for (const auto& a : *raw) {
          auto bad = [&](const std::string& m) { return Error(path_ + ":" + std::to_string(a.line) + ": " + m); };
          if (a.value) return bad("invalid function attribute '" + a.key + "=" + *a.value + "'");
          const CallConv c = a.key == "cdecl"      ? CallConv::kCdecl
                             : a.key == "stdcall"  ? CallConv::kStdcall
                             : a.key == "fastcall" ? CallConv::kFastcall
                                                   : CallConv::kNone;
          if (c != CallConv::kNone) {
            if (fn.conv != CallConv::kNone) return bad("more than one calling convention");
            fn.conv = c;
          } else if (a.key == "dllimport") {
            fn.dllimport = true;
          } else {
            return bad("invalid function attribute '" + a.key + "'");
          }
        }
      } else if (is_word("public")) {
        return err("'public' applies to ECALLs only");
      }
      auto rt = type();
      if (!rt) return rt.error();
      fn.ret = *rt;
      auto n = ident("a function name");
      if (!n) return n.error();
      fn.name = *n;
      if (is("[")) return err("a function cannot return an array");
      auto ps = params();
      if (!ps) return ps.error();
      fn.params = *ps;
      while (!is(";")) {
        if (is_word("transition_using_threads")) {
          fn.switchless = true;
          ++i_;
        } else if (!trusted && is_word("allow")) {
          ++i_;
          if (auto r = expect("("); !r) return r;
          while (!is(")")) {
            auto a = ident("an ECALL name in allow()");
            if (!a) return a.error();
            fn.allow.push_back(*a);
            if (is(","))
              ++i_;
            else if (!is(")"))
              return err("expected ',' or ')' in allow(), found " + shown());
          }
          ++i_;
        } else if (!trusted && is_word("propagate_errno")) {
          fn.propagate_errno = true;
          ++i_;
        } else {
          return err("expected ';' after " + fn.name + "(…), found " + shown());
        }
      }
      ++i_;
      (trusted ? f.ecalls : f.ocalls).push_back(std::move(fn));
    }
    ++i_;
    return expect(";");
  }

  std::string path_;
  std::vector<Token> t_;
  std::size_t i_ = 0;
};

// ------------------------------------------------------------ checks

bool is_number(const std::string& s) { return !s.empty() && std::isdigit(static_cast<unsigned char>(s[0])); }

Result<void> check_param(const Function& fn, const Param& p) {
  auto bad = [&](const std::string& m) {
    return Error(p.loc.str() + ": " + fn.name + "(), parameter '" + p.name + "': " + m);
  };
  const PtrAttrs& a = p.attrs;
  const bool pointer = p.type.pointers > 0;
  const bool array = p.is_array();
  if (p.type.is_void() && !array) return bad("a parameter cannot be void");
  if (p.type.is_const && !pointer) return bad("'const' is allowed only on pointers");
  if (array && pointer) return bad("arrays of pointers are not allowed (\"Pointer array not allowed\")");
  for (const auto* ref : {&a.size, &a.count}) {
    if (!*ref || is_number(**ref)) continue;
    auto it = std::find_if(fn.params.begin(), fn.params.end(), [&](const Param& q) { return q.name == **ref; });
    if (it == fn.params.end()) return bad("parameter '" + **ref + "' not found");
    if (it->type.pointers > 0 || it->is_array() || it->type.foreign)
      return bad("'" + **ref + "' must be an integer parameter to give a size or count");
  }
  if (a.string && a.wstring) return bad("'string' and 'wstring' are mutually exclusive");
  if ((a.string || a.wstring) && (a.size || a.count))
    return bad("'size'/'count' cannot be used with 'string'/'wstring'");
  if (a.user_check && a.any_direction()) return bad("'user_check' cannot be combined with 'in' or 'out'");
  if ((a.size || a.count || a.string || a.wstring) && !a.any_direction())
    return bad("'size', 'count' and 'string' need a direction ('in', 'out' or both)");
  if (a.isptr || a.isary || a.readonly) {
    if (!p.type.foreign || pointer) return bad("'isptr', 'isary' and 'readonly' apply only to a bare typedef name");
    if (a.readonly && !a.isptr) return bad("'readonly' needs 'isptr'");
    if (a.isary && (a.size || a.count || a.string || a.wstring || a.isptr))
      return bad("'isary' cannot be combined with 'size', 'count', 'string' or 'isptr'");
    if (a.isary && !a.any_direction() && !a.user_check)
      return bad("an 'isary' array needs a direction or 'user_check'");
    if (a.isptr && !a.any_direction() && !a.user_check)
      return bad("an 'isptr' pointer needs a direction or 'user_check'");
  }
  if (a.readonly && a.out) return bad("a 'readonly' pointer cannot be 'out'");
  if (pointer && p.type.is_const && a.out && !p.type.foreign) return bad("a const pointer cannot be 'out'");
  if (array && (a.size || a.count || a.isary))
    return bad("'size', 'count' and 'isary' cannot be used on a declared array");
  const bool pointerish = pointer || array || a.isptr || a.isary;
  if (!pointerish && p.has_attrs && !a.empty()) return bad("pointer attributes on a parameter that is not a pointer");
  if (pointerish && !a.any_direction() && !a.user_check)
    return bad("a pointer needs a direction attribute ('in', 'out') or 'user_check'");
  if ((a.string || a.wstring) && !a.in) return bad("'string'/'wstring' must be used with an 'in' attribute");
  if (a.string && !(p.type.pointers == 1 && p.type.base == "char")) return bad("'string' applies to char* only");
  if (a.wstring && !(p.type.pointers == 1 && p.type.base == "wchar_t"))
    return bad("'wstring' applies to wchar_t* only");
  if (pointer && p.type.pointers == 1 && p.type.base == "void" && !a.user_check && !a.size)
    return bad("buffer size unknown: a void* needs 'size' (or 'user_check')");
  if (pointer && p.type.pointers > 1 && a.any_direction() && !a.size && !a.count && p.type.base == "void")
    return bad("buffer size unknown");
  return {};
}

Result<void> check_function(const Function& fn) {
  if (fn.ret.foreign && fn.ret.pointers == 0 && fn.ret.base.empty()) return Error(fn.loc.str() + ": bad return type");
  std::set<std::string> names;
  for (const auto& p : fn.params) {
    if (!names.insert(p.name).second)
      return Error(p.loc.str() + ": " + fn.name + "(): duplicated parameter '" + p.name + "'");
    if (auto r = check_param(fn, p); !r) return r;
  }
  return {};
}

// ------------------------------------------------------------ imports

Result<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(path + ": cannot read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class Resolver {
 public:
  explicit Resolver(const ParseOptions& o) : o_(o) {}

  static Result<std::shared_ptr<FileAst>> parse(const std::string& path, const std::string& text) {
    Lexer lx(path, text);
    auto toks = lx.run();
    if (!toks) return toks.error();
    Parser p(path, std::move(*toks));
    auto f = p.run();
    if (!f) return f.error();
    for (const auto& fn : f->ecalls)
      if (auto r = check_function(fn); !r) return r.error();
    for (const auto& fn : f->ocalls)
      if (auto r = check_function(fn); !r) return r.error();
    return std::make_shared<FileAst>(std::move(*f));
  }

  Result<std::string> locate(const std::string& name, const std::string& from, const Location& where) {
    namespace fs = std::filesystem;
    std::vector<fs::path> dirs;
    dirs.push_back(fs::path(from).parent_path());
    for (const auto& d : o_.search_path) dirs.emplace_back(d);
    dirs.emplace_back(".");
    for (const auto& d : dirs) {
      const fs::path p = d / name;
      std::error_code ec;
      if (fs::is_regular_file(p, ec)) return fs::weakly_canonical(p, ec).string();
    }
    return Error(where.str() + ": cannot find imported EDL file \"" + name + "\" (search path: the file's directory, " +
                 (o_.search_path.empty() ? std::string("") : "--search-path, ") + "and .)");
  }

  // Functions of `f` and its imports, depth first (sgx_edger8r's reduce_import).
  struct Funcs {
    std::vector<Function> ecalls, ocalls;
    std::vector<UserType> types;
    std::vector<std::string> includes, trusted_includes, untrusted_includes;
  };

  Result<Funcs> collect(const std::shared_ptr<FileAst>& f, std::vector<std::string>& stack) {
    Funcs out{f->ecalls, f->ocalls, f->types, f->includes, f->trusted_includes, f->untrusted_includes};
    for (const auto& im : f->imports) {
      auto path = locate(im.path, f->path, im.loc);
      if (!path) return path.error();
      if (std::find(stack.begin(), stack.end(), *path) != stack.end())
        return Error(im.loc.str() + ": circular import of \"" + im.path + "\"");
      auto it = cache_.find(*path);
      if (it == cache_.end()) {
        auto text = read_text(*path);
        if (!text) return Error(im.loc.str() + ": " + text.error().message());
        auto sub = parse(*path, *text);
        if (!sub) return sub.error();
        it = cache_.emplace(*path, *sub).first;
      }
      stack.push_back(*path);
      auto sub = collect(it->second, stack);
      stack.pop_back();
      if (!sub) return sub.error();
      std::set<std::string> wanted(im.names.begin(), im.names.end());
      std::set<std::string> found;
      auto take = [&](const std::vector<Function>& from, std::vector<Function>& into) {
        for (const auto& fn : from) {
          if (!im.all && !wanted.contains(fn.name)) continue;
          found.insert(fn.name);
          if (std::none_of(into.begin(), into.end(),
                           [&](const Function& g) { return g.name == fn.name && g.loc.file == fn.loc.file; }))
            into.push_back(fn);
        }
      };
      take(sub->ecalls, out.ecalls);
      take(sub->ocalls, out.ocalls);
      for (const auto& n : im.names)
        if (!found.contains(n))
          return Error(im.loc.str() + ": import failed: function '" + n + "' not found in \"" + im.path + "\"");
      for (const auto& t : sub->types)
        if (std::none_of(out.types.begin(), out.types.end(), [&](const UserType& u) {
              return u.name == t.name && u.loc.file == t.loc.file && u.loc.line == t.loc.line;
            }))
          out.types.push_back(t);
      auto add_all = [](std::vector<std::string>& into, const std::vector<std::string>& from) {
        for (const auto& s : from)
          if (std::find(into.begin(), into.end(), s) == into.end()) into.push_back(s);
      };
      add_all(out.includes, sub->includes);
      add_all(out.trusted_includes, sub->trusted_includes);
      add_all(out.untrusted_includes, sub->untrusted_includes);
    }
    return out;
  }

 private:
  const ParseOptions& o_;
  std::map<std::string, std::shared_ptr<FileAst>> cache_;
};

Result<void> check_enclave(const Enclave& e, const ParseOptions& o) {
  std::map<std::string, const Function*> seen;
  for (const auto* list : {&e.ecalls, &e.ocalls})
    for (const auto& fn : *list) {
      auto [it, fresh] = seen.emplace(fn.name, &fn);
      if (!fresh)
        return Error(fn.loc.str() + ": function '" + fn.name + "' is already declared at " + it->second->loc.str());
    }
  std::set<std::string> type_names;
  for (const auto& t : e.types)
    if (!t.name.empty() && !type_names.insert(t.name).second)
      return Error(t.loc.str() + ": type '" + t.name + "' is declared twice");
  for (const auto& oc : e.ocalls)
    for (const auto& a : oc.allow)
      if (std::none_of(e.ecalls.begin(), e.ecalls.end(), [&](const Function& f) { return f.name == a; }))
        return Error(oc.loc.str() + ": " + oc.name + "() allows '" + a + "', which is not an ECALL");
  if (o.require_public_ecall &&
      std::none_of(e.ecalls.begin(), e.ecalls.end(), [](const Function& f) { return f.is_public; }))
    return Error(e.short_name + ".edl: the enclave has no public ECALL (at least one is needed to enter it)");
  return {};
}

}  // namespace

Result<Enclave> parse_text(const std::string& path, const std::string& text, const ParseOptions& options) {
  Resolver r(options);
  auto root = Resolver::parse(path, text);
  if (!root) return root.error();
  std::vector<std::string> stack{std::filesystem::weakly_canonical(path).string()};
  auto funcs = r.collect(*root, stack);
  if (!funcs) return funcs.error();
  Enclave e;
  e.name = enclave_name_of(path);
  std::string base = std::filesystem::path(path).filename().string();
  if (auto dot = base.rfind('.'); dot != std::string::npos && dot != 0) base = base.substr(0, dot);
  e.short_name = base;
  e.trusted_includes = funcs->includes;
  e.untrusted_includes = funcs->includes;
  for (const auto& s : funcs->trusted_includes) e.trusted_includes.push_back(s);
  for (const auto& s : funcs->untrusted_includes) e.untrusted_includes.push_back(s);
  e.types = std::move(funcs->types);
  e.ecalls = std::move(funcs->ecalls);
  e.ocalls = std::move(funcs->ocalls);
  if (auto c = check_enclave(e, options); !c) return c.error();
  return e;
}

Result<Enclave> parse_file(const std::string& path, const ParseOptions& options) {
  auto text = read_text(path);
  if (!text) return text.error();
  return parse_text(path, *text, options);
}

}  // namespace nsgx::edl
