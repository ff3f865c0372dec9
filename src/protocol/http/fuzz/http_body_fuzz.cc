// Runs the JSON request-body decoders on arbitrary bytes: no crash, and an accepted body
// holds what its shape promises.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/assert.h"
#include "protocol/http/request_bodies.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  cairn::AppendRequest a;
  if (cairn::http::DecodeAppendBody(in, "a/b/c", &a).ok()) {
    CAIRN_ASSERT(a.clauses.size() == 1 && !a.clauses[0].events.empty());
  }
  cairn::AppendRequest t;
  if (cairn::http::DecodeTransactionBody(in, &t).ok()) {
    CAIRN_ASSERT(t.transaction && !t.clauses.empty());
  }
  uint64_t before = 0;
  (void)cairn::http::DecodeTrimBody(in, &before);
  std::string scope;
  uint64_t cursor = 0;
  (void)cairn::http::DecodeGroupCommitBody(in, &scope, &cursor);
  return 0;
}
