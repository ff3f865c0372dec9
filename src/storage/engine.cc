#include "cairn/engine.h"

#include <rocksdb/cache.h>
#include <sys/resource.h>
#include <xxhash.h>

#include <algorithm>
#include <future>
#include <set>
#include <thread>
#include <tuple>

#include "base/names.h"
#include "io/env.h"
#include "storage/event_cipher.h"
#include "storage/manifest.h"
#include "storage/request_check.h"
#include "storage/shard.h"
#include "storage/shard_reader.h"
#include "storage/verifier.h"

namespace cairn {

struct Engine::Impl {
  EngineOptions options;
  Env* env = nullptr;
  Manifest manifest;
  int lock_fd = -1;
  IndexResources resources;
  std::vector<std::unique_ptr<Shard>> shards;
  std::vector<ShardReader> readers;
  std::unique_ptr<EventCipher> cipher;  // null: encryption off
  uint64_t recovery_ms = 0;

  ~Impl() {
    for (auto& s : shards) s->Stop();
    shards.clear();
    if (lock_fd >= 0) (void)env->fs()->CloseFile(lock_fd);
  }

  // A synchronous wait on a thread that hosts a shard would never end (the shard's loop
  // runs only between that thread's waits).
  void AssertNotOnAHost() const {
    for (const auto& s : shards) {
      CAIRN_ASSERT_MSG(!s->OnHostThread(), "a synchronous engine call on a shard's host thread");
    }
  }

  std::string ShardDir(uint32_t i) const {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "/shard-%03u", i);
    return options.data_dir + buf;
  }

  uint32_t ShardOfKey(std::string_view key) const {
    return static_cast<uint32_t>(XXH64(key.data(), key.size(), 0) % manifest.shards);
  }

  uint32_t ShardOfName(const StreamName& n, std::string_view stream) const {
    switch (manifest.shard_key) {
      case ShardKey::kOrg:
        return ShardOfKey(n.org);
      case ShardKey::kType:
        return ShardOfKey(n.org_type);
      case ShardKey::kStream:
        return ShardOfKey(stream);
    }
    return 0;
  }

  // The single shard holding a scope ("org" or "org/type"), if the shard key allows it.
  std::optional<uint32_t> ShardOfScope(std::string_view org, std::string_view org_type) const {
    if (manifest.shard_key == ShardKey::kOrg) return ShardOfKey(org);
    if (manifest.shard_key == ShardKey::kType && !org_type.empty()) return ShardOfKey(org_type);
    return std::nullopt;
  }

  void Route(uint32_t shard, std::unique_ptr<WriteOp> op) { shards[shard]->Submit(std::move(op)); }
};

namespace {

Status OpenImpl(Engine::Impl* impl) {
  FileSystem* fs = impl->env->fs();
  const std::string& dir = impl->options.data_dir;
  if (!fs->Exists(dir)) {
    if (!impl->options.create_if_missing) return Status::NotFound("data directory " + dir);
    CAIRN_RETURN_IF_ERROR(fs->CreateDir(dir));
  }
  CAIRN_ASSIGN_OR_RETURN(impl->lock_fd, fs->LockFile(dir + "/LOCK"));
  auto m = ReadManifest(fs, dir);
  if (m.ok()) {
    impl->manifest = *m;
  } else if (m.status().code() == StatusCode::kNotFound) {
    if (!impl->options.create_if_missing) return m.status();
    Manifest nm;
    nm.shards = impl->options.shards != 0 ? impl->options.shards
                                          : std::max(1u, std::thread::hardware_concurrency());
    if (nm.shards > 1024) return Status::Invalid("at most 1024 shards");
    nm.shard_key = impl->options.shard_key;
    nm.created_ms = impl->env->clock()->NowMillis();
    CAIRN_RETURN_IF_ERROR(WriteManifest(fs, dir, nm));
    impl->manifest = nm;
  } else {
    return m.status();
  }
  CAIRN_ASSIGN_OR_RETURN(impl->cipher, EventCipher::Open(fs, dir, impl->options));
  if (impl->options.segment_size_bytes < (1u << 20) ||
      impl->options.segment_size_bytes > (1ull << 31)) {
    return Status::Invalid("segment size must be between 1 MiB and 2 GiB");
  }
  if (impl->manifest.format_version < kDataDirFormat) {
    // Before the shards open (their recovery writes the new way), so that an older binary
    // refuses the directory from then on.
    impl->manifest.format_version = kDataDirFormat;
    CAIRN_RETURN_IF_ERROR(WriteManifest(fs, dir, impl->manifest));
  }
  // Every segment keeps a read descriptor open: allow as many as the system does.
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
  }
  // The memory budget (docs/internals/memory.md): 40% index block cache, 15% memtables
  // (charged to the same cache), 20% stream heads. The remaining 25% is headroom for what
  // is not cached: the allocator's fragmentation (measured near 15% of what it holds),
  // batch buffers, RocksDB's working memory, code and stacks.
  const uint64_t budget = impl->options.memory_budget_bytes;
  const uint32_t n = impl->manifest.shards;
  impl->resources = MakeIndexResources(budget * 40 / 100, budget * 15 / 100, n);
  const uint64_t heads_per_shard = budget * 20 / 100 / n;
  uint64_t t0 = impl->env->clock()->MonotonicNanos();
  for (uint32_t i = 0; i < n; ++i) {
    impl->shards.push_back(
        std::make_unique<Shard>(i, impl->options, impl->env, impl->ShardDir(i), heads_per_shard));
  }
  // Shards recover in parallel.
  std::vector<Status> results(n);
  std::vector<std::thread> threads;
  for (uint32_t i = 0; i < n; ++i) {
    threads.emplace_back([&, i] { results[i] = impl->shards[i]->Open(impl->resources); });
  }
  for (auto& t : threads) t.join();
  for (uint32_t i = 0; i < n; ++i) {
    if (!results[i].ok()) {
      return Status(results[i].code(), "shard " + std::to_string(i) + ": " + results[i].message());
    }
  }
  impl->recovery_ms = (impl->env->clock()->MonotonicNanos() - t0) / 1000000;
  for (uint32_t i = 0; i < n; ++i) {
    impl->readers.emplace_back(i, impl->shards[i]->index(), impl->shards[i]->segments());
  }
  return Status::Ok();
}

template <typename T>
struct SyncWait {
  std::promise<Result<T>> promise;
  std::function<void(Result<T>)> Callback() {
    return [this](Result<T> r) { promise.set_value(std::move(r)); };
  }
};

}  // namespace

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->env = options.env != nullptr ? options.env : Env::Default();
  Status st = OpenImpl(impl.get());
  if (!st.ok()) return st;
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

void Engine::Append(AppendRequest request, AppendCallback done) {
  Status st = CheckAppendRequest(request, impl_->options.limits);
  if (!st.ok()) return done(st);
  uint32_t shard = 0;
  for (size_t i = 0; i < request.clauses.size(); ++i) {
    auto name = ParseStreamName(request.clauses[i].stream);
    uint32_t s = impl_->ShardOfName(*name, request.clauses[i].stream);
    if (i == 0) {
      shard = s;
    } else if (s != shard) {
      return done(Status::CrossShard("streams " + request.clauses[0].stream + " and " +
                                     request.clauses[i].stream + " are in different shards"));
    }
  }
  auto op = std::make_unique<WriteOp>();
  op->kind = WriteOp::Kind::kAppend;
  if (!request.idempotency_key.empty()) {
    auto name = ParseStreamName(request.clauses[0].stream);
    op->idem_scoped_key = std::string(name->org);
    op->idem_scoped_key.push_back('\0');
    op->idem_scoped_key.append(request.idempotency_key);
    op->fingerprint = RequestFingerprint(request);  // of the plaintext: retries match
  }
  if (impl_->cipher) {
    // Before the shard: its thread stays lean, and nonces come from an atomic counter.
    Status sealed = impl_->cipher->Seal(&request);
    if (!sealed.ok()) return done(sealed);
  }
  op->append = std::move(request);
  op->on_append = std::move(done);
  impl_->Route(shard, std::move(op));
}

namespace {

// Routes a delete or trim (one stream each) to its shard; the request goes into op->*field.
template <typename Request>
void SubmitStateChange(Engine::Impl* impl, WriteOp::Kind kind, Request request,
                       Engine::StateCallback done, Request WriteOp::*field) {
  auto name = ParseStreamName(request.stream);
  if (!name.ok()) return done(name.status());
  const uint32_t shard = impl->ShardOfName(*name, request.stream);
  auto op = std::make_unique<WriteOp>();
  op->kind = kind;
  (*op).*field = std::move(request);
  op->on_state = std::move(done);
  impl->Route(shard, std::move(op));
}

}  // namespace

void Engine::Delete(DeleteRequest request, StateCallback done) {
  SubmitStateChange(impl_.get(), WriteOp::Kind::kDelete, std::move(request), std::move(done),
                    &WriteOp::del);
}

void Engine::Trim(TrimRequest request, StateCallback done) {
  SubmitStateChange(impl_.get(), WriteOp::Kind::kTrim, std::move(request), std::move(done),
                    &WriteOp::trim);
}

Result<AppendResult> Engine::AppendSync(AppendRequest request) {
  impl_->AssertNotOnAHost();
  SyncWait<AppendResult> w;
  auto f = w.promise.get_future();
  Append(std::move(request), w.Callback());
  return f.get();
}

Result<StreamInfo> Engine::DeleteSync(DeleteRequest request) {
  impl_->AssertNotOnAHost();
  SyncWait<StreamInfo> w;
  auto f = w.promise.get_future();
  Delete(std::move(request), w.Callback());
  return f.get();
}

Result<StreamInfo> Engine::TrimSync(TrimRequest request) {
  impl_->AssertNotOnAHost();
  SyncWait<StreamInfo> w;
  auto f = w.promise.get_future();
  Trim(std::move(request), w.Callback());
  return f.get();
}

namespace {

// COUNT of reads, scans and listings: 0 breaks a rule, over the maximum is over a limit.
Status CheckCount(uint32_t count) {
  if (count == 0) return Status::Invalid("COUNT must be at least 1");
  if (count > kMaxReadCount) {
    return Status::TooLarge("COUNT is at most " + std::to_string(kMaxReadCount));
  }
  return Status::Ok();
}

}  // namespace

Result<ReadResult> Engine::Read(const ReadRequest& request) const {
  auto name = ParseStreamName(request.stream);
  if (!name.ok()) return name.status();
  for (const std::string& t : request.types) CAIRN_RETURN_IF_ERROR(ValidateEventType(t));
  CAIRN_RETURN_IF_ERROR(CheckCount(request.count));
  CAIRN_ASSIGN_OR_RETURN(
      ReadResult r, impl_->readers[impl_->ShardOfName(*name, request.stream)].ReadStream(request));
  if (impl_->cipher) CAIRN_RETURN_IF_ERROR(impl_->cipher->Open(&r.events));
  return r;
}

Result<WatchScope> Engine::ParseScope(std::string_view scope) const {
  WatchScope w;
  if (!scope.empty() && scope[0] == '#') {
    auto digits = scope.substr(1);
    if (digits.empty() || digits.size() > 4 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return Status::Invalid("shard scope is #<shard number>");
    }
    uint64_t shard = std::stoull(std::string(digits));
    if (shard >= impl_->manifest.shards) {
      return Status::Invalid("no shard " + std::to_string(shard) + " (this node has " +
                             std::to_string(impl_->manifest.shards) + ")");
    }
    w.kind = WatchScope::Kind::kShard;
    w.shard = static_cast<uint32_t>(shard);
    w.canonical = "#" + std::to_string(shard);
    return w;
  }
  const size_t slashes = std::count(scope.begin(), scope.end(), '/');
  if (slashes >= 2) {
    auto name = ParseStreamName(scope);
    if (!name.ok()) return name.status();
    w.kind = WatchScope::Kind::kStream;
    w.shard = impl_->ShardOfName(*name, scope);
    w.canonical = std::string(scope);
    return w;
  }
  size_t slash = scope.find('/');
  std::string_view org = scope.substr(0, slash);
  CAIRN_RETURN_IF_ERROR(ValidateOrg(org));
  std::string_view org_type;
  if (slash != std::string_view::npos) {
    CAIRN_RETURN_IF_ERROR(ValidateStreamType(scope.substr(slash + 1)));
    org_type = scope;
  }
  auto shard = impl_->ShardOfScope(org, org_type);
  if (!shard) {
    return Status::Invalid("scope " + std::string(scope) + " spans shards under shard key " +
                           std::string(ShardKeyName(impl_->manifest.shard_key)) +
                           "; use each #shard instead");
  }
  w.kind = org_type.empty() ? WatchScope::Kind::kOrg : WatchScope::Kind::kType;
  w.shard = *shard;
  w.canonical = std::string(scope);
  return w;
}

Result<ScanResult> Engine::Scan(const ScanRequest& request) const {
  CAIRN_ASSIGN_OR_RETURN(ScanResult r, ScanStored(request));
  if (impl_->cipher) CAIRN_RETURN_IF_ERROR(impl_->cipher->Open(&r.events));
  return r;
}

Result<uint32_t> Engine::RotateKey(std::string_view org) {
  if (!impl_->cipher) return Status::Invalid("encryption is not configured");
  CAIRN_RETURN_IF_ERROR(ValidateOrg(org));
  return impl_->cipher->Rotate(std::string(org));
}

Result<uint32_t> Engine::ShredKeys(std::string_view scope) {
  if (!impl_->cipher) return Status::Invalid("encryption is not configured");
  if (scope.find('/') == std::string_view::npos) {
    CAIRN_RETURN_IF_ERROR(ValidateOrg(scope));
  } else {
    auto name = ParseStreamName(scope);
    if (!name.ok()) return Status::Invalid("EKEY SHRED takes a stream org/type/id or an org");
  }
  return impl_->cipher->Shred(std::string(scope));
}

Result<ScanResult> Engine::ScanStored(const ScanRequest& request) const {
  for (const std::string& t : request.types) CAIRN_RETURN_IF_ERROR(ValidateEventType(t));
  CAIRN_RETURN_IF_ERROR(CheckCount(request.count));
  CAIRN_ASSIGN_OR_RETURN(WatchScope scope, ParseScope(request.scope));
  const ShardReader& reader = impl_->readers[scope.shard];
  switch (scope.kind) {
    case WatchScope::Kind::kShard:
      return reader.Scan(index::kPositionTag, {}, request);
    case WatchScope::Kind::kOrg:
      return reader.Scan(index::kOrgScopeTag, scope.canonical, request);
    case WatchScope::Kind::kType:
      return reader.Scan(index::kTypeScopeTag, scope.canonical, request);
    case WatchScope::Kind::kStream:
      break;
  }
  return Status::Invalid("a scan's scope is an org, an org/type or #<shard>, not a stream");
}

namespace {

// EGROUP LIST answers at most this many cursors (docs/reference/limits.md).
constexpr size_t kMaxGroupsListed = 10000;

}  // namespace

void Engine::CommitGroup(GroupCursor request, GroupCallback done) {
  Status st = ValidateGroupName(request.group);
  if (!st.ok()) return done(st);
  auto scope = ParseScope(request.scope);
  if (!scope.ok()) return done(scope.status());
  auto op = std::make_unique<WriteOp>();
  op->kind = WriteOp::Kind::kGroupCommit;
  request.scope = scope->canonical;
  op->group = std::move(request);
  op->group_scope = std::move(*scope);
  op->on_group = std::move(done);
  const uint32_t shard = op->group_scope.shard;
  impl_->Route(shard, std::move(op));
}

void Engine::DeleteGroup(std::string group, std::string scope, GroupCallback done) {
  Status st = ValidateGroupName(group);
  if (!st.ok()) return done(st);
  auto parsed = ParseScope(scope);
  if (!parsed.ok()) return done(parsed.status());
  auto op = std::make_unique<WriteOp>();
  op->kind = WriteOp::Kind::kGroupDelete;
  op->group = GroupCursor{std::move(group), parsed->canonical, 0};
  op->group_scope = std::move(*parsed);
  op->on_group = std::move(done);
  const uint32_t shard = op->group_scope.shard;
  impl_->Route(shard, std::move(op));
}

Result<GroupWriteResult> Engine::CommitGroupSync(GroupCursor request) {
  impl_->AssertNotOnAHost();
  SyncWait<GroupWriteResult> w;
  auto f = w.promise.get_future();
  CommitGroup(std::move(request), w.Callback());
  return f.get();
}

Result<GroupWriteResult> Engine::DeleteGroupSync(std::string group, std::string scope) {
  impl_->AssertNotOnAHost();
  SyncWait<GroupWriteResult> w;
  auto f = w.promise.get_future();
  DeleteGroup(std::move(group), std::move(scope), w.Callback());
  return f.get();
}

Result<uint64_t> Engine::GroupOffset(std::string_view group, std::string_view scope) const {
  CAIRN_RETURN_IF_ERROR(ValidateGroupName(group));
  CAIRN_ASSIGN_OR_RETURN(WatchScope w, ParseScope(scope));
  CAIRN_ASSIGN_OR_RETURN(auto v, impl_->readers[w.shard].GroupOffset(w.canonical, group));
  return v.value_or(0);
}

Result<std::vector<GroupCursor>> Engine::ListGroups(std::string_view scope) const {
  std::vector<GroupCursor> out;
  const size_t limit = kMaxGroupsListed;
  if (!scope.empty()) {
    CAIRN_ASSIGN_OR_RETURN(WatchScope w, ParseScope(scope));
    CAIRN_RETURN_IF_ERROR(impl_->readers[w.shard].ListGroups(w.canonical, limit, &out));
    return out;
  }
  for (const ShardReader& r : impl_->readers) CAIRN_RETURN_IF_ERROR(r.ListGroups({}, limit, &out));
  std::sort(out.begin(), out.end(), [](const GroupCursor& a, const GroupCursor& b) {
    return std::tie(a.scope, a.group) < std::tie(b.scope, b.group);
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

namespace {

// Schemas loaded at startup at most; the server's registry refuses registrations past its
// own, lower limit (docs/reference/limits.md), so this only guards against a bad index.
constexpr size_t kMaxSchemasStored = 1u << 20;

}  // namespace

void Engine::RegisterSchema(SchemaDefinition schema, SchemaCallback done) {
  Status st = ValidateOrg(schema.org);
  if (st.ok()) st = ValidateEventType(schema.type);
  if (!st.ok()) return done(st);
  if (schema.body.empty()) return done(Status::Invalid("a schema may not be empty"));
  if (schema.body.size() > kMaxSchemaBytes) {
    return done(
        Status::TooLarge("a schema may be at most " + std::to_string(kMaxSchemaBytes) + " bytes"));
  }
  auto op = std::make_unique<WriteOp>();
  op->kind = WriteOp::Kind::kSchema;
  op->schema = std::move(schema);
  op->on_schema = std::move(done);
  impl_->Route(0, std::move(op));  // every schema lives in shard 0: one ordered place
}

Result<bool> Engine::RegisterSchemaSync(SchemaDefinition schema) {
  impl_->AssertNotOnAHost();
  SyncWait<bool> w;
  auto f = w.promise.get_future();
  RegisterSchema(std::move(schema), w.Callback());
  return f.get();
}

Result<std::vector<SchemaDefinition>> Engine::ListSchemas() const {
  return impl_->readers[0].ListSchemas(kMaxSchemasStored);
}

Result<StreamInfo> Engine::Info(std::string_view stream) const {
  auto name = ParseStreamName(stream);
  if (!name.ok()) return name.status();
  return impl_->readers[impl_->ShardOfName(*name, stream)].Info(stream);
}

Result<ListStreamsResult> Engine::ListStreams(const ListStreamsRequest& request) const {
  std::string_view scope = request.scope;
  size_t slash = scope.find('/');
  std::string_view org = scope.substr(0, slash);
  CAIRN_RETURN_IF_ERROR(ValidateOrg(org));
  std::string_view org_type;
  if (slash != std::string_view::npos) {
    CAIRN_RETURN_IF_ERROR(ValidateStreamType(scope.substr(slash + 1)));
    org_type = scope;
  }
  CAIRN_RETURN_IF_ERROR(CheckCount(request.count));
  std::vector<uint32_t> shards;
  if (auto s = impl_->ShardOfScope(org, org_type)) {
    shards.push_back(*s);
  } else {
    for (uint32_t i = 0; i < impl_->manifest.shards; ++i) shards.push_back(i);
  }
  std::vector<std::string> all;
  for (uint32_t s : shards) {
    CAIRN_ASSIGN_OR_RETURN(auto part,
                           impl_->readers[s].ListStreams(scope, request.after, request.count + 1));
    all.insert(all.end(), std::make_move_iterator(part.begin()),
               std::make_move_iterator(part.end()));
  }
  std::sort(all.begin(), all.end());
  ListStreamsResult res;
  if (all.size() > request.count) {
    all.resize(request.count);
    res.next = all.back();
  }
  res.streams = std::move(all);
  return res;
}

Result<std::vector<std::string>> Engine::ListTypes(std::string_view org) const {
  CAIRN_RETURN_IF_ERROR(ValidateOrg(org));
  std::set<std::string> types;
  for (uint32_t s = 0; s < impl_->manifest.shards; ++s) {
    if (auto only = impl_->ShardOfScope(org, {}); only && *only != s) continue;
    CAIRN_ASSIGN_OR_RETURN(auto part, impl_->readers[s].ListTypes(org));
    types.insert(part.begin(), part.end());
  }
  return std::vector<std::string>(types.begin(), types.end());
}

Result<std::vector<std::string>> Engine::ListOrgs(std::string_view after, uint32_t count) const {
  std::set<std::string> orgs;
  for (uint32_t s = 0; s < impl_->manifest.shards; ++s) {
    CAIRN_ASSIGN_OR_RETURN(auto part, impl_->readers[s].ListOrgs(after, count));
    orgs.insert(part.begin(), part.end());
  }
  std::vector<std::string> out(orgs.begin(), orgs.end());
  if (out.size() > count) out.resize(count);
  return out;
}

Result<VerifyResult> Engine::Verify(const VerifyRequest& request,
                                    const std::function<void()>& pace) const {
  if (request.shard >= impl_->manifest.shards) {
    return Status::Invalid("no shard " + std::to_string(request.shard));
  }
  // Only indexed (durable) positions: the tail being written is not verified.
  uint64_t head = impl_->shards[request.shard]->Stats().next_position - 1;
  uint64_t to = std::min(request.to, head);
  return VerifyShardLog(impl_->env->fs(), impl_->ShardDir(request.shard) + "/log", request.shard,
                        request.from, to, nullptr, pace);
}

uint32_t Engine::shard_count() const { return impl_->manifest.shards; }
ShardLoop* Engine::hosted_shard(uint32_t s) {
  CAIRN_ASSERT(s < impl_->shards.size());
  Shard* shard = impl_->shards[s].get();
  return shard->hosted() ? shard : nullptr;
}
ShardKey Engine::shard_key() const { return impl_->manifest.shard_key; }
const std::string& Engine::data_dir() const { return impl_->options.data_dir; }

uint32_t Engine::ShardOf(std::string_view stream) const {
  auto name = ParseStreamName(stream);
  CAIRN_ASSERT(name.ok());
  return impl_->ShardOfName(*name, stream);
}

EngineStats Engine::Stats() const {
  EngineStats s;
  s.recovery_ms = impl_->recovery_ms;
  s.memory_budget_bytes = impl_->options.memory_budget_bytes;
  if (impl_->resources.block_cache) s.block_cache_bytes = impl_->resources.block_cache->GetUsage();
  for (auto& sh : impl_->shards) {
    s.shards.push_back(sh->Stats());
    s.recovery_replayed_events += sh->recovery_replayed_events();
    s.recovery_meta_records += sh->recovery_meta_records();
    s.recovery_meta_ms = std::max(s.recovery_meta_ms, sh->recovery_meta_ns() / 1000000);
    s.recovery_replay_ms = std::max(s.recovery_replay_ms, sh->recovery_replay_ns() / 1000000);
  }
  return s;
}

}  // namespace cairn
