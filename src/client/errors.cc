// Error replies to Status and back. The contract's code words are in
// docs/reference/protocol.md ("Errors").

#include <charconv>
#include <optional>

#include "cairn/client.h"

namespace cairn::client {
namespace {

struct CodeWord {
  std::string_view word;
  StatusCode code;
  bool exact;  // the StatusCode is this word's own: the message drops the word
};

constexpr CodeWord kCodeWords[] = {
    {"INVALID", StatusCode::kInvalid, true},
    {"TOOLARGE", StatusCode::kTooLarge, true},
    {"CONFLICT", StatusCode::kConflict, true},
    {"DELETED", StatusCode::kDeleted, true},
    {"CROSSSHARD", StatusCode::kCrossShard, true},
    {"IDEMPOTENCY", StatusCode::kIdempotency, true},
    {"BUSY", StatusCode::kBusy, true},
    {"UNAVAILABLE", StatusCode::kUnavailable, true},
    {"ERR", StatusCode::kInvalid, false},
    {"SCHEMA", StatusCode::kSchema, true},
    {"NOAUTH", StatusCode::kInvalid, false},
    {"NOPERM", StatusCode::kInvalid, false},
    {"NOTLEADER", StatusCode::kUnavailable, false},
};

// "stream S expected version E but is at N" (Status::Conflict's wording) back into its fields.
std::optional<ConflictDetail> ParseConflict(std::string_view m) {
  constexpr std::string_view kStream = "stream ";
  constexpr std::string_view kExpected = " expected version ";
  constexpr std::string_view kActual = " but is at ";
  if (!m.starts_with(kStream)) return std::nullopt;
  size_t e = m.rfind(kExpected);
  size_t a = m.rfind(kActual);
  if (e == std::string_view::npos || a == std::string_view::npos || a < e) return std::nullopt;
  ConflictDetail d;
  d.stream = std::string(m.substr(kStream.size(), e - kStream.size()));
  d.expected = std::string(m.substr(e + kExpected.size(), a - e - kExpected.size()));
  std::string_view actual = m.substr(a + kActual.size());
  auto [p, ec] = std::from_chars(actual.data(), actual.data() + actual.size(), d.actual);
  if (ec != std::errc() || p != actual.data() + actual.size() || d.stream.empty()) {
    return std::nullopt;
  }
  return d;
}

std::string_view FirstWord(std::string_view s) { return s.substr(0, s.find(' ')); }

}  // namespace

Status StatusFromErrorReply(std::string_view line) {
  std::string_view word = FirstWord(line);
  std::string_view rest = word.size() < line.size() ? line.substr(word.size() + 1) : "";
  for (const CodeWord& c : kCodeWords) {
    if (c.word != word) continue;
    if (!c.exact) return Status(c.code, std::string(line));
    if (c.code == StatusCode::kConflict) {
      if (auto d = ParseConflict(rest)) {
        Status s = Status::Conflict(*d);
        if (s.message() == rest) return s;  // only when the wording round-trips exactly
      }
    }
    return Status(c.code, std::string(rest));
  }
  return Status::Invalid(std::string(line));
}

std::string_view ErrorWord(const Status& status) {
  if (status.code() == StatusCode::kCorruption) return "PROTOCOL";
  std::string_view first = FirstWord(status.message());
  for (const CodeWord& c : kCodeWords) {
    if (!c.exact && c.word == first && c.code == status.code()) return c.word;
  }
  return StatusCodeName(status.code());
}

std::string ErrorLine(const Status& status) {
  std::string_view word = ErrorWord(status);
  if (status.message().empty()) return std::string(word);
  if (FirstWord(status.message()) == word) return status.message();
  std::string s(word);
  s += ' ';
  s += status.message();
  return s;
}

}  // namespace cairn::client
