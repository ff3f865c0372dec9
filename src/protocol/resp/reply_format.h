#pragma once
// The RESP shapes of engine results, as the wire contract gives them
// (docs/reference/protocol.md). Maps in RESP3, flat arrays in RESP2.

#include "cairn/status.h"
#include "cairn/types.h"
#include "protocol/resp/reply_writer.h"

namespace cairn::resp {

// "-CODE message" with the contract's code word for the status.
void WriteStatus(ReplyWriter& w, const Status& status);
void WriteAppend(ReplyWriter& w, const AppendResult& r, bool transaction);
void WriteEvent(ReplyWriter& w, const RecordedEvent& e, bool with_hash);
void WriteRead(ReplyWriter& w, const ReadResult& r, bool with_hash);
void WriteScan(ReplyWriter& w, const ScanResult& r, bool with_hash);
void WriteInfo(ReplyWriter& w, const StreamInfo& info);
void WriteStreams(ReplyWriter& w, const ListStreamsResult& r);
void WriteStrings(ReplyWriter& w, const std::vector<std::string>& items);
void WriteVerify(ReplyWriter& w, const VerifyResult& r);

std::string HexHash(const std::array<uint8_t, 32>& hash);

}  // namespace cairn::resp
