// Exports of codes, activations and events (docs/api.md, "Exports"), as CSV
// or JSON lines, filtered like the listings, streamed: each piece is one
// page of rows read by keyset in its own read transaction, sent as a chunk
// before the next is read, so an export of millions of rows holds one page
// at a time and keeps no transaction open while the client reads.
#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "server/admin_service.h"
#include "server/json_writer.h"

namespace licentia::server {
namespace json = boost::json;

namespace {

constexpr int kExportPage = 1000;

enum class ExportFormat { kCsv, kJsonLines };

Result<ExportFormat> ParseFormat(const QueryParams& query) {
  std::string format = QueryString(query, "format");
  if (format.empty() || format == "csv") return ExportFormat::kCsv;
  if (format == "jsonl") return ExportFormat::kJsonLines;
  return Status(ErrorCode::kInvalidRequest,
                "Query parameter 'format' must be csv or jsonl.");
}

// One CSV field (RFC 4180): quoted when it holds a comma, a quote or a
// line break. Text that a spreadsheet would run as a formula (=, +, -, @
// first: a device's name is anyone's to choose) gets a leading apostrophe.
void CsvField(std::string& out, std::string_view v) {
  bool formula = !v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' ||
                                v[0] == '@' || v[0] == '\t' || v[0] == '\r');
  bool quote = formula || v.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote) {
    out += v;
    return;
  }
  out += '"';
  if (formula) out += '\'';
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

// One row of a CSV export from the values of a JSON object, in `columns`'
// order: strings as text, numbers and booleans as written, null empty,
// anything else as its JSON.
void CsvRow(std::string& out, const json::object& o,
            std::span<const std::string_view> columns) {
  bool first = true;
  for (std::string_view c : columns) {
    if (!first) out += ',';
    first = false;
    const json::value* v = o.if_contains(c);
    if (v == nullptr || v->is_null()) continue;
    if (v->is_string()) {
      CsvField(out, v->as_string());
    } else if (v->is_bool()) {
      out += v->as_bool() ? "true" : "false";
    } else if (v->is_int64()) {
      out += std::to_string(v->as_int64());
    } else {
      CsvField(out, json::serialize(*v));
    }
  }
  out += "\r\n";
}

void CsvHeader(std::string& out, std::span<const std::string_view> columns) {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) out += ',';
    out += columns[i];
  }
  out += "\r\n";
}

// Reads one page after `after` into `rows` (JSON objects, in id order)
// and returns the last id read.
using PageReader = std::function<Result<std::int64_t>(
    store::Transaction& txn, std::int64_t after, std::vector<json::object>&)>;

// The export: the header, then a page per piece until a short page.
class PagedExport final : public BodyStream,
                          public std::enable_shared_from_this<PagedExport> {
 public:
  PagedExport(store::Store& store, ExportFormat format,
              std::vector<std::string_view> columns, PageReader read)
      : store_(store),
        format_(format),
        columns_(std::move(columns)),
        read_(std::move(read)) {}

  void Next(std::function<void(Result<std::string>, bool)> done) override {
    auto rows = std::make_shared<std::vector<json::object>>();
    auto last = std::make_shared<std::int64_t>(after_);
    // The stream outlives a read under way even if the connection goes.
    auto self = shared_from_this();
    store_.ReadAsync(
        [self, rows, last](store::Transaction& txn) -> Status {
          rows->clear();  // the function may run again
          LICENTIA_ASSIGN_OR_RETURN(*last,
                                    self->read_(txn, self->after_, *rows));
          return Status::Ok();
        },
        [this, self, rows, last, done = std::move(done)](Status st) {
          if (!st.ok()) return done(st, false);
          std::string text;
          if (!header_sent_ && format_ == ExportFormat::kCsv) {
            CsvHeader(text, columns_);
          }
          header_sent_ = true;
          for (const auto& row : *rows) {
            if (format_ == ExportFormat::kCsv) {
              CsvRow(text, row, columns_);
            } else {
              text += json::serialize(row);
              text += '\n';
            }
          }
          after_ = *last;
          done(std::move(text), static_cast<int>(rows->size()) == kExportPage);
        });
  }

 private:
  store::Store& store_;
  const ExportFormat format_;
  const std::vector<std::string_view> columns_;
  const PageReader read_;
  // Touched only between a Next and its done: one at a time.
  std::int64_t after_ = 0;
  bool header_sent_ = false;
};

JsonBody Streamed(ExportFormat format, std::shared_ptr<BodyStream> stream) {
  return JsonBody::Streamed(format == ExportFormat::kCsv
                                ? "text/csv; charset=utf-8"
                                : "application/x-ndjson",
                            std::move(stream));
}

}  // namespace

Result<JsonBody> AdminService::ExportCodes(const QueryParams& query) {
  LICENTIA_RETURN_IF_ERROR(
      OnlyKnownParams(query, {"format", "product", "status", "batch"}));
  LICENTIA_ASSIGN_OR_RETURN(ExportFormat format, ParseFormat(query));
  LICENTIA_ASSIGN_OR_RETURN(store::CodeFilter filter, CodeFilterOf(query));
  filter.limit = kExportPage;
  static constexpr std::string_view kColumns[] = {"id",
                                                  "masked_code",
                                                  "product",
                                                  "batch_id",
                                                  "edition",
                                                  "license_type",
                                                  "term_days",
                                                  "max_devices",
                                                  "seats_used",
                                                  "activate_by",
                                                  "compatible_versions",
                                                  "requires_account",
                                                  "created_at",
                                                  "first_activated_at",
                                                  "expires_at",
                                                  "blocked",
                                                  "blocked_reason",
                                                  "suspended",
                                                  "grace_days",
                                                  "heartbeat_days"};
  auto stream = std::make_shared<PagedExport>(
      ctx_.store, format,
      std::vector<std::string_view>(std::begin(kColumns), std::end(kColumns)),
      [filter](store::Transaction& txn, std::int64_t after,
               std::vector<json::object>& rows) -> Result<std::int64_t> {
        store::CodeFilter page = filter;
        page.after_id = after;
        LICENTIA_ASSIGN_OR_RETURN(auto codes, txn.ListCodes(page));
        for (const auto& c : codes) rows.push_back(CodeJson(c));
        return codes.empty() ? after : codes.back().id;
      });
  return Streamed(format, std::move(stream));
}

Result<JsonBody> AdminService::ExportActivations(const QueryParams& query) {
  LICENTIA_RETURN_IF_ERROR(
      OnlyKnownParams(query, {"format", "product", "code"}));
  LICENTIA_ASSIGN_OR_RETURN(ExportFormat format, ParseFormat(query));
  LICENTIA_ASSIGN_OR_RETURN(std::string product, QueryProduct(query));
  LICENTIA_ASSIGN_OR_RETURN(std::int64_t code,
                            QueryInt(query, "code", 0, 0, INT64_MAX));
  static constexpr std::string_view kColumns[] = {
      "id",           "code_id",      "device",
      "device_name",  "os",           "app_version",
      "activated_at", "last_seen_at", "deactivated_at",
      "key_serial"};
  auto stream = std::make_shared<PagedExport>(
      ctx_.store, format,
      std::vector<std::string_view>(std::begin(kColumns), std::end(kColumns)),
      [product, code](store::Transaction& txn, std::int64_t after,
                      std::vector<json::object>& rows) -> Result<std::int64_t> {
        LICENTIA_ASSIGN_OR_RETURN(
            auto acts,
            txn.ListActivationsAfter(after, product, code, kExportPage));
        for (const auto& a : acts) {
          json::object o = ActivationJson(a);
          o["code_id"] = a.code_id;
          rows.push_back(std::move(o));
        }
        return acts.empty() ? after : acts.back().id;
      });
  return Streamed(format, std::move(stream));
}

Result<JsonBody> AdminService::ExportEvents(const QueryParams& query) {
  LICENTIA_RETURN_IF_ERROR(
      OnlyKnownParams(query, {"format", "code", "product", "type"}));
  LICENTIA_ASSIGN_OR_RETURN(ExportFormat format, ParseFormat(query));
  LICENTIA_ASSIGN_OR_RETURN(store::EventFilter filter, EventFilterOf(query));
  filter.limit = kExportPage;
  static constexpr std::string_view kColumns[] = {
      "id",     "at",    "type",     "code_id", "product",
      "device", "actor", "token_id", "details"};
  auto stream = std::make_shared<PagedExport>(
      ctx_.store, format,
      std::vector<std::string_view>(std::begin(kColumns), std::end(kColumns)),
      [filter](store::Transaction& txn, std::int64_t after,
               std::vector<json::object>& rows) -> Result<std::int64_t> {
        store::EventFilter page = filter;
        page.after_id = after;
        LICENTIA_ASSIGN_OR_RETURN(auto events, txn.ListEvents(page));
        for (const auto& e : events) rows.push_back(EventJson(e));
        return events.empty() ? after : events.back().id;
      });
  return Streamed(format, std::move(stream));
}

}  // namespace licentia::server
