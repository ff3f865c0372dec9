// `cairn`: one executable for the server and every tool. Subcommands register on a
// CLI11 app; each lives in its own file.

#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/commands.h"
#include "server/serve_command.h"

int main(int argc, char** argv) {
  CLI::App app{"Cairn: a durable, replicated event store"};
  app.require_subcommand(0, 1);
  bool version = false;
  app.add_flag("--version", version, "Print the version and exit");
  cairn::cli::Command init = cairn::cli::AddInitCommand(&app);
  cairn::cli::Command verify = cairn::cli::AddVerifyCommand(&app);
  cairn::cli::Command inspect = cairn::cli::AddInspectCommand(&app);
  std::vector<cairn::cli::Command> client = cairn::cli::AddClientCommands(&app);
  cairn::cli::Command bench = cairn::cli::AddBenchCommand(&app);
  CLI::App* serve_app = nullptr;
  auto serve = cairn::server::AddServeCommand(&app, &serve_app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Usage errors exit 2 (docs/reference/cli.md); --help exits 0.
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (version) {
    std::printf("cairn %s\n", CAIRN_VERSION);
    return 0;
  }
  if (app.got_subcommand(init.app)) return init.run();
  if (app.got_subcommand(verify.app)) return verify.run();
  if (app.got_subcommand(inspect.app)) return inspect.run();
  for (const cairn::cli::Command& c : client) {
    if (app.got_subcommand(c.app)) return c.run();
  }
  if (app.got_subcommand(bench.app)) return bench.run();
  if (app.got_subcommand(serve_app)) return serve();
  std::fputs(app.help().c_str(), stdout);
  return 0;
}
