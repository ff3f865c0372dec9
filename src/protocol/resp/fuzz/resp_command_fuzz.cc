// Splits arbitrary bytes into arguments (on NUL) and runs every command parser on them:
// none may crash, and an accepted command must hold what its grammar promises.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "base/assert.h"
#include "protocol/resp/command_parser.h"

using namespace cairn;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  resp::Args args;
  size_t p = 0;
  while (p <= in.size() && args.size() < 256) {
    size_t z = in.find('\0', p);
    if (z == std::string_view::npos) z = in.size();
    args.push_back(in.substr(p, z - p));
    p = z + 1;
  }
  resp::CommandError e;
  AppendRequest a;
  if (resp::ParseAppend(args, &a, &e)) {
    CAIRN_ASSERT(a.clauses.size() == 1 && !a.clauses[0].events.empty());
  }
  AppendRequest t;
  if (resp::ParseTransaction(args, &t, &e)) CAIRN_ASSERT(t.transaction && !t.clauses.empty());
  resp::ReadOptions r;
  (void)resp::ParseRead(args, &r, &e);
  resp::ScanOptions s;
  (void)resp::ParseScan(args, &s, &e);
  ListStreamsRequest l;
  (void)resp::ParseListStreams(args, &l, &e);
  DeleteRequest d;
  (void)resp::ParseDelete(args, &d, &e);
  TrimRequest tr;
  (void)resp::ParseTrim(args, &tr, &e);
  VerifyRequest v;
  (void)resp::ParseVerify(args, &v, &e);
  resp::WatchOptions w;
  if (resp::ParseWatch(args, &w, &e)) CAIRN_ASSERT(!w.scope.empty() || args[1].empty());
  resp::GroupCommand g;
  (void)resp::ParseGroup(args, &g, &e);
  resp::SchemaCommand sc;
  if (resp::ParseSchema(args, &sc, &e)) {
    CAIRN_ASSERT(args.size() >= 3 && sc.org == args[2]);
    CAIRN_ASSERT(sc.op != resp::SchemaCommand::Op::kRegister || sc.body == args[5]);
  }
  return 0;
}
