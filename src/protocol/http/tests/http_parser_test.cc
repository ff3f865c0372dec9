#include "protocol/http/http_parser.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "protocol/http/tests/parse_helpers.h"

namespace cairn::http {
namespace {

using testing::ErrorStatus;
using testing::Parse;
using testing::Parsed;

bool PointsInto(std::string_view view, std::string_view buffer) {
  return view.data() >= buffer.data() && view.data() + view.size() <= buffer.data() + buffer.size();
}

TEST(HttpParser, ParsesASimpleGet) {
  const std::string in = "GET /v1/streams/a/b/c%2F1?from=3&count=2 HTTP/1.1\r\nHost: x\r\n\r\n";
  Parsed p = Parse(in);
  ASSERT_EQ(p.status, ParseStatus::kComplete) << p.error.message;
  EXPECT_EQ(p.consumed, in.size());
  EXPECT_EQ(p.request.method, "GET");
  EXPECT_EQ(p.request.target, "/v1/streams/a/b/c%2F1?from=3&count=2");
  EXPECT_EQ(p.request.path, "/v1/streams/a/b/c%2F1");
  EXPECT_EQ(p.request.query, "from=3&count=2");
  EXPECT_EQ(p.request.minor_version, 1);
  ASSERT_EQ(p.request.headers.size(), 1u);
  EXPECT_EQ(p.request.headers[0].name, "Host");
  EXPECT_EQ(p.request.headers[0].value, "x");
  EXPECT_TRUE(p.request.keep_alive);
  EXPECT_FALSE(p.request.chunked);
  EXPECT_FALSE(p.request.expect_continue);
  EXPECT_TRUE(p.request.body.empty());
  EXPECT_TRUE(PointsInto(p.request.target, in));
}

TEST(HttpParser, QueryIsEmptyWithoutQuestionMark) {
  Parsed p = Parse("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(p.status, ParseStatus::kComplete);
  EXPECT_EQ(p.request.path, "/health");
  EXPECT_EQ(p.request.query, "");
  Parsed q = Parse("GET /health? HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(q.status, ParseStatus::kComplete);
  EXPECT_EQ(q.request.path, "/health");
  EXPECT_EQ(q.request.query, "");
}

TEST(HttpParser, TrimsValuesAndFindsHeadersIgnoringCase) {
  const std::string in =
      "GET / HTTP/1.1\r\nHost: x\r\nX-Thing: \t a  b \t\r\nIdempotency-Key:k1\r\n"
      "X-Empty:\r\nx-thing: second\r\nX-Latin: caf\xc3\xa9 \xff\r\n\r\n";
  Parsed p = Parse(in);
  ASSERT_EQ(p.status, ParseStatus::kComplete) << p.error.message;
  EXPECT_EQ(p.request.Find("x-thing"), "a  b");
  EXPECT_EQ(p.request.Find("IDEMPOTENCY-KEY"), "k1");
  EXPECT_EQ(p.request.Find("x-latin"), "caf\xc3\xa9 \xff");
  EXPECT_EQ(p.request.Find("absent"), "");
  EXPECT_EQ(p.request.FindHeader("absent"), nullptr);
  ASSERT_NE(p.request.FindHeader("x-empty"), nullptr);
  EXPECT_EQ(p.request.FindHeader("x-empty")->value, "");
  EXPECT_EQ(p.request.headers.size(), 6u);
}

TEST(HttpParser, ContentLengthBodyIsAViewIntoTheInput) {
  const std::string in =
      "POST /v1/streams/o/t/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET";
  Parsed p = Parse(in);
  ASSERT_EQ(p.status, ParseStatus::kComplete);
  EXPECT_EQ(p.request.body, "hello");
  EXPECT_TRUE(PointsInto(p.request.body, in));
  EXPECT_EQ(p.consumed, in.size() - 3);
  Parsed zero = Parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 000\r\n\r\n");
  ASSERT_EQ(zero.status, ParseStatus::kComplete);
  EXPECT_EQ(zero.request.body, "");
}

TEST(HttpParser, SkipsEmptyLinesBeforeTheRequestLine) {
  const std::string in = "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n";
  Parsed p = Parse(in);
  ASSERT_EQ(p.status, ParseStatus::kComplete);
  EXPECT_EQ(p.consumed, in.size());
  EXPECT_EQ(p.request.method, "GET");
}

TEST(HttpParser, OptionsAsteriskIsAccepted) {
  Parsed p = Parse("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(p.status, ParseStatus::kComplete);
  EXPECT_EQ(p.request.target, "*");
  EXPECT_EQ(p.request.path, "*");
}

TEST(HttpParser, ParsesPipelinedRequests) {
  const std::string in =
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
      "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
      "GET /d HTTP/1.0\r\n\r\n";
  std::vector<std::string> paths, bodies;
  std::string_view rest = in;
  while (!rest.empty()) {
    Parsed p = Parse(rest);
    ASSERT_EQ(p.status, ParseStatus::kComplete) << p.error.message;
    ASSERT_GT(p.consumed, 0u);
    ASSERT_LE(p.consumed, rest.size());
    paths.emplace_back(p.request.path);
    bodies.emplace_back(p.request.body);
    rest.remove_prefix(p.consumed);
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"/a", "/b", "/c", "/d"}));
  EXPECT_EQ(bodies, (std::vector<std::string>{"", "abc", "hi", ""}));
}

// Every proper prefix of a request needs more bytes, and the hint never overshoots.
TEST(HttpParser, EverySplitPointNeedsMoreThenCompletes) {
  const std::vector<std::string> requests = {
      "GET /v1/orgs HTTP/1.1\r\nHost: localhost:7380\r\nAccept: */*\r\n\r\n",
      "\r\nPOST /v1/streams/o/t/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n{\"a\":[1,2]}",
      "POST /v1/transactions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4;ext=1\r\nWiki\r\n5\r\npedia\r\n000\r\nX-Trailer: t\r\n\r\n",
      "GET / HTTP/1.0\r\n\r\n",
  };
  for (const std::string& req : requests) {
    Parsed whole = Parse(req);
    ASSERT_EQ(whole.status, ParseStatus::kComplete) << req;
    ASSERT_EQ(whole.consumed, req.size());
    for (size_t k = 0; k < req.size(); ++k) {
      Parsed part = Parse(std::string_view(req).substr(0, k));
      ASSERT_EQ(part.status, ParseStatus::kNeedMore) << "prefix " << k << " of " << req;
      EXPECT_GT(part.need_hint, k) << "prefix " << k << " of " << req;
      EXPECT_LE(part.need_hint, req.size()) << "prefix " << k << " of " << req;
    }
    // The same request followed by the start of another parses the same.
    const std::string more = req + "GET /next HTTP/1.1\r\n";
    Parsed p = Parse(more);
    ASSERT_EQ(p.status, ParseStatus::kComplete);
    EXPECT_EQ(p.consumed, req.size());
    EXPECT_EQ(p.request.body, whole.request.body);
    EXPECT_EQ(p.request.target, whole.request.target);
    EXPECT_EQ(p.request.headers.size(), whole.request.headers.size());
  }
}

TEST(HttpParser, NeedHintCoversTheWholeContentLengthBody) {
  const std::string head = "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n";
  Parsed p = Parse(head + "abc");
  ASSERT_EQ(p.status, ParseStatus::kNeedMore);
  EXPECT_EQ(p.need_hint, head.size() + 1000);
}

TEST(HttpParser, KeepAliveRules) {
  auto keep = [](const std::string& in) {
    Parsed p = Parse(in);
    EXPECT_EQ(p.status, ParseStatus::kComplete) << in << p.error.message;
    return p.request.keep_alive;
  };
  EXPECT_TRUE(keep("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, CLOSE\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.1\r\nHost: x\r\nConnection: te\r\nConnection: close\r\n\r\n"));
  EXPECT_TRUE(keep("GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(keep("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.0\r\nConnection: keep-alive,close\r\n\r\n"));
}

TEST(HttpParser, VersionsAboveOnePointOneAreServedAsOnePointOne) {
  Parsed p = Parse("GET / HTTP/1.0\r\n\r\n");
  ASSERT_EQ(p.status, ParseStatus::kComplete);
  EXPECT_EQ(p.request.minor_version, 0);
  Parsed q = Parse("GET / HTTP/1.9\r\nHost: x\r\n\r\n");
  ASSERT_EQ(q.status, ParseStatus::kComplete);
  EXPECT_EQ(q.request.minor_version, 1);
}

TEST(HttpParser, ExpectContinue) {
  // The head alone tells the caller to send 100 Continue: it is parsed while the body is missing.
  const std::string head =
      "PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n";
  Parsed p = Parse(head);
  ASSERT_EQ(p.status, ParseStatus::kNeedMore);
  EXPECT_EQ(p.request.head_bytes, head.size());
  EXPECT_TRUE(p.request.expect_continue);
  EXPECT_EQ(p.request.method, "PUT");
  EXPECT_EQ(Parse(head.substr(0, head.size() - 1)).request.head_bytes, 0u);
  Parsed whole =
      Parse("PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_EQ(whole.status, ParseStatus::kComplete);
  EXPECT_TRUE(whole.request.expect_continue);
  Parsed old = Parse("PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_EQ(old.status, ParseStatus::kComplete);
  EXPECT_FALSE(old.request.expect_continue);
  Parsed other = Parse("PUT / HTTP/1.1\r\nHost: x\r\nExpect: something\r\n\r\n");
  ASSERT_EQ(other.status, ParseStatus::kComplete);
  EXPECT_FALSE(other.request.expect_continue);
}

struct ErrorCase {
  int status;
  std::string input;
};

TEST(HttpParser, RefusesMalformedRequestsWithTheRightStatus) {
  const std::string h = "Host: x\r\n";
  const std::vector<ErrorCase> cases = {
      // 400: request line.
      {400, "GET  / HTTP/1.1\r\n" + h + "\r\n"},
      {400, "GET / HTTP/1.1 \r\n" + h + "\r\n"},
      {400, "GET /\r\n\r\n"},
      {400, "GET\r\n\r\n"},
      {400, "G(T / HTTP/1.1\r\n" + h + "\r\n"},
      {400, "GET http://x/ HTTP/1.1\r\n" + h + "\r\n"},
      {400, "GET x HTTP/1.1\r\n" + h + "\r\n"},
      {400, "CONNECT x:443 HTTP/1.1\r\n" + h + "\r\n"},
      {400, "GET * HTTP/1.1\r\n" + h + "\r\n"},
      {400, "GET /a#b HTTP/1.1\r\n" + h + "\r\n"},
      {400, "GET /caf\xc3\xa9 HTTP/1.1\r\n" + h + "\r\n"},
      {400, std::string("GET /a\0b HTTP/1.1\r\n", 19) + h + "\r\n"},
      {400, "GET / http/1.1\r\n" + h + "\r\n"},
      {400, "GET / HTTP/11\r\n" + h + "\r\n"},
      {400, "GET / HTTP/1.10\r\n" + h + "\r\n"},
      {400, "GET / HTTP/1.1\n" + h + "\r\n"},
      {400, "\nGET / HTTP/1.1\r\n" + h + "\r\n"},
      {400, std::string(kMaxMethodBytes + 1, 'A') + " / HTTP/1.1\r\n" + h + "\r\n"},
      // 400: header fields.
      {400, "GET / HTTP/1.1\r\nHost: x\n\r\n"},
      {400, "GET / HTTP/1.1\r\nHost: x\r\n\n"},
      {400, "GET / HTTP/1.1\r\n" + h + "X: a\rb\r\n\r\n"},
      {400, "GET / HTTP/1.1\r\n" + h + std::string("X: a\0b\r\n\r\n", 10)},
      {400, "GET / HTTP/1.1\r\n" + h + "X: a\x7f\r\n\r\n"},
      {400, "GET / HTTP/1.1\r\n" + h + "X: a\r\n b\r\n\r\n"},
      {400, "GET / HTTP/1.1\r\n" + h + "X: a\r\n\tb\r\n\r\n"},
      {400, "GET / HTTP/1.1\r\n" + h + "NoColon\r\n\r\n"},
      {400, "GET / HTTP/1.1\r\n" + h + "X : a\r\n\r\n"},
      {400, "GET / HTTP/1.1\r\n" + h + ": a\r\n\r\n"},
      {400, "GET / HTTP/1.1\r\n" + h + "X(y): a\r\n\r\n"},
      {400, "GET / HTTP/1.1\r\n\r\n"},
      {400, "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"},
      // 400: framing.
      {400, "POST / HTTP/1.1\r\n" + h + "Content-Length: 1\r\nContent-Length: 1\r\n\r\na"},
      {400, "POST / HTTP/1.1\r\n" + h + "Content-Length: 1, 1\r\n\r\na"},
      {400, "POST / HTTP/1.1\r\n" + h + "Content-Length: -1\r\n\r\n"},
      {400, "POST / HTTP/1.1\r\n" + h + "Content-Length: +1\r\n\r\na"},
      {400, "POST / HTTP/1.1\r\n" + h + "Content-Length: 0x1\r\n\r\na"},
      {400, "POST / HTTP/1.1\r\n" + h + "Content-Length:\r\n\r\n"},
      {400, "POST / HTTP/1.1\r\n" + h +
                "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {400, "POST / HTTP/1.1\r\n" + h +
                "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {400, "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      // 413, 414, 501, 505.
      {413, "POST / HTTP/1.1\r\n" + h + "Content-Length: 99999999999999999999999999\r\n\r\n"},
      {414, "GET /" + std::string(Limits().max_target_bytes, 'a') + " HTTP/1.1\r\n" + h + "\r\n"},
      {501, "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: gzip\r\n\r\n"},
      {501, "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: gzip, chunked\r\n\r\n"},
      {501, "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: identity\r\n\r\n"},
      {505, "GET / HTTP/2.0\r\n" + h + "\r\n"},
      {505, "GET / HTTP/0.9\r\n" + h + "\r\n"},
      {505, "GET / HTTP/3.1\r\n" + h + "\r\n"},
  };
  for (const ErrorCase& c : cases) {
    Parsed p = Parse(c.input);
    ASSERT_EQ(p.status, ParseStatus::kError) << c.input;
    EXPECT_EQ(p.error.status, c.status) << c.input << " -> " << p.error.message;
    EXPECT_FALSE(p.error.message.empty());
    EXPECT_FALSE(ReasonPhrase(p.error.status).empty());
  }
}

TEST(HttpParser, RefusesGarbageBeforeTheLineEnds) {
  // A TLS ClientHello or a RESP command on the HTTP port is refused at once.
  EXPECT_EQ(ErrorStatus(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)), 400);
  EXPECT_EQ(ErrorStatus("*2\r\n$4\r\nPING"), 400);
  EXPECT_EQ(ErrorStatus("GET /a\x01"), 400);
  EXPECT_EQ(ErrorStatus("GET /" + std::string(Limits().max_target_bytes, 'a')), 414);
}

TEST(HttpParser, HeaderSectionLimits) {
  Limits limits;
  limits.max_header_bytes = 64;
  limits.max_headers = 2;
  const std::string line = "GET / HTTP/1.1\r\n";
  const std::string hosts = "Host: x\r\n";
  // Exactly max_header_bytes is accepted; one byte more is 431, complete or not.
  std::string fits = line + hosts + "X: " + std::string(64 - 16 - 9 - 2 - 5, 'v') + "\r\n\r\n";
  ASSERT_EQ(fits.size(), 64u);
  EXPECT_EQ(Parse(fits, limits).status, ParseStatus::kComplete);
  std::string over = line + hosts + "X: " + std::string(64 - 16 - 9 - 2 - 4, 'v') + "\r\n\r\n";
  EXPECT_EQ(ErrorStatus(over, limits), 431);
  EXPECT_EQ(ErrorStatus(over.substr(0, 65), limits), 431);
  EXPECT_EQ(Parse(over.substr(0, 64), limits).status, ParseStatus::kNeedMore);
  // Leading empty lines count.
  EXPECT_EQ(ErrorStatus("\r\n" + fits, limits), 431);
  // max_headers fields are accepted; one more is 431.
  EXPECT_EQ(Parse(line + hosts + "A: 1\r\n\r\n", limits).status, ParseStatus::kComplete);
  EXPECT_EQ(ErrorStatus(line + hosts + "A: 1\r\nB: 2\r\n\r\n", limits), 431);
}

TEST(HttpParser, TargetAndBodyLimits) {
  Limits limits;
  limits.max_target_bytes = 10;
  limits.max_body_bytes = 4;
  EXPECT_EQ(Parse("GET /123456789 HTTP/1.1\r\nHost: x\r\n\r\n", limits).status,
            ParseStatus::kComplete);
  EXPECT_EQ(ErrorStatus("GET /1234567890 HTTP/1.1\r\nHost: x\r\n\r\n", limits), 414);
  EXPECT_EQ(ErrorStatus("GET /1234567890", limits), 414);
  // The line cannot end within the limits even though the target did: junk after it.
  EXPECT_EQ(ErrorStatus("GET / HTTP/1.1" + std::string(100, 'x'), limits), 400);
  const std::string post = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ";
  EXPECT_EQ(Parse(post + "4\r\n\r\nabcd", limits).status, ParseStatus::kComplete);
  // Too large is known from the head, before any of the body arrives.
  EXPECT_EQ(ErrorStatus(post + "5\r\n\r\n", limits), 413);
}

TEST(HttpParser, ReusedRequestIsReset) {
  Request r;
  size_t consumed = 0, hint = 0;
  ParseError err;
  const std::string a =
      "POST /a?q HTTP/1.0\r\nTransfer-Encoding: chunked\r\nHost: x\r\n\r\n1\r\nz\r\n0\r\n\r\n";
  ASSERT_EQ(ParseRequest(a, Limits(), &r, &consumed, &hint, &err), ParseStatus::kError);
  const std::string b =
      "PUT /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "1\r\nz\r\n0\r\n\r\n";
  ASSERT_EQ(ParseRequest(b, Limits(), &r, &consumed, &hint, &err), ParseStatus::kComplete);
  EXPECT_TRUE(r.chunked);
  const std::string c = "GET /c HTTP/1.0\r\n\r\n";
  ASSERT_EQ(ParseRequest(c, Limits(), &r, &consumed, &hint, &err), ParseStatus::kComplete);
  EXPECT_EQ(r.path, "/c");
  EXPECT_EQ(r.query, "");
  EXPECT_EQ(r.minor_version, 0);
  EXPECT_FALSE(r.chunked);
  EXPECT_FALSE(r.keep_alive);
  EXPECT_TRUE(r.headers.empty());
  EXPECT_TRUE(r.body.empty());
}

TEST(HttpParser, ReasonPhrases) {
  EXPECT_EQ(ReasonPhrase(200), "OK");
  EXPECT_EQ(ReasonPhrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(ReasonPhrase(299), "");
}

// Random bytes and mutated requests: never a crash, consumed within the input, and a
// complete parse always makes progress.
TEST(HttpParser, SurvivesRandomAndMutatedInput) {
  std::mt19937 rng(1234);
  const std::vector<std::string> seeds = {
      "GET /a?b=c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
      "POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;e\r\nabc\r\n0\r\nT: "
      "1\r\n\r\n",
  };
  Limits small;
  small.max_header_bytes = 48;
  small.max_headers = 2;
  small.max_body_bytes = 8;
  small.max_target_bytes = 8;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string in = seeds[rng() % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !in.empty(); ++e) {
      size_t at = rng() % in.size();
      switch (rng() % 3) {
        case 0:
          in[at] = static_cast<char>(rng());
          break;
        case 1:
          in.erase(at, 1);
          break;
        default:
          in.insert(at, 1, "\r\n:; 0\x00\x80"[rng() % 8]);
          break;
      }
    }
    for (const Limits& limits : {Limits(), small}) {
      Parsed p = Parse(in, limits);
      if (p.status == ParseStatus::kComplete) {
        ASSERT_GT(p.consumed, 0u);
        ASSERT_LE(p.consumed, in.size());
      } else if (p.status == ParseStatus::kNeedMore) {
        ASSERT_TRUE(p.need_hint == 0 || p.need_hint > in.size());
      } else {
        ASSERT_GE(p.error.status, 400);
      }
    }
  }
}

}  // namespace
}  // namespace cairn::http
