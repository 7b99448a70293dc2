#include "cli/audit_report.h"

#include <set>

#include "audit/note.h"
#include "keyceremony/roster_members.h"

namespace conclave::cli {

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

constexpr char kStyle[] = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;
color:#1d2329;background:#f6f7f9}
main{max-width:1200px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;
border-bottom:1px solid #d0d5dc;padding-bottom:4px}h3{font-size:15px;margin:0 0 6px}
.sub{color:#59636e}
table{border-collapse:collapse;width:100%;background:#fff;margin:6px 0}
th,td{border:1px solid #d8dde3;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef1f4;font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.id{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;
word-break:break-all}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;
font-weight:600;background:#e1e4e8}
.ok{background:#d6f5dd;color:#11632a}.bad{background:#fbd9d9;color:#8a1010}
.warn{background:#fdf0c8;color:#6b4c00}.info{background:#dbe9fb;color:#17457a}
tr.problem td{background:#fff3f3}
.card{background:#fff;border:1px solid #d8dde3;border-radius:6px;padding:12px;
margin:10px 0}
.text{white-space:pre-wrap;overflow-wrap:anywhere}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:6px 0}
dt{color:#59636e}dd{margin:0}
)";

std::string Str(uint64_t v) { return std::to_string(v); }
std::string E(std::string_view s) { return HtmlEscape(s); }

std::string Badge(std::string_view text, std::string_view cls) {
  return "<span class=\"badge " + E(cls) + "\">" + E(text) + "</span>";
}

std::string StateBadge(const std::string& state) {
  if (state == "released") return Badge(state, "ok");
  if (state == "quorum complete") return Badge(state, "info");
  if (state == "open") return Badge(state, "warn");
  if (state == "invalid") return Badge(state, "bad");
  return Badge(state, "");
}

std::string Id(std::string_view s) {
  return s.empty() ? "" : "<span class=\"id\">" + E(s) + "</span>";
}

std::string Editors(const std::set<uint32_t>& s) {
  std::string out;
  for (uint32_t e : s) out += (out.empty() ? "" : ", ") + Str(e);
  return out.empty() ? "&ndash;" : out;
}

std::string OrgName(const v1::RosterBody& roster, uint32_t id) {
  return keyceremony::OrganisationLabel(roster, id);
}

void Overview(std::string& h, const Timeline& t, const v1::RosterBody& roster,
              const ReportContext& ctx) {
  h += "<h2>What was verified</h2><dl>";
  h += "<dt>source</dt><dd>" + E(ctx.source) + "</dd>";
  h += "<dt>roster</dt><dd>epoch " + Str(t.roster_epoch) + ", fingerprint " +
       Id(t.roster_fingerprint) + "</dd>";
  h += "<dt>consortium</dt><dd>" + Str(roster.organisations_size()) +
       " organisations, threshold t = " + Str(roster.threshold()) + ": " +
       E(keyceremony::RosterMemberNames(roster)) + "</dd>";
  if (t.checkpoint) {
    h += "<dt>checkpoint</dt><dd>" + E(t.checkpoint->origin) + ", size " +
         Str(t.checkpoint->size) + ", root " +
         Id(audit::NoteBase64Encode(t.checkpoint->root_hash)) + "</dd>";
  }
  for (const auto& [k, v] : ctx.verification) {
    h += "<dt>" + E(k) + "</dt><dd>" + E(v) + "</dd>";
  }
  h += "<dt>leaves read</dt><dd>" + Str(t.leaf_count) + " (from index " +
       Str(t.first_index) + "), every statement's signature checked</dd>";
  h += "<dt>report made</dt><dd>" + E(FormatUtc(ctx.generated_unix)) +
       "</dd></dl>";
  for (const std::string& n : t.notes) {
    h += "<p>" + Badge("note", "info") + " " + E(n) + "</p>";
  }
  h += "<table><tr>";
  for (const auto& [kind, n] : t.counts) h += "<th>" + E(kind) + "</th>";
  h += "<th>problems</th></tr><tr>";
  for (const auto& [kind, n] : t.counts)
    h += "<td class=\"n\">" + Str(n) + "</td>";
  h += "<td class=\"n\">" +
       (t.problems.empty() ? Badge("0", "ok")
                           : Badge(Str(t.problems.size()), "bad")) +
       "</td></tr></table>";
}

void Problems(std::string& h, const Timeline& t) {
  h += "<h2 id=\"problems\">Problems</h2>";
  if (t.problems.empty()) {
    h += "<p>" + Badge("none", "ok") +
         " Every signature verifies; no duplicate submission id; every vote, "
         "release, withdrawal and expiry names a request logged before "
         "it.</p>";
    return;
  }
  h += "<table><tr><th>leaf</th><th>problem</th><th>what</th></tr>";
  for (const TimelineProblem& p : t.problems) {
    h += "<tr class=\"problem\"><td class=\"n\"><a href=\"#leaf-" +
         Str(p.index) + "\">" + Str(p.index) + "</a></td><td>" +
         Badge(p.kind, "bad") + "</td><td class=\"text\">" + E(p.message) +
         "</td></tr>";
  }
  h += "</table>";
}

void Requests(std::string& h, const Timeline& t, const v1::RosterBody& roster) {
  h += "<h2>Requests and their vote progress</h2>";
  if (t.requests.empty()) {
    h += "<p class=\"sub\">No request in the log.</p>";
    return;
  }
  for (const RequestProgress& r : t.requests) {
    h += "<div class=\"card\"><h3>Request " + Id(r.request_id) + " " +
         StateBadge(r.state) + (r.drill ? " " + Badge("drill", "info") : "") +
         "</h3><dl>";
    h += "<dt>logged</dt><dd><a href=\"#leaf-" + Str(r.index) + "\">leaf " +
         Str(r.index) + "</a>, " + E(FormatUtc(r.time_unix)) + "</dd>";
    h += "<dt>requester</dt><dd>" + E(r.requester) + "</dd>";
    h += "<dt>submission</dt><dd>" + Id(r.submission_id) + "</dd>";
    h += "<dt>reason</dt><dd class=\"text\">" + E(r.reason) + "</dd>";
    h += "<dt>expires</dt><dd>" + E(FormatUtc(r.expires_unix)) + "</dd>";
    h += "<dt>votes</dt><dd>" + Str(r.approve_votes) + " approve, " +
         Str(r.refuse_votes) + " refuse; " + Str(r.approvals) +
         " release(s)</dd>";
    if (r.quorum_index) {
      h += "<dt>quorum complete</dt><dd>at <a href=\"#leaf-" +
           Str(*r.quorum_index) + "\">leaf " + Str(*r.quorum_index) +
           "</a></dd>";
    }
    if (r.closed_index) {
      h += "<dt>closed</dt><dd>at <a href=\"#leaf-" + Str(*r.closed_index) +
           "\">leaf " + Str(*r.closed_index) + "</a></dd>";
    }
    h += "</dl>";
    if (r.valid) {
      h += "<p>" + E(r.description) + "</p>";
      h += "<table><tr><th>organisation</th><th>editors needed "
           "(k<sub>o</sub>)</th><th>approving editors</th><th>refusing "
           "editors</th><th>counts</th></tr>";
      for (const quorum::OrganisationProgress& o : r.progress.orgs) {
        std::string counts;
        if (o.excluded) {
          counts = Badge("excluded by the submission", "");
        } else if (o.satisfied()) {
          counts = Badge("yes", "ok");
        } else {
          counts =
              Badge(Str(o.approving.size()) + " of " + Str(o.editor_threshold),
                    "warn");
        }
        if (!o.conflicting.empty()) {
          counts +=
              " " + Badge("conflicting: " + Editors(o.conflicting), "bad");
        }
        h += "<tr><td>" + E(OrgName(roster, o.org_id)) +
             "</td><td class=\"n\">" + Str(o.editor_threshold) + "</td><td>" +
             Editors(o.approving) + "</td><td>" + Editors(o.refusing) +
             "</td><td>" + counts + "</td></tr>";
      }
      h += "</table><p class=\"sub\">" +
           Str(r.progress.SatisfiedOrgs().size()) +
           " of t = " + Str(r.progress.threshold) +
           " organisations satisfied.</p>";
    } else {
      h += "<p>" + Badge("not counted", "bad") +
           " The request fails verification (see the problems).</p>";
    }
    h += "</div>";
  }
}

void Members(std::string& h, const Timeline& t) {
  h += "<h2>Activity per member</h2>";
  h += "<table><tr><th>organisation</th><th>editor</th><th>requests</th>"
       "<th>approve votes</th><th>refuse votes</th><th>releases</th>"
       "<th>withdrawals</th><th>first seen</th><th>last seen</th></tr>";
  for (const MemberActivity& m : t.members) {
    h += "<tr><td>" + E(m.organisation) + "</td><td>" + E(m.editor) +
         (m.in_roster ? "" : " " + Badge("not in your roster", "warn")) +
         "</td><td class=\"n\">" + Str(m.requests) + "</td><td class=\"n\">" +
         Str(m.approve_votes) + "</td><td class=\"n\">" + Str(m.refuse_votes) +
         "</td><td class=\"n\">" + Str(m.approvals) + "</td><td class=\"n\">" +
         Str(m.withdrawals) + "</td><td>" +
         (m.first_time ? E(FormatUtc(*m.first_time)) : "&ndash;") +
         "</td><td>" + (m.last_time ? E(FormatUtc(*m.last_time)) : "&ndash;") +
         "</td></tr>";
  }
  h += "</table>";
}

void Events(std::string& h, const Timeline& t) {
  h += "<h2>Timeline</h2>";
  h += "<table><tr><th>leaf</th><th>time (daemon clock)</th><th>event</th>"
       "<th>who</th><th>submission</th><th>request</th><th>reason / "
       "comment</th><th>signature</th></tr>";
  for (const TimelineEvent& e : t.events) {
    std::string kind = E(LeafKindName(e.kind));
    if (!e.decision.empty()) kind += ": " + E(e.decision);
    std::string sig;
    switch (e.signature) {
      case SignatureStatus::kUnsigned:
        sig = "&ndash;";
        break;
      case SignatureStatus::kVerified:
        sig = Badge("verified", "ok");
        break;
      case SignatureStatus::kBad:
        sig = Badge("BAD", "bad");
        break;
    }
    std::string text = E(e.text);
    for (size_t p : e.problems) {
      text += "<br>" + Badge(t.problems[p].kind, "bad") + " " +
              E(t.problems[p].message);
    }
    h += std::string("<tr id=\"leaf-") + Str(e.index) + "\"" +
         (e.problems.empty() ? "" : " class=\"problem\"") +
         "><td class=\"n\">" + Str(e.index) + "</td><td>" +
         E(FormatUtc(e.time_unix)) + "</td><td>" + kind + "</td><td>" +
         E(e.editor.empty() ? e.organisation : e.editor) + "</td><td>" +
         Id(e.submission_id) + "</td><td>" + Id(e.request_id) +
         "</td><td class=\"text\">" + text + "</td><td>" + sig + "</td></tr>";
  }
  h += "</table>";
}

}  // namespace

std::string RenderAuditReport(const Timeline& timeline,
                              const v1::RosterBody& roster,
                              const ReportContext& context) {
  std::string h;
  h.reserve(4096 + timeline.events.size() * 400);
  const std::string origin =
      timeline.checkpoint ? timeline.checkpoint->origin : std::string("log");
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
       "'none'; style-src 'unsafe-inline'\">"
       "<meta name=\"viewport\" content=\"width=device-width, "
       "initial-scale=1\"><meta name=\"referrer\" content=\"no-referrer\">"
       "<title>Conclave audit report: " +
       E(origin) + "</title><style>" + kStyle + "</style></head><body><main>";
  h += "<h1>Conclave audit report</h1><p class=\"sub\">" + E(origin) +
       (timeline.checkpoint ? ", " + Str(timeline.checkpoint->size) + " leaves"
                            : std::string()) +
       " &middot; " +
       (timeline.problems.empty()
            ? Badge("no problems found", "ok")
            : Badge(Str(timeline.problems.size()) + " problem(s)", "bad")) +
       "</p>";
  Overview(h, timeline, roster, context);
  Problems(h, timeline);
  Requests(h, timeline, roster);
  Members(h, timeline);
  Events(h, timeline);
  h += "<p class=\"sub\">Made by <span class=\"id\">conclave audit "
       "report</span>. Times are the daemon's clock as written in each leaf; "
       "every signed statement was verified against the roster before it "
       "was read.</p></main></body></html>\n";
  return h;
}

}  // namespace conclave::cli
