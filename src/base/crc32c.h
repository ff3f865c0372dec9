#pragma once
// CRC32C (Castagnoli), the checksum framing every log record. Uses the SSE4.2 crc32
// instruction when the CPU has it, a table otherwise; both give identical results.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cairn::crc32c {

// Extends `crc` (the CRC of earlier bytes, 0 to start) with `n` more bytes.
uint32_t Extend(uint32_t crc, const void* data, size_t n);

inline uint32_t Value(const void* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view s) { return Extend(0, s.data(), s.size()); }

}  // namespace cairn::crc32c
