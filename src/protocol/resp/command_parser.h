#pragma once
// Turns the arguments of a RESP command into an engine request (syntax only: names, counts
// and limits are checked by the engine, which owns those rules). Keywords are
// case-insensitive. Pure functions: safe on any input, used by the fuzz targets.

#include <string>
#include <string_view>
#include <vector>

#include "cairn/types.h"

namespace cairn::resp {

using Args = std::vector<std::string_view>;

// A refusal: `code` is a contract error word (ERR for syntax, INVALID for a bad value).
struct CommandError {
  const char* code = "ERR";
  std::string message;
};

struct ReadOptions {
  ReadRequest request;
  bool with_hash = false;
};

struct ScanOptions {
  ScanRequest request;
  bool with_hash = false;
};

// EWATCH <scope> [FROM <cursor> | LIVE] [TYPES <t1,...>] [GROUP <group>]: the start options
// exclude each other.
struct WatchOptions {
  std::string scope;
  enum class Start : uint8_t { kFrom, kLive, kGroup };
  Start start = Start::kFrom;
  uint64_t from = 0;
  std::string group;
  std::vector<std::string> types;
};

// EGROUP COMMIT <group> <scope> <cursor> | OFFSET <group> <scope> | LIST [<scope>] |
// DELETE <group> <scope>
struct GroupCommand {
  enum class Op : uint8_t { kCommit, kOffset, kList, kDelete };
  Op op = Op::kOffset;
  std::string group;
  std::string scope;
  uint64_t cursor = 0;
};

// ESCHEMA REGISTER <org> <type> <version> <schema-json> | GET <org> <type> [<version>] |
// LIST <org> [<type>]. The version's syntax is the registry's to check.
struct SchemaCommand {
  enum class Op : uint8_t { kRegister, kGet, kList };
  Op op = Op::kGet;
  std::string org;
  std::string type;
  std::string version;  // empty: latest (GET)
  std::string body;     // REGISTER
};

// Each parser reads args[0] as the command name and fills `out`; false with `error` set when
// the arguments are not a well-formed command.
bool ParseAppend(const Args& args, AppendRequest* out, CommandError* error);
bool ParseTransaction(const Args& args, AppendRequest* out, CommandError* error);
bool ParseRead(const Args& args, ReadOptions* out, CommandError* error);
bool ParseScan(const Args& args, ScanOptions* out, CommandError* error);
bool ParseListStreams(const Args& args, ListStreamsRequest* out, CommandError* error);
bool ParseDelete(const Args& args, DeleteRequest* out, CommandError* error);
bool ParseTrim(const Args& args, TrimRequest* out, CommandError* error);
bool ParseVerify(const Args& args, VerifyRequest* out, CommandError* error);
bool ParseWatch(const Args& args, WatchOptions* out, CommandError* error);
bool ParseGroup(const Args& args, GroupCommand* out, CommandError* error);
bool ParseSchema(const Args& args, SchemaCommand* out, CommandError* error);

// Helpers shared with the HTTP side.
bool ParseUint(std::string_view s, uint64_t* out);
bool EqualsNoCase(std::string_view a, std::string_view b);
std::vector<std::string> SplitTypes(std::string_view list);

}  // namespace cairn::resp
