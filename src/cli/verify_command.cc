#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "base/hash.h"
#include "cli/commands.h"
#include "io/file_system.h"
#include "storage/manifest.h"
#include "storage/verifier.h"

namespace cairn::cli {
namespace {

struct VerifyArgs {
  std::string data_dir = "./data";
  int shard = -1;
  uint64_t from = 1;
  uint64_t to = UINT64_MAX;
};

// Exit codes: 0 every checked shard verifies, 1 damage found, 2 could not run.
int RunVerify(const VerifyArgs& a) {
  FileSystem* fs = PosixFileSystem();
  auto lock = fs->LockFile(a.data_dir + "/LOCK");
  if (!lock.ok()) {
    std::fprintf(stderr, "cairn verify: %s (stop the server, or verify online)\n",
                 lock.status().message().c_str());
    return 2;
  }
  auto m = ReadManifest(fs, a.data_dir);
  if (!m.ok()) {
    std::fprintf(stderr, "cairn verify: %s\n", m.status().ToString().c_str());
    return 2;
  }
  int rc = 0;
  for (uint32_t s = 0; s < m->shards; ++s) {
    if (a.shard >= 0 && static_cast<uint32_t>(a.shard) != s) continue;
    char dir[64];
    std::snprintf(dir, sizeof(dir), "/shard-%03u/log", s);
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
    auto r = VerifyShardLog(fs, a.data_dir + dir, s, a.from, a.to, progress);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!r.ok()) {
      std::fprintf(stderr, "shard %u: error: %s\n", s, r.status().ToString().c_str());
      rc = 2;
      continue;
    }
    std::printf("shard %u: %s checked=%llu head_hash=%s (%.2fs)\n", s, r->ok ? "ok" : "BAD",
                static_cast<unsigned long long>(r->checked),
                r->checked ? HashToHex(r->head_hash).c_str() : "-", secs);
    if (!r->ok) {
      std::printf("shard %u: first_bad_position=%llu: %s\n", s,
                  static_cast<unsigned long long>(*r->first_bad_position), r->detail.c_str());
      if (rc == 0) rc = 1;
    } else if (!r->detail.empty()) {
      std::printf("shard %u: note: %s\n", s, r->detail.c_str());
    }
  }
  (void)fs->CloseFile(*lock);
  return rc;
}

}  // namespace

Command AddVerifyCommand(CLI::App* app) {
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* sub = app->add_subcommand("verify", "Check CRCs and the hash chain of the log");
  sub->add_option("--data-dir", args->data_dir, "Data directory (server stopped)");
  sub->add_option("--shard", args->shard, "Only this shard");
  sub->add_option("--from", args->from, "First position to check");
  sub->add_option("--to", args->to, "Last position to check");
  return Command{sub, [args] { return RunVerify(*args); }};
}

}  // namespace cairn::cli
