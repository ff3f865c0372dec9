#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "base/hash.h"
#include "cairn/client.h"
#include "cli/commands.h"
#include "io/file_system.h"
#include "protocol/http/json_writer.h"
#include "server/http_replies.h"
#include "storage/manifest.h"
#include "storage/verifier.h"

namespace cairn::cli {
namespace {

// Exit codes of `cairn verify`, offline and online alike (docs/reference/cli.md).
constexpr int kVerifyOk = 0;
constexpr int kVerifyDamage = 1;
constexpr int kVerifyCouldNotRun = 2;

struct VerifyArgs {
  std::string data_dir;
  std::string addr;
  int shard = -1;
  uint64_t from = 1;
  uint64_t to = UINT64_MAX;
  bool json = false;
  uint32_t timeout_ms = 0;  // online: 0 waits as long as the verification takes
};

struct ShardOutcome {
  uint32_t shard = 0;
  VerifyResult result;
  double seconds = 0;
};

void PrintText(const ShardOutcome& o) {
  const VerifyResult& r = o.result;
  std::printf("shard %u: %s checked=%llu head_hash=%s (%.2fs)\n", o.shard, r.ok ? "ok" : "BAD",
              static_cast<unsigned long long>(r.checked),
              r.checked ? HashToHex(r.head_hash).c_str() : "-", o.seconds);
  if (!r.ok) {
    std::printf("shard %u: first_bad_position=%llu segment=%llu offset=%llu: %s\n", o.shard,
                static_cast<unsigned long long>(r.first_bad_position.value_or(0)),
                static_cast<unsigned long long>(r.first_bad_segment.value_or(0)),
                static_cast<unsigned long long>(r.first_bad_offset.value_or(0)), r.detail.c_str());
  } else if (!r.detail.empty()) {
    std::printf("shard %u: note: %s\n", o.shard, r.detail.c_str());
  }
}

// {"ok": every shard ok, "shards": [{"shard", then the fields of /v1/verify}]}.
void PrintJson(const std::vector<ShardOutcome>& all) {
  std::string out;
  http::JsonWriter j(&out);
  bool ok = true;
  for (const ShardOutcome& o : all) ok = ok && o.result.ok;
  j.BeginObject();
  j.Key("ok");
  j.Bool(ok);
  j.Key("shards");
  j.BeginArray();
  for (const ShardOutcome& o : all) {
    j.BeginObject();
    j.Key("shard");
    j.Uint(o.shard);
    server::WriteVerifyFields(j, o.result);  // the same fields as EVERIFY's JSON
    j.EndObject();
  }
  j.EndArray();
  j.EndObject();
  std::printf("%s\n", out.c_str());
}

// Prints the outcomes; returns the exit code (`rc` is kVerifyCouldNotRun when some shard
// could not be checked).
int Report(const std::vector<ShardOutcome>& all, bool json, int rc) {
  if (json) PrintJson(all);
  for (const ShardOutcome& o : all) {
    if (!json) PrintText(o);
    if (!o.result.ok && rc == kVerifyOk) rc = kVerifyDamage;
  }
  return rc;
}

int RunOffline(const VerifyArgs& a) {
  FileSystem* fs = PosixFileSystem();
  std::string dir = a.data_dir.empty() ? "./data" : a.data_dir;
  auto lock = fs->LockFile(dir + "/LOCK");
  if (!lock.ok()) {
    std::fprintf(stderr, "cairn verify: %s (stop the server, or verify online with --addr)\n",
                 lock.status().message().c_str());
    return kVerifyCouldNotRun;
  }
  auto m = ReadManifest(fs, dir);
  if (!m.ok()) {
    std::fprintf(stderr, "cairn verify: %s\n", m.status().ToString().c_str());
    return kVerifyCouldNotRun;
  }
  int rc = kVerifyOk;
  std::vector<ShardOutcome> all;
  for (uint32_t s = 0; s < m->shards; ++s) {
    if (a.shard >= 0 && static_cast<uint32_t>(a.shard) != s) continue;
    char sub[64];
    std::snprintf(sub, sizeof(sub), "/shard-%03u/log", s);
    auto t0 = std::chrono::steady_clock::now();
    // A progress line on stderr at most once a second: a large log takes minutes.
    auto last = t0;
    auto progress = [&](uint64_t checked, size_t done, size_t total) {
      auto now = std::chrono::steady_clock::now();
      if (now - last < std::chrono::seconds(1) || done == total) return;
      last = now;
      double secs = std::chrono::duration<double>(now - t0).count();
      std::fprintf(stderr, "shard %u: %zu/%zu segments, %llu events checked (%.0f/s)\n", s, done,
                   total, static_cast<unsigned long long>(checked), checked / secs);
    };
    auto r = VerifyShardLog(fs, dir + sub, s, a.from, a.to, progress);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!r.ok()) {
      std::fprintf(stderr, "shard %u: error: %s\n", s, r.status().ToString().c_str());
      rc = kVerifyCouldNotRun;
      continue;
    }
    all.push_back({s, *r, secs});
  }
  (void)fs->CloseFile(*lock);
  if (a.shard >= 0 && static_cast<uint32_t>(a.shard) >= m->shards) {
    std::fprintf(stderr, "cairn verify: no shard %d (the directory has %u)\n", a.shard, m->shards);
    return kVerifyCouldNotRun;
  }
  return Report(all, a.json, rc);
}

// Online: EVERIFY per shard over one connection; the server runs each on its background
// verification thread.
int RunOnline(const VerifyArgs& a) {
  client::ConnectionOptions o;
  if (a.timeout_ms != 0) {
    o.connect_timeout_ms = a.timeout_ms;
    o.io_timeout_ms = a.timeout_ms;
  } else {
    o.io_timeout_ms = 24u * 3600 * 1000;  // a full verification of a large log takes minutes
  }
  auto cl = client::Client::Connect(a.addr, o);
  if (!cl.ok()) {
    std::fprintf(stderr, "cairn verify: %s\n", cl.status().ToString().c_str());
    return kVerifyCouldNotRun;
  }
  uint32_t shards = 0;
  if (a.shard >= 0) {
    shards = static_cast<uint32_t>(a.shard) + 1;
  } else {
    auto n = cl->ShardCount();
    if (!n.ok()) {
      std::fprintf(stderr, "cairn verify: %s\n", n.status().ToString().c_str());
      return kVerifyCouldNotRun;
    }
    shards = *n;
  }
  int rc = kVerifyOk;
  std::vector<ShardOutcome> all;
  for (uint32_t s = a.shard >= 0 ? static_cast<uint32_t>(a.shard) : 0; s < shards; ++s) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = cl->Verify({s, a.from, a.to});
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!r.ok()) {
      std::fprintf(stderr, "shard %u: error: %s\n", s, client::ErrorLine(r.status()).c_str());
      rc = kVerifyCouldNotRun;
      continue;
    }
    all.push_back({s, *r, secs});
  }
  return Report(all, a.json, rc);
}

}  // namespace

Command AddVerifyCommand(CLI::App* app) {
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* sub = app->add_subcommand("verify", "Check CRCs and the hash chain of the log");
  auto* dir = sub->add_option("--data-dir", args->data_dir,
                              "Data directory, checked offline (server stopped; default ./data)");
  auto* addr =
      sub->add_option("--addr", args->addr, "Server address host:port: verify online (EVERIFY)");
  dir->excludes(addr);
  sub->add_option("--shard", args->shard, "Only this shard");
  sub->add_option("--from", args->from, "First position to check");
  sub->add_option("--to", args->to, "Last position to check");
  sub->add_flag("--json", args->json, "Print one JSON document");
  sub->add_option("--timeout-ms", args->timeout_ms,
                  "Online: connect and I/O timeout (default: none for the verification)");
  return Command{sub, [args] {
                   if (args->to < args->from) {
                     std::fprintf(stderr, "cairn verify: --to must not be below --from\n");
                     return kVerifyCouldNotRun;
                   }
                   return args->addr.empty() ? RunOffline(*args) : RunOnline(*args);
                 }};
}

}  // namespace cairn::cli
