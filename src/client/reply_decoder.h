#pragma once
// Decodes the contract's reply shapes (docs/reference/protocol.md) from RESP values into the
// engine's value types. RESP3 maps and RESP2 flat arrays are both accepted; booleans may be
// RESP3 booleans or RESP2 integers 0/1; unknown fields are ignored, so servers may add
// fields. A missing or mistyped field is kCorruption naming the field. Pure functions.

#include <string>
#include <vector>

#include "cairn/resp_value.h"
#include "cairn/status.h"
#include "cairn/types.h"

namespace cairn::client {

// EAPPEND (transaction = false) or ETXN (true).
Result<AppendResult> DecodeAppend(const RespValue& v, bool transaction);
Result<RecordedEvent> DecodeEvent(const RespValue& v);
Result<ReadResult> DecodeRead(const RespValue& v);
Result<ScanResult> DecodeScan(const RespValue& v);
// EINFO, EDELETE, ETRIM.
Result<StreamInfo> DecodeInfo(const RespValue& v);
Result<ListStreamsResult> DecodeStreams(const RespValue& v);
// ETYPES, EORGS: an array (or set) of strings.
Result<std::vector<std::string>> DecodeStrings(const RespValue& v);

}  // namespace cairn::client
