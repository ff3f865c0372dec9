// `cairn watch SCOPE`: prints a scope's events as they commit (EWATCH), optionally as a member
// of a consumer group whose cursor it commits; `cairn group commit|offset|list|delete` mirror
// EGROUP (docs/reference/cli.md).

#include <signal.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "cairn/client.h"
#include "cli/client_common.h"
#include "cli/client_output.h"

namespace cairn::cli {
namespace {

volatile std::sig_atomic_t stop_signal = 0;

void OnStopSignal(int sig) { stop_signal = sig; }

// SIGINT and SIGTERM end the watch cleanly: without SA_RESTART, a wait for frames returns.
void CatchStopSignals() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

// Longest single wait for a frame, so that a signal that lands just before a wait is seen.
constexpr uint32_t kFrameWaitMs = 200;

struct WatchArgs {
  Common common;
  std::string scope;
  std::optional<uint64_t> from;
  bool live = false;
  std::string types;
  std::string group;
  uint32_t commit_every = 100;
};

// The cursor a group member has seen and not yet committed.
class GroupCommitter {
 public:
  GroupCommitter(client::Client* c, const WatchArgs& a) : client_(c), args_(a) {}

  void Saw(uint64_t cursor, bool is_event) {
    if (args_.group.empty()) return;
    if (cursor > cursor_) cursor_ = cursor;
    dirty_ = true;
    if (is_event) ++events_;
  }
  bool Due() const { return events_ >= args_.commit_every; }
  Status Commit() {
    if (!dirty_) return Status::Ok();
    auto r = client_->GroupCommit(args_.group, args_.scope, cursor_);
    if (!r.ok()) return r.status();
    dirty_ = false;
    events_ = 0;
    return Status::Ok();
  }

 private:
  client::Client* client_;
  const WatchArgs& args_;
  uint64_t cursor_ = 0;
  bool dirty_ = false;
  uint32_t events_ = 0;
};

int RunWatch(client::Client& c, const WatchArgs& a) {
  client::WatchRequest r;
  r.scope = a.scope;
  r.from = a.from;
  r.live = a.live;
  r.types = SplitCommas(a.types);
  r.group = a.group;
  auto id = c.Watch(r);
  if (!id.ok()) return ReportError(id.status());
  GroupCommitter committer(&c, a);
  while (stop_signal == 0) {
    auto f = c.NextWatchFrame(kFrameWaitMs);
    if (!f.ok()) {
      // The connection ended: what was seen cannot be committed over it any more.
      return ReportError(f.status());
    }
    if (!f->has_value()) continue;
    const client::WatchFrame& frame = **f;
    if (frame.kind == client::WatchFrame::Kind::kEvent) {
      PrintWatchEvent(frame.event, a.common.json);
    } else {
      PrintWatchLive(frame.cursor, a.common.json);
    }
    committer.Saw(frame.cursor, frame.kind == client::WatchFrame::Kind::kEvent);
    if (committer.Due()) {
      Status s = committer.Commit();
      if (!s.ok()) return ReportError(s);
    }
  }
  Status s = committer.Commit();
  if (!s.ok()) return ReportError(s);
  return kExitOk;
}

}  // namespace

Command AddWatch(CLI::App* app) {
  auto a = std::make_shared<WatchArgs>();
  CLI::App* sub =
      app->add_subcommand("watch", "Print a scope's events, then new ones as they commit (EWATCH)");
  sub->add_option("scope", a->scope, "Stream org/type/id, or org/type, org or #<shard>")
      ->required();
  CLI::Option* from =
      sub->add_option("--from", a->from, "Start after this cursor (version or position; 0: all)");
  CLI::Option* live = sub->add_flag("--live", a->live, "Only events committed from now on");
  sub->add_option("--types", a->types, "Only these event types: a,b,c");
  CLI::Option* group =
      sub->add_option("--group", a->group, "Consumer group: start after its committed cursor");
  CLI::Option* every =
      sub->add_option("--commit-every", a->commit_every,
                      "With --group: commit the last cursor every N events (and on exit)")
          ->capture_default_str()
          ->check(CLI::Range(1u, 1000000000u));
  from->excludes(live)->excludes(group);
  live->excludes(group);
  every->needs(group);
  AddCommon(sub, &a->common);
  return Command{sub, [a] {
                   CatchStopSignals();
                   return WithClient(a->common, [&](client::Client& c) { return RunWatch(c, *a); });
                 }};
}

namespace {

struct GroupArgs {
  Common common;
  std::string group;
  std::string scope;
  uint64_t cursor = 0;
};

// One `cairn group` subcommand: [GROUP] [SCOPE] and the common options.
CLI::App* AddGroupSub(CLI::App* parent, const char* name, const char* help, GroupArgs* a,
                      bool group_arg, bool scope_required) {
  CLI::App* sub = parent->add_subcommand(name, help);
  if (group_arg) sub->add_option("group", a->group, "Group name")->required();
  CLI::Option* scope = sub->add_option("scope", a->scope, "Scope the cursor counts in");
  if (scope_required) scope->required();
  AddCommon(sub, &a->common);
  return sub;
}

}  // namespace

Command AddGroup(CLI::App* app) {
  auto a = std::make_shared<GroupArgs>();
  CLI::App* g = app->add_subcommand("group", "Consumer group cursors (EGROUP)");
  g->require_subcommand(1);
  CLI::App* commit = AddGroupSub(g, "commit", "Store a group's cursor for a scope (forward only)",
                                 a.get(), true, true);
  commit->add_option("cursor", a->cursor, "The last cursor processed")->required();
  CLI::App* offset =
      AddGroupSub(g, "offset", "A group's stored cursor (0: none)", a.get(), true, true);
  CLI::App* list =
      AddGroupSub(g, "list", "Every group's cursors, or a scope's", a.get(), false, false);
  CLI::App* del =
      AddGroupSub(g, "delete", "Forget a group's cursor for a scope", a.get(), true, true);
  return Command{g, [=] {
                   return WithClient(a->common, [&](client::Client& c) {
                     const bool json = a->common.json;
                     auto print_cursor = [&](const uint64_t& cursor) {
                       PrintGroupCursor({a->group, a->scope, cursor}, json);
                     };
                     if (g->got_subcommand(commit)) {
                       return PrintOr(c.GroupCommit(a->group, a->scope, a->cursor), print_cursor);
                     }
                     if (g->got_subcommand(offset)) {
                       return PrintOr(c.GroupOffset(a->group, a->scope), print_cursor);
                     }
                     if (g->got_subcommand(list)) {
                       return PrintOr(c.GroupList(a->scope),
                                      [&](const std::vector<client::GroupCursor>& l) {
                                        PrintGroupList(l, json);
                                      });
                     }
                     if (!g->got_subcommand(del)) return kExitUsage;  // require_subcommand(1)
                     return PrintOr(c.GroupDelete(a->group, a->scope),
                                    [&](const bool& deleted) { PrintGroupDeleted(deleted, json); });
                   });
                 }};
}

}  // namespace cairn::cli
