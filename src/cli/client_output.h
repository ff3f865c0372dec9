#pragma once
// Output of the client subcommands (docs/reference/cli.md): readable text by default, one
// JSON document with --json (the same shapes as the HTTP API's bodies), errors on stderr as
// "CODE message", and the exit code of each error word.

#include <string_view>
#include <vector>

#include "cairn/client.h"
#include "cairn/status.h"
#include "cairn/types.h"

namespace cairn::cli {

// Exit codes of the client subcommands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitOther = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitConflict = 3;
inline constexpr int kExitInvalid = 4;
inline constexpr int kExitDeleted = 5;
inline constexpr int kExitUnavailable = 6;

int ExitCodeFor(const Status& status);
// Prints "CODE message" on stderr; returns ExitCodeFor(status).
int ReportError(const Status& status);
// Prints "cairn <command>: message" on stderr; returns kExitUsage.
int UsageError(std::string_view command, std::string_view message);

void PrintAppend(const AppendResult& r, bool json);
void PrintRead(const ReadResult& r, bool json, bool with_hash);
void PrintScan(const ScanResult& r, bool json, bool with_hash);
void PrintInfo(const StreamInfo& info, bool json);
void PrintStreams(const ListStreamsResult& r, std::string_view scope, bool json);
void PrintStrings(const std::vector<std::string>& items, bool json);

// `cairn watch`: one line per event (with --json, the event object of the HTTP API); the
// live frame on stderr, or as {"live":cursor} on stdout with --json. Flushes stdout.
void PrintWatchEvent(const RecordedEvent& e, bool json);
void PrintWatchLive(uint64_t cursor, bool json);
// `cairn group`: a cursor as "GROUP SCOPE CURSOR" (tab-separated) or {"group","scope","cursor"};
// a list as such lines or {"groups":[...]}; a deletion as deleted/none or {"deleted":bool}.
void PrintGroupCursor(const client::GroupCursor& g, bool json);
void PrintGroupList(const std::vector<client::GroupCursor>& groups, bool json);
void PrintGroupDeleted(bool deleted, bool json);

}  // namespace cairn::cli
