#pragma once
#include <CLI/CLI.hpp>
#include <functional>

namespace cairn::server {

// `cairn serve`: registers the subcommand; the returned function runs it (exit code).
std::function<int()> AddServeCommand(CLI::App* app, CLI::App** sub);

}  // namespace cairn::server
