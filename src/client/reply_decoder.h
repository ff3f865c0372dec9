#pragma once
// Decodes the contract's reply shapes (docs/reference/protocol.md) from RESP values into the
// engine's value types. RESP3 maps and RESP2 flat arrays are both accepted; booleans may be
// RESP3 booleans or RESP2 integers 0/1; unknown fields are ignored, so servers may add
// fields. A missing or mistyped field is kCorruption naming the field. Pure functions.

#include <string>
#include <unordered_map>
#include <vector>

#include "cairn/client.h"
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
// A non-negative integer reply (EWATCH, EGROUP COMMIT and OFFSET); `what` names the command.
Result<uint64_t> DecodeUint(const RespValue& v, std::string_view what);
// EGROUP DELETE: 1 or 0 (a RESP3 boolean is accepted too).
Result<bool> DecodeFlag(const RespValue& v, std::string_view what);
// EGROUP LIST: an array of maps {group, scope, cursor}.
Result<std::vector<GroupCursor>> DecodeGroupList(const RespValue& v);
// EVERIFY: ok, checked, head_hash, first_bad_position, first_bad_segment, first_bad_offset
// (the last three null when ok), detail when the server gives one.
Result<VerifyResult> DecodeVerify(const RespValue& v);
// The `shards:` line of INFO's text.
Result<uint32_t> DecodeInfoShards(const RespValue& v);
// A watch's push frame: >3 "event" <id> <event map>, or >3 "live" <id> <cursor>.
// `stream_scopes` holds the open subscriptions (id -> the scope is a stream, so an event's
// cursor is its version rather than its position); a frame of another id is kCorruption.
Result<WatchFrame> DecodeWatchFrame(const RespValue& v,
                                    const std::unordered_map<uint64_t, bool>& stream_scopes);

}  // namespace cairn::client
