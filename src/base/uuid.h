#pragma once

#include "base/clock.h"
#include "base/random.h"
#include "cairn/types.h"

namespace cairn {

// A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, version 7, 74 random bits.
Uuid NewUuidV7(uint64_t unix_ms, Random* random);

}  // namespace cairn
