#include "schema/registry.h"

#include "schema/rapidjson.h"
// (first: see rapidjson.h)
#include <rapidjson/error/en.h>

#include <algorithm>
#include <charconv>
#include <exception>
#include <regex>
#include <set>
#include <unordered_map>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "base/names.h"
#include "schema/compat.h"

namespace cairn::schema {

struct Compiled {
  rapidjson::Document doc;  // the schema's JSON, for the compatibility rules
  valijson::Schema schema;
  bool uses_regex = false;  // pattern, patternProperties or format somewhere
};

namespace {

constexpr unsigned kParseFlags = rapidjson::kParseIterativeFlag;
constexpr size_t kParseBufferBytes = 8192;

// Depth of a JSON value, and whether any string or member name is longer than `max_string`
// (explicit stack: the input is untrusted and may nest deeply).
struct Shape {
  size_t depth = 0;
  size_t longest_string = 0;
  std::string longest_at;  // JSON pointer of the first string over the bound
};

void Measure(const rapidjson::Value& root, size_t max_string, Shape* out) {
  struct Item {
    const rapidjson::Value* v;
    size_t depth;
    std::string at;
  };
  const bool paths = max_string != SIZE_MAX;  // pointers only name a string over the bound
  std::vector<Item> stack{{&root, 1, ""}};
  while (!stack.empty()) {
    Item it = std::move(stack.back());
    stack.pop_back();
    out->depth = std::max(out->depth, it.depth);
    auto note = [&](size_t len, const std::string& at) {
      if (len > out->longest_string) out->longest_string = len;
      if (len > max_string && out->longest_at.empty()) {
        out->longest_at = at.empty() ? "\"\" (the root)" : at;
      }
    };
    if (it.v->IsString()) {
      note(it.v->GetStringLength(), it.at);
    } else if (it.v->IsArray()) {
      size_t i = 0;
      for (const auto& x : it.v->GetArray()) {
        stack.push_back({&x, it.depth + 1, paths ? it.at + "/" + std::to_string(i++) : ""});
      }
    } else if (it.v->IsObject()) {
      for (const auto& m : it.v->GetObject()) {
        std::string at;
        if (paths) at = it.at + "/" + PointerToken({m.name.GetString(), m.name.GetStringLength()});
        note(m.name.GetStringLength(), at);
        stack.push_back({&m.value, it.depth + 1, std::move(at)});
      }
    }
  }
}

// Calls `f(name, value)` for every object member of `v` at any depth, without recursion.
template <typename F>
void ForEachMember(const rapidjson::Value& v, F&& f) {
  std::vector<const rapidjson::Value*> stack{&v};
  while (!stack.empty()) {
    const rapidjson::Value* x = stack.back();
    stack.pop_back();
    if (x->IsArray()) {
      for (const auto& e : x->GetArray()) stack.push_back(&e);
    } else if (x->IsObject()) {
      for (const auto& m : x->GetObject()) {
        f(std::string_view(m.name.GetString(), m.name.GetStringLength()), m.value);
        stack.push_back(&m.value);
      }
    }
  }
}

bool UsesRegex(const rapidjson::Value& v) {
  bool uses = false;
  ForEachMember(v, [&](std::string_view k, const rapidjson::Value&) {
    uses |= k == "pattern" || k == "patternProperties" || k == "format";
  });
  return uses;
}

// Every regular expression of a schema: `pattern` strings and `patternProperties` names.
std::vector<std::string_view> Patterns(const rapidjson::Value& v) {
  std::vector<std::string_view> out;
  ForEachMember(v, [&](std::string_view k, const rapidjson::Value& value) {
    if (k == "pattern" && value.IsString()) {
      out.emplace_back(value.GetString(), value.GetStringLength());
    } else if (k == "patternProperties" && value.IsObject()) {
      for (const auto& pp : value.GetObject()) {
        out.emplace_back(pp.name.GetString(), pp.name.GetStringLength());
      }
    }
  });
  return out;
}

// A `{n}`, `{n,}` or `{n,m}` at p[i]: its length, and its bounds (max UINT32_MAX: none).
size_t CountedQuantifier(std::string_view p, size_t i, uint32_t* min, uint32_t* max) {
  size_t j = i + 1;
  auto number = [&](uint32_t* out) {
    size_t start = j;
    uint64_t v = 0;
    while (j < p.size() && p[j] >= '0' && p[j] <= '9' && j - start < 9) v = v * 10 + (p[j++] - '0');
    *out = static_cast<uint32_t>(v);
    return j > start;
  };
  if (!number(min)) return 0;
  *max = *min;
  if (j < p.size() && p[j] == ',') {
    ++j;
    if (!number(max)) *max = UINT32_MAX;
  }
  if (j >= p.size() || p[j] != '}') return 0;
  return j + 1 - i;
}

}  // namespace

// libstdc++'s std::regex (valijson's engine) backtracks: stacked or nested repetition takes
// time exponential in the input ("^x.*****$" never returned on "xx", found by the fuzzer),
// and many repetitions with a choice take time polynomial in it. Such patterns are refused
// at registration. The rules, on the pattern's tokens (escapes and classes skipped):
//   - at most 256 bytes;
//   - no quantifier right after another one (a single `?` after one makes it lazy);
//   - a group repeated more than once contains no quantifier, and no alternation unless
//     every alternative is one atom (`(a|b)*` passes, `(a|aa)*` and `(ab|cd)*` do not);
//   - at most 3 quantifiers with a choice (`*`, `+`, `{n,}`, `{n,m}` with m > n);
//   - counts at most 1,000, backreference numbers at most 99;
//   - it compiles as an ECMAScript regular expression.
Status CheckPattern(std::string_view p) {
  auto refuse = [&](const std::string& why) {
    return Status::Invalid("pattern \"" + std::string(p.substr(0, 64)) +
                           (p.size() > 64 ? "..." : "") + "\": " + why);
  };
  if (p.size() > 256) return refuse("longer than 256 bytes");
  // libstdc++ reads a backreference's or a count's digits into a long without an overflow
  // check (undefined behaviour, found by the fuzzer): numbers stay short.
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] != '\\') continue;
    size_t digits = 0;
    while (i + 1 + digits < p.size() && p[i + 1 + digits] >= '0' && p[i + 1 + digits] <= '9') {
      ++digits;
    }
    if (digits > 2) return refuse("a backreference number over 99");
    ++i;  // the escaped character
  }
  struct Group {
    bool quantified = false;  // holds a quantifier (or a group that does)
    bool alternation = false;
    bool long_branch = false;  // an alternative of more than one atom
    int branch_atoms = 0;      // atoms of the current alternative
    void EndBranch() {
      long_branch |= branch_atoms > 1;
      branch_atoms = 0;
    }
  };
  std::vector<Group> groups{Group{}};
  enum class Last { kNone, kAtom, kGroup, kQuantifier, kLazy } last = Last::kNone;
  // The group just closed holds a quantifier, or alternatives not all single atoms: `(a|b)*`
  // is `[ab]*`, but `(a|aa)*` backtracks exponentially.
  bool closed_risky = false;
  int choices = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const char ch = p[i];
    uint32_t min = 0, max = 0;
    size_t len = 1;
    bool quantifier = false;
    if (ch == '*') {
      quantifier = true, min = 0, max = UINT32_MAX;
    } else if (ch == '+') {
      quantifier = true, min = 1, max = UINT32_MAX;
    } else if (ch == '?') {
      if (last == Last::kQuantifier) {
        last = Last::kLazy;
        continue;
      }
      quantifier = true, min = 0, max = 1;
    } else if (ch == '{' && (len = CountedQuantifier(p, i, &min, &max)) > 0) {
      quantifier = true;
    } else if (ch == '{' && i + 1 < p.size() && p[i + 1] >= '0' && p[i + 1] <= '9') {
      return refuse("a malformed count, or one with more than 9 digits");
    } else {
      len = 1;
    }
    if (quantifier) {
      if (last == Last::kQuantifier || last == Last::kLazy) {
        return refuse("a quantifier follows a quantifier");
      }
      if (max != UINT32_MAX && (max > 1000 || min > max)) {
        return refuse("a count over 1,000 or out of order");
      }
      if (last == Last::kGroup && closed_risky && max > 1) {
        return refuse(
            "a repeated group holds a quantifier or an alternation of more than "
            "single characters");
      }
      if (max > min && max > 1 && ++choices > 3) {
        return refuse("more than 3 repetitions with a choice");
      }
      groups.back().quantified = true;
      last = Last::kQuantifier;
      i += len - 1;
      continue;
    }
    switch (ch) {
      case '\\':
        ++i;  // the escaped character is an atom
        ++groups.back().branch_atoms;
        last = Last::kAtom;
        break;
      case '[': {
        size_t j = i + 1;
        if (j < p.size() && p[j] == '^') ++j;
        if (j < p.size() && p[j] == ']') ++j;
        while (j < p.size() && p[j] != ']') j += p[j] == '\\' ? 2 : 1;
        i = j;
        ++groups.back().branch_atoms;
        last = Last::kAtom;
        break;
      }
      case '(':
        groups.push_back(Group{});
        // (?: (?= (?! open a group like ( does; their ? is not a quantifier.
        if (i + 2 < p.size() && p[i + 1] == '?' &&
            (p[i + 2] == ':' || p[i + 2] == '=' || p[i + 2] == '!')) {
          i += 2;
        }
        last = Last::kNone;
        break;
      case ')': {
        if (groups.size() < 2) return refuse("unbalanced parentheses");
        Group g = groups.back();
        groups.pop_back();
        g.EndBranch();
        closed_risky = g.quantified || (g.alternation && g.long_branch);
        groups.back().quantified |= closed_risky;
        ++groups.back().branch_atoms;
        last = Last::kGroup;
        break;
      }
      case '|':
        groups.back().alternation = true;
        groups.back().EndBranch();
        last = Last::kNone;
        break;
      case '^':
      case '$':
        last = Last::kAtom;  // an anchor: nothing to backtrack over
        break;
      default:
        ++groups.back().branch_atoms;
        last = Last::kAtom;
        break;
    }
  }
  try {
    std::regex re{std::string(p)};
    (void)re;
  } catch (const std::exception& e) {
    return refuse(std::string("not a valid regular expression: ") + e.what());
  }
  return Status::Ok();
}

namespace {

// valijson's context ("<root>", "[items]", "[0]", ...) as a JSON pointer.
std::string ContextPointer(const std::vector<std::string>& context) {
  std::string p;
  for (const std::string& c : context) {
    if (c == "<root>") continue;
    std::string_view s = c;
    if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
    p += "/" + PointerToken(s);
  }
  return p;
}

// The value a local reference names ("#" or "#/a/b~1c"), or null.
const rapidjson::Value* ResolveLocalRef(const rapidjson::Value& root, std::string_view ref) {
  if (ref == "#") return &root;
  if (ref.substr(0, 2) != "#/") return nullptr;
  const rapidjson::Value* v = &root;
  std::string_view rest = ref.substr(2);
  while (true) {
    size_t slash = rest.find('/');
    std::string token;
    for (size_t i = 0; i < rest.substr(0, slash).size(); ++i) {
      char ch = rest[i];
      if (ch == '~' && i + 1 < rest.size() && (rest[i + 1] == '0' || rest[i + 1] == '1')) {
        token += rest[++i] == '0' ? '~' : '/';
      } else {
        token += ch;
      }
    }
    if (v->IsObject()) {
      auto it = v->FindMember(rapidjson::Value(rapidjson::StringRef(token.data(), token.size())));
      if (it == v->MemberEnd()) return nullptr;
      v = &it->value;
    } else if (v->IsArray()) {
      size_t index = 0;
      auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
      if (ec != std::errc() || end != token.data() + token.size() || index >= v->Size()) {
        return nullptr;
      }
      v = &(*v)[static_cast<rapidjson::SizeType>(index)];
    } else {
      return nullptr;
    }
    if (slash == std::string_view::npos) return v;
    rest.remove_prefix(slash + 1);
  }
}

// valijson 1.0 recurses without end on some references (a `$ref` chain that comes back to
// itself, `{"$ref": "#"}` at the root, a relative reference such as "other.json" resolved
// against no base), and would resolve `$id`-based ones against documents it cannot fetch.
// Only local references that end at a schema which is not itself a reference are accepted.
// Also refuses an object with a name twice.
Status CheckRefs(const rapidjson::Value& root) {
  std::vector<const rapidjson::Value*> stack{&root};
  size_t refs = 0;
  while (!stack.empty()) {
    const rapidjson::Value* x = stack.back();
    stack.pop_back();
    if (x->IsArray()) {
      for (const auto& e : x->GetArray()) stack.push_back(&e);
      continue;
    }
    if (!x->IsObject()) continue;
    std::set<std::string_view> keys;
    for (const auto& m : x->GetObject()) {
      std::string_view key(m.name.GetString(), m.name.GetStringLength());
      // A name twice in one object: which one counts is up to each reader (and the
      // compatibility rules could not compare such a schema even with itself).
      if (!keys.insert(key).second) {
        return Status::Invalid("invalid schema: the name '" + std::string(key.substr(0, 64)) +
                               "' appears twice in one object");
      }
      if (key == "$id" && m.value.IsString()) {
        return Status::Invalid("invalid schema: $id is not supported (references are local)");
      }
      if (key == "$ref" && m.value.IsString()) {
        if (++refs > 1000) return Status::Invalid("invalid schema: more than 1000 $ref");
        std::string_view ref(m.value.GetString(), m.value.GetStringLength());
        // Follow the chain of references; each step must land somewhere new.
        std::vector<const rapidjson::Value*> seen{x};
        const rapidjson::Value* target = x;
        while (true) {
          const rapidjson::Value* next = ResolveLocalRef(root, ref);
          if (next == nullptr) {
            return Status::Invalid("invalid schema: $ref '" + std::string(ref.substr(0, 64)) +
                                   "' is not a local reference (#/...) to a part of the schema");
          }
          if (std::find(seen.begin(), seen.end(), next) != seen.end()) {
            return Status::Invalid("invalid schema: $ref '" + std::string(ref.substr(0, 64)) +
                                   "' leads back to itself");
          }
          seen.push_back(next);
          target = next;
          if (!target->IsObject()) break;  // not a schema: valijson's parser refuses it
          auto inner = target->FindMember("$ref");
          if (inner == target->MemberEnd() || !inner->value.IsString()) break;
          ref = std::string_view(inner->value.GetString(), inner->value.GetStringLength());
        }
      }
      stack.push_back(&m.value);
    }
  }
  return Status::Ok();
}

// The subschemas that apply to the same instance as `x` (not to a part of it), and its
// reference's target.
std::vector<const rapidjson::Value*> SameInstanceEdges(const rapidjson::Value& root,
                                                       const rapidjson::Value& x) {
  std::vector<const rapidjson::Value*> out;
  if (!x.IsObject()) return out;
  for (const auto& m : x.GetObject()) {
    std::string_view k(m.name.GetString(), m.name.GetStringLength());
    if (k == "allOf" || k == "anyOf" || k == "oneOf") {
      if (m.value.IsArray()) {
        for (const auto& e : m.value.GetArray()) out.push_back(&e);
      }
    } else if (k == "not" || k == "if" || k == "then" || k == "else") {
      out.push_back(&m.value);
    } else if (k == "dependencies" || k == "dependentSchemas") {
      if (m.value.IsObject()) {
        for (const auto& d : m.value.GetObject()) out.push_back(&d.value);
      }
    } else if (k == "$ref" && m.value.IsString()) {
      const rapidjson::Value* t =
          ResolveLocalRef(root, {m.value.GetString(), m.value.GetStringLength()});
      if (t != nullptr) out.push_back(t);
    }
  }
  return out;
}

// A cycle of references that never descends into the data (`{"anyOf":[{"$ref":"#"}]}`)
// would make validation recurse without end; recursion through `properties`, `items` and
// the like ends with the data, which is bounded.
Status CheckSameInstanceCycles(const rapidjson::Value& root) {
  enum class Mark : uint8_t { kOpen, kDone };
  std::unordered_map<const rapidjson::Value*, Mark> marks;
  std::vector<const rapidjson::Value*> nodes{&root};
  // Every object of the document is a possible start.
  for (size_t i = 0; i < nodes.size(); ++i) {
    const rapidjson::Value* v = nodes[i];
    if (v->IsObject()) {
      for (const auto& m : v->GetObject()) nodes.push_back(&m.value);
    } else if (v->IsArray()) {
      for (const auto& e : v->GetArray()) nodes.push_back(&e);
    }
  }
  struct Frame {
    const rapidjson::Value* node;
    std::vector<const rapidjson::Value*> edges;
    size_t next = 0;
  };
  for (const rapidjson::Value* start : nodes) {
    if (!start->IsObject() || marks.count(start) > 0) continue;
    std::vector<Frame> stack;
    stack.push_back({start, SameInstanceEdges(root, *start)});
    marks[start] = Mark::kOpen;
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next == f.edges.size()) {
        marks[f.node] = Mark::kDone;
        stack.pop_back();
        continue;
      }
      const rapidjson::Value* to = f.edges[f.next++];
      auto it = marks.find(to);
      if (it != marks.end()) {
        if (it->second == Mark::kOpen) {
          return Status::Invalid(
              "invalid schema: a cycle of $ref, allOf, anyOf, oneOf, not, if/then/else or "
              "dependencies that never descends into the data");
        }
        continue;
      }
      marks[to] = Mark::kOpen;
      stack.push_back({to, SameInstanceEdges(root, *to)});
    }
  }
  return Status::Ok();
}

std::string TypeKey(std::string_view org, std::string_view type) {
  std::string k(org);
  k.push_back('\0');
  k.append(type);
  return k;
}

std::string Name(const SchemaDefinition& d) {
  return d.org + "/" + d.type + " " + d.version.ToString();
}

}  // namespace

Result<std::shared_ptr<const Compiled>> Compile(std::string_view body, bool check_patterns) {
  auto c = std::make_shared<Compiled>();
  c->doc.Parse<kParseFlags>(body.data(), body.size());
  if (c->doc.HasParseError()) {
    return Status::Invalid(std::string("schema is not JSON: ") +
                           rapidjson::GetParseError_En(c->doc.GetParseError()) + " at byte " +
                           std::to_string(c->doc.GetErrorOffset()));
  }
  if (!c->doc.IsObject()) return Status::Invalid("a schema must be a JSON object");
  Shape shape;
  Measure(c->doc, SIZE_MAX, &shape);
  if (shape.depth > 64) return Status::Invalid("a schema may nest at most 64 levels");
  CAIRN_RETURN_IF_ERROR(CheckRefs(c->doc));
  if (check_patterns) {
    for (std::string_view pattern : Patterns(c->doc)) CAIRN_RETURN_IF_ERROR(CheckPattern(pattern));
  }
  CAIRN_RETURN_IF_ERROR(CheckSameInstanceCycles(c->doc));
  try {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::RapidJsonAdapter adapter(c->doc);
    parser.populateSchema(adapter, c->schema);  // no fetcher: a remote $ref is refused
  } catch (const std::exception& e) {
    return Status::Invalid(std::string("invalid schema: ") + e.what());
  }
  c->uses_regex = UsesRegex(c->doc);
  return std::shared_ptr<const Compiled>(std::move(c));
}

Status ValidateData(const Compiled& c, std::string_view data, const RegistryLimits& limits,
                    std::string_view prefix) {
  // The message is built only when the event is refused.
  auto refuse = [prefix](const std::string& m) { return Status::Schema(std::string(prefix) + m); };
  // Small documents are parsed into a buffer on the stack: a default Document allocates a
  // 64 KiB chunk per parse.
  char buffer[kParseBufferBytes];
  rapidjson::MemoryPoolAllocator<> allocator(buffer, sizeof(buffer));
  rapidjson::Document doc(&allocator);
  doc.Parse<kParseFlags>(data.data(), data.size());
  if (doc.HasParseError()) return refuse("data is not JSON");
  Shape shape;
  Measure(doc, c.uses_regex ? limits.max_regex_checked_bytes : SIZE_MAX, &shape);
  if (shape.depth > limits.max_data_depth) {
    return refuse("data nests deeper than " + std::to_string(limits.max_data_depth) + " levels");
  }
  if (!shape.longest_at.empty()) {
    return refuse("at " + shape.longest_at + ": string longer than " +
                  std::to_string(limits.max_regex_checked_bytes) +
                  " bytes under a schema that uses pattern or format");
  }
  // One validator per thread: it caches the regexes of `pattern` constraints.
  thread_local valijson::Validator validator;
  const valijson::adapters::RapidJsonAdapter adapter(doc);
  // First without collecting errors (it stops at the first failure and allocates no result
  // list); only a refused event is walked again to name its error.
  valijson::ValidationResults results;
  try {
    if (validator.validate(c.schema, adapter, nullptr)) return Status::Ok();
    validator.validate(c.schema, adapter, &results);
  } catch (const std::exception& e) {
    return refuse(std::string("validation failed: ") + e.what());
  }
  // The deepest error is the most precise; the ones above it only say "failed below".
  const valijson::ValidationResults::Error* best = nullptr;
  for (const auto& e : results) {
    if (best == nullptr || e.context.size() > best->context.size()) best = &e;
  }
  if (best == nullptr) return refuse("at \"\" (the root): invalid");
  std::string at = ContextPointer(best->context);
  return refuse("at " + (at.empty() ? "\"\" (the root)" : at) + ": " + best->description);
}

const Entry* Snapshot::Resolve(std::string_view org, std::string_view type,
                               const VersionSelector* selector) const {
  const Types* types = TypesOf(org);
  if (types == nullptr) return nullptr;
  auto it = types->find(type);
  if (it == types->end()) return nullptr;
  for (auto v = it->second.rbegin(); v != it->second.rend(); ++v) {
    if (selector == nullptr || selector->Matches(v->def.version)) return &*v;
  }
  return nullptr;
}

const Snapshot::Types* Snapshot::TypesOf(std::string_view org) const {
  auto it = orgs_.find(org);
  return it == orgs_.end() ? nullptr : &it->second;
}

Registry::Registry(RegistryLimits limits, std::vector<std::string> required_orgs)
    : limits_(limits),
      required_(required_orgs.begin(), required_orgs.end()),
      snapshot_(std::make_shared<const Snapshot>()) {}

Status Registry::Load(const std::vector<SchemaDefinition>& stored) {
  auto s = std::make_shared<Snapshot>();
  for (const SchemaDefinition& d : stored) {
    // Stored schemas were accepted under the rules of their registration: a pattern rule
    // added since must not keep the node from starting (schemas cannot be removed).
    auto c = Compile(d.body, /*check_patterns=*/false);
    if (!c.ok()) {
      return Status::Corruption("stored schema " + Name(d) +
                                " does not compile: " + c.status().message());
    }
    Snapshot::Versions& v = s->orgs_[d.org][d.type];
    v.push_back(Entry{d, *c});
    ++s->size_;
  }
  for (auto& [org, types] : s->orgs_) {
    for (auto& [type, versions] : types) {
      std::sort(versions.begin(), versions.end(),
                [](const Entry& a, const Entry& b) { return a.def.version < b.def.version; });
    }
  }
  std::lock_guard lock(write_mu_);
  snapshot_.store(std::move(s));
  return Status::Ok();
}

Status Registry::Check(const Snapshot& s, const SchemaDefinition& def, const Compiled& c) const {
  const Snapshot::Types* types = s.TypesOf(def.org);
  if (types == nullptr) return Status::Ok();
  auto it = types->find(def.type);
  if (it == types->end()) return Status::Ok();
  const Snapshot::Versions& versions = it->second;
  if (versions.size() >= limits_.max_versions_per_type) {
    return Status::TooLarge("at most " + std::to_string(limits_.max_versions_per_type) +
                            " versions per org and event type");
  }
  // The neighbours in the same MAJOR: the new version must accept what the previous one
  // accepted, and the next one (when a lower version is registered late) what it accepts.
  const Entry* prev = nullptr;
  const Entry* next = nullptr;
  for (const Entry& e : versions) {
    if (e.def.version.major != def.version.major) continue;
    if (e.def.version < def.version) prev = &e;
    if (def.version < e.def.version && next == nullptr) next = &e;
  }
  auto compare = [&](const Compiled& older, const Compiled& newer, const SchemaDefinition& o,
                     const SchemaDefinition& n) -> Status {
    auto v = CheckCompatible(older.doc, newer.doc, 5);
    if (v.empty()) return Status::Ok();
    std::string m =
        "schema " + Name(n) + " is not backward compatible with " + o.version.ToString() + ": ";
    for (size_t i = 0; i < v.size(); ++i) m += (i ? "; " : "") + FormatViolation(v[i]);
    return Status::Schema(std::move(m));
  };
  if (prev != nullptr) CAIRN_RETURN_IF_ERROR(compare(*prev->compiled, c, prev->def, def));
  if (next != nullptr) CAIRN_RETURN_IF_ERROR(compare(c, *next->compiled, def, next->def));
  return Status::Ok();
}

Result<Prepared> Registry::Prepare(SchemaDefinition def) {
  CAIRN_RETURN_IF_ERROR(ValidateOrg(def.org));
  CAIRN_RETURN_IF_ERROR(ValidateEventType(def.type));
  if (def.body.size() > limits_.max_schema_bytes) {
    return Status::TooLarge("a schema may be at most " + std::to_string(limits_.max_schema_bytes) +
                            " bytes");
  }
  CAIRN_ASSIGN_OR_RETURN(auto compiled, Compile(def.body));
  std::lock_guard lock(write_mu_);
  std::shared_ptr<const Snapshot> s = snapshot_.load();
  VersionSelector exact{def.version.major, def.version.minor, def.version.patch};
  if (const Entry* e = s->Resolve(def.org, def.type, &exact)) {
    if (e->def.body != def.body) {
      return Status::Invalid("schema " + Name(def) +
                             " is already registered with other content (schemas are immutable)");
    }
    return Prepared{std::move(def), true, e->compiled};
  }
  std::string key = TypeKey(def.org, def.type);
  if (in_flight_.count(key) > 0) {
    return Status::Busy("another version of " + def.org + "/" + def.type +
                        " is being registered; retry shortly");
  }
  if (s->size() + in_flight_.size() >= limits_.max_schemas) {
    return Status::TooLarge("at most " + std::to_string(limits_.max_schemas) +
                            " schemas may be registered");
  }
  CAIRN_RETURN_IF_ERROR(Check(*s, def, *compiled));
  in_flight_.insert(std::move(key));
  return Prepared{std::move(def), false, std::move(compiled)};
}

void Registry::Finish(const Prepared& p, const Status& written) {
  std::lock_guard lock(write_mu_);
  in_flight_.erase(TypeKey(p.def.org, p.def.type));
  if (!written.ok()) return;
  auto s = std::make_shared<Snapshot>(*snapshot_.load());
  Snapshot::Versions& v = s->orgs_[p.def.org][p.def.type];
  auto at =
      std::lower_bound(v.begin(), v.end(), p.def.version,
                       [](const Entry& e, const SchemaVersion& x) { return e.def.version < x; });
  if (at != v.end() && at->def.version == p.def.version) return;  // already there
  v.insert(at, Entry{p.def, p.compiled});
  ++s->size_;
  snapshot_.store(std::move(s));
}

Status Registry::ValidateAppend(AppendRequest* request) const {
  std::shared_ptr<const Snapshot> s = snapshot_.load();
  size_t index = 0;
  for (AppendClause& clause : request->clauses) {
    std::string_view org(clause.stream);
    org = org.substr(0, org.find('/'));
    const Snapshot::Types* types = s->TypesOf(org);
    const bool required = Required(org);
    for (ProposedEvent& e : clause.events) {
      const size_t i = index++;
      const bool versioned = e.type.find('@') != std::string::npos;
      if (types == nullptr && !required && !versioned) continue;
      CAIRN_ASSIGN_OR_RETURN(TypeRef ref, ParseTypeRef(e.type));
      const VersionSelector* sel = ref.selector ? &*ref.selector : nullptr;
      const Entry* entry = s->Resolve(org, ref.type, sel);
      auto event_name = [i] { return "event " + std::to_string(i) + " "; };
      if (entry == nullptr) {
        if (sel != nullptr) {
          return Status::Schema(event_name() + "(" + e.type + "): no schema " + std::string(org) +
                                "/" + std::string(ref.type) + "@" + sel->ToString() +
                                " registered");
        }
        if (required) {
          return Status::Schema(event_name() + "(" + e.type + "): org " + std::string(org) +
                                " requires a schema for every event type and " +
                                std::string(ref.type) + " has none");
        }
        continue;
      }
      Status valid = ValidateData(*entry->compiled, e.data, limits_, {});
      if (!valid.ok()) {
        return Status::Schema(event_name() + "(" + std::string(ref.type) + " " +
                              entry->def.version.ToString() + "): " + valid.message());
      }
      if (versioned) e.type.resize(ref.type.size());  // stored with the plain type
    }
  }
  return Status::Ok();
}

}  // namespace cairn::schema
