#pragma once
// What the crash test's child (crash_child.cc) writes and the parent (crash_test.cc)
// checks: the engine options, the stream names, the content of every event (derived from
// its stream and version, so any event can be checked without a record of it), the tag
// that ties an event to its append, and the acknowledgement line the child sends down a
// pipe for every append the engine acknowledged.
//
// An acknowledgement is one line, written with one write() of at most PIPE_BUF bytes so
// that it is atomic even when the child is killed mid-write:
//   A <tag> <shard> <first_position> <last_position> <n> (<stream> <first> <last>){n}
// The child also sends "R" once the engine is open and "E <message>" before it exits on
// an unexpected error.

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/options.h"
#include "cairn/types.h"

namespace cairn::crash {

inline constexpr uint32_t kShards = 2;
inline constexpr int kWorkers = 3;
inline constexpr int kStreamsPerOrgPerWorker = 4;
// Orgs pick the shard (ShardKey::kOrg); the test checks that both shards get some.
inline constexpr const char* kOrgs[] = {"acme", "beta", "gamma", "delta", "kappa", "omega"};
inline constexpr size_t kOrgCount = sizeof(kOrgs) / sizeof(kOrgs[0]);

// The metadata-mark scenario (crash_child's "mark" mode): streams appended to twice, in
// transactions of 1,000, then single appends to one more stream after the index flush.
inline constexpr int kMarkStreams = 5000;
inline constexpr uint64_t kMarkSingles = 10;
inline std::string MarkStream(int i) { return "acme/mark/" + std::to_string(i); }

inline EngineOptions Options(const std::string& data_dir) {
  EngineOptions o;
  o.data_dir = data_dir;
  o.shards = kShards;
  o.shard_key = ShardKey::kOrg;
  o.segment_size_bytes = 1ull << 20;  // small, so that segments roll often
  // Small too: memtables flushed (and stream heads evicted) within a cycle, so that kills
  // find metadata entries that appends left behind in a flushed index.
  o.memory_budget_bytes = 2ull << 20;
  return o;
}

// A stream owned by one worker of the child: only that worker appends to it, so the
// worker always knows its exact version.
inline std::string OwnedStream(size_t org, int worker, int i) {
  return std::string(kOrgs[org]) + "/acct/w" + std::to_string(worker) + "-" + std::to_string(i);
}

// A stream that no earlier cycle used (appended with NONE).
inline std::string FreshStream(size_t org, uint64_t cycle_seed, int worker, uint64_t n) {
  return std::string(kOrgs[org]) + "/fresh/" + std::to_string(cycle_seed) + "-w" +
         std::to_string(worker) + "-" + std::to_string(n);
}

inline uint64_t Mix(uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

inline uint64_t HashOf(std::string_view stream, uint64_t version) {
  uint64_t h = 1469598103934665603ull;
  for (char c : stream) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  return Mix(h ^ version);
}

// The data of event `version` of `stream`: names both, then 0..600 filler bytes.
inline std::string Payload(std::string_view stream, uint64_t version) {
  uint64_t h = HashOf(stream, version);
  std::string s = std::string(stream) + "@" + std::to_string(version) + ":";
  size_t n = h % 601;
  for (size_t i = 0; i < n; ++i) {
    s.push_back(static_cast<char>('a' + (Mix(h + i / 8) >> (8 * (i % 8))) % 26));
  }
  return s;
}

inline std::string EventType(uint64_t version) { return "Ev" + std::to_string(version % 4); }

// Metadata of every event of one append: "<tag>/<events in the append>".
inline std::string Metadata(const std::string& tag, uint64_t events) {
  return tag + "/" + std::to_string(events);
}
inline bool ParseMetadata(std::string_view m, std::string* tag, uint64_t* events) {
  size_t slash = m.rfind('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == m.size()) return false;
  *tag = std::string(m.substr(0, slash));
  *events = 0;
  for (char c : m.substr(slash + 1)) {
    if (c < '0' || c > '9') return false;
    *events = *events * 10 + static_cast<uint64_t>(c - '0');
  }
  return true;
}

struct Ack {
  std::string tag;
  AppendResult result;
};

inline std::string FormatAck(const std::string& tag, const AppendResult& r) {
  std::string s = "A " + tag + " " + std::to_string(r.shard) + " " +
                  std::to_string(r.first_position) + " " + std::to_string(r.last_position) + " " +
                  std::to_string(r.streams.size());
  for (const StreamRange& sr : r.streams) {
    s += " " + sr.stream + " " + std::to_string(sr.first_version) + " " +
         std::to_string(sr.last_version);
  }
  s += "\n";
  return s;
}

inline std::optional<Ack> ParseAck(const std::string& line) {
  std::istringstream in(line);
  std::string kind;
  Ack a;
  size_t n = 0;
  if (!(in >> kind >> a.tag >> a.result.shard >> a.result.first_position >>
        a.result.last_position >> n) ||
      kind != "A") {
    return std::nullopt;
  }
  for (size_t i = 0; i < n; ++i) {
    StreamRange sr;
    if (!(in >> sr.stream >> sr.first_version >> sr.last_version)) return std::nullopt;
    a.result.streams.push_back(sr);
  }
  std::string extra;
  if (in >> extra) return std::nullopt;
  return a;
}

}  // namespace cairn::crash
