#include "cairn/types.h"

#include <charconv>

namespace cairn {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'a' && a[i] <= 'z' ? static_cast<char>(a[i] - 32) : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

}  // namespace

std::optional<Expected> Expected::Parse(std::string_view s) {
  if (EqualsIgnoreCase(s, "ANY")) return Any();
  if (EqualsIgnoreCase(s, "EXISTS")) return Exists();
  if (EqualsIgnoreCase(s, "NONE")) return NoStream();
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return Exact(v);
}

std::string Expected::ToString() const {
  switch (kind) {
    case Kind::kAny:
      return "any";
    case Kind::kExists:
      return "exists";
    case Kind::kNoStream:
      return "none";
    case Kind::kExact:
      return std::to_string(version);
  }
  return "?";
}

std::string_view ShardKeyName(ShardKey k) {
  switch (k) {
    case ShardKey::kOrg:
      return "org";
    case ShardKey::kType:
      return "type";
    case ShardKey::kStream:
      return "stream";
  }
  return "?";
}

std::optional<ShardKey> ParseShardKey(std::string_view s) {
  if (s == "org") return ShardKey::kOrg;
  if (s == "type") return ShardKey::kType;
  if (s == "stream") return ShardKey::kStream;
  return std::nullopt;
}

std::string_view DeletedStateName(DeletedState d) {
  switch (d) {
    case DeletedState::kNone:
      return "false";
    case DeletedState::kSoft:
      return "soft";
    case DeletedState::kHard:
      return "hard";
  }
  return "?";
}

}  // namespace cairn
