#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <vector>

namespace cairn::cli {

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

// `cairn init --data-dir D`: create (or open and recover) a data directory.
Command AddInitCommand(CLI::App* app);

// `cairn verify --data-dir D`: offline check of every shard's log (server stopped).
Command AddVerifyCommand(CLI::App* app);

// `cairn inspect --data-dir D`: the records of a log segment, read-only (cli/inspect.h).
Command AddInspectCommand(CLI::App* app);

// The client subcommands (append, read, scan, info, streams, types, orgs, delete, trim,
// ping, watch, group): wire commands against a running server (docs/reference/cli.md).
std::vector<Command> AddClientCommands(CLI::App* app);

// `cairn bench`: the load generator.
Command AddBenchCommand(CLI::App* app);

}  // namespace cairn::cli
