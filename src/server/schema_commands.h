#pragma once
// ESCHEMA and /v1/schemas: registering, getting and listing JSON Schemas
// (docs/reference/protocol.md, docs/internals/schemas.md). Run on the connection's reactor.

#include <string>
#include <string_view>
#include <vector>

#include "protocol/http/http_parser.h"
#include "protocol/resp/command_parser.h"
#include "server/requests.h"

namespace cairn::server {

class Connection;

// ESCHEMA REGISTER | GET | LIST.
void RespSchema(Connection& c, const resp::Args& args, ReplyStyle style);
// /v1/schemas/{org}[/{type}[/{version}]]: `path` holds the decoded segments after "schemas".
void HttpSchemas(Connection& c, const http::Request& req, const std::vector<std::string>& path,
                 ReplyStyle style);

}  // namespace cairn::server
