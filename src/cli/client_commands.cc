// The client subcommands: `cairn append|read|scan|info|streams|types|orgs|delete|trim|ping`
// (`watch` and `group` live in watch_commands.cc).
// Each mirrors one command of the wire contract, sends it over one connection and prints
// the reply (docs/reference/cli.md).

#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cairn/client.h"
#include "cli/client_common.h"
#include "cli/client_output.h"
#include "cli/commands.h"

namespace cairn::cli {
namespace {

struct AppendArgs {
  Common common;
  std::string stream;
  std::string expected = "any";
  std::vector<std::pair<std::string, std::string>> events;  // type, data
  std::vector<std::string> meta;
  std::vector<std::string> ids;
  std::string idempotency_key;
};

int RunAppend(const AppendArgs& a) {
  auto expected = Expected::Parse(a.expected);
  if (!expected) return UsageError("append", "--expected must be any, exists, none or a version");
  if (a.events.empty()) return UsageError("append", "give at least one --event TYPE DATA");
  const size_t n = a.events.size();
  if (a.meta.size() > 1 && a.meta.size() != n) {
    return UsageError("append", "give --meta once (for every event) or once per event");
  }
  if (!a.ids.empty() && a.ids.size() != n) return UsageError("append", "give --id once per event");
  std::vector<ProposedEvent> events(n);
  bool stdin_used = false;
  for (size_t i = 0; i < n; ++i) {
    events[i].type = a.events[i].first;
    events[i].data = a.events[i].second;
    if (events[i].data == "-") {  // the data of one event may come from stdin
      if (stdin_used) return UsageError("append", "only one event's data may be '-' (stdin)");
      stdin_used = true;
      events[i].data.assign(std::istreambuf_iterator<char>(std::cin), {});
    }
    if (!a.meta.empty()) events[i].metadata = a.meta.size() == 1 ? a.meta[0] : a.meta[i];
    if (!a.ids.empty()) {
      events[i].id = Uuid::Parse(a.ids[i]);
      if (!events[i].id) return UsageError("append", "--id must be a UUID: " + a.ids[i]);
    }
  }
  return WithClient(a.common, [&](client::Client& c) {
    return PrintOr(c.Append(a.stream, *expected, events, a.idempotency_key),
                   [&](const AppendResult& r) { PrintAppend(r, a.common.json); });
  });
}

Command AddAppend(CLI::App* app) {
  auto a = std::make_shared<AppendArgs>();
  CLI::App* sub = app->add_subcommand("append", "Append events to a stream atomically (EAPPEND)");
  sub->add_option("stream", a->stream, "Stream org/type/id")->required();
  sub->add_option("--expected", a->expected, "any, exists, none or the stream's exact version")
      ->capture_default_str();
  sub->add_option("--event", a->events, "An event: TYPE DATA (DATA '-' reads stdin); repeatable")
      ->required();
  sub->add_option("--meta", a->meta, "Metadata: once for every event, or once per event");
  sub->add_option("--id", a->ids, "Event id (UUID), once per event; default: server UUIDv7");
  sub->add_option("--idempotency-key", a->idempotency_key, "Retry-safe key (1-128 bytes)");
  AddCommon(sub, &a->common);
  return Command{sub, [a] { return RunAppend(*a); }};
}

struct ReadArgs {
  Common common;
  std::string stream;
  std::optional<uint64_t> from;
  uint32_t count = 100;
  std::string types;
  bool backward = false;
  bool with_hash = false;
};

Command AddRead(CLI::App* app) {
  auto a = std::make_shared<ReadArgs>();
  CLI::App* sub = app->add_subcommand("read", "Read a stream's events (EREAD)");
  sub->add_option("stream", a->stream, "Stream org/type/id")->required();
  sub->add_option("--from", a->from, "First version (default 1, or the last when --backward)");
  sub->add_option("--count", a->count, "Events at most (server limit 10000)")
      ->capture_default_str();
  sub->add_option("--types", a->types, "Only these event types: a,b,c");
  sub->add_flag("--backward", a->backward, "Newest first");
  sub->add_flag("--with-hash", a->with_hash, "Include each event's chain hash");
  AddCommon(sub, &a->common);
  return Command{sub, [a] {
                   ReadRequest r;
                   r.stream = a->stream;
                   r.from = a->from;
                   r.count = a->count;
                   r.types = SplitCommas(a->types);
                   r.backward = a->backward;
                   return WithClient(a->common, [&](client::Client& c) {
                     return PrintOr(c.Read(r, a->with_hash), [&](const ReadResult& res) {
                       PrintRead(res, a->common.json, a->with_hash);
                     });
                   });
                 }};
}

struct ScanArgs {
  Common common;
  std::string scope;
  uint64_t from = 1;
  uint32_t count = 100;
  std::string types;
  bool with_hash = false;
};

Command AddScan(CLI::App* app) {
  auto a = std::make_shared<ScanArgs>();
  CLI::App* sub = app->add_subcommand("scan", "Read a shard's log in commit order (ESCAN)");
  sub->add_option("scope", a->scope, "org, org/type or #<shard>")->required();
  sub->add_option("--from", a->from, "First position (inclusive)")->capture_default_str();
  sub->add_option("--count", a->count, "Events at most (server limit 10000)")
      ->capture_default_str();
  sub->add_option("--types", a->types, "Only these event types: a,b,c");
  sub->add_flag("--with-hash", a->with_hash, "Include each event's chain hash");
  AddCommon(sub, &a->common);
  return Command{sub, [a] {
                   ScanRequest r;
                   r.scope = a->scope;
                   r.from = a->from;
                   r.count = a->count;
                   r.types = SplitCommas(a->types);
                   return WithClient(a->common, [&](client::Client& c) {
                     return PrintOr(c.Scan(r, a->with_hash), [&](const ScanResult& res) {
                       PrintScan(res, a->common.json, a->with_hash);
                     });
                   });
                 }};
}

struct NameArgs {
  Common common;
  std::string name;
};

Command AddInfo(CLI::App* app) {
  auto a = std::make_shared<NameArgs>();
  CLI::App* sub = app->add_subcommand("info", "A stream's version, shard, times, state (EINFO)");
  sub->add_option("stream", a->name, "Stream org/type/id")->required();
  AddCommon(sub, &a->common);
  return Command{sub, [a] {
                   return WithClient(a->common, [&](client::Client& c) {
                     return PrintOr(c.Info(a->name),
                                    [&](const StreamInfo& i) { PrintInfo(i, a->common.json); });
                   });
                 }};
}

struct StreamsArgs {
  Common common;
  std::string scope;
  std::string after;
  uint32_t count = 100;
};

Command AddStreams(CLI::App* app) {
  auto a = std::make_shared<StreamsArgs>();
  CLI::App* sub = app->add_subcommand("streams", "List stream names, sorted (ESTREAMS)");
  sub->add_option("scope", a->scope, "org or org/type")->required();
  sub->add_option("--after", a->after, "Start after this stream name (exclusive)");
  sub->add_option("--count", a->count, "Names at most")->capture_default_str();
  AddCommon(sub, &a->common);
  return Command{sub, [a] {
                   ListStreamsRequest r{a->scope, a->after, a->count};
                   return WithClient(a->common, [&](client::Client& c) {
                     return PrintOr(c.ListStreams(r), [&](const ListStreamsResult& res) {
                       PrintStreams(res, a->scope, a->common.json);
                     });
                   });
                 }};
}

Command AddTypes(CLI::App* app) {
  auto a = std::make_shared<NameArgs>();
  CLI::App* sub = app->add_subcommand("types", "List an org's stream types (ETYPES)");
  sub->add_option("org", a->name, "Org")->required();
  AddCommon(sub, &a->common);
  return Command{sub, [a] {
                   return WithClient(a->common, [&](client::Client& c) {
                     return PrintOr(c.ListTypes(a->name), [&](const std::vector<std::string>& t) {
                       PrintStrings(t, a->common.json);
                     });
                   });
                 }};
}

Command AddOrgs(CLI::App* app) {
  auto a = std::make_shared<Common>();
  CLI::App* sub = app->add_subcommand("orgs", "List orgs (EORGS)");
  AddCommon(sub, a.get());
  return Command{sub, [a] {
                   return WithClient(*a, [&](client::Client& c) {
                     return PrintOr(c.ListOrgs(), [&](const std::vector<std::string>& o) {
                       PrintStrings(o, a->json);
                     });
                   });
                 }};
}

struct DeleteArgs {
  Common common;
  std::string stream;
  std::string expected;
  bool hard = false;
};

Command AddDelete(CLI::App* app) {
  auto a = std::make_shared<DeleteArgs>();
  CLI::App* sub = app->add_subcommand("delete", "Delete a stream, soft or --hard (EDELETE)");
  sub->add_option("stream", a->stream, "Stream org/type/id")->required();
  sub->add_option("--expected", a->expected, "any, exists, none or the stream's exact version")
      ->required();
  sub->add_flag("--hard", a->hard, "Tombstone: later appends fail with DELETED");
  AddCommon(sub, &a->common);
  return Command{
      sub, [a] {
        auto e = Expected::Parse(a->expected);
        if (!e) {
          return UsageError("delete", "--expected must be any, exists, none or a version");
        }
        DeleteRequest r{a->stream, *e, a->hard};
        return WithClient(a->common, [&](client::Client& c) {
          return PrintOr(c.Delete(r), [&](const StreamInfo& i) { PrintInfo(i, a->common.json); });
        });
      }};
}

struct TrimArgs {
  Common common;
  std::string stream;
  uint64_t before = 0;
};

Command AddTrim(CLI::App* app) {
  auto a = std::make_shared<TrimArgs>();
  CLI::App* sub = app->add_subcommand("trim", "Make versions below --before unreadable (ETRIM)");
  sub->add_option("stream", a->stream, "Stream org/type/id")->required();
  sub->add_option("--before", a->before, "Versions below this stop being readable")->required();
  AddCommon(sub, &a->common);
  return Command{sub, [a] {
                   TrimRequest r{a->stream, a->before};
                   return WithClient(a->common, [&](client::Client& c) {
                     return PrintOr(c.Trim(r),
                                    [&](const StreamInfo& i) { PrintInfo(i, a->common.json); });
                   });
                 }};
}

Command AddPing(CLI::App* app) {
  auto a = std::make_shared<Common>();
  CLI::App* sub = app->add_subcommand("ping", "Check that the server answers (PING)");
  AddCommon(sub, a.get());
  return Command{sub, [a] {
                   return WithClient(*a, [&](client::Client& c) {
                     Status s = c.Ping();
                     if (!s.ok()) return ReportError(s);
                     std::printf(a->json ? "{\"ok\":true}\n" : "PONG\n");
                     return kExitOk;
                   });
                 }};
}

struct KeyArgs {
  Common common;
  std::string action;
  std::string target;
};

Command AddKey(CLI::App* app) {
  auto a = std::make_shared<KeyArgs>();
  CLI::App* sub = app->add_subcommand(
      "key", "Rotate an org's data key or destroy the keys of a stream or org (EKEY)");
  sub->add_option("action", a->action, "rotate or shred")
      ->required()
      ->check(CLI::IsMember({"rotate", "shred"}));
  sub->add_option("target", a->target, "rotate: an org; shred: a stream or an org")->required();
  AddCommon(sub, &a->common);
  return Command{sub, [a] {
                   return WithClient(a->common, [&](client::Client& c) {
                     const bool rotate = a->action == "rotate";
                     auto r = rotate ? c.RotateKey(a->target) : c.ShredKeys(a->target);
                     if (!r.ok()) return ReportError(r.status());
                     std::string target = a->target;
                     if (a->common.json) {
                       std::printf("{\"%s\":\"%s\",\"%s\":%u}\n", rotate ? "org" : "scope",
                                   target.c_str(), rotate ? "key_id" : "keys_destroyed", *r);
                     } else {
                       std::printf("%s %s %s %u\n", rotate ? "org" : "scope", target.c_str(),
                                   rotate ? "key_id" : "keys_destroyed", *r);
                     }
                     return kExitOk;
                   });
                 }};
}

}  // namespace

std::vector<Command> AddClientCommands(CLI::App* app) {
  return {AddAppend(app), AddRead(app),  AddScan(app),   AddInfo(app), AddStreams(app),
          AddTypes(app),  AddOrgs(app),  AddDelete(app), AddTrim(app), AddPing(app),
          AddWatch(app),  AddGroup(app), AddKey(app)};
}

}  // namespace cairn::cli
