// libFuzzer target: the client's RESP reply parser on arbitrary bytes, fed in two pieces at
// a split the input chooses, with small limits so that the limit paths are reached. Every
// complete reply must render and compare equal to itself.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/assert.h"
#include "cairn/resp_reply_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  cairn::client::ReplyParser::Limits limits;
  limits.max_depth = 16;
  limits.max_bulk_bytes = 4096;
  limits.max_line_bytes = 1024;
  limits.max_aggregate_length = 1024;
  limits.max_reply_bytes = 64 << 10;
  cairn::client::ReplyParser parser(limits);
  const size_t split = data[0] % size;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string_view parts[] = {in.substr(0, split), in.substr(std::min(split, in.size()))};
  for (std::string_view part : parts) {
    parser.Feed(part);
    cairn::client::RespValue v;
    while (true) {
      auto r = parser.Next(&v);
      if (!r.ok() || !*r) break;
      CAIRN_ASSERT(v == v);  // NaN doubles compare equal too
      (void)v.DebugString(256);
      (void)v.Find("key");
    }
  }
  return 0;
}
