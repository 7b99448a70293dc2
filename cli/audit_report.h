// `conclave audit report`: the audit timeline (cli/audit_timeline.h) as one
// self-contained HTML page: what was verified, problems, each request's vote
// progress, each member's activity and the whole timeline.
//
// The page has inline CSS only: no script, no image, no font, no link to
// any host (a Content-Security-Policy of default-src 'none' says so to the
// browser too), so it can be archived, mailed and opened offline. Every
// value from the log (reasons and comments are free text written by
// editors) is HTML-escaped.
#ifndef CONCLAVE_CLI_AUDIT_REPORT_H_
#define CONCLAVE_CLI_AUDIT_REPORT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/audit_timeline.h"
#include "conclave/v1/ceremony.pb.h"

namespace conclave::cli {

struct ReportContext {
  // Where the leaves came from: "export /path" or "daemon host:port".
  std::string source;
  // What was verified before the report was made, as label and value
  // ("log key", "…+abcd1234+…"), shown at the top.
  std::vector<std::pair<std::string, std::string>> verification;
  // When the report was made (shown; the caller's clock).
  uint64_t generated_unix = 0;
};

// & < > " ' as character references: safe in element content and in quoted
// attribute values.
std::string HtmlEscape(std::string_view text);

// The whole page. `roster` is the pinned roster (organisation names, t,
// k_o).
std::string RenderAuditReport(const Timeline& timeline,
                              const v1::RosterBody& roster,
                              const ReportContext& context);

}  // namespace conclave::cli

#endif  // CONCLAVE_CLI_AUDIT_REPORT_H_
