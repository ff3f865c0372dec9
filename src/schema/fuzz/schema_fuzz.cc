// Feeds arbitrary bytes to the schema module's decoders: the input is split at the first NUL
// into a schema and an event's data (and the first part also read as a version and an event
// type). Nothing may crash; an accepted schema must be compatible with itself.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/assert.h"
#include "schema/compat.h"
#include "schema/registry.h"
#include "schema/version.h"

using namespace cairn;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t z = in.find('\0');
  std::string_view body = in.substr(0, z);
  std::string_view event = z == std::string_view::npos ? std::string_view() : in.substr(z + 1);
  (void)schema::ParseVersion(body);
  (void)schema::ParseSelector(body);
  (void)schema::ParseTypeRef(body);
  auto compiled = schema::Compile(body);
  if (!compiled.ok()) return 0;
  schema::RegistryLimits limits;
  Status st = schema::ValidateData(**compiled, event, limits, "");
  CAIRN_ASSERT(st.ok() || st.code() == StatusCode::kSchema);
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  CAIRN_ASSERT(!doc.HasParseError());
  CAIRN_ASSERT(schema::CheckCompatible(doc, doc).empty());
  return 0;
}
