#pragma once
// Checks a write request against the naming rules and limits before it is queued, and
// computes its idempotency fingerprint. Runs on the submitting thread.

#include "cairn/limits.h"
#include "cairn/types.h"
#include "storage/record.h"

namespace cairn {

// Validates names, sizes and counts. Does not check shards (the engine does).
Status CheckAppendRequest(const AppendRequest& req, const EngineLimits& limits);
Status CheckStreamName(std::string_view stream);

// Identity of a request for idempotency: command, streams, expected versions, events
// (type, data, metadata, client-given id). 16 bytes of BLAKE3.
Fingerprint RequestFingerprint(const AppendRequest& req);

}  // namespace cairn
