#include "arch/sgx/types.h"

namespace nsgx::sgx {

const char* status_name(Status s) {
  switch (s) {
    case Status::kSuccess: return "SGX_SUCCESS";
    case Status::kInvalidSigStruct: return "SGX_INVALID_SIG_STRUCT";
    case Status::kInvalidAttribute: return "SGX_INVALID_ATTRIBUTE";
    case Status::kBlkstate: return "SGX_BLKSTATE";
    case Status::kInvalidMeasurement: return "SGX_INVALID_MEASUREMENT";
    case Status::kNotBlockable: return "SGX_NOTBLOCKABLE";
    case Status::kPgInvld: return "SGX_PG_INVLD";
    case Status::kEpcPageConflict: return "SGX_EPC_PAGE_CONFLICT";
    case Status::kInvalidSignature: return "SGX_INVALID_SIGNATURE";
    case Status::kMacCompareFail: return "SGX_MAC_COMPARE_FAIL";
    case Status::kPageNotBlocked: return "SGX_PAGE_NOT_BLOCKED";
    case Status::kNotTracked: return "SGX_NOT_TRACKED";
    case Status::kVaSlotOccupied: return "SGX_VA_SLOT_OCCUPIED";
    case Status::kChildPresent: return "SGX_CHILD_PRESENT";
    case Status::kEnclaveAct: return "SGX_ENCLAVE_ACT";
    case Status::kEntryEpochLocked: return "SGX_ENTRYEPOCH_LOCKED";
    case Status::kInvalidEinitToken: return "SGX_INVALID_EINITTOKEN";
    case Status::kPrevTrkIncmpl: return "SGX_PREV_TRK_INCMPL";
    case Status::kPgIsSecs: return "SGX_PG_IS_SECS";
    case Status::kPageAttributesMismatch: return "SGX_PAGE_ATTRIBUTES_MISMATCH";
    case Status::kPageNotModifiable: return "SGX_PAGE_NOT_MODIFIABLE";
    case Status::kPageNotDebuggable: return "SGX_PAGE_NOT_DEBUGGABLE";
    case Status::kInvalidCounter: return "SGX_INVALID_COUNTER";
    case Status::kPgNonEpc: return "SGX_PG_NONEPC";
    case Status::kTrackNotRequired: return "SGX_TRACK_NOT_REQUIRED";
    case Status::kInvalidReportMacStruct: return "SGX_INVALID_REPORTMACSTRUCT";
    case Status::kInvalidCpusvn: return "SGX_INVALID_CPUSVN";
    case Status::kInvalidIsvsvn: return "SGX_INVALID_ISVSVN";
    case Status::kUnmaskedEvent: return "SGX_UNMASKED_EVENT";
    case Status::kInvalidKeyname: return "SGX_INVALID_KEYNAME";
  }
  return "SGX_UNKNOWN_STATUS";
}

}  // namespace nsgx::sgx
