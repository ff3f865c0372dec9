// HTTP/1.1 framing against a real `cairn serve`, over raw sockets: keep-alive, pipelining,
// chunked request bodies, Expect: 100-continue, Connection: close and malformed requests.

#include <gtest/gtest.h>

#include <string>

#include "http_test_util.h"
#include "server_process.h"

namespace cairn::testing {
namespace {

class HttpFramingTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start()) << server_.error(); }
  void TearDown() override { EXPECT_EQ(server_.Stop(), 0) << server_.LogTail(); }
  uint16_t port() const { return server_.http_port(); }
  ServerProcess server_{{"--shards", "2"}};
};

TEST_F(HttpFramingTest, KeepAliveServesManyRequestsOnOneConnection) {
  HttpConn http(port());
  for (int i = 1; i <= 20; ++i) {
    HttpResponse r =
        http.Request("POST", "/v1/streams/ka/t/1",
                     R"({"events": [{"type": "A", "data": )" + std::to_string(i) + "}]}");
    ASSERT_EQ(r.status, 201) << "request " << i << ": " << http.last_error();
    EXPECT_EQ(r.Header("connection"), "");
    EXPECT_EQ(JInt(Json(r.body).root(), "last_version"), i);
    EXPECT_EQ(http.Request("GET", "/health").status, 200);
  }
}

// 100 requests written at once; 100 responses read back, in request order.
TEST_F(HttpFramingTest, PipelinedRequestsAnswerInOrder) {
  HttpConn http(port());
  std::string batch;
  for (int i = 0; i < 100; ++i) {
    switch (i % 4) {
      case 0:
        batch +=
            HttpConn::Build("POST", "/v1/streams/pipe/t/1",
                            R"({"events": [{"type": "A", "data": )" + std::to_string(i) + "}]}");
        break;
      case 1:
        batch += HttpConn::Build("GET", "/v1/streams/pipe/other/" + std::to_string(i) + "/info");
        break;
      case 2:
        batch += HttpConn::Build("GET", "/health");
        break;
      default:
        batch += HttpConn::Build("GET", "/v1/nothing/" + std::to_string(i));
    }
  }
  ASSERT_TRUE(http.SendRaw(batch));
  int appends = 0;
  for (int i = 0; i < 100; ++i) {
    HttpResponse r = http.Read();
    ASSERT_NE(r.status, 0) << "response " << i << ": " << http.last_error();
    switch (i % 4) {
      case 0:
        ASSERT_EQ(r.status, 201) << "response " << i << ": " << r.body;
        EXPECT_EQ(JInt(Json(r.body).root(), "last_version"), ++appends);
        break;
      case 1:
        ASSERT_EQ(r.status, 200) << "response " << i << ": " << r.body;
        EXPECT_EQ(JStr(Json(r.body).root(), "stream"), "pipe/other/" + std::to_string(i));
        break;
      case 2:
        EXPECT_EQ(r.status, 200) << "response " << i;
        break;
      default:
        EXPECT_EQ(r.status, 404) << "response " << i;
    }
  }
  Json all(http.Request("GET", "/v1/streams/pipe/t/1").body);
  auto events = JArray(At(all.root(), "events"));
  ASSERT_EQ(events.size(), 25u);
  for (size_t k = 0; k < events.size(); ++k) {
    EXPECT_EQ(Render(At(events[k], "data")), std::to_string(4 * k));
  }
}

TEST_F(HttpFramingTest, ChunkedRequestBody) {
  HttpConn http(port());
  std::string body =
      R"({"events": [{"type": "Chunky", "data": {"text": ")" + std::string(5000, 'x') + R"("}}]})";
  std::string req =
      "POST /v1/streams/ch/t/1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
      "Content-Type: application/json\r\n\r\n";
  for (size_t off = 0; off < body.size(); off += 777) {
    std::string piece = body.substr(off, 777);
    char size[16];
    snprintf(size, sizeof(size), "%zx", piece.size());
    req += std::string(size) + (off == 0 ? ";ext=1" : "") + "\r\n" + piece + "\r\n";
  }
  req += "0\r\n\r\n";
  // Written in small pieces, to cross every boundary.
  for (size_t off = 0; off < req.size(); off += 500) {
    ASSERT_TRUE(http.SendRaw(req.substr(off, 500)));
  }
  HttpResponse r = http.Read();
  ASSERT_EQ(r.status, 201) << r.body << http.last_error();
  Json got(http.Request("GET", "/v1/streams/ch/t/1").body);
  auto events = JArray(At(got.root(), "events"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(JStr(At(events[0], "data"), "text"), std::string(5000, 'x'));
}

TEST_F(HttpFramingTest, ExpectContinue) {
  HttpConn http(port());
  std::string body = R"({"events": [{"type": "A", "data": 1}]})";
  ASSERT_TRUE(http.SendRaw("POST /v1/streams/ex/t/1 HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\nExpect: 100-continue\r\n\r\n"));
  HttpResponse cont = http.Read(5000);
  EXPECT_EQ(cont.status, 100) << http.last_error();
  ASSERT_TRUE(http.SendRaw(body));
  HttpResponse r = http.Read();
  EXPECT_EQ(r.status, 201) << r.body;
}

TEST_F(HttpFramingTest, ConnectionCloseAndHttp10) {
  HttpConn close_it(port());
  HttpResponse r = close_it.Request("GET", "/health", "", {"Connection: close"});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("connection"), "close");
  EXPECT_TRUE(close_it.WaitClosed());
  HttpConn old(port());
  ASSERT_TRUE(old.SendRaw("GET /health HTTP/1.0\r\n\r\n"));
  EXPECT_EQ(old.Read().status, 200);
  EXPECT_TRUE(old.WaitClosed());
}

// A response to HEAD carries no content (RFC 9110 section 9.3.2), whatever its status:
// otherwise the bytes of its body are read as the start of the next response.
TEST_F(HttpFramingTest, HeadResponseHasNoBody) {
  HttpConn http(port());
  ASSERT_TRUE(http.SendRaw(HttpConn::Build("HEAD", "/health") + HttpConn::Build("GET", "/ready")));
  HttpResponse head = http.Read(5000, /*head=*/true);
  EXPECT_NE(head.status, 0) << http.last_error();
  HttpResponse next = http.Read(5000);
  EXPECT_EQ(next.status, 200) << "the HEAD response carried a body: " << http.last_error();
}

// A 405 lists the methods the resource supports (RFC 9110 section 15.5.6).
TEST_F(HttpFramingTest, MethodNotAllowedSendsAllow) {
  HttpConn http(port());
  HttpResponse r = http.Request("PUT", "/v1/streams/o/t/1", "{}");
  EXPECT_EQ(r.status, 405);
  EXPECT_NE(r.Header("allow"), "") << "405 without an Allow header";
}

TEST_F(HttpFramingTest, MalformedRequestGets400AndClose) {
  const char* bad[] = {
      "GARBAGE\r\n\r\n",
      "GET /health HTTP/1.1\r\n\r\n",  // no Host
      "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
      "GET /health HTTP/1.1\nHost: x\n\n",  // bare LF
      "POST /v1/streams/a/b/c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
  };
  for (const char* req : bad) {
    HttpConn http(port());
    ASSERT_TRUE(http.SendRaw(req));
    HttpResponse r = http.Read(5000);
    ExpectError(r, 400, "ERR");
    EXPECT_EQ(r.Header("connection"), "close") << req;
    EXPECT_TRUE(http.WaitClosed()) << req;
  }
  // A valid request pipelined after a malformed one is not served.
  HttpConn http(port());
  ASSERT_TRUE(http.SendRaw("BAD\r\n\r\n" + HttpConn::Build("GET", "/health")));
  EXPECT_EQ(http.Read(5000).status, 400);
  EXPECT_TRUE(http.WaitClosed());
  EXPECT_EQ(HttpConn(port()).Request("GET", "/health").status, 200);
}

}  // namespace
}  // namespace cairn::testing
