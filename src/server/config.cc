#include "server/config.h"

#include <toml++/toml.h>

#include <charconv>
#include <cstdlib>

#include "base/names.h"

namespace cairn::server {
namespace {

bool ParseU64(const std::string& s, uint64_t* out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

template <typename T>
Status SetUint(const std::string& name, const std::string& v, T* out, uint64_t min, uint64_t max) {
  uint64_t x = 0;
  if (!ParseU64(v, &x) || x < min || x > max) {
    return Status::Invalid(name + " must be an integer from " + std::to_string(min) + " to " +
                           std::to_string(max) + ", got '" + v + "'");
  }
  *out = static_cast<T>(x);
  return Status::Ok();
}

Status SetSize(const std::string& name, const std::string& v, uint64_t* out, uint64_t min) {
  uint64_t x = 0;
  if (!ParseSize(v, &x) || x < min) {
    return Status::Invalid(name + " must be a size of at least " + std::to_string(min) +
                           " bytes (e.g. 512MiB), got '" + v + "'");
  }
  *out = x;
  return Status::Ok();
}

}  // namespace

const std::vector<SettingInfo>& Settings() {
  static const std::vector<SettingInfo> kSettings = {
      {"data_dir", "Data directory"},
      {"bind", "Address to listen on"},
      {"resp_port", "RESP (Redis protocol) port"},
      {"http_port", "HTTP/JSON port"},
      {"shards", "Shards when creating the data directory (0: one per core)"},
      {"shard_key", "What picks a stream's shard when creating: org, type or stream"},
      {"memory_budget", "Memory for every cache together (e.g. 512MiB)"},
      {"reactors", "Network threads (0: one per core)"},
      {"read_threads", "Threads serving reads"},
      {"max_connections", "Open client connections at most"},
      {"max_request_bytes", "Largest request accepted (RESP frame or HTTP body)"},
      {"idle_timeout_s", "Close connections idle this long (0: never)"},
      {"max_pipeline", "Requests in flight per connection before reading pauses"},
      {"max_output_bytes", "Unsent reply bytes per connection before reading pauses"},
      {"max_queued_per_shard", "Writes queued per shard before BUSY"},
      {"max_queued_reads", "Reads queued before BUSY"},
      {"verify_rate", "Bytes of log an online verification reads per second (0: no limit)"},
      {"max_watchers", "Live watches on the node before EWATCH answers BUSY"},
      {"max_watchers_per_connection", "Live watches per connection before EWATCH answers BUSY"},
      {"watch_buffer_bytes", "Unsent frame bytes per watcher before pushing pauses"},
      {"watch_heartbeat_s",
       "Seconds without a frame before a server-sent event stream gets a heartbeat"},
      {"idempotency_window_s", "How long idempotency keys are remembered"},
      {"segment_size", "Log segment size when creating"},
      {"segment_zero_fill",
       "Write zeros up to 1 MiB ahead of the log's end with small log writes: true or false"},
      {"max_event_bytes", "Largest event data"},
      {"max_metadata_bytes", "Largest event metadata"},
      {"max_events_per_append", "Events in one append at most"},
      {"shutdown_timeout_s", "On SIGTERM, how long in-flight requests may take"},
      {"schema_required_orgs",
       "Orgs (comma-separated) whose every event type needs a registered schema"},
      {"encryption_key_file",
       "Master key file (32 random bytes, mode 0600) for per-event encryption"},
      {"encrypted_orgs", "Orgs (or org/type) whose events are encrypted, comma-separated"},
      {"encryption_key_scope", "One data key per org or per stream: org or stream"},
      {"log_format", "text or json"},
      {"log_level", "trace, debug, info, warn or error"},
  };
  return kSettings;
}

std::string FlagName(const char* name) {
  std::string f = "--";
  for (const char* p = name; *p; ++p) f += (*p == '_') ? '-' : *p;
  return f;
}

std::string EnvName(const char* name) {
  std::string e = "CAIRN_";
  for (const char* p = name; *p; ++p) e += static_cast<char>(std::toupper(*p));
  return e;
}

bool ParseSize(const std::string& text, uint64_t* bytes) {
  size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  uint64_t n = 0;
  if (!ParseU64(text.substr(0, i), &n)) return false;
  std::string unit = text.substr(i);
  uint64_t mult = 1;
  if (unit.empty() || unit == "B") {
    mult = 1;
  } else if (unit == "KiB" || unit == "K" || unit == "KB") {
    mult = 1ull << 10;
  } else if (unit == "MiB" || unit == "M" || unit == "MB") {
    mult = 1ull << 20;
  } else if (unit == "GiB" || unit == "G" || unit == "GB") {
    mult = 1ull << 30;
  } else {
    return false;
  }
  if (n > (UINT64_MAX >> 1) / mult) return false;
  *bytes = n * mult;
  return true;
}

Status ApplySetting(ServerConfig* c, const std::string& name, const std::string& v) {
  if (name == "data_dir") {
    if (v.empty()) return Status::Invalid("data_dir must not be empty");
    c->data_dir = v;
  } else if (name == "bind") {
    c->bind = v;
  } else if (name == "resp_port") {
    return SetUint(name, v, &c->resp_port, 0, 65535);
  } else if (name == "http_port") {
    return SetUint(name, v, &c->http_port, 0, 65535);
  } else if (name == "shards") {
    return SetUint(name, v, &c->shards, 0, 1024);
  } else if (name == "shard_key") {
    if (v != "org" && v != "type" && v != "stream") {
      return Status::Invalid("shard_key must be org, type or stream, got '" + v + "'");
    }
    c->shard_key = v;
  } else if (name == "memory_budget") {
    return SetSize(name, v, &c->memory_budget_bytes, 64ull << 20);
  } else if (name == "reactors") {
    return SetUint(name, v, &c->reactors, 0, 256);
  } else if (name == "read_threads") {
    return SetUint(name, v, &c->read_threads, 1, 256);
  } else if (name == "max_connections") {
    return SetUint(name, v, &c->max_connections, 1, 1000000);
  } else if (name == "max_request_bytes") {
    return SetSize(name, v, &c->max_request_bytes, 1024);
  } else if (name == "idle_timeout_s") {
    return SetUint(name, v, &c->idle_timeout_s, 0, 365u * 86400);
  } else if (name == "max_pipeline") {
    return SetUint(name, v, &c->max_pipeline, 1, 1u << 20);
  } else if (name == "max_output_bytes") {
    return SetSize(name, v, &c->max_output_bytes, 4096);
  } else if (name == "max_watchers") {
    return SetUint(name, v, &c->max_watchers, 1, 1u << 24);
  } else if (name == "max_watchers_per_connection") {
    return SetUint(name, v, &c->max_watchers_per_connection, 1, 1u << 16);
  } else if (name == "watch_heartbeat_s") {
    return SetUint(name, v, &c->watch_heartbeat_s, 1, 3600);
  } else if (name == "watch_buffer_bytes") {
    return SetSize(name, v, &c->watch_buffer_bytes, 4096);
  } else if (name == "max_queued_per_shard") {
    return SetUint(name, v, &c->max_queued_per_shard, 16, 1u << 24);
  } else if (name == "max_queued_reads") {
    return SetUint(name, v, &c->max_queued_reads, 1, 1u << 24);
  } else if (name == "verify_rate") {
    return SetSize(name, v, &c->verify_rate_bytes, 0);
  } else if (name == "idempotency_window_s") {
    return SetUint(name, v, &c->idempotency_window_s, 1, 365ull * 86400);
  } else if (name == "segment_size") {
    return SetSize(name, v, &c->segment_size_bytes, 1ull << 20);
  } else if (name == "segment_zero_fill") {
    if (v != "true" && v != "false") {
      return Status::Invalid("segment_zero_fill must be true or false, got '" + v + "'");
    }
    c->segment_zero_fill = v == "true";
  } else if (name == "max_event_bytes") {
    return SetUint(name, v, &c->max_event_bytes, 1, 64u << 20);
  } else if (name == "max_metadata_bytes") {
    return SetUint(name, v, &c->max_metadata_bytes, 0, 16u << 20);
  } else if (name == "max_events_per_append") {
    return SetUint(name, v, &c->max_events_per_append, 1, 1000000);
  } else if (name == "shutdown_timeout_s") {
    return SetUint(name, v, &c->shutdown_timeout_s, 1, 3600);
  } else if (name == "schema_required_orgs") {
    c->schema_required_orgs.clear();
    size_t start = 0;
    while (start <= v.size() && !v.empty()) {
      size_t comma = v.find(',', start);
      std::string org = v.substr(start, comma == std::string::npos ? comma : comma - start);
      Status st = ValidateOrg(org);
      if (!st.ok()) return Status::Invalid("schema_required_orgs: " + st.message());
      c->schema_required_orgs.push_back(std::move(org));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  } else if (name == "encryption_key_file") {
    c->encryption_key_file = v;
  } else if (name == "encrypted_orgs") {
    c->encrypted_orgs.clear();
    size_t start = 0;
    while (start <= v.size()) {
      size_t comma = v.find(',', start);
      if (comma == std::string::npos) comma = v.size();
      std::string item = v.substr(start, comma - start);
      if (!item.empty()) {
        size_t slash = item.find('/');
        Status ok = ValidateOrg(item.substr(0, slash));
        if (ok.ok() && slash != std::string::npos) ok = ValidateStreamType(item.substr(slash + 1));
        if (!ok.ok()) {
          return Status::Invalid("encrypted_orgs: '" + item + "' is not an org or org/type");
        }
        c->encrypted_orgs.push_back(item);
      }
      start = comma + 1;
    }
  } else if (name == "encryption_key_scope") {
    if (v != "org" && v != "stream") {
      return Status::Invalid("encryption_key_scope must be org or stream, got '" + v + "'");
    }
    c->encryption_key_scope = v;
  } else if (name == "log_format") {
    if (v != "text" && v != "json") return Status::Invalid("log_format must be text or json");
    c->log_format = v;
  } else if (name == "log_level") {
    if (v != "trace" && v != "debug" && v != "info" && v != "warn" && v != "error") {
      return Status::Invalid("log_level must be trace, debug, info, warn or error");
    }
    c->log_level = v;
  } else {
    return Status::Invalid("unknown setting '" + name + "'");
  }
  return Status::Ok();
}

Status LoadConfig(const std::string& config_path, const std::map<std::string, std::string>& flags,
                  ServerConfig* config) {
  if (!config_path.empty()) {
    toml::table parsed;
    try {  // toml++ reports parse errors as exceptions; only at startup
      parsed = toml::parse_file(config_path);
    } catch (const toml::parse_error& err) {
      return Status::Invalid("config file " + config_path + ": " + std::string(err.description()) +
                             " at line " + std::to_string(err.source().begin.line));
    }
    for (const auto& [key, node] : parsed) {
      std::string name(key.str());
      std::string value;
      if (auto s = node.value<std::string>()) {
        value = *s;
      } else if (node.is_boolean()) {
        value = *node.value<bool>() ? "true" : "false";
      } else if (auto i = node.value<int64_t>()) {
        if (*i < 0) return Status::Invalid("config file: " + name + " must not be negative");
        value = std::to_string(*i);
      } else if (const toml::array* a = node.as_array()) {
        // A list setting (schema_required_orgs): the same as its comma-separated form.
        for (const auto& item : *a) {
          auto s = item.value<std::string>();
          if (!s) return Status::Invalid("config file: " + name + " must list strings");
          value += (value.empty() ? "" : ",") + *s;
        }
      } else {
        return Status::Invalid("config file: " + name +
                               " must be a string, an integer, a boolean or a list of strings");
      }
      CAIRN_RETURN_IF_ERROR(ApplySetting(config, name, value));
    }
  }
  for (const SettingInfo& s : Settings()) {
    const char* env = std::getenv(EnvName(s.name).c_str());
    if (env != nullptr) CAIRN_RETURN_IF_ERROR(ApplySetting(config, s.name, env));
  }
  for (const auto& [name, value] : flags) CAIRN_RETURN_IF_ERROR(ApplySetting(config, name, value));
  return Status::Ok();
}

EngineOptions ToEngineOptions(const ServerConfig& c) {
  EngineOptions o;
  o.data_dir = c.data_dir;
  o.shards = c.shards;
  o.shard_key = *ParseShardKey(c.shard_key);
  o.memory_budget_bytes = c.memory_budget_bytes;
  o.segment_size_bytes = c.segment_size_bytes;
  o.segment_zero_fill = c.segment_zero_fill;
  o.idempotency_window_ms = c.idempotency_window_s * 1000;
  o.max_queued_requests_per_shard = c.max_queued_per_shard;
  o.encryption_key_file = c.encryption_key_file;
  o.encrypted_orgs = c.encrypted_orgs;
  o.encryption_key_per_stream = c.encryption_key_scope == "stream";
  o.limits.max_event_data_bytes = c.max_event_bytes;
  o.limits.max_metadata_bytes = c.max_metadata_bytes;
  o.limits.max_events_per_append = c.max_events_per_append;
  o.limits.max_request_bytes =
      static_cast<uint32_t>(c.max_request_bytes > UINT32_MAX ? UINT32_MAX : c.max_request_bytes);
  return o;
}

}  // namespace cairn::server
