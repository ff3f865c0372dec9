#pragma once
// Documented limits (docs/reference/limits.md). Each is a default of EngineLimits.

#include <cstdint>

namespace cairn {

inline constexpr uint32_t kMaxOrgBytes = 64;
inline constexpr uint32_t kMaxTypeBytes = 64;
inline constexpr uint32_t kMaxIdBytes = 256;
inline constexpr uint32_t kMaxStreamNameBytes = kMaxOrgBytes + 1 + kMaxTypeBytes + 1 + kMaxIdBytes;
inline constexpr uint32_t kMaxEventTypeBytes = 128;
inline constexpr uint32_t kMaxIdempotencyKeyBytes = 128;
// A registered JSON Schema's text (ESCHEMA REGISTER).
inline constexpr uint32_t kMaxSchemaBytes = 64u << 10;
inline constexpr uint32_t kDefaultReadCount = 100;
inline constexpr uint32_t kMaxReadCount = 10000;

struct EngineLimits {
  uint32_t max_event_data_bytes = 1u << 20;  // 1 MiB
  uint32_t max_metadata_bytes = 64u << 10;   // 64 KiB
  uint32_t max_request_bytes = 16u << 20;    // 16 MiB, data + metadata + names
  uint32_t max_events_per_append = 10000;
  uint32_t max_streams_per_transaction = 1000;
};

}  // namespace cairn
