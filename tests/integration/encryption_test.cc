// Per-event encryption against a real `cairn serve`: plaintext never reaches a segment file,
// rotation and shredding survive restarts and SIGKILL, the chain verifies after shredding,
// appends after a shred get a new key, and a missing, open, short or wrong master key file
// stops the server at startup with a clear message and a non-zero exit.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "resp_test_util.h"
#include "server_process.h"
#include "testing/temp_dir.h"

namespace cairn::testing {
namespace {

std::string RandomBytes32() {
  std::random_device rd;
  std::string k(32, '\0');
  for (char& c : k) c = static_cast<char>(rd());
  return k;
}

void WriteKey(const std::string& path, const std::string& bytes, mode_t mode) {
  std::filesystem::remove(path);
  {
    std::ofstream f(path, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  ASSERT_EQ(chmod(path.c_str(), mode), 0);
}

// Every regular file under `dir` whose bytes contain `needle`.
std::vector<std::string> FilesContaining(const std::string& dir, const std::string& needle) {
  std::vector<std::string> hits;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (!f.is_regular_file()) continue;
    std::string bytes(f.file_size(), '\0');
    std::ifstream in(f.path(), std::ios::binary);
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (bytes.find(needle) != std::string::npos) hits.push_back(f.path().string());
  }
  return hits;
}

class EncryptionTest : public ::testing::Test {
 protected:
  std::vector<std::string> Args(const std::string& scope) {
    // Small segments: the test reads every file of the data directory looking for plaintext.
    return {"--shards",
            "2",
            "--segment-size",
            "1MiB",
            "--encryption-key-file",
            key_path_,
            "--encrypted-orgs",
            "acme,beta/secret",
            "--encryption-key-scope",
            scope};
  }
  void SetUp() override {
    key_path_ = keys_.path() + "/master.key";
    master_ = RandomBytes32();
    WriteKey(key_path_, master_, 0600);
  }

  TempDir keys_;
  std::string key_path_;
  std::string master_;
};

std::vector<RespValue> Events(Session& s, const std::string& stream) {
  RespValue r = s.Map({"EREAD", stream});
  return Items(r, "events");
}

bool Shredded(Session& s, const RespValue& e) {
  const RespValue* f = e.Find("shredded");
  return f != nullptr && s.Bool(*f);
}

void ExpectVerifies(Session& s) {
  for (const char* shard : {"#0", "#1"}) {
    RespValue v = s.Map({"EVERIFY", shard});
    EXPECT_TRUE(s.Bool(Field(v, "ok"))) << v.Debug();
  }
}

TEST_F(EncryptionTest, PlaintextNeverOnDiskRotationAndShreddingSurviveRestartAndKill) {
  ServerProcess server(Args("stream"));
  ASSERT_TRUE(server.Start()) << server.error();
  {
    Session s(server.resp_port(), 3);
    s.Map({"EAPPEND", "acme/order/1", "ANY", "EVENT", "Placed", "SECRET-MARKER-one", "META",
           "SECRET-MARKER-meta"});
    s.Map({"EAPPEND", "acme/order/2", "ANY", "EVENT", "Placed", "SECRET-MARKER-two"});
    s.Map({"EAPPEND", "beta/secret/1", "ANY", "EVENT", "Kept", "SECRET-MARKER-beta"});
    s.Map({"EAPPEND", "beta/open/1", "ANY", "EVENT", "Seen", "PUBLIC-MARKER-beta"});
    auto one = Events(s, "acme/order/1");
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(Str(one[0], "data"), "SECRET-MARKER-one");
    EXPECT_EQ(Str(one[0], "metadata"), "SECRET-MARKER-meta");
    EXPECT_EQ(one[0].Find("shredded"), nullptr);
    EXPECT_EQ(Str(Events(s, "beta/secret/1")[0], "data"), "SECRET-MARKER-beta");
  }
  ASSERT_EQ(server.Stop(), 0);
  EXPECT_TRUE(FilesContaining(server.data_dir(), "SECRET-MARKER").empty())
      << FilesContaining(server.data_dir(), "SECRET-MARKER")[0];
  // The scan does see what is not encrypted.
  auto pub = FilesContaining(server.data_dir(), "PUBLIC-MARKER-beta");
  EXPECT_FALSE(pub.empty());
  // `cairn inspect` shows which entries are sealed, and under which key.
  std::string inspected;
  for (const char* shard : {"0", "1"}) {
    std::string cmd = std::string(ServerProcess::Binary()) + " inspect --data-dir " +
                      server.data_dir() + " --shard " + shard + " --segment 1 2>/dev/null";
    FILE* p = popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    char buf[4096];
    size_t n = 0;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) inspected.append(buf, n);
    pclose(p);
  }
  EXPECT_NE(inspected.find("sealed_key_id"), std::string::npos) << inspected;

  // Rotation, then a restart: events of both keys read back.
  ASSERT_TRUE(server.Restart()) << server.error();
  {
    Session s(server.resp_port(), 3);
    RespValue rot = s.Map({"EKEY", "ROTATE", "acme"});
    EXPECT_EQ(Str(rot, "org"), "acme");
    s.Map({"EAPPEND", "acme/order/1", "ANY", "EVENT", "Paid", "SECRET-MARKER-after-rotate"});
  }
  ASSERT_EQ(server.Stop(), 0);
  ASSERT_TRUE(server.Restart()) << server.error();
  {
    Session s(server.resp_port(), 3);
    auto one = Events(s, "acme/order/1");
    ASSERT_EQ(one.size(), 2u);
    EXPECT_EQ(Str(one[0], "data"), "SECRET-MARKER-one");
    EXPECT_EQ(Str(one[1], "data"), "SECRET-MARKER-after-rotate");

    // Shred one stream: its events read as shredded, the other stream's do not.
    RespValue shred = s.Map({"EKEY", "SHRED", "acme/order/1"});
    EXPECT_GE(Int(shred, "keys_destroyed"), 1);
    one = Events(s, "acme/order/1");
    ASSERT_EQ(one.size(), 2u);
    for (const RespValue& e : one) {
      EXPECT_TRUE(Shredded(s, e)) << e.Debug();
      EXPECT_EQ(Str(e, "data"), "");
      EXPECT_EQ(Str(e, "metadata"), "");
    }
    EXPECT_EQ(Str(Events(s, "acme/order/2")[0], "data"), "SECRET-MARKER-two");
    ExpectVerifies(s);
  }
  // SIGKILL right after the acknowledgement, then a restart: still shredded.
  server.Kill();
  ASSERT_TRUE(server.Restart()) << server.error();
  {
    Session s(server.resp_port(), 3);
    auto one = Events(s, "acme/order/1");
    ASSERT_EQ(one.size(), 2u);
    EXPECT_TRUE(Shredded(s, one[0]));
    EXPECT_TRUE(Shredded(s, one[1]));
    ExpectVerifies(s);
    // An append to a shredded stream succeeds under a new key; the old events stay shredded.
    RespValue a = s.Map({"EAPPEND", "acme/order/1", "2", "EVENT", "Reopened", "SECRET-MARKER-3"});
    EXPECT_EQ(Int(a, "first_version"), 3);
    one = Events(s, "acme/order/1");
    ASSERT_EQ(one.size(), 3u);
    EXPECT_TRUE(Shredded(s, one[1]));
    EXPECT_FALSE(Shredded(s, one[2]));
    EXPECT_EQ(Str(one[2], "data"), "SECRET-MARKER-3");
    // Shred the whole org: every acme stream, also the new key.
    RespValue org = s.Map({"EKEY", "SHRED", "acme"});
    EXPECT_GE(Int(org, "keys_destroyed"), 2);
    EXPECT_TRUE(Shredded(s, Events(s, "acme/order/2")[0]));
    EXPECT_TRUE(Shredded(s, Events(s, "acme/order/1")[2]));
    EXPECT_EQ(Str(Events(s, "beta/secret/1")[0], "data"), "SECRET-MARKER-beta");
    // Scans and watches decrypt (or report shredded) the same way.
    RespValue scan = s.Map({"ESCAN", "beta"});
    bool found = false;
    for (const RespValue& e : Items(scan, "events")) {
      found = found || Str(e, "data") == "SECRET-MARKER-beta";
    }
    EXPECT_TRUE(found) << scan.Debug();
  }
  server.Kill();
  ASSERT_TRUE(server.Restart()) << server.error();
  {
    Session s(server.resp_port(), 3);
    EXPECT_TRUE(Shredded(s, Events(s, "acme/order/2")[0]));
    ExpectVerifies(s);
  }
  ASSERT_EQ(server.Stop(), 0);
  EXPECT_TRUE(FilesContaining(server.data_dir(), "SECRET-MARKER").empty());
}

// A watch's catch-up and live frames decrypt like reads.
TEST_F(EncryptionTest, WatchesDeliverDecryptedEvents) {
  ServerProcess server(Args("org"));
  ASSERT_TRUE(server.Start()) << server.error();
  Session s(server.resp_port(), 3);
  s.Map({"EAPPEND", "acme/order/1", "ANY", "EVENT", "Placed", "SECRET-MARKER-catch-up"});
  RespClient& w = s.client();
  RespValue sub = w.Call({"EWATCH", "acme/order/1", "FROM", "0"});
  ASSERT_TRUE(sub.IsInt()) << sub.Debug();
  auto next_event = [&]() -> std::string {
    for (int i = 0; i < 10; ++i) {
      auto v = w.Read();
      if (!v) return "no frame: " + w.last_error();
      if (v->type == '>' && v->items.size() == 3 && v->items[0].str == "event") {
        const RespValue* data = v->items[2].Find("data");
        return data != nullptr ? data->str : "no data";
      }
    }
    return "no event frame";
  };
  EXPECT_EQ(next_event(), "SECRET-MARKER-catch-up");
  Session writer(server.resp_port(), 3);
  writer.Map({"EAPPEND", "acme/order/1", "ANY", "EVENT", "Paid", "SECRET-MARKER-live"});
  EXPECT_EQ(next_event(), "SECRET-MARKER-live");
}

TEST_F(EncryptionTest, PerOrgKeysRefuseToShredOneStream) {
  ServerProcess server(Args("org"));
  ASSERT_TRUE(server.Start()) << server.error();
  Session s(server.resp_port(), 3);
  s.Map({"EAPPEND", "acme/order/1", "ANY", "EVENT", "Placed", "x"});
  s.Error({"EKEY", "SHRED", "acme/order/1"}, "INVALID");
  s.Error({"EKEY", "ROTATE"}, "ERR");
  s.Error({"EKEY", "ROTATE", "bad org!"}, "INVALID");
  EXPECT_GE(Int(s.Map({"EKEY", "ROTATE", "acme"}), "key_id"), 2);
  EXPECT_EQ(Str(Events(s, "acme/order/1")[0], "data"), "x");

  // The same through `cairn key`.
  auto cli = [&](const std::string& args, int* exit_code) {
    std::string cmd = std::string(ServerProcess::Binary()) + " key " + args +
                      " --addr 127.0.0.1:" + std::to_string(server.resp_port()) + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    std::string out;
    char buf[1024];
    size_t n = 0;
    while (p != nullptr && (n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
    int status = p != nullptr ? pclose(p) : -1;
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return out;
  };
  int rc = -1;
  std::string out = cli("rotate acme --json", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("{\"org\":\"acme\",\"key_id\":"), std::string::npos) << out;
  out = cli("shred acme/order/1", &rc);
  EXPECT_EQ(rc, 4) << out;  // INVALID: keys are per org
  EXPECT_NE(out.find("INVALID"), std::string::npos) << out;
  out = cli("shred acme", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("scope acme keys_destroyed 3"), std::string::npos) << out;
  EXPECT_TRUE(Shredded(s, Events(s, "acme/order/1")[0]));
}

TEST_F(EncryptionTest, BadKeyFilesAreRefusedAtStartup) {
  ServerProcess server(Args("org"));
  ASSERT_TRUE(server.Start()) << server.error();
  {
    Session s(server.resp_port(), 3);
    s.Map({"EAPPEND", "acme/order/1", "ANY", "EVENT", "Placed", "x"});
  }
  ASSERT_EQ(server.Stop(), 0);

  auto refused = [&](const std::string& expect) {
    EXPECT_FALSE(server.Restart()) << "started with a bad key file";
    EXPECT_NE(server.startup_exit_code(), 0);
    EXPECT_NE(server.error().find(expect), std::string::npos) << server.error();
    if (server.running()) server.Kill();
  };
  WriteKey(key_path_, master_, 0644);
  refused("permissions 0644");
  WriteKey(key_path_, master_.substr(0, 16), 0600);
  refused("holds 16 bytes");
  std::filesystem::remove(key_path_);
  refused("No such file or directory");
  WriteKey(key_path_, RandomBytes32(), 0600);
  refused("wrong master key");

  WriteKey(key_path_, master_, 0400);  // the right key again (read-only is fine)
  ASSERT_TRUE(server.Restart()) << server.error();
  Session s(server.resp_port(), 3);
  EXPECT_EQ(Str(Events(s, "acme/order/1")[0], "data"), "x");
}

}  // namespace
}  // namespace cairn::testing
