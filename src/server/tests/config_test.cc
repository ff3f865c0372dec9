#include "server/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "testing/temp_dir.h"

namespace cairn::server {
namespace {

TEST(Config, FlagsWinOverEnvWhichWinsOverTheFile) {
  testing::TempDir dir;
  std::string path = dir.path() + "/cairn.toml";
  std::ofstream(path) << "resp_port = 1111\nhttp_port = 2222\nmemory_budget = \"1GiB\"\n"
                         "data_dir = \"/from/file\"\n";
  setenv("CAIRN_HTTP_PORT", "3333", 1);
  setenv("CAIRN_DATA_DIR", "/from/env", 1);
  ServerConfig c;
  ASSERT_TRUE(LoadConfig(path, {{"data_dir", "/from/flag"}}, &c).ok());
  unsetenv("CAIRN_HTTP_PORT");
  unsetenv("CAIRN_DATA_DIR");
  EXPECT_EQ(c.resp_port, 1111);
  EXPECT_EQ(c.http_port, 3333);
  EXPECT_EQ(c.data_dir, "/from/flag");
  EXPECT_EQ(c.memory_budget_bytes, 1ull << 30);
}

TEST(Config, BadValuesAreRefusedWithTheirName) {
  ServerConfig c;
  Status st = LoadConfig("", {{"resp_port", "70000"}}, &c);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("resp_port"), std::string::npos);
  EXPECT_FALSE(LoadConfig("", {{"shard_key", "nope"}}, &c).ok());
  EXPECT_FALSE(LoadConfig("", {{"memory_budget", "12XB"}}, &c).ok());
  EXPECT_FALSE(LoadConfig("/does/not/exist.toml", {}, &c).ok());
  testing::TempDir dir;
  std::string path = dir.path() + "/bad.toml";
  std::ofstream(path) << "unknown_thing = 3\n";
  EXPECT_FALSE(LoadConfig(path, {}, &c).ok());
}

TEST(Config, BooleanSettingsFromTheFileTheEnvironmentAndFlags) {
  testing::TempDir dir;
  std::string path = dir.path() + "/cairn.toml";
  std::ofstream(path) << "segment_zero_fill = false\n";
  ServerConfig c;
  EXPECT_TRUE(c.segment_zero_fill);
  ASSERT_TRUE(LoadConfig(path, {}, &c).ok());
  EXPECT_FALSE(c.segment_zero_fill);
  EXPECT_FALSE(ToEngineOptions(c).segment_zero_fill);
  setenv("CAIRN_SEGMENT_ZERO_FILL", "true", 1);
  ASSERT_TRUE(LoadConfig(path, {}, &c).ok());
  unsetenv("CAIRN_SEGMENT_ZERO_FILL");
  EXPECT_TRUE(c.segment_zero_fill);
  ASSERT_TRUE(LoadConfig("", {{"segment_zero_fill", "false"}}, &c).ok());
  EXPECT_FALSE(c.segment_zero_fill);
  Status st = LoadConfig("", {{"segment_zero_fill", "yes"}}, &c);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("segment_zero_fill"), std::string::npos);
}

TEST(Config, EncryptionAndVerifySettings) {
  testing::TempDir dir;
  std::string path = dir.path() + "/cairn.toml";
  std::ofstream(path) << "encryption_key_file = \"/keys/master.key\"\n"
                         "encrypted_orgs = [\"acme\", \"beta/payment\"]\n"
                         "encryption_key_scope = \"stream\"\nverify_rate = \"8MiB\"\n";
  ServerConfig c;
  Status st = LoadConfig(path, {}, &c);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(c.encryption_key_file, "/keys/master.key");
  EXPECT_EQ(c.encrypted_orgs, (std::vector<std::string>{"acme", "beta/payment"}));
  EXPECT_EQ(c.encryption_key_scope, "stream");
  EXPECT_EQ(c.verify_rate_bytes, 8ull << 20);
  EngineOptions o = ToEngineOptions(c);
  EXPECT_TRUE(o.encryption_key_per_stream);
  EXPECT_EQ(o.encrypted_orgs.size(), 2u);

  setenv("CAIRN_ENCRYPTED_ORGS", "x,y/z", 1);
  ServerConfig e;
  ASSERT_TRUE(LoadConfig("", {{"encryption_key_scope", "org"}}, &e).ok());
  unsetenv("CAIRN_ENCRYPTED_ORGS");
  EXPECT_EQ(e.encrypted_orgs, (std::vector<std::string>{"x", "y/z"}));
  EXPECT_FALSE(e.encryption_key_scope == "stream");
  EXPECT_FALSE(LoadConfig("", {{"encrypted_orgs", "bad org!"}}, &e).ok());
  EXPECT_FALSE(LoadConfig("", {{"encryption_key_scope", "type"}}, &e).ok());
  EXPECT_TRUE(LoadConfig("", {{"verify_rate", "0"}}, &e).ok());
  EXPECT_EQ(e.verify_rate_bytes, 0u);
}

TEST(Config, SizesAndNames) {
  uint64_t b = 0;
  EXPECT_TRUE(ParseSize("512MiB", &b));
  EXPECT_EQ(b, 512ull << 20);
  EXPECT_TRUE(ParseSize("4096", &b));
  EXPECT_EQ(b, 4096u);
  EXPECT_FALSE(ParseSize("MiB", &b));
  EXPECT_EQ(FlagName("max_request_bytes"), "--max-request-bytes");
  EXPECT_EQ(EnvName("max_request_bytes"), "CAIRN_MAX_REQUEST_BYTES");
}

}  // namespace
}  // namespace cairn::server

namespace cairn::server {
namespace {

TEST(Config, SchemaRequiredOrgsInAllThreeForms) {
  testing::TempDir dir;
  std::string path = dir.path() + "/cairn.toml";
  std::ofstream(path) << "schema_required_orgs = [\"acme\", \"beta\"]\n";
  ServerConfig c;
  ASSERT_TRUE(LoadConfig(path, {}, &c).ok());
  EXPECT_EQ(c.schema_required_orgs, (std::vector<std::string>{"acme", "beta"}));
  setenv("CAIRN_SCHEMA_REQUIRED_ORGS", "gamma", 1);
  ServerConfig e;
  Status st = LoadConfig(path, {}, &e);
  unsetenv("CAIRN_SCHEMA_REQUIRED_ORGS");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(e.schema_required_orgs, (std::vector<std::string>{"gamma"}));
  ServerConfig f;
  ASSERT_TRUE(LoadConfig(path, {{"schema_required_orgs", "x,y"}}, &f).ok());
  EXPECT_EQ(f.schema_required_orgs, (std::vector<std::string>{"x", "y"}));
  ServerConfig g;
  ASSERT_TRUE(LoadConfig("", {{"schema_required_orgs", ""}}, &g).ok());
  EXPECT_TRUE(g.schema_required_orgs.empty());
  EXPECT_FALSE(LoadConfig("", {{"schema_required_orgs", "a,,b"}}, &g).ok());
  EXPECT_FALSE(LoadConfig("", {{"schema_required_orgs", "a/b"}}, &g).ok());
  EXPECT_EQ(FlagName("schema_required_orgs"), "--schema-required-orgs");
}

}  // namespace
}  // namespace cairn::server
