#pragma once
// JSON shapes of the HTTP side (docs/reference/protocol.md): engine results, errors, and
// the request bodies of appends and transactions.

#include <string>
#include <string_view>

#include "cairn/status.h"
#include "cairn/types.h"
#include "protocol/http/json_writer.h"

namespace cairn::server {

// A complete HTTP/1.1 response: status line, headers, body.
// `extra_headers`: whole header lines ("Allow: GET\r\n"). `omit_body`: a reply to HEAD (the
// headers describe the body a GET would get).
void HttpResponse(int status, std::string_view content_type, std::string_view body, bool keep_alive,
                  std::string* out, std::string_view extra_headers = {}, bool omit_body = false);
// The JSON error document and status of a refusal.
void HttpError(const Status& status, bool keep_alive, std::string* out);
void HttpErrorCode(int http_status, std::string_view code, std::string_view message,
                   bool keep_alive, std::string* out);
int HttpStatusOf(StatusCode code);

// One event as a JSON object (as in reads), on one line.
std::string JsonEvent(const RecordedEvent& e);
std::string JsonAppend(const AppendResult& r, bool transaction);
std::string JsonRead(const ReadResult& r, bool with_hash);
std::string JsonScan(const ScanResult& r, bool with_hash);
std::string JsonInfo(const StreamInfo& info);
std::string JsonStreams(const ListStreamsResult& r);
std::string JsonStrings(const std::vector<std::string>& items);
std::string JsonVerify(const VerifyResult& r);
// The fields of JsonVerify, into an object the caller has begun (the CLI adds "shard").
void WriteVerifyFields(http::JsonWriter& j, const VerifyResult& r);
std::string JsonGroup(const GroupCursor& g);                     // {"group","scope","cursor"}
std::string JsonGroups(const std::vector<GroupCursor>& groups);  // {"groups":[...]}

}  // namespace cairn::server
