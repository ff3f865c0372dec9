#include <charconv>

#include "base/assert.h"
#include "cairn/resp_request_encoder.h"

namespace cairn::client {

void RequestEncoder::Header(char type, uint64_t n) {
  char b[24];
  b[0] = type;
  char* p = std::to_chars(b + 1, b + sizeof(b) - 2, n).ptr;
  *p++ = '\r';
  *p++ = '\n';
  out_->append(b, p - b);
}

RequestEncoder& RequestEncoder::Begin(size_t argc) {
  CAIRN_DASSERT(args_left_ == 0);
  args_left_ = argc;
  Header('*', argc);
  return *this;
}

RequestEncoder& RequestEncoder::Arg(std::string_view arg) {
  CAIRN_DASSERT(args_left_ > 0);
  --args_left_;
  Header('$', arg.size());
  out_->append(arg);
  out_->append("\r\n", 2);
  return *this;
}

RequestEncoder& RequestEncoder::Arg(uint64_t value) {
  char b[24];
  char* p = std::to_chars(b, b + sizeof(b), value).ptr;
  return Arg(std::string_view(b, p - b));
}

void RequestEncoder::End() { CAIRN_DASSERT(args_left_ == 0); }

void RequestEncoder::Encode(std::span<const std::string_view> args) {
  Begin(args.size());
  for (std::string_view a : args) Arg(a);
  End();
}

std::string EncodeRequest(std::initializer_list<std::string_view> args) {
  std::string out;
  RequestEncoder(&out).Encode(args);
  return out;
}

}  // namespace cairn::client
