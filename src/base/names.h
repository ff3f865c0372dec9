#pragma once
// The naming rules of the wire contract: streams `org/type/id`, event types,
// idempotency keys. Violations are INVALID with a message naming the rule.

#include <string_view>

#include "cairn/status.h"

namespace cairn {

struct StreamName {
  std::string_view org;
  std::string_view type;
  std::string_view id;
  // "org/type": the prefix that scopes listings and type scans.
  std::string_view org_type;
};

// Splits and validates `org/type/id` (the id is everything after the second '/').
Result<StreamName> ParseStreamName(std::string_view stream);
Status ValidateOrg(std::string_view org);
Status ValidateStreamType(std::string_view type);
Status ValidateEventType(std::string_view type);
// Consumer group names follow the event type rule.
Status ValidateGroupName(std::string_view group);
Status ValidateIdempotencyKey(std::string_view key);

}  // namespace cairn
