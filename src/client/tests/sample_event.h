#pragma once
// A recorded event for the client's tests: its data holds a NUL and CR LF, its metadata is
// empty for odd versions; with_hash fills the chain hash.

#include <cstdint>

#include "cairn/types.h"

namespace cairn::client {

inline RecordedEvent SampleEvent(uint64_t version, bool with_hash) {
  RecordedEvent e;
  e.stream = "acme/account/42";
  e.version = version;
  e.shard = 3;
  e.position = 100 + version;
  e.id = *Uuid::Parse("0190f4a2-7c1e-7d3a-9b2c-123456789abc");
  e.type = "Deposited";
  e.timestamp_ms = 1764072000123;
  e.data = std::string("{\"amount\":5}\0\r\n", 15);
  e.metadata = version % 2 ? "" : "{\"by\":\"ann\"}";
  if (with_hash) {
    for (size_t i = 0; i < e.hash.size(); ++i) e.hash[i] = static_cast<uint8_t>(i * 7 + version);
  }
  return e;
}

}  // namespace cairn::client
