#include "protocol/resp/reply_writer.h"

#include <charconv>

namespace cairn::resp {
namespace {

void AppendLine(std::string* out, std::string_view s) {
  size_t start = out->size();
  out->append(s);
  for (size_t i = start; i < out->size(); ++i) {
    if ((*out)[i] == '\r' || (*out)[i] == '\n') (*out)[i] = ' ';
  }
  out->append("\r\n", 2);
}

}  // namespace

void ReplyWriter::Header(char type, uint64_t n) {
  char buf[24];
  buf[0] = type;
  auto r = std::to_chars(buf + 1, buf + sizeof(buf) - 2, n);
  r.ptr[0] = '\r';
  r.ptr[1] = '\n';
  out_->append(buf, static_cast<size_t>(r.ptr + 2 - buf));
}

void ReplyWriter::Simple(std::string_view s) {
  out_->push_back('+');
  AppendLine(out_, s);
}

void ReplyWriter::Error(std::string_view code, std::string_view message) {
  out_->push_back('-');
  std::string line(code);
  if (!message.empty()) {
    line += ' ';
    line += message;
  }
  AppendLine(out_, line);
}

void ReplyWriter::Int(int64_t v) {
  char buf[24];
  buf[0] = ':';
  auto r = std::to_chars(buf + 1, buf + sizeof(buf) - 2, v);
  r.ptr[0] = '\r';
  r.ptr[1] = '\n';
  out_->append(buf, static_cast<size_t>(r.ptr + 2 - buf));
}

void ReplyWriter::Bulk(std::string_view s) {
  Header('$', s.size());
  out_->append(s);
  out_->append("\r\n", 2);
}

void ReplyWriter::Null() {
  if (resp3_) {
    out_->append("_\r\n", 3);
  } else {
    out_->append("$-1\r\n", 5);
  }
}

void ReplyWriter::Bool(bool b) {
  if (resp3_) {
    out_->append(b ? "#t\r\n" : "#f\r\n", 4);
  } else {
    out_->append(b ? ":1\r\n" : ":0\r\n", 4);
  }
}

void ReplyWriter::Array(size_t n) { Header('*', n); }

void ReplyWriter::Map(size_t n) {
  if (resp3_) {
    Header('%', n);
  } else {
    Header('*', 2 * n);
  }
}

void ReplyWriter::Set(size_t n) { Header(resp3_ ? '~' : '*', n); }

void ReplyWriter::Push(size_t n) { Header(resp3_ ? '>' : '*', n); }

void ReplyWriter::Verbatim(std::string_view text) {
  if (!resp3_) {
    Bulk(text);
    return;
  }
  Header('=', text.size() + 4);
  out_->append("txt:", 4);
  out_->append(text);
  out_->append("\r\n", 2);
}

}  // namespace cairn::resp
