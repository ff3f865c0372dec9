#pragma once
// The schema registry of a server: every registered JSON Schema, compiled, and the checks
// that use them: an event against its schema before an append is submitted, a new version
// against its neighbours before it is registered (docs/internals/schemas.md).
//
// Owner and threads: one per server, shared by every reactor thread. Readers take the
// current Snapshot (an immutable map, swapped atomically), so validation never waits on a
// lock. Registrations are serialised by a mutex: Prepare() checks a new schema against the
// snapshot and marks its (org, type) in flight; Finish() publishes it once the engine has
// made it durable. A second registration of the same (org, type) while one is in flight is
// BUSY. The durable copy is the engine's (log record type 4, shard 0); Load() rebuilds the
// registry from it at startup.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/status.h"
#include "cairn/types.h"
#include "schema/version.h"

namespace cairn::schema {

// A compiled schema (the parsed JSON and valijson's form of it); opaque outside registry.cc.
struct Compiled;

struct RegistryLimits {
  size_t max_schema_bytes = 64u << 10;  // kMaxSchemaBytes
  size_t max_versions_per_type = 100;
  size_t max_schemas = 1000;
  // Strings and property names longer than this are refused (SCHEMA) when the schema uses
  // `pattern`, `patternProperties` or `format`: libstdc++'s std::regex, which valijson uses,
  // recurses per character (about 700 bytes of stack each for `^(a|b)*$`) and would exhaust
  // a thread's stack on long input.
  size_t max_regex_checked_bytes = 1024;
  // Event data nested deeper than this is refused (SCHEMA): validation recurses per level.
  size_t max_data_depth = 64;
};

// Refuses (INVALID, naming the rule) a regular expression that std::regex could take
// exponential or high polynomial time on, or that does not compile (docs/internals/schemas.md).
Status CheckPattern(std::string_view pattern);

struct Entry {
  SchemaDefinition def;
  std::shared_ptr<const Compiled> compiled;
};

class Snapshot {
 public:
  using Versions = std::vector<Entry>;  // ascending version
  using Types = std::map<std::string, Versions, std::less<>>;
  using Orgs = std::map<std::string, Types, std::less<>>;

  // The entry a selector names (the latest one when `selector` is null), or null.
  const Entry* Resolve(std::string_view org, std::string_view type,
                       const VersionSelector* selector) const;
  const Types* TypesOf(std::string_view org) const;
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  friend class Registry;
  Orgs orgs_;
  size_t size_ = 0;
};

// A registration checked by Prepare(), to be submitted to the engine and then Finish()ed.
struct Prepared {
  SchemaDefinition def;
  bool already_registered = false;  // the same bytes exist: nothing to write or Finish
  std::shared_ptr<const Compiled> compiled;
};

class Registry {
 public:
  Registry(RegistryLimits limits, std::vector<std::string> required_orgs);

  // Startup: compiles every stored schema (the engine's ListSchemas) and publishes them.
  Status Load(const std::vector<SchemaDefinition>& stored);

  // Checks a new registration: a valid version, valid JSON, a schema valijson compiles,
  // limits (TOOLARGE), immutability (INVALID when the version holds other bytes), and the
  // compatibility rules against the previous and next version of the same MAJOR (SCHEMA).
  // On success without already_registered, the (org, type) is in flight until Finish().
  Result<Prepared> Prepare(SchemaDefinition def);
  // The engine's answer for a Prepared registration: publishes it when `written` is ok.
  void Finish(const Prepared& p, const Status& written);

  std::shared_ptr<const Snapshot> snapshot() const { return snapshot_.load(); }
  bool Required(std::string_view org) const { return required_.count(org) > 0; }
  // True when no append can need validation: nothing registered, no org requires it.
  bool Idle() const { return snapshot()->empty() && required_.empty(); }

  // Validates every event of an append and rewrites `Type@version` to `Type`. Errors:
  // SCHEMA (event invalid, no schema where one is needed), INVALID (a malformed version
  // in a type). The message names the event's index in the request, its schema, the JSON
  // pointer into the event's data and the rule.
  Status ValidateAppend(AppendRequest* request) const;

  const RegistryLimits& limits() const { return limits_; }

 private:
  Status Check(const Snapshot& s, const SchemaDefinition& def, const Compiled& c) const;

  const RegistryLimits limits_;
  const std::set<std::string, std::less<>> required_;
  std::atomic<std::shared_ptr<const Snapshot>> snapshot_;
  std::mutex write_mu_;              // Prepare/Finish
  std::set<std::string> in_flight_;  // org \0 type, guarded by write_mu_
};

// Compiles one schema: INVALID with valijson's or the JSON parser's reason.
// `check_patterns`: refuse risky regular expressions (CheckPattern); off when loading stored
// schemas, which were checked by the rules of their registration.
Result<std::shared_ptr<const Compiled>> Compile(std::string_view body, bool check_patterns = true);
// Validates one JSON document (event data) against a compiled schema; SCHEMA naming the
// JSON pointer and the rule when it fails. `prefix` starts the message.
Status ValidateData(const Compiled& c, std::string_view data, const RegistryLimits& limits,
                    std::string_view prefix);

}  // namespace cairn::schema
