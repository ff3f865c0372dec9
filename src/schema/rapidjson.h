#pragma once
// RapidJSON as the schema module uses it; every translation unit of the module includes this
// first, so all see the same RAPIDJSON_ASSERT.
//
// valijson (with VALIJSON_USE_EXCEPTIONS) would define RAPIDJSON_ASSERT as a throwing check
// that builds a std::string from __FILE__ on every call: inside RapidJSON's parser that is a
// malloc and free per character (validating 1 KiB events took 40 µs each, 4 µs without).
// RapidJSON asserts only on API misuse, a programmer error, so ours is an assertion like
// CAIRN_DASSERT: on in debug and sanitizer builds, off in release (RapidJSON's default).

#include "base/assert.h"

#if defined(CAIRN_DEBUG_ASSERTS)
#define RAPIDJSON_ASSERT(x)                                                                       \
  (__builtin_expect(!(x), 0) ? ::cairn::internal::AssertFail(#x, __FILE__, __LINE__, "RapidJSON") \
                             : static_cast<void>(0))
#else
#define RAPIDJSON_ASSERT(x) static_cast<void>(0)
#endif

// valijson's error functions first, with VALIJSON_USE_EXCEPTIONS (they throw; the schema
// parser reports a bad schema that way). Then its RapidJSON adapter without that macro, which
// only decides there whether to define the costly RAPIDJSON_ASSERT (or warn that one exists).
// clang-format off
#include <valijson/exceptions.hpp>
#pragma push_macro("VALIJSON_USE_EXCEPTIONS")
#undef VALIJSON_USE_EXCEPTIONS
#include <valijson/adapters/rapidjson_adapter.hpp>
#pragma pop_macro("VALIJSON_USE_EXCEPTIONS")
#include <rapidjson/document.h>
// clang-format on
