#pragma once
// Encodes requests the way every RESP server reads them: an array of bulk strings
// ("*<n>\r\n" then "$<len>\r\n<bytes>\r\n" per argument). Arguments are arbitrary bytes.
//
// RequestEncoder appends to a caller-owned buffer, so a connection reuses one buffer for
// every request it queues. Owner: one thread at a time.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace cairn::client {

class RequestEncoder {
 public:
  explicit RequestEncoder(std::string* out) : out_(out) {}

  // Starts a request of exactly `argc` arguments; Arg must then be called argc times (checked
  // in debug builds by End).
  RequestEncoder& Begin(size_t argc);
  RequestEncoder& Arg(std::string_view arg);
  RequestEncoder& Arg(uint64_t value);  // decimal
  void End();

  // A whole request in one call.
  void Encode(std::span<const std::string_view> args);
  void Encode(std::initializer_list<std::string_view> args) {
    Encode(std::span<const std::string_view>(args.begin(), args.size()));
  }

 private:
  void Header(char type, uint64_t n);

  std::string* out_;
  size_t args_left_ = 0;
};

// The encoded bytes of one request, for tests and one-off uses.
std::string EncodeRequest(std::initializer_list<std::string_view> args);

}  // namespace cairn::client
