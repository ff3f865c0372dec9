#include "protocol/http/request_bodies.h"

#include <simdjson.h>

#include "protocol/http/encoding.h"

namespace cairn::http {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

Status Bad(std::string m) { return Status::Invalid(std::move(m)); }

Status ParseDocument(std::string_view body, element* doc) {
  thread_local simdjson::dom::parser parser;
  if (body.empty()) return Bad("the request body must be a JSON object");
  auto err = parser.parse(body.data(), body.size()).get(*doc);
  if (err)
    return Bad(std::string("the request body is not valid JSON: ") + simdjson::error_message(err));
  if (doc->type() != element_type::OBJECT) return Bad("the request body must be a JSON object");
  return Status::Ok();
}

Status DecodeExpected(element e, Expected* out) {
  uint64_t v = 0;
  std::string_view s;
  if (e.type() == element_type::INT64 || e.type() == element_type::UINT64) {
    if (e.get_uint64().get(v)) return Bad("expected must be a version >= 0");
    *out = Expected::Exact(v);
    return Status::Ok();
  }
  if (!e.get_string().get(s)) {
    auto x = Expected::Parse(s);
    if (x) {
      *out = *x;
      return Status::Ok();
    }
  }
  return Bad("expected must be a version number, \"any\", \"exists\" or \"none\"");
}

// One of `name` (any JSON value, stored as its JSON text) or `name_base64` (bytes).
Status DecodeBytes(simdjson::dom::object ev, std::string_view name, std::string* out) {
  element v;
  bool has_json = !ev.at_key(name).get(v);
  element b;
  std::string b64_name = std::string(name) + "_base64";
  bool has_b64 = !ev.at_key(b64_name).get(b);
  if (has_json && has_b64) return Bad(std::string(name) + " and " + b64_name + " are exclusive");
  if (has_json) {
    *out = simdjson::minify(v);
  } else if (has_b64) {
    std::string_view s;
    if (b.get_string().get(s)) return Bad(b64_name + " must be a base64 string");
    auto decoded = http::Base64Decode(s);
    if (!decoded) return Bad(b64_name + " is not valid base64");
    *out = std::move(*decoded);
  }
  return Status::Ok();
}

Status DecodeEvents(element events, std::vector<ProposedEvent>* out) {
  simdjson::dom::array arr;
  if (events.get_array().get(arr)) return Bad("events must be an array");
  out->reserve(out->size() + arr.size());
  for (element e : arr) {
    simdjson::dom::object ev;
    if (e.get_object().get(ev)) return Bad("each event must be an object");
    ProposedEvent p;
    std::string_view type;
    if (ev["type"].get_string().get(type)) return Bad("each event needs a string type");
    p.type = std::string(type);
    CAIRN_RETURN_IF_ERROR(DecodeBytes(ev, "data", &p.data));
    CAIRN_RETURN_IF_ERROR(DecodeBytes(ev, "metadata", &p.metadata));
    element id;
    if (!ev.at_key("id").get(id) && !id.is_null()) {
      std::string_view s;
      std::optional<Uuid> u;
      if (!id.get_string().get(s)) u = Uuid::Parse(s);
      if (!u) return Bad("event id must be a UUID string");
      p.id = *u;
    }
    out->push_back(std::move(p));
  }
  return Status::Ok();
}

}  // namespace

Status DecodeAppendBody(std::string_view body, std::string stream, AppendRequest* out) {
  element doc;
  CAIRN_RETURN_IF_ERROR(ParseDocument(body, &doc));
  AppendClause clause;
  clause.stream = std::move(stream);
  element v;
  if (!doc["expected"].get(v)) {
    CAIRN_RETURN_IF_ERROR(DecodeExpected(v, &clause.expected));
  }
  if (doc["events"].get(v)) return Bad("the body needs an events array");
  CAIRN_RETURN_IF_ERROR(DecodeEvents(v, &clause.events));
  if (clause.events.empty()) return Bad("an append needs at least one event");
  out->transaction = false;
  out->clauses.push_back(std::move(clause));
  return Status::Ok();
}

Status DecodeTransactionBody(std::string_view body, AppendRequest* out) {
  element doc;
  CAIRN_RETURN_IF_ERROR(ParseDocument(body, &doc));
  simdjson::dom::array streams;
  if (doc["streams"].get_array().get(streams)) return Bad("the body needs a streams array");
  out->transaction = true;
  for (element s : streams) {
    simdjson::dom::object o;
    if (s.get_object().get(o)) return Bad("each entry of streams must be an object");
    AppendClause clause;
    std::string_view name;
    if (o["stream"].get_string().get(name)) return Bad("each entry needs a string stream");
    clause.stream = std::string(name);
    element v;
    if (!o["expected"].get(v)) CAIRN_RETURN_IF_ERROR(DecodeExpected(v, &clause.expected));
    if (!o["events"].get(v)) CAIRN_RETURN_IF_ERROR(DecodeEvents(v, &clause.events));
    out->clauses.push_back(std::move(clause));
  }
  if (out->clauses.empty()) return Bad("a transaction needs at least one stream");
  return Status::Ok();
}

Status DecodeTrimBody(std::string_view body, uint64_t* before) {
  element doc;
  CAIRN_RETURN_IF_ERROR(ParseDocument(body, &doc));
  if (doc["before"].get_uint64().get(*before)) {
    return Bad("the body needs before: a version number");
  }
  return Status::Ok();
}

Status DecodeGroupCommitBody(std::string_view body, std::string* scope, uint64_t* cursor) {
  element doc;
  CAIRN_RETURN_IF_ERROR(ParseDocument(body, &doc));
  std::string_view s;
  if (doc["scope"].get_string().get(s)) return Bad("the body needs scope: a string");
  if (doc["cursor"].get_uint64().get(*cursor)) return Bad("the body needs cursor: a number");
  *scope = std::string(s);
  return Status::Ok();
}

}  // namespace cairn::http
