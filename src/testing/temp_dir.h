#pragma once
// Test helper: a fresh directory under $TMPDIR (or /tmp), removed on destruction unless
// CAIRN_KEEP_TEST_DIRS is set (for post-mortems).

#include <cstdlib>
#include <filesystem>
#include <string>

namespace cairn::testing {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/cairn-test-XXXXXX";
    char* p = mkdtemp(tmpl.data());
    path_ = p ? std::string(p) : std::string();
  }
  ~TempDir() {
    if (!path_.empty() && std::getenv("CAIRN_KEEP_TEST_DIRS") == nullptr) {
      std::error_code ec;
      std::filesystem::remove_all(path_, ec);
    }
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace cairn::testing
