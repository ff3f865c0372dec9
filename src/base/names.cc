#include "base/names.h"

#include <string>

#include "cairn/limits.h"

namespace cairn {
namespace {

bool IsNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

Status CheckName(std::string_view what, std::string_view s, size_t max, bool allow_colon) {
  if (s.empty() || s.size() > max) {
    return Status::Invalid(std::string(what) + " must be 1-" + std::to_string(max) + " characters");
  }
  for (char c : s) {
    if (!IsNameChar(c) && !(allow_colon && c == ':')) {
      return Status::Invalid(std::string(what) + " may only contain A-Z a-z 0-9 _ . -" +
                             (allow_colon ? " :" : ""));
    }
  }
  return Status::Ok();
}

}  // namespace

Status ValidateOrg(std::string_view org) { return CheckName("org", org, kMaxOrgBytes, false); }

Status ValidateStreamType(std::string_view type) {
  return CheckName("stream type", type, kMaxTypeBytes, false);
}

Status ValidateEventType(std::string_view type) {
  return CheckName("event type", type, kMaxEventTypeBytes, true);
}

Status ValidateGroupName(std::string_view group) {
  return CheckName("group name", group, kMaxEventTypeBytes, true);
}

Status ValidateIdempotencyKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxIdempotencyKeyBytes) {
    return Status::Invalid("idempotency key must be 1-" + std::to_string(kMaxIdempotencyKeyBytes) +
                           " bytes");
  }
  return Status::Ok();
}

Result<StreamName> ParseStreamName(std::string_view stream) {
  size_t a = stream.find('/');
  size_t b = a == std::string_view::npos ? a : stream.find('/', a + 1);
  if (b == std::string_view::npos) return Status::Invalid("stream must be org/type/id");
  StreamName n;
  n.org = stream.substr(0, a);
  n.type = stream.substr(a + 1, b - a - 1);
  n.id = stream.substr(b + 1);
  n.org_type = stream.substr(0, b);
  CAIRN_RETURN_IF_ERROR(ValidateOrg(n.org));
  CAIRN_RETURN_IF_ERROR(ValidateStreamType(n.type));
  if (n.id.empty() || n.id.size() > kMaxIdBytes) {
    return Status::Invalid("stream id must be 1-" + std::to_string(kMaxIdBytes) + " bytes");
  }
  for (char c : n.id) {
    if (c == '\0' || c == '\r' || c == '\n') {
      return Status::Invalid("stream id may not contain NUL, CR or LF");
    }
  }
  return n;
}

}  // namespace cairn
