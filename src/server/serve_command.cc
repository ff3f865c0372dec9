#include "server/serve_command.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <map>
#include <memory>

#include "protocol/http/json_writer.h"
#include "server/config.h"
#include "server/server.h"

namespace cairn::server {
namespace {

struct ServeArgs {
  std::string config_path;
  std::map<std::string, std::string> values;  // settings given as flags
};

// `%*` in a pattern: the message as a JSON string literal (quotes included), so that a
// message holding quotes, backslashes or control characters keeps each line valid JSON.
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string escaped;
    http::JsonWriter::AppendEscaped(std::string_view(msg.payload.data(), msg.payload.size()),
                                    &escaped);
    dest.append(escaped.data(), escaped.data() + escaped.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

void SetUpLogging(const ServerConfig& c) {
  auto logger = spdlog::stderr_logger_mt("cairn");
  if (c.log_format == "json") {
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<JsonMessageFlag>('*').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":%*})");
    logger->set_formatter(std::move(formatter));
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
