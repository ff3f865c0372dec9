// libFuzzer target for the HTTP request parser and the decoders the HTTP API applies to
// request bytes. The input is read as a connection's byte stream: requests are parsed one
// after another as a server would, under the default limits and under tiny ones (so the limit
// paths are reached by small inputs), and every prefix handed back as kNeedMore must stay
// consistent with the whole. Parsed pieces are then fed to the URL, base64 and JSON decoders.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/assert.h"
#include "protocol/http/encoding.h"
#include "protocol/http/http_parser.h"
#include "protocol/http/json_writer.h"
#include "protocol/http/url.h"

namespace {

using cairn::http::Limits;
using cairn::http::ParseError;
using cairn::http::ParseRequest;
using cairn::http::ParseStatus;
using cairn::http::Request;

// Decoders reached from a request: none may crash, and their outputs obey simple laws.
void ExerciseDecoders(const Request& r) {
  if (auto decoded = cairn::http::PercentDecode(r.path, false)) {
    CAIRN_ASSERT(decoded->size() <= r.path.size());
  }
  (void)cairn::http::ParseQuery(r.query);
  for (std::string_view segment : cairn::http::SplitPath(r.path)) {
    CAIRN_ASSERT(segment.find('/') == std::string_view::npos);
  }
  if (auto bytes = cairn::http::Base64Decode(r.body)) {
    // Accepted text is canonical: re-encoding gives it back, up to padding.
    std::string again = cairn::http::Base64Encode(*bytes);
    CAIRN_ASSERT(again.substr(0, r.body.size()) == r.body);
  }
  // Whatever the body, writing it as a JSON string yields valid JSON.
  std::string json;
  cairn::http::JsonWriter w(&json);
  w.BeginObject();
  w.Key(r.Find("content-type"));
  w.String(r.body.substr(0, 4096));
  w.EndObject();
  CAIRN_ASSERT(cairn::http::IsValidJson(json));
  if (cairn::http::IsValidJson(r.body)) CAIRN_ASSERT(cairn::http::IsValidUtf8(r.body));
}

// Parses the stream the way a connection would; returns the number of requests parsed.
int ParseStream(std::string_view stream, const Limits& limits) {
  Request request;
  ParseError error;
  int parsed = 0;
  while (!stream.empty()) {
    size_t consumed = 0, need_hint = 0;
    ParseStatus st = ParseRequest(stream, limits, &request, &consumed, &need_hint, &error);
    if (st == ParseStatus::kError) {
      CAIRN_ASSERT(error.status >= 400 && error.status <= 505 && !error.message.empty());
      break;
    }
    if (st == ParseStatus::kNeedMore) {
      CAIRN_ASSERT(need_hint == 0 || need_hint > stream.size());
      break;
    }
    CAIRN_ASSERT(consumed > 0 && consumed <= stream.size());
    CAIRN_ASSERT(request.head_bytes > 0 && request.head_bytes <= consumed);
    CAIRN_ASSERT(request.body.size() <= limits.max_body_bytes);
    CAIRN_ASSERT(request.headers.size() <= limits.max_headers);
    // A complete request is complete in any longer buffer, and every prefix of it needs more
    // (checked at a few cut points to keep each run fast).
    for (size_t cut : {consumed - 1, consumed / 2, consumed / 3}) {
      Request partial;
      size_t c2 = 0, h2 = 0;
      ParseStatus st2 = ParseRequest(stream.substr(0, cut), limits, &partial, &c2, &h2, &error);
      CAIRN_ASSERT(st2 == ParseStatus::kNeedMore);
      CAIRN_ASSERT(h2 == 0 || (h2 > cut && h2 <= consumed));
    }
    ExerciseDecoders(request);
    stream.remove_prefix(consumed);
    ++parsed;
  }
  return parsed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  ParseStream(input, Limits());
  Limits tiny;
  tiny.max_header_bytes = 96;
  tiny.max_headers = 3;
  tiny.max_body_bytes = 32;
  tiny.max_target_bytes = 24;
  ParseStream(input, tiny);
  // The decoders also see raw slices, not only what the parser lets through.
  std::string_view half = input.substr(0, size / 2);
  (void)cairn::http::PercentDecode(half, true);
  (void)cairn::http::ParseQuery(input.substr(size / 2));
  (void)cairn::http::Base64Decode(half);
  (void)cairn::http::IsValidJson(input);
  return 0;
}
