#include "runtime/common/page_rights_table.h"

#include <gtest/gtest.h>

namespace nsgx::runtime {
namespace {

using monitor::EpcIndex;
using monitor::LinearAddr;
using monitor::PageRights;

TEST(PageRightsTable, GivesBackWhatTheMonitorSaidForThatAddressOnly) {
  PageRightsTable t(4);
  const LinearAddr a{0x7f0000001000}, b{0x7f0000002000};
  EXPECT_TRUE(t.at(EpcIndex{1}, a).none());  // nothing said yet: no access
  t.mapped(EpcIndex{1}, a, {.rwx = 3, .tcs = false});
  EXPECT_EQ(t.at(EpcIndex{1}, a), (PageRights{.rwx = 3, .tcs = false}));
  EXPECT_TRUE(t.at(EpcIndex{1}, b).none());  // the page backs another address
  EXPECT_TRUE(t.at(EpcIndex{2}, a).none());
  t.mapped(EpcIndex{1}, a, {.rwx = 1, .tcs = false});  // EMODPR: restricted
  EXPECT_EQ(t.at(EpcIndex{1}, a), (PageRights{.rwx = 1, .tcs = false}));
  t.mapped(EpcIndex{2}, b, {.rwx = 0, .tcs = true});
  EXPECT_EQ(t.at(EpcIndex{2}, b), (PageRights{.rwx = 0, .tcs = true}));
  EXPECT_EQ(prot_of(t.at(EpcIndex{2}, b)), PROT_NONE);  // a TCS is never accessible
  EXPECT_EQ(prot_of(PageRights{.rwx = 5, .tcs = false}), PROT_READ | PROT_EXEC);
  t.unmapped(EpcIndex{1});
  EXPECT_TRUE(t.at(EpcIndex{1}, a).none());
  // Out of range or unaligned: ignored, and nothing is granted.
  t.mapped(EpcIndex{4}, a, {.rwx = 7, .tcs = false});
  EXPECT_TRUE(t.at(EpcIndex{4}, a).none());
  t.mapped(EpcIndex{3}, LinearAddr{a.value + 8}, {.rwx = 7, .tcs = false});
  EXPECT_TRUE(t.at(EpcIndex{3}, LinearAddr{a.value + 8}).none());
  EXPECT_TRUE(t.at(EpcIndex{3}, a).none());
}

}  // namespace
}  // namespace nsgx::runtime
