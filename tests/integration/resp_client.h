#pragma once
// Test helper: a small blocking RESP2/RESP3 client with a strict reply parser.
//
// hiredis 0.14 (the version packaged here) cannot parse RESP3 replies, so the tests read
// RESP3 with this parser; it keeps each value's wire type (so a test can tell a RESP3 map
// from a RESP2 flat array, `_` from `$-1`, `#t` from `:1`). Owned by one thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::testing {

struct RespValue {
  // The wire type byte: + - : $ * _ # , ( ! = % ~ > |. RESP2 nulls are '$' or '*' with
  // null set.
  char type = '_';
  bool null = false;
  std::string str;               // + - $ = ! ( , : the text (verbatim without its "txt:" prefix)
  int64_t integer = 0;           // :
  bool boolean = false;          // #
  std::vector<RespValue> items;  // * ~ > and % | (keys and values alternate)

  bool IsError() const { return type == '-' || type == '!'; }
  // The first word of an error: ERR, INVALID, CONFLICT, ...
  std::string ErrorCode() const;
  bool IsMap() const { return type == '%'; }
  bool IsArray() const { return type == '*' && !null; }
  bool IsBulk() const { return (type == '$' || type == '+') && !null; }
  bool IsInt() const { return type == ':'; }
  // A value of a map (RESP3) or of a flat key/value array (RESP2); nullptr when absent.
  const RespValue* Find(std::string_view key) const;
  // Keys in order (map or flat array).
  std::vector<std::string> Keys() const;
  // A readable rendering for failure messages.
  std::string Debug() const;
};

enum class ParseResult { kOk, kNeedMore, kBad };

// Parses one RESP2/RESP3 value at the start of `in`.
ParseResult ParseResp(std::string_view in, size_t* consumed, RespValue* out);

// Encodes a command as a RESP array of bulk strings.
std::string EncodeCommand(const std::vector<std::string>& args);

class RespClient {
 public:
  RespClient() = default;
  explicit RespClient(uint16_t port) { Connect(port); }
  ~RespClient();
  RespClient(RespClient&& other) noexcept;
  RespClient& operator=(RespClient&& other) noexcept;
  RespClient(const RespClient&) = delete;
  RespClient& operator=(const RespClient&) = delete;

  bool Connect(uint16_t port);
  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  void Close();

  // Queues a command (or raw bytes); Flush() writes everything queued.
  void Send(const std::vector<std::string>& args);
  void SendRaw(std::string_view bytes);
  bool Flush();
  // Reads one reply; nullopt on timeout, a closed connection or unparsable bytes (see
  // last_error()).
  std::optional<RespValue> Read(int timeout_ms = 20000);
  // Send + Flush + Read; a failure comes back as an error value with code "CLIENT".
  RespValue Call(const std::vector<std::string>& args, int timeout_ms = 20000);
  // True when the server closed the connection (EOF or reset) within the timeout, after
  // reading and discarding whatever it still sent.
  bool WaitClosed(int timeout_ms = 10000);
  const std::string& last_error() const { return last_error_; }

 private:
  bool Fill(int timeout_ms);

  int fd_ = -1;
  std::string out_;
  std::string in_;
  std::string last_error_;
};

}  // namespace cairn::testing
