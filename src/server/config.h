#pragma once
// Configuration of `cairn serve`: defaults, then a TOML file (--config), then CAIRN_*
// environment variables, then command-line flags; each later source wins. Every setting has
// the same name in all three (flag --memory-budget, env CAIRN_MEMORY_BUDGET, TOML
// memory_budget). docs/reference/config.md lists them.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cairn/options.h"
#include "cairn/status.h"

namespace cairn::server {

struct ServerConfig {
  std::string data_dir = "./data";
  std::string bind = "127.0.0.1";
  uint16_t resp_port = 7379;
  uint16_t http_port = 7380;
  uint32_t shards = 0;  // 0: one per core (fixed when the data directory is created)
  std::string shard_key = "org";
  uint64_t memory_budget_bytes = 512ull << 20;
  uint32_t reactors = 0;  // 0: one per core
  uint32_t read_threads = 2;
  uint32_t max_connections = 25000;
  uint64_t max_request_bytes = 16ull << 20;
  uint32_t idle_timeout_s = 0;   // 0: never close idle connections
  uint32_t max_pipeline = 1024;  // requests in flight per connection before reading pauses
  uint64_t max_output_bytes = 16ull << 20;  // unsent reply bytes before reading pauses
  uint32_t max_queued_per_shard = 1u << 16;
  uint32_t max_queued_reads = 4096;
  uint64_t verify_rate_bytes = 32ull
                               << 20;  // online verification's reading, per second (0: no limit)
  uint32_t max_watchers = 10000;       // live watches on the node
  uint32_t max_watchers_per_connection = 64;
  uint64_t watch_buffer_bytes = 1ull << 20;
  uint32_t watch_heartbeat_s = 15;  // server-sent events: a comment line when this quiet  // unsent
                                    // frames per watcher before it pauses
  uint64_t idempotency_window_s = 24 * 3600;
  uint64_t segment_size_bytes = 256ull << 20;
  bool segment_zero_fill = true;
  uint32_t max_event_bytes = 1u << 20;
  uint32_t max_metadata_bytes = 64u << 10;
  uint32_t max_events_per_append = 10000;
  uint32_t shutdown_timeout_s = 30;
  // Orgs whose events must each have a registered schema (an unknown type is SCHEMA).
  std::vector<std::string> schema_required_orgs;
  std::string encryption_key_file;           // empty: no encryption
  std::vector<std::string> encrypted_orgs;   // "org" or "org/type" entries
  std::string encryption_key_scope = "org";  // org or stream
  std::string log_format = "text";           // text or json
  std::string log_level = "info";
};

// One configurable value: its name (as in TOML; flags and env derive from it) and help.
struct SettingInfo {
  const char* name;
  const char* help;
};
const std::vector<SettingInfo>& Settings();

// "--memory-budget" for "memory_budget"; "CAIRN_MEMORY_BUDGET" likewise.
std::string FlagName(const char* name);
std::string EnvName(const char* name);

// Applies one textual value to `config` (sizes take KiB/MiB/GiB suffixes).
Status ApplySetting(ServerConfig* config, const std::string& name, const std::string& value);

// Builds the configuration: the TOML file at `config_path` (may be empty), the process
// environment, then `flags` (settings given on the command line, by name).
Status LoadConfig(const std::string& config_path, const std::map<std::string, std::string>& flags,
                  ServerConfig* config);

EngineOptions ToEngineOptions(const ServerConfig& config);

// "512MiB", "2GiB", "4096" -> bytes.
bool ParseSize(const std::string& text, uint64_t* bytes);

}  // namespace cairn::server
