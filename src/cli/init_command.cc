#include <cstdio>
#include <memory>
#include <string>

#include "cairn/engine.h"
#include "cli/commands.h"

namespace cairn::cli {
namespace {

struct InitArgs {
  std::string data_dir = "./data";
  uint32_t shards = 0;
  std::string shard_key = "org";
};

// Creates (or opens and recovers) a data directory, prints what it holds, closes it.
// Exit codes: 0 opened, 2 could not open.
int RunInit(const InitArgs& a) {
  EngineOptions o;
  o.data_dir = a.data_dir;
  o.shards = a.shards;
  auto key = ParseShardKey(a.shard_key);
  if (!key) {
    std::fprintf(stderr, "cairn init: --shard-key must be org, type or stream\n");
    return 2;
  }
  o.shard_key = *key;
  auto engine = Engine::Open(o);
  if (!engine.ok()) {
    std::fprintf(stderr, "cairn init: %s\n", engine.status().ToString().c_str());
    return 2;
  }
  EngineStats st = (*engine)->Stats();
  uint64_t events = 0;
  for (const auto& s : st.shards) events += s.next_position - 1;
  std::printf("data dir %s: %u shards (key %s), %llu events, recovered in %llu ms\n",
              a.data_dir.c_str(), (*engine)->shard_count(),
              ShardKeyName((*engine)->shard_key()).data(), static_cast<unsigned long long>(events),
              static_cast<unsigned long long>(st.recovery_ms));
  return 0;
}

}  // namespace

Command AddInitCommand(CLI::App* app) {
  auto args = std::make_shared<InitArgs>();
  CLI::App* sub = app->add_subcommand("init", "Create or open a data directory and recover it");
  sub->add_option("--data-dir", args->data_dir, "Data directory");
  sub->add_option("--shards", args->shards, "Shards when creating (0: one per core)");
  sub->add_option("--shard-key", args->shard_key, "org, type or stream (when creating)");
  return Command{sub, [args] { return RunInit(*args); }};
}

}  // namespace cairn::cli
