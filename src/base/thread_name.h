#pragma once
// Names the calling thread (as shown by top -H, perf and gdb); Linux keeps 15 bytes.

#include <pthread.h>

#include <string>

namespace cairn {

inline void SetThreadName(const std::string& name) {
  (void)pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace cairn
