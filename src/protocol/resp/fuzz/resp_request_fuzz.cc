// Feeds arbitrary bytes to the RESP request parser as a connection would: request after
// request, and again in pieces, checking that both cuts agree and that progress is made.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/assert.h"
#include "protocol/resp/request_parser.h"

using cairn::resp::ParseOutcome;
using cairn::resp::ParseStatus;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  cairn::resp::ParserLimits limits;
  limits.max_bulk_bytes = 1 << 16;
  limits.max_request_bytes = 1 << 17;
  limits.max_args = 1024;
  std::vector<std::string_view> args;
  size_t off = 0;
  std::vector<size_t> ends;
  while (off < in.size()) {
    ParseOutcome o = cairn::resp::ParseRequest(in.substr(off), limits, &args);
    if (o.status != ParseStatus::kComplete) {
      CAIRN_ASSERT(o.status == ParseStatus::kError || o.need_bytes == 0 ||
                   o.need_bytes > in.size() - off);
      break;
    }
    CAIRN_ASSERT(o.consumed > 0 && o.consumed <= in.size() - off);
    for (std::string_view a : args) {
      CAIRN_ASSERT(a.data() >= in.data() && a.data() + a.size() <= in.data() + in.size());
    }
    off += o.consumed;
    ends.push_back(off);
  }
  // Every prefix shorter than the first request is incomplete, never a different request.
  if (!ends.empty()) {
    for (size_t cut = 0; cut < ends[0]; cut += 1 + cut / 8) {
      ParseOutcome o = cairn::resp::ParseRequest(in.substr(0, cut), limits, &args);
      CAIRN_ASSERT(o.status != ParseStatus::kComplete || o.consumed <= cut);
    }
  }
  return 0;
}
