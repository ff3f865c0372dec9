// Watches and consumer groups in the client: push frames interleaved with replies and split
// across reads, against a scripted server on a loopback socket; decoding of watch frames and
// EGROUP replies.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "cairn/client.h"
#include "client/reply_decoder.h"
#include "client/tests/sample_event.h"
#include "protocol/resp/reply_format.h"

namespace cairn::client {
namespace {

RecordedEvent Event(uint64_t version) { return SampleEvent(version, false); }

std::string EventPush(uint64_t id, const RecordedEvent& e) {
  std::string out = ">3\r\n$5\r\nevent\r\n:" + std::to_string(id) + "\r\n";
  resp::ReplyWriter w(&out, 3);
  resp::WriteEvent(w, e, false);
  return out;
}

std::string LivePush(uint64_t id, uint64_t cursor) {
  return ">3\r\n$4\r\nlive\r\n:" + std::to_string(id) + "\r\n:" + std::to_string(cursor) + "\r\n";
}

// A server that plays a script on one connection: each step waits until the bytes received
// so far contain `wait_for` (after the previous step's match), then sends its chunks one by
// one with a pause between them, so that each arrives in a read of its own.
struct Step {
  std::string wait_for;
  std::vector<std::string> chunks;
};

class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<Step> script) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    EXPECT_EQ(::listen(listen_fd_, 1), 0);
    EXPECT_EQ(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len), 0);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, script = std::move(script)] { Play(script); });
  }
  ~ScriptedServer() {
    thread_.join();
    ::close(listen_fd_);
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  void Play(const std::vector<Step>& script) {
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    ASSERT_GE(fd, 0);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    std::string in;
    size_t matched = 0;
    for (const Step& s : script) {
      size_t at;
      while ((at = in.find(s.wait_for, matched)) == std::string::npos) {
        char buf[4096];
        ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) {
          ::close(fd);
          return;
        }
        in.append(buf, static_cast<size_t>(n));
      }
      matched = at + s.wait_for.size();
      for (const std::string& c : s.chunks) {
        ASSERT_EQ(::send(fd, c.data(), c.size(), MSG_NOSIGNAL), static_cast<ssize_t>(c.size()));
        std::this_thread::sleep_for(std::chrono::milliseconds(15));
      }
    }
    ::close(fd);  // the script's end closes the connection
  }

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

Client ConnectTo(const ScriptedServer& s) {
  ConnectionOptions o;
  o.protocol = 2;  // the script does not answer HELLO; pushes parse all the same
  o.io_timeout_ms = 5000;
  auto c = Client::Connect(s.address(), o);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(c).value();
}

WatchRequest Request(std::string scope) {
  WatchRequest r;
  r.scope = std::move(scope);
  return r;
}

WatchFrame Next(Client& c) {
  auto f = c.NextWatchFrame(5000);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_TRUE(f.ok() && f->has_value());
  return f.ok() && f->has_value() ? **f : WatchFrame{};
}

WatchFrame EventFrame(uint64_t id, uint64_t cursor, const RecordedEvent& e) {
  return WatchFrame{WatchFrame::Kind::kEvent, id, cursor, e};
}

WatchFrame LiveFrame(uint64_t id, uint64_t cursor) {
  return WatchFrame{WatchFrame::Kind::kLive, id, cursor, {}};
}

TEST(WatchTest, PushesInterleavedWithRepliesKeepTheirOrder) {
  ScriptedServer server({
      {"EWATCH", {":1\r\n" + EventPush(1, Event(1))}},
      // Pushes before, between and after replies.
      {"OFFSET", {EventPush(1, Event(2)) + ":7\r\n" + EventPush(1, Event(3))}},
      {"LIST", {"*0\r\n" + LivePush(1, 3)}},
      {"COMMIT", {EventPush(1, Event(4)) + ":3\r\n"}},
  });
  Client c = ConnectTo(server);
  WatchRequest r = Request("acme/account/42");
  r.from = 0;
  auto id = c.Watch(r);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, 1u);
  auto offset = c.GroupOffset("billing", "acme/account/42");
  ASSERT_TRUE(offset.ok()) << offset.status().ToString();
  EXPECT_EQ(*offset, 7u);
  auto list = c.GroupList();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_TRUE(list->empty());
  EXPECT_EQ(Next(c), EventFrame(1, 1, Event(1)));
  EXPECT_EQ(Next(c), EventFrame(1, 2, Event(2)));
  auto committed = c.GroupCommit("billing", "acme/account/42", 2);
  ASSERT_TRUE(committed.ok()) << committed.status().ToString();
  EXPECT_EQ(*committed, 3u);
  EXPECT_EQ(Next(c), EventFrame(1, 3, Event(3)));
  EXPECT_EQ(Next(c), LiveFrame(1, 3));
  EXPECT_EQ(Next(c), EventFrame(1, 4, Event(4)));
  // The script ends by closing the connection.
  auto end = c.NextWatchFrame(5000);
  ASSERT_FALSE(end.ok());
  EXPECT_EQ(end.status().code(), StatusCode::kUnavailable);
}

TEST(WatchTest, PushesSplitAcrossReads) {
  const std::string a = EventPush(2, Event(5));
  const std::string b = LivePush(2, 107);
  const std::string both = a + b + ":0\r\n";
  // Cut inside the first push's event map, at the boundary of the second and inside the reply.
  const size_t cut1 = a.size() / 2, cut2 = a.size() + 3, cut3 = both.size() - 2;
  ScriptedServer server({
      {"EWATCH", {":2\r\n"}},
      {"DELETE",
       {both.substr(0, cut1), both.substr(cut1, cut2 - cut1), both.substr(cut2, cut3 - cut2),
        both.substr(cut3)}},
      {"never", {}},
  });
  Client c = ConnectTo(server);
  WatchRequest r = Request("acme/account");
  r.types = {"Deposited", "Opened"};
  auto id = c.Watch(r);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  auto deleted = c.GroupDelete("billing", "acme/account");
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_FALSE(*deleted);
  EXPECT_EQ(c.connection().pushes_buffered(), 2u);
  // An org/type scope counts positions.
  EXPECT_EQ(Next(c), EventFrame(2, 105, Event(5)));
  EXPECT_EQ(Next(c), LiveFrame(2, 107));
}

TEST(WatchTest, FramesArriveInPiecesWhileWaiting) {
  const std::string push = EventPush(1, Event(1)) + LivePush(1, 1);
  std::vector<std::string> bytes;
  for (size_t i = 0; i < push.size(); i += 7) bytes.push_back(push.substr(i, 7));
  ScriptedServer server({{"EWATCH", {":1\r\n"}}, {"\n", bytes}, {"never", {}}});
  Client c = ConnectTo(server);
  WatchRequest r = Request("acme/account/42");
  r.live = true;
  ASSERT_TRUE(c.Watch(r).ok());
  EXPECT_EQ(Next(c), EventFrame(1, 1, Event(1)));
  EXPECT_EQ(Next(c), LiveFrame(1, 1));
}

TEST(WatchTest, NoFrameInTimeIsNotAnError) {
  ScriptedServer server({{"EWATCH", {":1\r\n"}}, {"PING", {"+PONG\r\n"}}, {"never", {}}});
  Client c = ConnectTo(server);
  ASSERT_TRUE(c.Watch(Request("#0")).ok());
  auto f = c.NextWatchFrame(30);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_FALSE(f->has_value());
  EXPECT_TRUE(c.Ping().ok());  // still usable
}

TEST(WatchTest, UnwatchDropsTheSubscriptionsSetAsideFrames) {
  ScriptedServer server({
      {"EWATCH", {":1\r\n"}},
      {"EWATCH", {":2\r\n"}},
      {"EUNWATCH", {EventPush(1, Event(1)) + EventPush(2, Event(1)) + "+OK\r\n"}},
      {"EUNWATCH", {"-INVALID no watch 9 on this connection\r\n"}},
      {"never", {}},
  });
  Client c = ConnectTo(server);
  ASSERT_TRUE(c.Watch(Request("acme/account/42")).ok());
  ASSERT_TRUE(c.Watch(Request("acme")).ok());
  ASSERT_TRUE(c.Unwatch(1).ok());
  Status s = c.Unwatch(9);
  EXPECT_EQ(s.code(), StatusCode::kInvalid);
  EXPECT_EQ(Next(c), EventFrame(2, 101, Event(1)));
  auto f = c.NextWatchFrame(30);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_FALSE(f->has_value());
}

TEST(WatchTest, AReplyWithoutARequestBreaksTheConnection) {
  ScriptedServer server({{"EWATCH", {":1\r\n", ":2\r\n"}}, {"never", {}}});
  Client c = ConnectTo(server);
  ASSERT_TRUE(c.Watch(Request("acme/account/42")).ok());
  auto f = c.NextWatchFrame(5000);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kCorruption);
  EXPECT_FALSE(c.connection().status().ok());
}

TEST(WatchTest, WatchErrorIsAStatus) {
  ScriptedServer server(
      {{"EWATCH", {"-BUSY too many watches on this connection (64)\r\n"}}, {"never", {}}});
  Client c = ConnectTo(server);
  auto id = c.Watch(Request("acme/account/42"));
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), StatusCode::kBusy);
}

RespValue Parsed(const std::string& bytes) {
  ReplyParser p;
  p.Feed(bytes);
  RespValue v;
  auto r = p.Next(&v);
  EXPECT_TRUE(r.ok() && *r) << bytes;
  return v;
}

TEST(WatchDecodeTest, Frames) {
  const std::unordered_map<uint64_t, bool> subs = {{1, true}, {2, false}};
  auto f = DecodeWatchFrame(Parsed(EventPush(1, Event(3))), subs);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(*f, EventFrame(1, 3, Event(3)));
  f = DecodeWatchFrame(Parsed(EventPush(2, Event(3))), subs);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->cursor, 103u);
  f = DecodeWatchFrame(Parsed(LivePush(2, 0)), subs);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(*f, LiveFrame(2, 0));

  for (const std::string& bad : std::vector<std::string>{
           LivePush(3, 1),                                        // not a subscription
           ">3\r\n$4\r\nlate\r\n:1\r\n:1\r\n",                    // unknown kind
           ">2\r\n$4\r\nlive\r\n:1\r\n",                          // too short
           ">3\r\n$4\r\nlive\r\n:1\r\n:-1\r\n",                   // negative cursor
           ">3\r\n$5\r\nevent\r\n:1\r\n:1\r\n",                   // event is not a map
           "*3\r\n$4\r\nlive\r\n:1\r\n:1\r\n",                    // not a push
           ">3\r\n$5\r\nevent\r\n:1\r\n%1\r\n$1\r\nx\r\n:1\r\n",  // event fields missing
       }) {
    auto r = DecodeWatchFrame(Parsed(bad), subs);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << bad;
  }
}

TEST(WatchDecodeTest, GroupReplies) {
  auto list = DecodeGroupList(Parsed(
      "*2\r\n%3\r\n$5\r\ngroup\r\n$1\r\na\r\n$5\r\nscope\r\n$4\r\nacme\r\n$6\r\ncursor\r\n:9\r\n"
      "*6\r\n$5\r\ngroup\r\n$1\r\nb\r\n$5\r\nscope\r\n$2\r\n#0\r\n$6\r\ncursor\r\n:0\r\n"));
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(*list, (std::vector<GroupCursor>{{"a", "acme", 9}, {"b", "#0", 0}}));
  EXPECT_FALSE(DecodeGroupList(Parsed("*1\r\n%1\r\n$5\r\ngroup\r\n$1\r\na\r\n")).ok());
  EXPECT_FALSE(DecodeGroupList(Parsed(":1\r\n")).ok());

  EXPECT_EQ(*DecodeFlag(Parsed(":1\r\n"), "x"), true);
  EXPECT_EQ(*DecodeFlag(Parsed("#f\r\n"), "x"), false);
  EXPECT_FALSE(DecodeFlag(Parsed(":2\r\n"), "x").ok());
  EXPECT_EQ(*DecodeUint(Parsed(":42\r\n"), "x"), 42u);
  EXPECT_FALSE(DecodeUint(Parsed("$2\r\n42\r\n"), "x").ok());
  EXPECT_FALSE(DecodeUint(Parsed(":-1\r\n"), "x").ok());
}

}  // namespace
}  // namespace cairn::client
