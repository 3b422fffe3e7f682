// A script's `#!` line, as Linux's binfmt_script reads it (fs/binfmt_script.c;
// execve(2), "Interpreter scripts"): the first line of at most
// kShebangMax bytes names an interpreter, the first word after `#!`
// (spaces and tabs around it skipped), and at most one optional argument,
// the rest of the line with the whitespace at both ends trimmed. The new
// program's argv is the interpreter, the argument if any, the script's
// path as execve was given it, then the script's argv[1..].
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string>

namespace nsgx::libos {

// Linux's BINPRM_BUF_SIZE: the part of the file the kernel reads.
constexpr size_t kShebangMax = 256;
// Linux's limit on scripts whose interpreter is a script (4 levels).
constexpr int kShebangDepth = 4;

struct Shebang {
  std::string interpreter, argument;
};

enum class ShebangResult { kNotScript, kScript, kMalformed };

// `data`/`size`: the file's first bytes (any number). kMalformed: no
// interpreter, or a line longer than kShebangMax whose interpreter's name
// is cut by it (ENOEXEC, as Linux).
inline ShebangResult parse_shebang(const uint8_t* data, size_t size, Shebang& out) {
  if (size < 2 || data[0] != '#' || data[1] != '!') return ShebangResult::kNotScript;
  const size_t n = size < kShebangMax ? size : kShebangMax;
  size_t end = 2;
  while (end < n && data[end] != '\n') ++end;
  const bool cut = end == n && n == kShebangMax;  // no newline in what the kernel reads
  auto blank = [](uint8_t c) { return c == ' ' || c == '\t'; };
  size_t i = 2;
  while (i < end && blank(data[i])) ++i;
  const size_t name = i;
  while (i < end && !blank(data[i]) && data[i] != 0) ++i;
  if (i == name) return ShebangResult::kMalformed;
  if (cut && i == end) return ShebangResult::kMalformed;  // the name itself may be longer than the line
  out.interpreter.assign(reinterpret_cast<const char*>(data + name), i - name);
  while (i < end && blank(data[i])) ++i;
  size_t last = end;
  while (last > i && (blank(data[last - 1]) || data[last - 1] == 0 || data[last - 1] == '\r')) --last;
  out.argument.assign(reinterpret_cast<const char*>(data + i), last - i);
  // A NUL inside ends the argument (the kernel hands a C string on).
  if (const size_t z = out.argument.find('\0'); z != std::string::npos) out.argument.resize(z);
  return ShebangResult::kScript;
}

}  // namespace nsgx::libos
