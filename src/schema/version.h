#pragma once
// Schema versions (MAJOR.MINOR.PATCH) and the version an event type may name: `Type@2`,
// `Type@2.1` or `Type@2.1.0` (docs/internals/schemas.md). Pure functions, any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cairn/status.h"
#include "cairn/types.h"

namespace cairn::schema {

// The largest number one version part may hold.
inline constexpr uint32_t kMaxVersionPart = 999999;

// A full version: three decimal numbers, no sign, no leading zeros (except "0").
Result<SchemaVersion> ParseVersion(std::string_view s);

// A version prefix: "2" (latest 2.x.y), "2.1" (latest 2.1.y) or "2.1.0" (exactly).
struct VersionSelector {
  uint32_t major = 0;
  std::optional<uint32_t> minor;
  std::optional<uint32_t> patch;
  bool Matches(const SchemaVersion& v) const;
  std::string ToString() const;
};
Result<VersionSelector> ParseSelector(std::string_view s);

// An event type as sent, split at '@': the plain type and the version it names, if any.
struct TypeRef {
  std::string_view type;
  std::optional<VersionSelector> selector;
};
// INVALID when the part after '@' is not a selector or the plain type is empty.
Result<TypeRef> ParseTypeRef(std::string_view event_type);

}  // namespace cairn::schema
