#pragma once
// Cairn's C++ client: a RESP3 connection (blocking, pipelined) and a typed client for the
// commands of the wire contract (docs/reference/protocol.md).
//
//   auto client = cairn::client::Client::Connect("127.0.0.1:7379");
//   if (!client.ok()) ...;
//   auto r = client->Append("acme/account/42", cairn::Expected::Any(),
//                           {{.type = "Opened", .data = R"({"owner":"ann"})"}});
//
// Errors are values: the server's error replies come back as a Status whose code mirrors the
// reply's code word (StatusFromErrorReply); a connection that cannot be reached, times out or
// is closed gives kUnavailable; a reply that breaks the RESP grammar or the contract's reply
// shapes gives kCorruption. After a connection-level error the Connection is closed and every
// later call fails with the same status.

#include <cstdint>
#include <deque>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cairn/resp_reply_parser.h"
#include "cairn/resp_value.h"
#include "cairn/status.h"
#include "cairn/types.h"

namespace cairn::client {

inline constexpr std::string_view kDefaultAddress = "127.0.0.1:7379";

struct ConnectionOptions {
  uint32_t connect_timeout_ms = 5000;
  // Longest wait for the socket to make progress (accept bytes or deliver some).
  uint32_t io_timeout_ms = 30000;
  // 3: send HELLO 3 on connect and fall back to RESP2 if the server refuses it; 2: send
  // nothing (the server speaks RESP2).
  int protocol = 3;
  ReplyParser::Limits limits;
};

// One TCP connection speaking RESP. Requests may be pipelined: Queue any number, then
// ReadReply once per request, in order. Server push frames (RESP3 `>`, e.g. a watch's events)
// may arrive between replies: ReadReply sets them aside, in arrival order, and NextPush hands
// them out. Set-aside pushes are held in memory until NextPush takes them.
//
// Owner: one thread at a time; not thread-safe. Closed on destruction.
class Connection {
 public:
  // `address` is "host:port", "[v6]:port" or "host" (port 7379). Connects with
  // TCP_NODELAY within connect_timeout_ms, then says HELLO as the options ask.
  static Result<std::unique_ptr<Connection>> Connect(std::string_view address,
                                                     const ConnectionOptions& options = {});
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // 3 when the server accepted HELLO 3, else 2.
  int protocol() const { return protocol_; }
  const std::string& address() const { return address_; }
  // Ok while the connection is usable; the error that closed it otherwise.
  const Status& status() const { return status_; }

  // Encodes a request into the send buffer (nothing is sent until Flush or ReadReply).
  void Queue(std::span<const std::string_view> args);
  void Queue(std::initializer_list<std::string_view> args) {
    Queue(std::span<const std::string_view>(args.begin(), args.size()));
  }
  // Sends every queued byte. Replies that arrive meanwhile are buffered, so a deep pipeline
  // cannot deadlock against a server that stops reading while its replies are unread.
  Status Flush();
  // The reply to the oldest request without one (flushing first). An error reply is a
  // successful read: the value has type kError.
  Result<RespValue> ReadReply();
  // Requests queued or sent whose replies have not been read.
  size_t pending() const { return pending_; }

  // The oldest push frame: one set aside by ReadReply, or else the next to arrive within
  // timeout_ms. nullopt when none came in time or a signal interrupted the wait (the
  // connection stays usable). Needs every reply read (pending() == 0): a reply arriving here
  // breaks the contract (kCorruption).
  Result<std::optional<RespValue>> NextPush(uint32_t timeout_ms);
  // Push frames set aside and not yet taken by NextPush.
  size_t pushes_buffered() const { return pushes_.size(); }
  // Drops the set-aside push frames for which `drop` is true; the others keep their order.
  template <typename P>
  void DropPushes(P drop) {
    std::erase_if(pushes_, drop);
  }

  // Queue + ReadReply. Pending replies of earlier requests must have been read.
  Result<RespValue> Call(std::span<const std::string_view> args);
  Result<RespValue> Call(std::initializer_list<std::string_view> args) {
    return Call(std::span<const std::string_view>(args.begin(), args.size()));
  }

 private:
  Connection(int fd, std::string address, const ConnectionOptions& options);
  Status Hello();
  // Waits for `events` (POLLIN/POLLOUT); kUnavailable on timeout or a dead socket.
  Status Wait(short events, short* revents);
  Status ReceiveSome();
  // The next complete value from the parser's buffered bytes; false when it needs more.
  Result<bool> Parse(RespValue* v);
  Status Break(Status s);

  int fd_ = -1;
  std::string address_;
  ConnectionOptions options_;
  int protocol_ = 2;
  std::string out_;
  size_t out_offset_ = 0;
  size_t pending_ = 0;
  ReplyParser parser_;
  std::deque<RespValue> pushes_;
  Status status_;
};

// EWATCH: the events of a scope, in order, then live as they commit.
struct WatchRequest {
  std::string scope;               // org/type/id, org/type, org or #<shard>
  std::optional<uint64_t> from;    // exclusive: the last cursor seen (0: from the beginning)
  bool live = false;               // only events committed after the watch starts
  std::vector<std::string> types;  // empty: all
  std::string group;               // not empty: start after this group's committed cursor
};

// One push frame of a watch. The cursor is the event's version for a stream scope, its
// position otherwise; for kLive, where a resumption would start (every event before it sent).
struct WatchFrame {
  enum class Kind : uint8_t { kEvent, kLive };
  Kind kind = Kind::kEvent;
  uint64_t subscription = 0;
  uint64_t cursor = 0;
  RecordedEvent event;  // kEvent only
  bool operator==(const WatchFrame&) const = default;
};

// A consumer group's committed cursor for one scope (EGROUP): the engine's type.
using GroupCursor = cairn::GroupCursor;

// The typed client: one method per command of the contract, over one Connection. Owner: one
// thread at a time.
class Client {
 public:
  static Result<Client> Connect(std::string_view address = kDefaultAddress,
                                const ConnectionOptions& options = {});
  explicit Client(std::unique_ptr<Connection> connection);

  // EAPPEND: all events commit atomically, or none.
  Result<AppendResult> Append(std::string_view stream, Expected expected,
                              std::span<const ProposedEvent> events,
                              std::string_view idempotency_key = {});
  Result<AppendResult> Append(std::string_view stream, Expected expected,
                              std::initializer_list<ProposedEvent> events,
                              std::string_view idempotency_key = {}) {
    return Append(stream, expected, std::span<const ProposedEvent>(events.begin(), events.size()),
                  idempotency_key);
  }
  // ETXN: every clause's condition holds and every event commits, or nothing does.
  Result<AppendResult> Transaction(std::span<const AppendClause> clauses,
                                   std::string_view idempotency_key = {});
  // EAPPEND for a one-clause request, ETXN when request.transaction is set.
  Result<AppendResult> Append(const AppendRequest& request);

  Result<ReadResult> Read(const ReadRequest& request, bool with_hash = false);
  Result<ScanResult> Scan(const ScanRequest& request, bool with_hash = false);
  Result<StreamInfo> Info(std::string_view stream);
  Result<ListStreamsResult> ListStreams(const ListStreamsRequest& request);
  Result<std::vector<std::string>> ListTypes(std::string_view org);
  Result<std::vector<std::string>> ListOrgs();
  // EDELETE and ETRIM answer with the stream's info after the change.
  Result<StreamInfo> Delete(const DeleteRequest& request);
  Result<StreamInfo> Trim(const TrimRequest& request);
  Status Ping();
  // EVERIFY: CRCs and the hash chain of one shard's positions [from, to], checked by the
  // server on its background verification thread.
  Result<VerifyResult> Verify(const VerifyRequest& request);
  // EKEY ROTATE: the new data key's id (0 with per-stream keys).
  Result<uint32_t> RotateKey(std::string_view org);
  // EKEY SHRED: the number of data keys destroyed (durably, before the reply).
  Result<uint32_t> ShredKeys(std::string_view scope);
  // The server's shard count (INFO keyspace).
  Result<uint32_t> ShardCount();

  // EWATCH (RESP3 only): starts a subscription on this connection and returns its id. Its
  // frames come from NextWatchFrame; other commands may be sent meanwhile.
  Result<uint64_t> Watch(const WatchRequest& request);
  // EUNWATCH: no frame of `subscription` comes after this returns (frames of it already set
  // aside are dropped).
  Status Unwatch(uint64_t subscription);
  // The next frame of any of this client's subscriptions, waiting at most timeout_ms; nullopt
  // when none came in time or a signal interrupted the wait.
  Result<std::optional<WatchFrame>> NextWatchFrame(uint32_t timeout_ms);

  // EGROUP COMMIT: the stored cursor (forward only, so possibly higher than `cursor`).
  Result<uint64_t> GroupCommit(std::string_view group, std::string_view scope, uint64_t cursor);
  // EGROUP OFFSET: the stored cursor, 0 when none.
  Result<uint64_t> GroupOffset(std::string_view group, std::string_view scope);
  // EGROUP LIST: every group's cursors, or those of one scope; sorted by scope, then group.
  Result<std::vector<GroupCursor>> GroupList(std::string_view scope = {});
  // EGROUP DELETE: true when a cursor was deleted.
  Result<bool> GroupDelete(std::string_view group, std::string_view scope);

  Connection& connection() { return *connection_; }

 private:
  // Sends one request; an error reply becomes its Status.
  Result<RespValue> Call(std::span<const std::string_view> args);

  std::unique_ptr<Connection> connection_;
  // Open subscriptions: id -> whether the scope is a stream (cursors are versions).
  std::unordered_map<uint64_t, bool> subscriptions_;
};

// Maps a RESP error line ("CODE message") to a Status. INVALID, TOOLARGE, CONFLICT, DELETED,
// CROSSSHARD, IDEMPOTENCY, BUSY and UNAVAILABLE have codes of their own and keep only the
// message (a CONFLICT in the contract's wording also carries its ConflictDetail). The other
// words keep the whole line as the message, so the word is not lost, and map to the nearest
// code: NOTLEADER to kUnavailable; ERR, SCHEMA, NOAUTH, NOPERM and unknown words to kInvalid.
Status StatusFromErrorReply(std::string_view line);

// The wire code word of a status produced by this library: "CONFLICT", "SCHEMA", "NOTLEADER",
// ..., and "PROTOCOL" for kCorruption (a reply that breaks the grammar or the contract).
std::string_view ErrorWord(const Status& status);
// "CODE message", the way the server wrote it when the status came from an error reply.
std::string ErrorLine(const Status& status);

}  // namespace cairn::client
