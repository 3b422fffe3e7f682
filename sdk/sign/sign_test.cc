// Enclave.config.xml parsing: the SDK signer's elements, defaults, ranges
// and refusals.
#include <gtest/gtest.h>

#include "sdk/sign/enclave_config.h"

namespace nsgx::sdk {
namespace {

TEST(EnclaveConfig, DefaultsAndValues) {
  auto c = parse_enclave_config("<EnclaveConfiguration/>");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->stack_max, 0x40000u);
  EXPECT_EQ(c->heap_max, 0x1000000u);
  EXPECT_EQ(c->tcs_num, 1u);
  EXPECT_FALSE(c->disable_debug);
  c = parse_enclave_config(R"(<?xml version="1.0"?>
<EnclaveConfiguration>
  <ProdID>0x12</ProdID>
  <ISVSVN>7</ISVSVN>
  <StackMaxSize>0x8000</StackMaxSize>
  <HeapMaxSize>0x100000</HeapMaxSize>
  <TCSNum>4</TCSNum>
  <TCSPolicy>0</TCSPolicy>
  <DisableDebug>1</DisableDebug>
  <MiscSelect>0</MiscSelect>
  <MiscMask>0xFFFFFFFF</MiscMask>
</EnclaveConfiguration>)");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->prod_id, 0x12);
  EXPECT_EQ(c->isv_svn, 7);
  EXPECT_EQ(c->stack_max, 0x8000u);
  EXPECT_EQ(c->tcs_num, 4u);
  EXPECT_EQ(c->tcs_policy, 0u);
  const auto f = sigstruct_fields(*c);
  EXPECT_EQ(f.isv_prod_id, 0x12);
  EXPECT_TRUE(f.attribute_mask.flags & sgx::attr::kDebug);  // debug forbidden
  EXPECT_FALSE(f.attributes.flags & sgx::attr::kDebug);
}

TEST(EnclaveConfig, Refusals) {
  const std::pair<const char*, const char*> cases[] = {
      {"<Enclave/>", "root element"},
      {"<EnclaveConfiguration><ProdID>1</ProdID><ProdID>2</ProdID></EnclaveConfiguration>", "given twice"},
      {"<EnclaveConfiguration><Bogus>1</Bogus></EnclaveConfiguration>", "<Bogus>: unknown element"},
      {"<EnclaveConfiguration><ProdID>0x10000</ProdID></EnclaveConfiguration>", "out of range"},
      {"<EnclaveConfiguration><ISVSVN>-1</ISVSVN></EnclaveConfiguration>", "not a number"},
      {"<EnclaveConfiguration><TCSNum>two</TCSNum></EnclaveConfiguration>", "not a number"},
      {"<EnclaveConfiguration><StackMaxSize>0x2001</StackMaxSize></EnclaveConfiguration>", "multiple of 4096"},
      {"<EnclaveConfiguration><TCSNum>2</TCSNum><TCSMaxNum>4</TCSMaxNum></EnclaveConfiguration>", "dynamic threads"},
      {"<EnclaveConfiguration><ReservedMemMaxSize>0x1000</ReservedMemMaxSize></EnclaveConfiguration>", "not supported"},
      {"<EnclaveConfiguration><UserRegionSize>0x1001</UserRegionSize></EnclaveConfiguration>", "multiple of 4096"},
      {"<EnclaveConfiguration><ProdID a='1'>1</ProdID></EnclaveConfiguration>", "attributes"},
      {"<EnclaveConfiguration><ProdID>1</ProdID>", "not well-formed"},
  };
  for (const auto& [xml, why] : cases) {
    auto c = parse_enclave_config(xml);
    ASSERT_FALSE(c) << xml;
    EXPECT_NE(c.error().message().find(why), std::string::npos) << xml << " → " << c.error().message();
  }
}

}  // namespace
}  // namespace nsgx::sdk
