#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/inspect.h"

namespace cairn::cli {

Command AddInspectCommand(CLI::App* app) {
  auto args = std::make_shared<InspectOptions>();
  auto segment = std::make_shared<uint64_t>(0);
  auto from = std::make_shared<uint64_t>(0);
  CLI::App* sub = app->add_subcommand("inspect", "Print the records of a log segment");
  sub->add_option("--data-dir", args->data_dir, "Data directory (only read; the server may run)");
  sub->add_option("--shard", args->shard, "Shard (default 0)");
  CLI::Option* seg = sub->add_option("--segment", *segment, "Segment id; without it, list them");
  CLI::Option* pos =
      sub->add_option("--from-position", *from, "Start at the record holding this position");
  sub->add_option("--limit", args->limit, "Print at most this many records");
  sub->add_flag("--json", args->json, "One JSON object per line");
  sub->add_flag("--data", args->data, "Also print event data and metadata");
  return Command{sub, [args, segment, from, seg, pos] {
                   if (seg->count() > 0) args->segment = *segment;
                   if (pos->count() > 0) args->from_position = *from;
                   return RunInspect(*args, stdout, stderr);
                 }};
}

}  // namespace cairn::cli
