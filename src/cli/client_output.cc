#include "cli/client_output.h"

#include <cstdio>
#include <string>

#include "cairn/client.h"
#include "protocol/http/encoding.h"
#include "protocol/resp/reply_format.h"
#include "server/http_replies.h"

namespace cairn::cli {
namespace {

void Out(const std::string& s) { std::fwrite(s.data(), 1, s.size(), stdout); }

std::string Time(uint64_t ms) { return ms == 0 ? "-" : http::FormatRfc3339Ms(ms); }

// Bytes as text when they are printable UTF-8, otherwise base64 with a marker.
std::string Printable(std::string_view bytes) {
  bool printable = http::IsValidUtf8(bytes);
  for (unsigned char c : bytes) {
    if (c < 0x20 && c != '\t') printable = false;
    if (c == 0x7f) printable = false;
  }
  if (printable) return std::string(bytes);
  return "(" + std::to_string(bytes.size()) + " bytes, base64) " + http::Base64Encode(bytes);
}

void PrintEvent(const RecordedEvent& e, bool with_hash) {
  std::printf("%s #%llu  %s  %s  shard %u position %llu  id %s\n", e.stream.c_str(),
              static_cast<unsigned long long>(e.version), e.type.c_str(),
              Time(e.timestamp_ms).c_str(), e.shard, static_cast<unsigned long long>(e.position),
              e.id.ToString().c_str());
  std::printf("  data %s\n", Printable(e.data).c_str());
  if (!e.metadata.empty()) std::printf("  meta %s\n", Printable(e.metadata).c_str());
  if (with_hash) std::printf("  hash %s\n", resp::HexHash(e.hash).c_str());
}

}  // namespace

int ExitCodeFor(const Status& status) {
  if (status.ok()) return kExitOk;
  const std::string_view word = client::ErrorWord(status);
  if (word == "CONFLICT") return kExitConflict;
  if (word == "INVALID" || word == "ERR" || word == "TOOLARGE" || word == "CROSSSHARD" ||
      word == "IDEMPOTENCY" || word == "SCHEMA") {
    return kExitInvalid;
  }
  if (word == "DELETED") return kExitDeleted;
  if (word == "UNAVAILABLE" || word == "BUSY" || word == "NOTLEADER") return kExitUnavailable;
  return kExitOther;
}

int ReportError(const Status& status) {
  std::fprintf(stderr, "%s\n", client::ErrorLine(status).c_str());
  return ExitCodeFor(status);
}

int UsageError(std::string_view command, std::string_view message) {
  std::fprintf(stderr, "cairn %.*s: %.*s\n", static_cast<int>(command.size()), command.data(),
               static_cast<int>(message.size()), message.data());
  return kExitUsage;
}

void PrintAppend(const AppendResult& r, bool json) {
  if (json) return Out(server::JsonAppend(r, /*transaction=*/false));
  for (const StreamRange& s : r.streams) {
    std::printf("%s: version %llu..%llu\n", s.stream.c_str(),
                static_cast<unsigned long long>(s.first_version),
                static_cast<unsigned long long>(s.last_version));
  }
  std::printf("shard %u, positions %llu..%llu, committed %s%s\n", r.shard,
              static_cast<unsigned long long>(r.first_position),
              static_cast<unsigned long long>(r.last_position), Time(r.timestamp_ms).c_str(),
              r.duplicate ? " (duplicate: the first result of this idempotency key)" : "");
}

void PrintRead(const ReadResult& r, bool json, bool with_hash) {
  if (json) return Out(server::JsonRead(r, with_hash));
  for (const RecordedEvent& e : r.events) PrintEvent(e, with_hash);
  std::printf("-- %zu events; stream version %llu; ", r.events.size(),
              static_cast<unsigned long long>(r.version));
  if (r.next) {
    std::printf("more from --from %llu\n", static_cast<unsigned long long>(*r.next));
  } else {
    std::printf("end\n");
  }
}

void PrintScan(const ScanResult& r, bool json, bool with_hash) {
  if (json) return Out(server::JsonScan(r, with_hash));
  for (const RecordedEvent& e : r.events) PrintEvent(e, with_hash);
  std::printf("-- %zu events; shard %u", r.events.size(), r.shard);
  if (r.next) std::printf("; continue with --from %llu", static_cast<unsigned long long>(*r.next));
  std::printf("\n");
}

void PrintInfo(const StreamInfo& info, bool json) {
  if (json) return Out(server::JsonInfo(info));
  std::printf("stream         %s\n", info.stream.c_str());
  std::printf("version        %llu\n", static_cast<unsigned long long>(info.version));
  std::printf("first_version  %llu\n", static_cast<unsigned long long>(info.first_version));
  std::printf("shard          %u\n", info.shard);
  std::printf("created        %s\n", Time(info.created_ms).c_str());
  std::printf("updated        %s\n", Time(info.updated_ms).c_str());
  std::printf("deleted        %s\n", DeletedStateName(info.deleted).data());
}

void PrintStreams(const ListStreamsResult& r, std::string_view scope, bool json) {
  if (json) return Out(server::JsonStreams(r));
  for (const std::string& s : r.streams) std::printf("%s\n", s.c_str());
  if (r.next) {
    // On stderr, so that piping the names stays clean.
    std::fprintf(stderr, "-- more: cairn streams %.*s --after %s\n", static_cast<int>(scope.size()),
                 scope.data(), r.next->c_str());
  }
}

void PrintStrings(const std::vector<std::string>& items, bool json) {
  if (json) return Out(server::JsonStrings(items));
  for (const std::string& s : items) std::printf("%s\n", s.c_str());
}

void PrintWatchEvent(const RecordedEvent& e, bool json) {
  if (json) {
    std::string line = server::JsonEvent(e);
    line.push_back('\n');
    Out(line);
  } else {
    std::printf("%s #%llu  %s  %s  position %llu  %s", e.stream.c_str(),
                static_cast<unsigned long long>(e.version), e.type.c_str(),
                Time(e.timestamp_ms).c_str(), static_cast<unsigned long long>(e.position),
                Printable(e.data).c_str());
    if (!e.metadata.empty()) std::printf("  meta %s", Printable(e.metadata).c_str());
    std::printf("\n");
  }
  std::fflush(stdout);
}

void PrintWatchLive(uint64_t cursor, bool json) {
  if (json) {
    std::printf("{\"live\":%llu}\n", static_cast<unsigned long long>(cursor));
    std::fflush(stdout);
  } else {
    std::fprintf(stderr, "-- live: caught up at cursor %llu\n",
                 static_cast<unsigned long long>(cursor));
  }
}

void PrintGroupCursor(const client::GroupCursor& g, bool json) {
  if (!json) {
    std::printf("%s\t%s\t%llu\n", g.group.c_str(), g.scope.c_str(),
                static_cast<unsigned long long>(g.cursor));
    return;
  }
  Out(server::JsonGroup(g) + "\n");
}

void PrintGroupList(const std::vector<client::GroupCursor>& groups, bool json) {
  if (!json) {
    for (const client::GroupCursor& g : groups) PrintGroupCursor(g, false);
    return;
  }
  Out(server::JsonGroups(groups) + "\n");
}

void PrintGroupDeleted(bool deleted, bool json) {
  if (json) {
    std::printf("{\"deleted\":%s}\n", deleted ? "true" : "false");
  } else {
    std::printf("%s\n", deleted ? "deleted" : "none: the group had no cursor for the scope");
  }
}

}  // namespace cairn::cli
