#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace cairn::cli {

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

// `cairn init --data-dir D`: create (or open and recover) a data directory.
Command AddInitCommand(CLI::App* app);

// `cairn verify --data-dir D`: offline check of every shard's log (server stopped).
Command AddVerifyCommand(CLI::App* app);

}  // namespace cairn::cli
