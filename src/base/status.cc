#include "cairn/status.h"

namespace cairn {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kInvalid:
      return "INVALID";
    case StatusCode::kTooLarge:
      return "TOOLARGE";
    case StatusCode::kConflict:
      return "CONFLICT";
    case StatusCode::kDeleted:
      return "DELETED";
    case StatusCode::kCrossShard:
      return "CROSSSHARD";
    case StatusCode::kIdempotency:
      return "IDEMPOTENCY";
    case StatusCode::kSchema:
      return "SCHEMA";
    case StatusCode::kBusy:
      return "BUSY";
    case StatusCode::kUnavailable:
      return "UNAVAILABLE";
    case StatusCode::kIoError:
      return "UNAVAILABLE";
    case StatusCode::kCorruption:
      return "UNAVAILABLE";
    case StatusCode::kNotFound:
      return "ERR";
    case StatusCode::kInternal:
      return "ERR";
  }
  return "ERR";
}

Status Status::Conflict(ConflictDetail d) {
  Status s(StatusCode::kConflict, "stream " + d.stream + " expected version " + d.expected +
                                      " but is at " + std::to_string(d.actual));
  s.conflict_ = std::make_shared<const ConflictDetail>(std::move(d));
  return s;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s(StatusCodeName(code_));
  s += ' ';
  s += message_;
  return s;
}

}  // namespace cairn
