#include "server/serve_command.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <map>
#include <memory>

#include "server/config.h"
#include "server/server.h"

namespace cairn::server {
namespace {

struct ServeArgs {
  std::string config_path;
  std::map<std::string, std::string> values;  // settings given as flags
};

void SetUpLogging(const ServerConfig& c) {
  auto logger = spdlog::stderr_logger_mt("cairn");
  if (c.log_format == "json") {
    logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%v"})",
                        spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(spdlog::level::from_str(c.log_level));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

int RunServe(const ServeArgs& a) {
  ServerConfig config;
  Status st = LoadConfig(a.config_path, a.values, &config);
  if (!st.ok()) {
    std::fprintf(stderr, "cairn serve: %s\n", st.message().c_str());
    return 2;
  }
  SetUpLogging(config);
  auto server = Server::Start(config);
  if (!server.ok()) {
    spdlog::error("cannot start: {}", server.status().ToString());
    return 1;
  }
  return (*server)->WaitForShutdown();
}

}  // namespace

std::function<int()> AddServeCommand(CLI::App* app, CLI::App** out) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* sub = app->add_subcommand("serve", "Run the Cairn server");
  sub->add_option("--config", args->config_path, "TOML configuration file");
  for (const SettingInfo& s : Settings()) {
    std::string name = s.name;
    sub->add_option_function<std::string>(
        FlagName(s.name), [args, name](const std::string& v) { args->values[name] = v; },
        std::string(s.help) + " (env " + EnvName(s.name) + ")");
  }
  *out = sub;
  return [args] { return RunServe(*args); };
}

}  // namespace cairn::server
