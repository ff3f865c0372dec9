#pragma once
// RapidJSON as the schema module uses it. valijson's adapter must come first: with
// VALIJSON_USE_EXCEPTIONS it defines RAPIDJSON_ASSERT (throwing), and every translation
// unit must see the same definition.

// clang-format off
#include <valijson/adapters/rapidjson_adapter.hpp>
#include <rapidjson/document.h>
// clang-format on
