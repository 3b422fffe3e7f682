// REPORT, TARGETINFO and KEYREQUEST — the operands of EREPORT and EGETKEY.
// SDM Vol.3D 34.15 (REPORT, Table 34-17), 34.16 (TARGETINFO, Table 34-19),
// 34.18 (KEYREQUEST, Table 34-21).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "arch/sgx/secs.h"

namespace nsgx::sgx {

struct ReportBody {
  std::uint8_t cpu_svn[16];
  std::uint32_t misc_select;
  std::uint8_t cet_attributes;  // CET
  std::uint8_t reserved1[11];
  std::uint8_t isv_ext_prod_id[16];  // KSS
  Attributes attributes;
  std::uint8_t mr_enclave[32];
  std::uint8_t reserved2[32];
  std::uint8_t mr_signer[32];
  std::uint8_t reserved3[32];
  std::uint8_t config_id[64];  // KSS
  std::uint16_t isv_prod_id;
  std::uint16_t isv_svn;
  std::uint16_t config_svn;  // KSS
  std::uint8_t reserved4[42];
  std::uint8_t isv_family_id[16];  // KSS
  std::uint8_t report_data[64];
};
static_assert(std::is_trivially_copyable_v<ReportBody>);
static_assert(sizeof(ReportBody) == 384, "SDM Table 34-17: the MACed part of REPORT is 384 bytes");
static_assert(offsetof(ReportBody, cpu_svn) == 0, "SDM Table 34-17 CPUSVN");
static_assert(offsetof(ReportBody, misc_select) == 16, "SDM Table 34-17 MISCSELECT");
static_assert(offsetof(ReportBody, cet_attributes) == 20, "SDM Table 34-17 CETATTRIBUTES");
static_assert(offsetof(ReportBody, isv_ext_prod_id) == 32, "SDM Table 34-17 ISVEXTPRODID");
static_assert(offsetof(ReportBody, attributes) == 48, "SDM Table 34-17 ATTRIBUTES");
static_assert(offsetof(ReportBody, mr_enclave) == 64, "SDM Table 34-17 MRENCLAVE");
static_assert(offsetof(ReportBody, mr_signer) == 128, "SDM Table 34-17 MRSIGNER");
static_assert(offsetof(ReportBody, config_id) == 192, "SDM Table 34-17 CONFIGID");
static_assert(offsetof(ReportBody, isv_prod_id) == 256, "SDM Table 34-17 ISVPRODID");
static_assert(offsetof(ReportBody, isv_svn) == 258, "SDM Table 34-17 ISVSVN");
static_assert(offsetof(ReportBody, config_svn) == 260, "SDM Table 34-17 CONFIGSVN");
static_assert(offsetof(ReportBody, isv_family_id) == 304, "SDM Table 34-17 ISVFAMILYID");
static_assert(offsetof(ReportBody, report_data) == 320, "SDM Table 34-17 REPORTDATA");

struct Report {
  ReportBody body;
  std::uint8_t key_id[32];
  std::uint8_t mac[16];  // AES-128-CMAC over body (bytes 0-383) under the target's report key
};
static_assert(std::is_trivially_copyable_v<Report>);
static_assert(sizeof(Report) == 432, "SDM Table 34-17: REPORT is 432 bytes");
static_assert(offsetof(Report, key_id) == 384, "SDM Table 34-17 KEYID");
static_assert(offsetof(Report, mac) == 416, "SDM Table 34-17 MAC");

struct TargetInfo {
  std::uint8_t mr_enclave[32];
  Attributes attributes;
  std::uint8_t cet_attributes;  // CET
  std::uint8_t reserved1;
  std::uint16_t config_svn;  // KSS
  std::uint32_t misc_select;
  std::uint8_t reserved2[8];
  std::uint8_t config_id[64];  // KSS
  std::uint8_t reserved3[384];
};
static_assert(std::is_trivially_copyable_v<TargetInfo>);
static_assert(sizeof(TargetInfo) == 512, "SDM Table 34-19: TARGETINFO is 512 bytes");
static_assert(offsetof(TargetInfo, mr_enclave) == 0, "SDM Table 34-19 MEASUREMENT");
static_assert(offsetof(TargetInfo, attributes) == 32, "SDM Table 34-19 ATTRIBUTES");
static_assert(offsetof(TargetInfo, cet_attributes) == 48, "SDM Table 34-19 CETATTRIBUTES");
static_assert(offsetof(TargetInfo, config_svn) == 50, "SDM Table 34-19 CONFIGSVN");
static_assert(offsetof(TargetInfo, misc_select) == 52, "SDM Table 34-19 MISCSELECT");
static_assert(offsetof(TargetInfo, config_id) == 64, "SDM Table 34-19 CONFIGID");

struct KeyRequest {
  std::uint16_t key_name;    // KeyName
  std::uint16_t key_policy;  // key_policy bits
  std::uint16_t isv_svn;
  std::uint8_t reserved1[2];
  std::uint8_t cpu_svn[16];
  Attributes attribute_mask;
  std::uint8_t key_id[32];
  std::uint32_t misc_mask;
  std::uint16_t config_svn;  // KSS
  std::uint8_t reserved2[434];
};
static_assert(std::is_trivially_copyable_v<KeyRequest>);
static_assert(sizeof(KeyRequest) == 512, "SDM Table 34-21: KEYREQUEST is 512 bytes");
static_assert(offsetof(KeyRequest, key_name) == 0, "SDM Table 34-21 KEYNAME");
static_assert(offsetof(KeyRequest, key_policy) == 2, "SDM Table 34-21 KEYPOLICY");
static_assert(offsetof(KeyRequest, isv_svn) == 4, "SDM Table 34-21 ISVSVN");
static_assert(offsetof(KeyRequest, cpu_svn) == 8, "SDM Table 34-21 CPUSVN");
static_assert(offsetof(KeyRequest, attribute_mask) == 24, "SDM Table 34-21 ATTRIBUTEMASK");
static_assert(offsetof(KeyRequest, key_id) == 40, "SDM Table 34-21 KEYID");
static_assert(offsetof(KeyRequest, misc_mask) == 72, "SDM Table 34-21 MISCMASK");
static_assert(offsetof(KeyRequest, config_svn) == 76, "SDM Table 34-21 CONFIGSVN");
static_assert(offsetof(KeyRequest, reserved2) == 78, "SDM Table 34-21 RESERVED");

}  // namespace nsgx::sgx
