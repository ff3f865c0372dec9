#pragma once
// Programmer errors are assertions. CAIRN_ASSERT is always on: it logs the failed
// condition with its location and aborts. CAIRN_DASSERT is on in debug and sanitizer
// builds only (CAIRN_DEBUG_ASSERTS), for checks too costly for the hot path.

namespace cairn::internal {
[[noreturn]] void AssertFail(const char* expr, const char* file, int line, const char* msg);
}

#define CAIRN_ASSERT(cond)                                               \
  do {                                                                   \
    if (__builtin_expect(!(cond), 0))                                    \
      ::cairn::internal::AssertFail(#cond, __FILE__, __LINE__, nullptr); \
  } while (0)

#define CAIRN_ASSERT_MSG(cond, msg)                                    \
  do {                                                                 \
    if (__builtin_expect(!(cond), 0))                                  \
      ::cairn::internal::AssertFail(#cond, __FILE__, __LINE__, (msg)); \
  } while (0)

#if defined(CAIRN_DEBUG_ASSERTS)
#define CAIRN_DASSERT(cond) CAIRN_ASSERT(cond)
#else
#define CAIRN_DASSERT(cond) \
  do {                      \
    (void)sizeof(cond);     \
  } while (0)
#endif
