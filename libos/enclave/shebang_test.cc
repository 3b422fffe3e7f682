// parse_shebang (shebang.h) against what Linux's binfmt_script does.
#include "libos/enclave/shebang.h"

#include <gtest/gtest.h>

#include <string>

namespace nsgx::libos {
namespace {

ShebangResult parse(const std::string& s, Shebang& out) {
  return parse_shebang(reinterpret_cast<const uint8_t*>(s.data()), s.size(), out);
}

TEST(Shebang, NotAScript) {
  Shebang s;
  EXPECT_EQ(parse("\x7f"
                  "ELF....",
                  s),
            ShebangResult::kNotScript);
  EXPECT_EQ(parse("#", s), ShebangResult::kNotScript);
  EXPECT_EQ(parse("", s), ShebangResult::kNotScript);
  EXPECT_EQ(parse(" #!/bin/sh\n", s), ShebangResult::kNotScript);
}

TEST(Shebang, InterpreterAlone) {
  Shebang s;
  ASSERT_EQ(parse("#!/bin/sh\necho hi\n", s), ShebangResult::kScript);
  EXPECT_EQ(s.interpreter, "/bin/sh");
  EXPECT_EQ(s.argument, "");
}

TEST(Shebang, BlanksAroundTheNameAndOneArgumentWithSpaces) {
  Shebang s;
  ASSERT_EQ(parse("#! \t/usr/bin/env  python3 -u  \t\nprint()\n", s), ShebangResult::kScript);
  EXPECT_EQ(s.interpreter, "/usr/bin/env");
  EXPECT_EQ(s.argument, "python3 -u");  // one argument, as Linux: not split
}

TEST(Shebang, NoNewlineAtAllAndCarriageReturn) {
  Shebang s;
  ASSERT_EQ(parse("#!/bin/sh -e", s), ShebangResult::kScript);
  EXPECT_EQ(s.interpreter, "/bin/sh");
  EXPECT_EQ(s.argument, "-e");
  ASSERT_EQ(parse("#!/bin/sh -x\r\n", s), ShebangResult::kScript);
  EXPECT_EQ(s.argument, "-x");
}

TEST(Shebang, NoInterpreterIsMalformed) {
  Shebang s;
  EXPECT_EQ(parse("#!\n", s), ShebangResult::kMalformed);
  EXPECT_EQ(parse("#!   \t\n", s), ShebangResult::kMalformed);
}

TEST(Shebang, ALineLongerThanTheKernelReads) {
  Shebang s;
  // The name fits, the argument is cut at 256 bytes (Linux passes what it read).
  const std::string arg(300, 'a');
  ASSERT_EQ(parse("#!/bin/sh " + arg + "\n", s), ShebangResult::kScript);
  EXPECT_EQ(s.interpreter, "/bin/sh");
  EXPECT_LT(s.argument.size(), kShebangMax);
  EXPECT_EQ(s.argument, std::string(s.argument.size(), 'a'));
  // The name itself cut: ENOEXEC.
  EXPECT_EQ(parse("#!/" + std::string(300, 'b') + "\n", s), ShebangResult::kMalformed);
}

}  // namespace
}  // namespace nsgx::libos
