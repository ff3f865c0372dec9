// The client library, the client subcommands and `cairn bench` against a real `cairn serve`:
// every typed method, the mapping of error replies (CONFLICT, DELETED, ...) back to Status,
// RESP2 and RESP3, pipelining, the CLI's exit codes, and a short bench run.
//
// One server for the whole suite, started on ephemeral loopback ports (--resp-port 0) with a
// temporary data directory and stopped with SIGTERM at the end (it must exit 0).

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "cairn/client.h"
#include "testing/temp_dir.h"

// Requests are written with designated initializers; the fields left out keep their
// defaults, which is the point, so GCC's -Wextra warning about them is noise here.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace cairn::client {
namespace {

using std::chrono::steady_clock;

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

class ClientIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    log_ = dir_->Sub("server.log");
    const std::string data = dir_->Sub("data");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      FILE* log = std::freopen(log_.c_str(), "w", stderr);
      (void)log;
      ::dup2(STDERR_FILENO, STDOUT_FILENO);
      ::execl(CAIRN_BINARY, CAIRN_BINARY, "serve", "--data-dir", data.c_str(), "--bind",
              "127.0.0.1", "--resp-port", "0", "--http-port", "0", "--shards", "2",
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // The startup line names the ports: "serving: resp 127.0.0.1:<port> http ...".
    const std::regex serving(R"(serving: resp [^ ]+:([0-9]+) )");
    const auto deadline = steady_clock::now() + std::chrono::seconds(30);
    while (steady_clock::now() < deadline && address_.empty()) {
      std::smatch m;
      std::string text = ReadFile(log_);
      if (std::regex_search(text, m, serving)) address_ = "127.0.0.1:" + m[1].str();
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    while (steady_clock::now() < deadline && !address_.empty()) {
      auto c = Client::Connect(address_);
      if (c.ok() && c->Ping().ok()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    address_.clear();
  }

  static void TearDownTestSuite() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << "cairn serve did not exit cleanly on SIGTERM (status " << status << ")";
      pid_ = -1;
    }
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    ASSERT_FALSE(address_.empty()) << "cairn serve did not start; log:\n" << ReadFile(log_);
    auto c = Client::Connect(address_);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    client_ = std::make_unique<Client>(std::move(c).value());
  }

  // Runs `cairn <args>` and returns its exit code; stdout in *out when given.
  static int Cli(const std::string& args, std::string* out = nullptr) {
    std::string cmd = std::string(CAIRN_BINARY) + " " + args + " 2>/dev/null";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) return -1;
    std::string text;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) text.append(buf, n);
    int status = ::pclose(p);
    if (out) *out = text;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  static inline testing::TempDir* dir_ = nullptr;
  static inline std::string log_;
  static inline pid_t pid_ = -1;
  static inline std::string address_;
  std::unique_ptr<Client> client_;
};

ProposedEvent Ev(std::string type, std::string data, std::string meta = "") {
  ProposedEvent e;
  e.type = std::move(type);
  e.data = std::move(data);
  e.metadata = std::move(meta);
  return e;
}

TEST_F(ClientIntegrationTest, AppendConflictIdempotency) {
  const std::string s = "acme/account/append";
  auto a = client_->Append(
      s, Expected::NoStream(),
      {Ev("Opened", R"({"owner":"ann"})", R"({"by":"test"})"), Ev("Deposited", R"({"amount":5})")});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_EQ(a->streams.size(), 1u);
  EXPECT_EQ(a->streams[0].stream, s);
  EXPECT_EQ(a->streams[0].first_version, 1u);
  EXPECT_EQ(a->streams[0].last_version, 2u);
  EXPECT_EQ(a->last_position, a->first_position + 1);
  EXPECT_GT(a->timestamp_ms, 0u);
  EXPECT_FALSE(a->duplicate);

  auto conflict = client_->Append(s, Expected::Exact(1), {Ev("X", "{}")});
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.status().code(), StatusCode::kConflict);
  EXPECT_EQ(ErrorWord(conflict.status()), "CONFLICT");
  ASSERT_NE(conflict.status().conflict(), nullptr) << conflict.status().message();
  EXPECT_EQ(conflict.status().conflict()->stream, s);
  EXPECT_EQ(conflict.status().conflict()->actual, 2u);
  EXPECT_EQ(client_->Append(s, Expected::NoStream(), {Ev("X", "{}")}).status().code(),
            StatusCode::kConflict);

  const ProposedEvent e = Ev("Withdrawn", R"({"amount":1})");
  auto first = client_->Append(s, Expected::Exact(2), {e}, "key-1");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto retry = client_->Append(s, Expected::Exact(2), {e}, "key-1");
  ASSERT_TRUE(retry.ok()) << retry.status().ToString();
  EXPECT_TRUE(retry->duplicate);
  AppendResult want = *first;
  want.duplicate = true;
  EXPECT_EQ(*retry, want);
  auto reused = client_->Append(s, Expected::Exact(3), {Ev("Other", "{}")}, "key-1");
  EXPECT_EQ(reused.status().code(), StatusCode::kIdempotency) << reused.status().ToString();

  auto bad = client_->Append("no-slashes", Expected::Any(), {Ev("X", "{}")});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalid);
  EXPECT_EQ(ErrorWord(bad.status()), "INVALID");
  auto id = *Uuid::Parse("0190f4a2-7c1e-7d3a-9b2c-123456789abc");
  ProposedEvent with_id = Ev("WithId", "{}");
  with_id.id = id;
  ASSERT_TRUE(client_->Append(s, Expected::Any(), {with_id}).ok());
  auto read = client_->Read({.stream = s, .from = 4});
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->events.size(), 1u);
  EXPECT_EQ(read->events[0].id, id);
}

TEST_F(ClientIntegrationTest, Transaction) {
  std::vector<AppendClause> clauses = {
      {"txn/account/1", Expected::NoStream(), {Ev("A", "{}"), Ev("B", "{}")}},
      {"txn/account/2", Expected::Any(), {Ev("C", "{}")}},
      {"txn/account/3", Expected::NoStream(), {}},  // a pure condition
  };
  auto r = client_->Transaction(clauses);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->streams.size(), 2u);
  EXPECT_EQ(r->streams[0], (StreamRange{"txn/account/1", 1, 2}));
  EXPECT_EQ(r->streams[1], (StreamRange{"txn/account/2", 1, 1}));
  EXPECT_EQ(r->last_position, r->first_position + 2);

  clauses[2].expected = Expected::Exact(7);
  auto failed = client_->Transaction(clauses);
  EXPECT_EQ(failed.status().code(), StatusCode::kConflict);
  auto info = client_->Info("txn/account/1");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->version, 2u);  // nothing of the failed transaction committed

  // Two orgs on different shards: an atomic append across them is CROSSSHARD.
  auto shard_of = [&](const std::string& org) { return client_->Info(org + "/t/1")->shard; };
  std::string other;
  for (int i = 0; i < 64 && other.empty(); ++i) {
    std::string org = "org" + std::to_string(i);
    if (shard_of(org) != shard_of("txn")) other = org;
  }
  ASSERT_FALSE(other.empty()) << "all orgs on one shard";
  auto cross = client_->Transaction(
      std::vector<AppendClause>{{"txn/t/1", Expected::Any(), {Ev("A", "{}")}},
                                {other + "/t/1", Expected::Any(), {Ev("A", "{}")}}});
  EXPECT_EQ(cross.status().code(), StatusCode::kCrossShard) << cross.status().ToString();
  EXPECT_EQ(ErrorWord(cross.status()), "CROSSSHARD");
}

TEST_F(ClientIntegrationTest, ReadScanInfo) {
  const std::string s = "reader/log/1";
  for (int i = 1; i <= 5; ++i) {
    auto a = client_->Append(s, Expected::Exact(i - 1),
                             {Ev(i % 2 ? "Odd" : "Even", "{\"i\":" + std::to_string(i) + "}")});
    ASSERT_TRUE(a.ok()) << a.status().ToString();
  }
  auto all = client_->Read({.stream = s});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->events.size(), 5u);
  EXPECT_EQ(all->version, 5u);
  EXPECT_FALSE(all->next.has_value());
  EXPECT_EQ(all->events[2].data, R"({"i":3})");
  EXPECT_EQ(all->events[2].stream, s);
  EXPECT_EQ(all->events[2].version, 3u);

  auto page = client_->Read({.stream = s, .from = 2, .count = 2});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->events.size(), 2u);
  EXPECT_EQ(page->events[0].version, 2u);
  EXPECT_EQ(page->next, std::optional<uint64_t>(4));

  auto back = client_->Read({.stream = s, .count = 2, .backward = true});
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->events.size(), 2u);
  EXPECT_EQ(back->events[0].version, 5u);
  EXPECT_EQ(back->events[1].version, 4u);

  auto odd = client_->Read({.stream = s, .types = {"Odd"}});
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->events.size(), 3u);

  auto hashed = client_->Read({.stream = s, .count = 1}, /*with_hash=*/true);
  ASSERT_TRUE(hashed.ok());
  ASSERT_EQ(hashed->events.size(), 1u);
  EXPECT_NE(hashed->events[0].hash, (std::array<uint8_t, 32>{}));

  auto none = client_->Read({.stream = "reader/log/never"});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->events.empty());
  EXPECT_EQ(none->version, 0u);

  auto scan = client_->Scan({.scope = "reader", .from = 1, .count = 3});
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  ASSERT_EQ(scan->events.size(), 3u);
  EXPECT_EQ(scan->shard, all->events[0].shard);
  ASSERT_TRUE(scan->next.has_value());
  auto rest = client_->Scan({.scope = "reader/log", .from = *scan->next, .count = 100});
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->events.size(), 2u);
  auto shard = client_->Scan(
      {.scope = "#" + std::to_string(all->events[0].shard), .from = 1, .count = 10000});
  ASSERT_TRUE(shard.ok()) << shard.status().ToString();
  EXPECT_GE(shard->events.size(), 5u);

  auto info = client_->Info(s);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->stream, s);
  EXPECT_EQ(info->version, 5u);
  EXPECT_EQ(info->first_version, 1u);
  EXPECT_GT(info->created_ms, 0u);
  EXPECT_GE(info->updated_ms, info->created_ms);
  EXPECT_EQ(info->deleted, DeletedState::kNone);
  auto never = client_->Info("reader/log/never");
  ASSERT_TRUE(never.ok());
  EXPECT_EQ(never->version, 0u);
  EXPECT_EQ(never->created_ms, 0u);
}

TEST_F(ClientIntegrationTest, Listings) {
  for (const char* s : {"lister/a/1", "lister/a/2", "lister/b/1"}) {
    ASSERT_TRUE(client_->Append(s, Expected::Any(), {Ev("X", "{}")}).ok());
  }
  auto first = client_->ListStreams({.scope = "lister", .count = 2});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->streams, (std::vector<std::string>{"lister/a/1", "lister/a/2"}));
  ASSERT_TRUE(first->next.has_value());
  auto second = client_->ListStreams({.scope = "lister", .after = *first->next, .count = 2});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->streams, (std::vector<std::string>{"lister/b/1"}));
  EXPECT_FALSE(second->next.has_value());
  auto typed = client_->ListStreams({.scope = "lister/b"});
  ASSERT_TRUE(typed.ok());
  EXPECT_EQ(typed->streams, (std::vector<std::string>{"lister/b/1"}));

  auto types = client_->ListTypes("lister");
  ASSERT_TRUE(types.ok()) << types.status().ToString();
  EXPECT_EQ(*types, (std::vector<std::string>{"a", "b"}));
  auto orgs = client_->ListOrgs();
  ASSERT_TRUE(orgs.ok());
  EXPECT_NE(std::find(orgs->begin(), orgs->end(), "lister"), orgs->end());
}

TEST_F(ClientIntegrationTest, TrimAndDelete) {
  const std::string s = "deleter/doc/1";
  ASSERT_TRUE(
      client_->Append(s, Expected::Any(), {Ev("A", "{}"), Ev("B", "{}"), Ev("C", "{}")}).ok());
  auto trimmed = client_->Trim({s, 3});
  ASSERT_TRUE(trimmed.ok()) << trimmed.status().ToString();
  EXPECT_EQ(trimmed->stream, s);
  EXPECT_EQ(trimmed->first_version, 3u);
  auto read = client_->Read({.stream = s});
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->events.size(), 1u);
  EXPECT_EQ(read->events[0].version, 3u);

  auto stale = client_->Delete({s, Expected::Exact(2), false});
  EXPECT_EQ(stale.status().code(), StatusCode::kConflict);
  auto soft = client_->Delete({s, Expected::Exact(3), false});
  ASSERT_TRUE(soft.ok()) << soft.status().ToString();
  EXPECT_EQ(soft->deleted, DeletedState::kSoft);
  auto recreated = client_->Append(s, Expected::Any(), {Ev("D", "{}")});
  ASSERT_TRUE(recreated.ok()) << recreated.status().ToString();
  EXPECT_EQ(recreated->streams[0].first_version, 4u);  // versions continue

  auto hard = client_->Delete({s, Expected::Any(), true});
  ASSERT_TRUE(hard.ok()) << hard.status().ToString();
  EXPECT_EQ(hard->deleted, DeletedState::kHard);
  auto append = client_->Append(s, Expected::Any(), {Ev("E", "{}")});
  EXPECT_EQ(append.status().code(), StatusCode::kDeleted);
  EXPECT_EQ(ErrorWord(append.status()), "DELETED");
  EXPECT_EQ(client_->Read({.stream = s}).status().code(), StatusCode::kDeleted);
  auto info = client_->Info(s);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->deleted, DeletedState::kHard);
}

TEST_F(ClientIntegrationTest, Resp2PipeliningAndRawCommands) {
  ConnectionOptions o;
  o.protocol = 2;
  auto conn = Connection::Connect(address_, o);
  ASSERT_TRUE(conn.ok());
  EXPECT_EQ((*conn)->protocol(), 2);
  Client resp2(std::move(conn).value());
  auto a = resp2.Append("resp2/x/1", Expected::Any(), {Ev("A", "{}")});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_FALSE(a->duplicate);
  auto r = resp2.Read({.stream = "resp2/x/1"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->events.size(), 1u);
  EXPECT_FALSE(r->next.has_value());
  EXPECT_TRUE(resp2.Info("resp2/x/1").ok());
  EXPECT_EQ(resp2.Delete({"resp2/x/1", Expected::Exact(9), false}).status().code(),
            StatusCode::kConflict);

  Connection& c = client_->connection();
  EXPECT_EQ(c.protocol(), 3);
  constexpr int kDepth = 1000;
  for (int i = 0; i < kDepth; ++i) {
    c.Queue({"EAPPEND", "pipe/x/1", std::to_string(i), "EVENT", "T", std::to_string(i)});
  }
  for (int i = 0; i < kDepth; ++i) {
    auto reply = c.ReadReply();
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
    ASSERT_EQ(reply->type, RespType::kMap) << reply->DebugString();
    ASSERT_EQ(reply->Find("last_version")->integer, i + 1);
  }
  auto unknown = c.Call({"NOSUCHCOMMAND"});
  ASSERT_TRUE(unknown.ok());
  ASSERT_TRUE(unknown->IsError());
  EXPECT_EQ(ErrorWord(StatusFromErrorReply(unknown->str)), "ERR");
  EXPECT_TRUE(client_->Ping().ok());
}

TEST_F(ClientIntegrationTest, CliExitCodes) {
  const std::string addr = " --addr " + address_;
  std::string out;
  EXPECT_EQ(Cli("append cli/x/1 --expected none --event A '{\"a\":1}' --json" + addr, &out), 0);
  EXPECT_NE(out.find("\"last_version\":1"), std::string::npos) << out;
  EXPECT_EQ(Cli("append cli/x/1 --expected 5 --event A '{}'" + addr), 3);
  EXPECT_EQ(Cli("read cli/x/1 --json" + addr, &out), 0);
  EXPECT_NE(out.find("\"data\":{\"a\":1}"), std::string::npos) << out;
  EXPECT_EQ(Cli("info bad-name" + addr), 4);
  EXPECT_EQ(Cli("delete cli/x/1 --expected 1 --hard" + addr), 0);
  EXPECT_EQ(Cli("read cli/x/1" + addr), 5);
  EXPECT_EQ(Cli("info cli/x/1 --addr 127.0.0.1:1"), 6);
  EXPECT_EQ(Cli("read" + addr), 2);
  EXPECT_EQ(Cli("delete cli/x/1 --expected maybe" + addr), 2);
  EXPECT_EQ(Cli("orgs --json" + addr, &out), 0);
  EXPECT_NE(out.find("\"cli\""), std::string::npos) << out;
}

TEST_F(ClientIntegrationTest, BenchSmoke) {
  std::string out;
  ASSERT_EQ(Cli("bench --duration 2 --connections 4 --threads 2 --pipeline 4 --occ --json "
                "--org smoke --addr " +
                    address_,
                &out),
            0);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"re("requests":([0-9]+))re"))) << out;
  EXPECT_GT(std::stoull(m[1].str()), 0u) << out;
  EXPECT_NE(out.find("\"errors\":{}"), std::string::npos) << out;  // --occ never conflicts
  auto info = client_->Info("smoke/s/0");
  ASSERT_TRUE(info.ok());
  EXPECT_GT(info->version, 0u);

  ASSERT_EQ(
      Cli("bench --duration 1 --command ping --connections 2 --threads 1 --json --addr " + address_,
          &out),
      0);
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"re("requests":([0-9]+))re"))) << out;
  EXPECT_GT(std::stoull(m[1].str()), 0u) << out;
}

}  // namespace
}  // namespace cairn::client
