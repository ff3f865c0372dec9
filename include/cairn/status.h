#pragma once
// Operating errors as values: Status (no payload) and Result<T> (value or Status).
// The codes mirror the wire contract's error codes so that every layer speaks the same words.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace cairn {

enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalid,      // an argument breaks a rule (INVALID)
  kTooLarge,     // over a documented limit (TOOLARGE)
  kConflict,     // expected version did not hold (CONFLICT)
  kDeleted,      // stream hard-deleted (DELETED)
  kCrossShard,   // atomic append spans shards (CROSSSHARD)
  kIdempotency,  // idempotency key reused with a different request (IDEMPOTENCY)
  kSchema,       // an event failed its schema, or a schema broke compatibility (SCHEMA)
  kBusy,         // back-pressure: retry later (BUSY)
  kUnavailable,  // cannot accept writes: failed disk, shut down (UNAVAILABLE)
  kIoError,      // an I/O operation failed
  kCorruption,   // stored data failed a check
  kNotFound,     // a looked-up item does not exist
  kInternal,     // a bug: should never reach a client
};

// The wire contract's code word for a status code (ERR for the internal ones).
std::string_view StatusCodeName(StatusCode code);

// The fields a CONFLICT error carries on the wire: stream, expected, actual.
struct ConflictDetail {
  std::string stream;
  std::string expected;  // "any", "exists", "none" or a version
  uint64_t actual = 0;
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status Invalid(std::string m) { return {StatusCode::kInvalid, std::move(m)}; }
  static Status TooLarge(std::string m) { return {StatusCode::kTooLarge, std::move(m)}; }
  static Status Conflict(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
  static Status Deleted(std::string m) { return {StatusCode::kDeleted, std::move(m)}; }
  static Status CrossShard(std::string m) { return {StatusCode::kCrossShard, std::move(m)}; }
  static Status Idempotency(std::string m) { return {StatusCode::kIdempotency, std::move(m)}; }
  static Status Schema(std::string m) { return {StatusCode::kSchema, std::move(m)}; }
  static Status Busy(std::string m) { return {StatusCode::kBusy, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status Conflict(ConflictDetail d);

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "CODE message", as a RESP error line would carry it.
  std::string ToString() const;
  // Present on CONFLICT errors raised by an expected-version check.
  const ConflictDetail* conflict() const { return conflict_.get(); }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::shared_ptr<const ConflictDetail> conflict_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace cairn

#define CAIRN_RETURN_IF_ERROR(expr) \
  do {                              \
    ::cairn::Status _st = (expr);   \
    if (!_st.ok()) return _st;      \
  } while (0)

#define CAIRN_CONCAT_INNER(a, b) a##b
#define CAIRN_CONCAT(a, b) CAIRN_CONCAT_INNER(a, b)
#define CAIRN_ASSIGN_OR_RETURN(lhs, expr)                                                 \
  auto CAIRN_CONCAT(_res_, __LINE__) = (expr);                                            \
  if (!CAIRN_CONCAT(_res_, __LINE__).ok()) return CAIRN_CONCAT(_res_, __LINE__).status(); \
  lhs = std::move(CAIRN_CONCAT(_res_, __LINE__)).value()
