#include "schema/version.h"

namespace cairn::schema {
namespace {

bool ParsePart(std::string_view s, uint32_t* out) {
  if (s.empty() || s.size() > 6 || (s.size() > 1 && s[0] == '0')) return false;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  *out = v;
  return v <= kMaxVersionPart;
}

// Splits "a.b.c" into at most three parts; false on more or on an empty part.
bool ParseParts(std::string_view s, uint32_t parts[3], size_t* count) {
  *count = 0;
  while (true) {
    if (*count == 3) return false;
    size_t dot = s.find('.');
    if (!ParsePart(s.substr(0, dot), &parts[(*count)++])) return false;
    if (dot == std::string_view::npos) return true;
    s.remove_prefix(dot + 1);
  }
}

std::string Quote(std::string_view s) { return "'" + std::string(s.substr(0, 64)) + "'"; }

}  // namespace

Result<SchemaVersion> ParseVersion(std::string_view s) {
  uint32_t p[3];
  size_t n = 0;
  if (!ParseParts(s, p, &n) || n != 3) {
    return Status::Invalid("schema version must be MAJOR.MINOR.PATCH (numbers 0-" +
                           std::to_string(kMaxVersionPart) + "), got " + Quote(s));
  }
  return SchemaVersion{p[0], p[1], p[2]};
}

bool VersionSelector::Matches(const SchemaVersion& v) const {
  return v.major == major && (!minor || v.minor == *minor) && (!patch || v.patch == *patch);
}

std::string VersionSelector::ToString() const {
  std::string s = std::to_string(major);
  if (minor) s += "." + std::to_string(*minor);
  if (patch) s += "." + std::to_string(*patch);
  return s;
}

Result<VersionSelector> ParseSelector(std::string_view s) {
  uint32_t p[3];
  size_t n = 0;
  if (!ParseParts(s, p, &n)) {
    return Status::Invalid("schema version must be MAJOR, MAJOR.MINOR or MAJOR.MINOR.PATCH, got " +
                           Quote(s));
  }
  VersionSelector v;
  v.major = p[0];
  if (n >= 2) v.minor = p[1];
  if (n == 3) v.patch = p[2];
  return v;
}

Result<TypeRef> ParseTypeRef(std::string_view event_type) {
  TypeRef r;
  size_t at = event_type.find('@');
  r.type = event_type.substr(0, at);
  if (at == std::string_view::npos) return r;
  if (r.type.empty()) return Status::Invalid("event type " + Quote(event_type) + " has no name");
  auto sel = ParseSelector(event_type.substr(at + 1));
  if (!sel.ok()) {
    return Status::Invalid("event type " + Quote(event_type) + ": " + sel.status().message());
  }
  r.selector = *sel;
  return r;
}

}  // namespace cairn::schema
