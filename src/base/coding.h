#pragma once
// Fixed-width integer encoding. On-disk log records are little-endian; index keys are
// big-endian so that RocksDB's bytewise order is numeric order.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace cairn {

inline void PutFixed16(std::string* dst, uint16_t v) {
  dst->append(reinterpret_cast<char*>(&v), 2);
}
inline void PutFixed32(std::string* dst, uint32_t v) {
  dst->append(reinterpret_cast<char*>(&v), 4);
}
inline void PutFixed64(std::string* dst, uint64_t v) {
  dst->append(reinterpret_cast<char*>(&v), 8);
}
inline void EncodeFixed32(char* p, uint32_t v) { std::memcpy(p, &v, 4); }
inline void EncodeFixed64(char* p, uint64_t v) { std::memcpy(p, &v, 8); }
inline uint16_t DecodeFixed16(const char* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
inline uint32_t DecodeFixed32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t DecodeFixed64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline void PutBigEndian64(std::string* dst, uint64_t v) {
  v = __builtin_bswap64(v);
  dst->append(reinterpret_cast<char*>(&v), 8);
}
inline void PutBigEndian32(std::string* dst, uint32_t v) {
  v = __builtin_bswap32(v);
  dst->append(reinterpret_cast<char*>(&v), 4);
}
inline uint64_t DecodeBigEndian64(const char* p) { return __builtin_bswap64(DecodeFixed64(p)); }
inline uint32_t DecodeBigEndian32(const char* p) { return __builtin_bswap32(DecodeFixed32(p)); }

// A bounds-checked cursor over bytes that came from outside (disk, network). Every Get
// fails instead of reading past the end; callers check ok() once at the end.
class Decoder {
 public:
  explicit Decoder(std::string_view in) : p_(in.data()), end_(in.data() + in.size()) {}
  bool ok() const { return ok_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  const char* position() const { return p_; }

  uint8_t Get8() { return Need(1) ? static_cast<uint8_t>(*p_++) : 0; }
  uint16_t Get16() { return Take<uint16_t>(); }
  uint32_t Get32() { return Take<uint32_t>(); }
  uint64_t Get64() { return Take<uint64_t>(); }
  std::string_view GetBytes(size_t n) {
    if (!Need(n)) return {};
    std::string_view v(p_, n);
    p_ += n;
    return v;
  }
  void Skip(size_t n) { (void)GetBytes(n); }

 private:
  bool Need(size_t n) {
    if (!ok_ || static_cast<size_t>(end_ - p_) < n) {
      ok_ = false;
      return false;
    }
    return true;
  }
  template <typename T>
  T Take() {
    if (!Need(sizeof(T))) return 0;
    T v;
    std::memcpy(&v, p_, sizeof(T));
    p_ += sizeof(T);
    return v;
  }
  const char* p_;
  const char* end_;
  bool ok_ = true;
};

}  // namespace cairn
