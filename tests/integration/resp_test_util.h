#pragma once
// Shared pieces of the RESP integration tests: a session speaking RESP2 or RESP3 that checks
// every reply's shape against its protocol, and field accessors that report a failure (and
// return a neutral value) when a field is missing or has the wrong type.

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <string>
#include <vector>

#include "resp_client.h"
#include "server_process.h"

namespace cairn::testing {

using Args = std::vector<std::string>;

// True when `v` only uses the types its protocol allows: RESP2 replies may use + - : $ *
// (nulls as $-1 or *-1); RESP3 replies may not use RESP2 nulls.
inline bool ShapeFits(const RespValue& v, int proto) {
  if (proto == 2) {
    if (std::string_view("+-:$*").find(v.type) == std::string_view::npos) return false;
  } else if (v.null && v.type != '_') {
    return false;
  }
  for (const RespValue& i : v.items) {
    if (!ShapeFits(i, proto)) return false;
  }
  return true;
}

// A connection in RESP2 (no HELLO, as hiredis and redis-cli start) or RESP3 (HELLO 3).
class Session {
 public:
  Session() = default;
  Session(uint16_t port, int proto) { Open(port, proto); }

  bool Open(uint16_t port, int proto) {
    proto_ = proto;
    if (!client_.Connect(port)) {
      ADD_FAILURE() << "connect to " << port << ": " << client_.last_error();
      return false;
    }
    if (proto == 3) {
      RespValue hello = client_.Call({"HELLO", "3"});
      if (!hello.IsMap()) {
        ADD_FAILURE() << "HELLO 3 answered " << hello.Debug();
        return false;
      }
    }
    return true;
  }

  int proto() const { return proto_; }
  RespClient& client() { return client_; }

  // Runs one command; checks that the reply fits the session's protocol.
  RespValue Call(const Args& args) {
    RespValue v = client_.Call(args);
    EXPECT_TRUE(ShapeFits(v, proto_))
        << "RESP" << proto_ << " reply of " << args[0] << " has a foreign type: " << v.Debug();
    return v;
  }

  // Runs a command that must succeed with a map (RESP3) or flat key/value array (RESP2).
  RespValue Map(const Args& args) {
    RespValue v = Call(args);
    EXPECT_TRUE(IsMapShape(v)) << Join(args) << " -> " << v.Debug();
    return v;
  }

  // Runs a command that must fail with `code`; returns the error message.
  std::string Error(const Args& args, const std::string& code) {
    RespValue v = Call(args);
    EXPECT_TRUE(v.IsError()) << Join(args) << " -> " << v.Debug();
    EXPECT_EQ(v.ErrorCode(), code) << Join(args) << " -> " << v.Debug();
    return v.str;
  }

  bool IsMapShape(const RespValue& v) const {
    if (proto_ == 3) return v.type == '%';
    return v.IsArray() && v.items.size() % 2 == 0;
  }
  bool IsNull(const RespValue& v) const {
    return proto_ == 3 ? v.type == '_' : (v.type == '$' && v.null);
  }
  // A boolean: #t/#f in RESP3, :1/:0 in RESP2.
  bool Bool(const RespValue& v) const {
    if (proto_ == 3) {
      EXPECT_EQ(v.type, '#') << v.Debug();
      return v.boolean;
    }
    EXPECT_TRUE(v.IsInt() && (v.integer == 0 || v.integer == 1)) << v.Debug();
    return v.integer == 1;
  }

  static std::string Join(const Args& args) {
    std::string s;
    for (const auto& a : args) s += (s.empty() ? "" : " ") + a.substr(0, 80);
    return s;
  }

 private:
  int proto_ = 2;
  RespClient client_;
};

inline const RespValue& Field(const RespValue& m, std::string_view key) {
  static const RespValue kMissing;
  const RespValue* v = m.Find(key);
  if (v == nullptr) {
    ADD_FAILURE() << "no field '" << key << "' in " << m.Debug();
    return kMissing;
  }
  return *v;
}

inline int64_t Int(const RespValue& m, std::string_view key) {
  const RespValue& v = Field(m, key);
  EXPECT_TRUE(v.IsInt()) << key << " is not an integer: " << m.Debug();
  return v.integer;
}

inline std::string Str(const RespValue& m, std::string_view key) {
  const RespValue& v = Field(m, key);
  EXPECT_TRUE(v.IsBulk()) << key << " is not a string: " << m.Debug();
  return v.str;
}

// The array under `key` (events, streams).
inline const std::vector<RespValue>& Items(const RespValue& m, std::string_view key) {
  const RespValue& v = Field(m, key);
  EXPECT_TRUE(v.IsArray()) << key << " is not an array: " << m.Debug();
  return v.items;
}

// The versions of the events of an EREAD/ESCAN reply.
inline std::vector<int64_t> Versions(const RespValue& read) {
  std::vector<int64_t> out;
  for (const RespValue& e : Items(read, "events")) out.push_back(Int(e, "version"));
  return out;
}

inline std::vector<int64_t> Positions(const RespValue& read) {
  std::vector<int64_t> out;
  for (const RespValue& e : Items(read, "events")) out.push_back(Int(e, "position"));
  return out;
}

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::vector<std::string> Strings(const RespValue& array) {
  std::vector<std::string> out;
  for (const RespValue& v : array.items) out.push_back(v.str);
  return out;
}

// A name usable as an org (1-64 of A-Z a-z 0-9 _ . -) unique to the running test.
inline std::string TestOrg(int proto) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->name()) + "-p" + std::to_string(proto);
  std::string out;
  for (char c : name) out += (isalnum(static_cast<unsigned char>(c)) || c == '-') ? c : '_';
  return out.substr(out.size() > 64 ? out.size() - 64 : 0);
}

// A suite of tests, each run over RESP2 and RESP3 (the parameter), sharing one server with
// 4 shards keyed by org. Each test gets a session and an org of its own.
class SharedServerTest : public ::testing::TestWithParam<int> {
 protected:
  static void SetUpTestSuite() { StartSuiteServer(&server_, {"--shards", "4"}); }
  static void TearDownTestSuite() { StopSuiteServer(&server_); }
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    ASSERT_TRUE(server_->running()) << server_->LogTail();
    ASSERT_TRUE(s_.Open(server_->resp_port(), GetParam()));
    org_ = TestOrg(GetParam());
  }
  uint16_t port() const { return server_->resp_port(); }
  std::string Stream(const std::string& type, const std::string& id) const {
    return org_ + "/" + type + "/" + id;
  }

  inline static ServerProcess* server_ = nullptr;
  Session s_;
  std::string org_;
};

}  // namespace cairn::testing
