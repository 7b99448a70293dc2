#include "cli/audit_command.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cxxopts.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <variant>

#include "audit/export.h"
#include "audit/log.h"
#include "audit/log_storage.h"
#include "audit/merkle.h"
#include "audit/note.h"
#include "base/file_util.h"
#include "cli/audit_report.h"
#include "cli/audit_timeline.h"
#include "cli/client.h"
#include "cli/online_common.h"
#include "keyceremony/roster.h"
#include "keyceremony/roster_members.h"
#include "quorum/evidence.h"
#include "quorum/statements.h"

namespace conclave::cli {

namespace {

using json = nlohmann::json;

constexpr char kAuditUsage[] =
    R"(conclave audit - review the consortium's audit log

Usage:
  conclave audit verify --offline DIR --roster R [--full] [--state DIR] [--json]
  conclave audit verify --offline DIR [--log-vkey V]
                        [--witness ORG=VKEY]... [--members M --threshold T]
                        [--state DIR] [--json]
  conclave audit list   --offline DIR --roster R [--json]
  conclave audit show N --offline DIR --roster R [--json]
  conclave audit report --offline DIR --roster R -o FILE.html

  and online, through the daemon (each contact verifies its latest settled
  checkpoint and its consistency with the one kept in --state):
  conclave audit verify --server ADDR --roster R --identity ID [--full] [--json]
  conclave audit list   --server ADDR --roster R --identity ID [--json]
  conclave audit show N --server ADDR --roster R --identity ID [--json]
  conclave audit report --server ADDR --roster R --identity ID -o FILE.html
  conclave audit export --server ADDR --roster R --identity ID -o DIR

Run conclave audit COMMAND --help for the details of each.
)";

constexpr char kVerifyHelpFooter[] = R"(
Offline (--offline DIR) it checks an audit log export (a directory with
checkpoint, log.vkey and leaves): recomputes the Merkle tree from every leaf,
checks its size and root against the checkpoint and the log's signature on
it. With --witness keys and --members/--threshold it also checks the
witnesses' cosignatures and that the checkpoint is settled: cosigned by the
witnesses of W = ceil((m + t) / 2) organisations. With --state DIR (a client
state directory) the export must extend the checkpoint pinned there; a
settled export moves the pin forward, and a rewritten history is kept there
as fork evidence.

--roster R (consortium.roster) is verified first; the log key, every
organisation's witness key, m and t then all come from it, so it cannot be
combined with --log-vkey, --witness, --members or --threshold. Without a
roster, --witness ORG=VKEY (repeatable) with --members and --threshold give
the same information by hand.

Without --log-vkey or --roster the log key is taken from DIR/log.vkey
itself, and the report says so: that proves the export is internally
consistent, not that it comes from your consortium's log.

--full (needs --roster) then reads every leaf: every signed statement's
signature must verify against the roster, every request must pass the
releasers' checks, no submission id may appear twice, every vote, release,
withdrawal and expiry must name a request logged before it, and each vote's
checkpoint must be this log's root at that size (else a split view). Each
problem is listed with its leaf index; any problem exits 2.

Online (--server ADDR --roster R --identity ID) it fetches the daemon's
latest checkpoint, verifies the log signature, the roster witnesses'
cosignatures and the settled rule, and its consistency with the checkpoint
kept in the client state, which then moves forward. --full reads every leaf
from the daemon and checks them as above, and that they produce the
checkpoint's root.

V and VKEY are verifier keys ("name+id+base64") or files holding one.

Examples:
  conclave audit verify --offline export/ --roster consortium.roster \
      --state ~/.conclave/audit
  conclave audit verify --offline export/ --roster consortium.roster --full
  conclave audit verify --offline export/ --log-vkey log.vkey
  conclave audit verify --offline export/ --log-vkey log.vkey \
      --witness 1=w1.vkey --witness 2=w2.vkey --witness 3=w3.vkey \
      --members 5 --threshold 3 --state ~/.conclave/audit
  conclave audit verify --server localhost:7000 --roster consortium.roster \
      --identity identity.age --full
)";

constexpr char kReadingHelpCommon[] = R"(
The log is verified first, exactly as `conclave audit verify` does (offline:
the export's tree, log signature, the roster witnesses' cosignatures and the
settled rule; online: the daemon's settled checkpoint and its consistency
with the one kept in the client state), and the leaves are read again while
recomputing the root, so nothing is shown that the checkpoint does not
commit to. Every signed statement is verified against the roster before it
is read; problems (bad signatures, duplicate submission ids, statements
naming unknown requests, ...) are shown with their leaf index and reported
on stderr, but do not change the exit code (use audit verify --full).
)";

constexpr char kListHelpFooter[] = R"(
Prints the log as a timeline: per leaf its index, the daemon's time, the
event (submission, request, vote, approval, withdrawal, expiry, roster,
daemon-started), the organisation and editor who signed it, the submission
and request ids, the reason or comment, a vote's decision and the signature
status; then each request's state and vote progress.

Free text from the log (reasons, comments) is printed with control
characters escaped, so a statement cannot drive your terminal.
)";

constexpr char kShowHelpFooter[] = R"(
Decodes leaf N in full: every field of its statement, the signer and the
signature status, the request checks, whether a vote was counted, and every
problem found at that leaf.
)";

constexpr char kReportHelpFooter[] = R"(
Writes one self-contained HTML page (inline CSS, no scripts, nothing loaded
from anywhere; every value from the log HTML-escaped): what was verified,
the problems, every request with its vote progress per organisation, every
member's activity and the whole timeline. The file is replaced atomically.
)";

constexpr char kExportHelpFooter[] = R"(
Downloads the daemon's log up to its latest settled checkpoint (verified as
for audit verify, consistency with the kept checkpoint included), checks
that the leaves produce the checkpoint's root, and writes the export format
of docs/audit-log.md into DIR: checkpoint (with the witnesses' cosignature
lines), log.vkey and leaves. Anyone can then check it offline:
  conclave audit verify --offline DIR --roster consortium.roster --full
)";

// Options that exist only in the online form.
constexpr const char* kOnlineOnly[] = {"server",         "tls-ca",  "tls-cert",
                                       "tls-key",        "timeout", "identity",
                                       "passphrase-file"};

std::string Str(uint64_t v) { return std::to_string(v); }

std::string Dump(const json& j) {
  // Free text from the log need not be valid UTF-8: replace, never throw.
  return j.dump(2, ' ', false, json::error_handler_t::replace);
}

// Free text for a terminal: printable ASCII and valid UTF-8 pass, other
// bytes and every control character (C0, DEL, C1) are escaped, so a reason
// cannot carry terminal escape sequences.
std::string TerminalSafe(std::string_view s) {
  std::string out;
  auto esc = [&out](unsigned char c) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\x%02x", c);
    out += buf;
  };
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '\n') {
        out += "\\n";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c < 0x20 || c == 0x7f) {
        esc(c);
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    size_t n = 0;
    uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) {
      n = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 4;
      cp = c & 0x07;
    }
    bool ok = n != 0 && i + n <= s.size();
    for (size_t k = 1; ok && k < n; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) ok = false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (ok && (cp < kMin[n] || cp > 0x10ffff ||
               (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))) {
      ok = false;  // overlong, out of range, surrogate, or a C1 control
    }
    if (!ok) {
      esc(c);
      ++i;
      continue;
    }
    out.append(s.substr(i, n));
    i += n;
  }
  return out;
}

// A vkey given inline or as a file holding one (its first line).
StatusOr<std::string> VkeyArg(const std::string& v) {
  if (audit::ParseVerifierKey(v).ok()) return v;
  auto bytes = ReadFileBytes(v, 4096);
  if (!bytes.ok()) {
    return InvalidArgumentError("\"" + v +
                                "\" is neither a vkey nor a readable file "
                                "holding one");
  }
  std::string s(bytes->begin(), bytes->end());
  s = s.substr(0, s.find('\n'));
  if (!s.empty() && s.back() == '\r') s.pop_back();
  CONCLAVE_RETURN_IF_ERROR(audit::ParseVerifierKey(s).status().Annotate(v));
  return s;
}

int UsageFor(const std::string& cmd, const std::string& message) {
  std::fprintf(stderr, "conclave audit %s: %s\n", cmd.c_str(), message.c_str());
  return kExitUsage;
}

std::string JoinOrgs(const std::vector<uint32_t>& v) {
  std::string s;
  for (uint32_t x : v) s += (s.empty() ? "" : ", ") + std::to_string(x);
  return s.empty() ? "none" : s;
}

// ---- Where the leaves come from ----

// A log whose checkpoint has been verified, offline or online; Read()
// streams its leaves into a timeline and checks them against that
// checkpoint.
struct VerifiedLog {
  bool online = false;
  std::string source;  // "export DIR" / "daemon ADDR"
  keyceremony::VerifiedRoster roster;
  audit::Checkpoint checkpoint;
  std::string note;  // the checkpoint as signed, with cosignatures
  std::vector<std::pair<std::string, std::string>> verification;
  // Offline:
  std::filesystem::path dir;
  // Online:
  std::unique_ptr<online::Editor> editor;
  std::unique_ptr<DaemonClient> client;
};

// The exit code for a failure in `log`'s mode.
int FailFor(const std::string& cmd, bool online, const Status& s) {
  std::fprintf(stderr, "conclave audit %s: %s\n", cmd.c_str(),
               UserMessage(s).c_str());
  if (online) return OnlineExitCodeFor(s);
  const audit::ExportProblem p = audit::ExportProblemOf(s);
  if (p == audit::ExportProblem::kIo) return kExitIo;
  return s.code() == StatusCode::kUnavailable ? kExitIo : kExitBadInput;
}

// Builds the timeline over every leaf of the verified log.
StatusOr<Timeline> ReadTimeline(VerifiedLog& log, TimelineOptions options) {
  TimelineBuilder builder(log.roster, options);
  if (log.online) {
    constexpr uint64_t kPage = 10000;
    for (uint64_t at = 0; at < log.checkpoint.size;) {
      const uint64_t end = std::min(log.checkpoint.size, at + kPage);
      CONCLAVE_ASSIGN_OR_RETURN(std::vector<Bytes> leaves,
                                log.client->GetLeaves(at, end));
      if (leaves.size() != end - at) {
        return DataLossError("the daemon returned " + Str(leaves.size()) +
                             " leaves for [" + Str(at) + ", " + Str(end) + ")");
      }
      for (const Bytes& leaf : leaves) {
        CONCLAVE_RETURN_IF_ERROR(builder.Add(at++, leaf));
      }
    }
  } else {
    uint64_t index = 0;
    CONCLAVE_RETURN_IF_ERROR(audit::ReadExportLeaves(
        log.dir / audit::kExportLeavesFile,
        [&](ByteSpan leaf) -> Status { return builder.Add(index++, leaf); }));
  }
  StatusOr<Timeline> t = builder.Finish(log.checkpoint);
  if (!t.ok() && !log.online) {
    // The file changed between the verification and this reading.
    return Status(t.status().code(),
                  "[export:leaf-changed] " + t.status().message());
  }
  return t;
}

struct OfflineArgs {
  AuditVerifyArgs verify;
  bool need_roster = true;
};

// The offline verification, as `audit verify` always did it. On failure
// prints (and, with --json, reports) the problem and returns the exit code.
struct OfflineOutcome {
  std::optional<keyceremony::VerifiedRoster> roster;
  std::optional<audit::ExportVerifyResult> result;
  int exit_code = kExitOk;
};

// The roster in force at the end of the export in `dir` (its last `roster`
// leaf; the chain of its roster leaves must verify and hold `given`), or
// nullopt when the export holds no roster leaf.
StatusOr<std::optional<keyceremony::VerifiedRoster>> InForceRosterOfExport(
    const std::string& dir, const keyceremony::VerifiedRoster& given) {
  std::vector<std::string> rosters;
  std::vector<uint64_t> indices;
  uint64_t index = 0;
  CONCLAVE_RETURN_IF_ERROR(audit::ReadExportLeaves(
      std::filesystem::path(dir) / audit::kExportLeavesFile,
      [&](ByteSpan bytes) -> Status {
        StatusOr<v1::LogLeaf> leaf = quorum::ParseLogLeaf(bytes);
        if (leaf.ok() && leaf->entry_case() == v1::LogLeaf::kRoster) {
          rosters.push_back(leaf->roster().roster());
          indices.push_back(index);
        }
        ++index;
        return OkStatus();
      }));
  if (rosters.empty()) return std::optional<keyceremony::VerifiedRoster>();
  CONCLAVE_ASSIGN_OR_RETURN(
      quorum::IndexedRosterChain chain,
      quorum::IndexedRosterChain::VerifyHolding(rosters, indices, given));
  return std::optional<keyceremony::VerifiedRoster>(chain.latest());
}

OfflineOutcome VerifyOffline(const std::string& cmd,
                             const AuditVerifyArgs& args) {
  OfflineOutcome out;
  audit::ExportVerifyOptions opts;
  opts.log_vkey = args.log_vkey;
  for (const auto& [org, vkey] : args.witnesses) {
    opts.witnesses.push_back({org, vkey});
  }
  opts.members = args.members;
  opts.threshold = args.threshold;
  if (args.roster) {
    StatusOr<keyceremony::VerifiedRoster> roster =
        keyceremony::ReadRosterFile(*args.roster);
    if (!roster.ok()) {
      const std::string msg = "roster " + UserMessage(roster.status());
      if (args.json) {
        json j;
        j["ok"] = false;
        j["dir"] = args.dir;
        j["problem"] = "roster";
        j["message"] = msg;
        std::printf("%s\n", Dump(j).c_str());
      }
      std::fprintf(stderr, "conclave audit %s: %s\n", cmd.c_str(), msg.c_str());
      out.exit_code = ExitCodeFor(roster.status());
      return out;
    }
    // The checkpoint of an export of N leaves settles under the roster in
    // force at N (brief §9): the last `roster` leaf of the export, whose
    // chain from epoch 1 must verify and hold the roster given. The leaves
    // read here are proven by the tree check that follows.
    StatusOr<std::optional<keyceremony::VerifiedRoster>> in_force =
        InForceRosterOfExport(args.dir, *roster);
    if (!in_force.ok()) {
      const std::string msg = UserMessage(in_force.status());
      const audit::ExportProblem p = audit::ExportProblemOf(in_force.status());
      if (args.json) {
        json j;
        j["ok"] = false;
        j["dir"] = args.dir;
        j["problem"] = p == audit::ExportProblem::kMalformed
                           ? std::string("roster-chain")
                           : std::string(audit::ExportProblemName(p));
        j["message"] = msg;
        std::printf("%s\n", Dump(j).c_str());
      }
      std::fprintf(stderr, "conclave audit %s: roster chain: %s\n", cmd.c_str(),
                   msg.c_str());
      out.exit_code = p == audit::ExportProblem::kIo ? kExitIo : kExitBadInput;
      return out;
    }
    const v1::RosterBody& body =
        in_force->has_value() ? (*in_force)->body : roster->body;
    opts.log_vkey = body.log_vkey();
    opts.witnesses.clear();
    for (const keyceremony::RosterWitness& w :
         keyceremony::RosterWitnesses(body)) {
      opts.witnesses.push_back({w.org_id, w.vkey});
    }
    opts.members = static_cast<uint32_t>(body.organisations_size());
    opts.threshold = body.threshold();
    out.roster = std::move(roster).value();
  }
  if (args.state_dir) opts.state_dir = *args.state_dir;
  auto res = audit::VerifyExport(args.dir, opts);
  if (!res.ok()) {
    const audit::ExportProblem p = audit::ExportProblemOf(res.status());
    const std::string msg = UserMessage(res.status());
    out.exit_code = p == audit::ExportProblem::kIo ? kExitIo : kExitBadInput;
    if (args.json) {
      json j;
      j["ok"] = false;
      j["dir"] = args.dir;
      j["problem"] = std::string(audit::ExportProblemName(p));
      j["message"] = msg;
      std::printf("%s\n", Dump(j).c_str());
    }
    std::fprintf(stderr, "conclave audit %s: %s: %s\n", cmd.c_str(),
                 std::string(audit::ExportProblemName(p)).c_str(), msg.c_str());
    return out;
  }
  out.result = std::move(res).value();
  return out;
}

std::vector<std::pair<std::string, std::string>> OfflineVerificationLines(
    const audit::ExportVerifyResult& v) {
  std::vector<std::pair<std::string, std::string>> lines;
  lines.emplace_back("log key", v.log_vkey + " (pinned by the roster)");
  lines.emplace_back("tree",
                     Str(v.leaf_count) + " leaves recompute the signed root");
  if (v.witnesses_checked) {
    lines.emplace_back(
        "witnesses", "cosigned by organisations " + JoinOrgs(v.cosigning_orgs) +
                         "; W = " + Str(v.settle_threshold) + ": settled");
  }
  if (v.state != audit::ExportVerifyResult::StateOutcome::kNotUsed) {
    lines.emplace_back("client state",
                       std::string(audit::StateOutcomeName(v.state)));
  }
  return lines;
}

// ---- The online side ----

// Connects as the editor and makes one verified contact. FAILED_PRECONDITION
// (exit 7 by the caller) when the log has not settled any checkpoint yet.
StatusOr<VerifiedContact> ConnectOnline(const online::CommonArgs& args,
                                        VerifiedLog* log) {
  CONCLAVE_ASSIGN_OR_RETURN(online::Editor editor,
                            online::LoadEditor(args, false));
  log->editor = std::make_unique<online::Editor>(std::move(editor));
  CONCLAVE_ASSIGN_OR_RETURN(log->client,
                            online::ConnectEditor(args, *log->editor));
  CONCLAVE_ASSIGN_OR_RETURN(VerifiedContact contact, log->client->Contact());
  log->online = true;
  log->source = "daemon " + args.server.address;
  // The roster stays owned by the editor (the client points at it); the
  // timeline reads a copy.
  log->roster = log->editor->roster;
  if (!contact.settled) {
    return FailedPreconditionError("the log has no settled checkpoint yet" +
                                   (contact.unsettled_reason.empty()
                                        ? std::string()
                                        : ": " + contact.unsettled_reason));
  }
  log->checkpoint = contact.settled->checkpoint();
  log->note = contact.settled->note();
  log->verification.emplace_back(
      "log key", log->roster.body.log_vkey() + " (pinned by the roster)");
  log->verification.emplace_back(
      "witnesses",
      "settled by organisations " + JoinOrgs(contact.settled->settling_orgs()));
  log->verification.emplace_back(
      "client state",
      contact.previous_size
          ? "consistent with the kept checkpoint of size " +
                Str(*contact.previous_size)
          : std::string("first contact: this checkpoint is now kept"));
  return contact;
}

// ---- Parsing ----

struct Parsed {
  cxxopts::ParseResult r;
  bool offline = false;
  online::CommonArgs common;
  AuditVerifyArgs verify;  // offline
};

// Adds the offline group (--offline DIR) and the online groups.
void AddModeOptions(cxxopts::Options& options) {
  options.add_options("offline")("offline", "an export directory to read",
                                 cxxopts::value<std::string>(), "DIR");
  online::AddServerOptions(options);
  online::AddEditorOptions(options, false);
  options.add_options()("h,help", "this help");
}

// Parses; returns an exit code when the command should stop here.
std::optional<int> ParseMode(const std::string& cmd, cxxopts::Options& options,
                             int argc, char** argv, const char* footer,
                             Parsed* p) {
  try {
    p->r = options.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    return UsageFor(cmd, std::string(e.what()) + " (see --help)");
  }
  const cxxopts::ParseResult& r = p->r;
  if (r.count("help")) {
    std::printf("%s%s%s\n%s", options.help().c_str(), footer,
                cmd == "verify" ? "" : kReadingHelpCommon,
                OnlineExitCodeHelp());
    return kExitOk;
  }
  if (!r.unmatched().empty()) {
    return UsageFor(cmd, "unexpected argument '" + r.unmatched()[0] + "'");
  }
  p->offline = r.count("offline") > 0;
  if (p->offline) {
    for (const char* o : kOnlineOnly) {
      if (r.count(o)) {
        return UsageFor(cmd, std::string("--") + o +
                                 " is for the online form (--server); "
                                 "--offline reads an export directory");
      }
    }
    p->verify.dir = r["offline"].as<std::string>();
    if (r.count("roster")) p->verify.roster = r["roster"].as<std::string>();
    if (r.count("state")) p->verify.state_dir = r["state"].as<std::string>();
    p->verify.json = r.count("json") > 0;
    return std::nullopt;
  }
  Status s = online::ReadCommonArgs(r, &p->common);
  if (!s.ok()) return UsageFor(cmd, s.message());
  if (p->common.server.address.empty()) {
    return UsageFor(cmd,
                    "give --offline DIR (an export) or --server ADDR (the "
                    "daemon; or set $CONCLAVE_SERVER)");
  }
  if (!p->common.roster) return UsageFor(cmd, "--roster R is required");
  if (!p->common.identity) {
    return UsageFor(cmd,
                    "--identity ID is required online: the daemon serves "
                    "the log to the consortium's editors");
  }
  return std::nullopt;
}

// The log behind the parsed arguments, verified; or the exit code.
std::variant<int, VerifiedLog> OpenLog(const std::string& cmd,
                                       const Parsed& p) {
  VerifiedLog log;
  if (p.offline) {
    if (!p.verify.roster) {
      return UsageFor(cmd,
                      "--roster R is required: statements are verified "
                      "against the roster before they are read");
    }
    OfflineOutcome o = VerifyOffline(cmd, p.verify);
    if (o.exit_code != kExitOk) return o.exit_code;
    log.source = "export " + p.verify.dir;
    log.dir = p.verify.dir;
    log.roster = std::move(*o.roster);
    log.checkpoint = o.result->checkpoint;
    log.verification = OfflineVerificationLines(*o.result);
    return log;
  }
  StatusOr<VerifiedContact> c = ConnectOnline(p.common, &log);
  if (!c.ok()) {
    const int code = FailFor(cmd, true, c.status());
    return c.status().code() == StatusCode::kFailedPrecondition &&
                   c.status().message().rfind(
                       "the log has no settled checkpoint", 0) == 0
               ? kExitPending
               : code;
  }
  return log;
}

// ---- JSON ----

json ProblemJson(const TimelineProblem& p) {
  return {{"index", p.index}, {"kind", p.kind}, {"message", p.message}};
}

json OptU(const std::optional<uint32_t>& v) {
  return v ? json(*v) : json(nullptr);
}

json EventJson(const Timeline& t, const TimelineEvent& e) {
  json j;
  j["index"] = e.index;
  j["time_unix"] = e.time_unix;
  j["time"] = FormatUtc(e.time_unix);
  j["kind"] = std::string(LeafKindName(e.kind));
  j["org_id"] = OptU(e.org_id);
  j["editor_index"] = OptU(e.editor_index);
  j["organisation"] = e.organisation;
  j["editor"] = e.editor;
  j["signature"] = std::string(SignatureStatusName(e.signature));
  if (!e.signature_message.empty()) {
    j["signature_message"] = e.signature_message;
  }
  j["submission_id"] = e.submission_id;
  j["request_id"] = e.request_id;
  j["text"] = e.text;
  j["decision"] = e.decision;
  j["summary"] = e.summary;
  j["leaf_size"] = e.leaf_size;
  json probs = json::array();
  for (size_t i : e.problems) probs.push_back(ProblemJson(t.problems[i]));
  j["problems"] = probs;
  if (!e.details.empty()) {
    json d = json::array();
    for (const auto& [k, v] : e.details)
      d.push_back({{"field", k}, {"value", v}});
    j["details"] = d;
  }
  return j;
}

json RequestJson(const RequestProgress& r) {
  json j;
  j["index"] = r.index;
  j["request_id"] = r.request_id;
  j["submission_id"] = r.submission_id;
  j["requester"] = r.requester;
  j["reason"] = r.reason;
  j["created_unix"] = r.created_unix;
  j["expires_unix"] = r.expires_unix;
  j["drill"] = r.drill;
  j["valid"] = r.valid;
  j["state"] = r.state;
  j["approve_votes"] = r.approve_votes;
  j["refuse_votes"] = r.refuse_votes;
  j["approvals"] = r.approvals;
  j["quorum_complete"] = r.valid && r.progress.complete();
  j["quorum_index"] = r.quorum_index ? json(*r.quorum_index) : json(nullptr);
  j["closed_index"] = r.closed_index ? json(*r.closed_index) : json(nullptr);
  j["progress"] = r.description;
  j["satisfied_orgs"] = r.progress.SatisfiedOrgs();
  j["threshold"] = r.progress.threshold;
  return j;
}

json MemberJson(const MemberActivity& m) {
  return {{"org_id", m.org_id},
          {"editor_index", m.editor_index},
          {"editor", m.editor},
          {"in_roster", m.in_roster},
          {"requests", m.requests},
          {"approve_votes", m.approve_votes},
          {"refuse_votes", m.refuse_votes},
          {"approvals", m.approvals},
          {"withdrawals", m.withdrawals}};
}

json TimelineHeaderJson(const VerifiedLog& log, const Timeline& t) {
  json j;
  j["source"] = log.source;
  j["origin"] = log.checkpoint.origin;
  j["size"] = log.checkpoint.size;
  j["root"] = audit::NoteBase64Encode(log.checkpoint.root_hash);
  j["roster_epoch"] = t.roster_epoch;
  j["roster_fingerprint"] = t.roster_fingerprint;
  json counts = json::object();
  for (const auto& [k, n] : t.counts) counts[k] = n;
  j["counts"] = counts;
  json probs = json::array();
  for (const TimelineProblem& p : t.problems) probs.push_back(ProblemJson(p));
  j["problems"] = probs;
  j["notes"] = t.notes;
  return j;
}

void PrintProblems(const Timeline& t) {
  for (const TimelineProblem& p : t.problems) {
    std::printf("  leaf %-6s %s: %s\n", Str(p.index).c_str(), p.kind.c_str(),
                TerminalSafe(p.message).c_str());
  }
}

void WarnProblems(const std::string& cmd, const Timeline& t) {
  if (t.problems.empty()) return;
  std::fprintf(stderr,
               "conclave audit %s: %zu problem(s) in the log's leaves (run "
               "audit verify --full for the verdict)\n",
               cmd.c_str(), t.problems.size());
}

// ---- verify ----

int VerifyMain(int argc, char** argv) {
  const std::string cmd = "verify";
  cxxopts::Options options("conclave audit verify",
                           "check the audit log: an export offline, or the "
                           "daemon's");
  options.custom_help("(--offline DIR | --server ADDR) [options]");
  // clang-format off
  options.add_options("offline")
    ("log-vkey", "the log's verifier key (or a file holding it)",
     cxxopts::value<std::string>())
    ("witness", "ORG=VKEY: an organisation's witness key (repeatable)",
     cxxopts::value<std::vector<std::string>>())
    ("members", "m, the number of organisations",
     cxxopts::value<uint32_t>())
    ("threshold", "t, the consortium threshold", cxxopts::value<uint32_t>());
  options.add_options()
    ("full", "also read every leaf: signatures, duplicate ids, unknown "
             "requests (needs --roster)")
    ("json", "machine-readable report on stdout");
  // clang-format on
  AddModeOptions(options);
  Parsed p;
  if (auto code = ParseMode(cmd, options, argc, argv, kVerifyHelpFooter, &p)) {
    return *code;
  }
  const cxxopts::ParseResult& r = p.r;
  const bool full = r.count("full") > 0;
  if (!p.offline) {
    for (const char* o : {"log-vkey", "witness", "members", "threshold"}) {
      if (r.count(o)) {
        return UsageFor(cmd, std::string("--") + o +
                                 " is for the offline form; online the "
                                 "roster gives the log key and witnesses");
      }
    }
    VerifiedLog log;
    StatusOr<VerifiedContact> c = ConnectOnline(p.common, &log);
    if (!c.ok()) {
      if (p.common.json) {
        std::printf("%s\n", Dump({{"ok", false},
                                  {"server", p.common.server.address},
                                  {"message", UserMessage(c.status())}})
                                .c_str());
      }
      const int code = FailFor(cmd, true, c.status());
      return c.status().code() == StatusCode::kFailedPrecondition &&
                     c.status().message().rfind(
                         "the log has no settled checkpoint", 0) == 0
                 ? kExitPending
                 : code;
    }
    std::optional<Timeline> t;
    if (full) {
      StatusOr<Timeline> tl = ReadTimeline(log, {});
      if (!tl.ok()) return FailFor(cmd, true, tl.status());
      t = std::move(tl).value();
    }
    const bool ok = !t || t->problems.empty();
    if (p.common.json) {
      json j;
      j["ok"] = ok;
      j["server"] = p.common.server.address;
      j["origin"] = log.checkpoint.origin;
      j["size"] = log.checkpoint.size;
      j["root"] = audit::NoteBase64Encode(log.checkpoint.root_hash);
      j["roster_fingerprint"] = HexEncode(log.roster.fingerprint);
      j["settling_orgs"] = c->settled->settling_orgs();
      j["previous_size"] =
          c->previous_size ? json(*c->previous_size) : json(nullptr);
      j["consistency_checked"] = c->consistency_checked;
      if (t) j["full"] = TimelineHeaderJson(log, *t);
      std::printf("%s\n", Dump(j).c_str());
    } else {
      auto line = [](const char* k, const std::string& val) {
        std::printf("%-12s %s\n", k, val.c_str());
      };
      line("daemon:", p.common.server.address);
      line("roster:", *p.common.roster + " (fingerprint " +
                          HexEncode(log.roster.fingerprint) + ")");
      line("log:", log.checkpoint.origin);
      line("checkpoint:",
           "size " + Str(log.checkpoint.size) + ", root " +
               audit::NoteBase64Encode(log.checkpoint.root_hash));
      for (const auto& [k, v] : log.verification) {
        line((k == "client state" ? std::string("state:") : k + ":").c_str(),
             v);
      }
      if (t) {
        line("full:", Str(t->leaf_count) +
                          " leaves read, their root is the checkpoint's; " +
                          Str(t->problems.size()) + " problem(s)");
        PrintProblems(*t);
      }
      if (ok) std::printf("OK: the daemon's log verifies\n");
    }
    if (!ok) {
      std::fprintf(
          stderr, "conclave audit verify: %zu problem(s) in the log's leaves\n",
          t->problems.size());
      return kExitBadInput;
    }
    return kExitOk;
  }

  AuditVerifyArgs& args = p.verify;
  if (r.count("roster")) {
    for (const char* other : {"log-vkey", "witness", "members", "threshold"}) {
      if (r.count(other)) {
        return UsageFor(cmd, std::string("--roster and --") + other +
                                 " conflict: the roster already gives the log "
                                 "key, the witnesses, m and t");
      }
    }
  }
  if (full && !args.roster) {
    return UsageFor(cmd,
                    "--full needs --roster: the statements inside the leaves "
                    "are checked against the roster's editors");
  }
  if (r.count("log-vkey")) {
    auto v = VkeyArg(r["log-vkey"].as<std::string>());
    if (!v.ok()) return UsageFor(cmd, "--log-vkey: " + v.status().message());
    args.log_vkey = *v;
  }
  if (r.count("witness")) {
    for (const std::string& w : r["witness"].as<std::vector<std::string>>()) {
      const size_t eq = w.find('=');
      if (eq == std::string::npos || eq == 0) {
        return UsageFor(cmd, "--witness " + w + ": expected ORG=VKEY");
      }
      auto org = audit::ParseDecimalU64(w.substr(0, eq));
      if (!org.ok() || *org == 0 || *org > UINT32_MAX) {
        return UsageFor(cmd, "--witness " + w + ": bad organisation id");
      }
      auto v = VkeyArg(w.substr(eq + 1));
      if (!v.ok()) return UsageFor(cmd, "--witness: " + v.status().message());
      args.witnesses.emplace_back(static_cast<uint32_t>(*org), *v);
    }
  }
  const bool has_m = r.count("members"), has_t = r.count("threshold");
  if (!args.witnesses.empty() && !(has_m && has_t)) {
    return UsageFor(cmd,
                    "--witness needs --members and --threshold (the settled "
                    "rule needs m and t)");
  }
  if ((has_m || has_t) && args.witnesses.empty()) {
    return UsageFor(cmd, "--members/--threshold without any --witness");
  }
  if (has_m) args.members = r["members"].as<uint32_t>();
  if (has_t) args.threshold = r["threshold"].as<uint32_t>();
  if (!full) return RunAuditVerify(args);

  // --full: the export first, then every leaf.
  OfflineOutcome o = VerifyOffline(cmd, args);
  if (o.exit_code != kExitOk) return o.exit_code;
  VerifiedLog log;
  log.source = "export " + args.dir;
  log.dir = args.dir;
  log.roster = std::move(*o.roster);
  log.checkpoint = o.result->checkpoint;
  StatusOr<Timeline> tl = ReadTimeline(log, {});
  if (!tl.ok()) {
    if (args.json) {
      std::printf("%s\n",
                  Dump({{"ok", false},
                        {"dir", args.dir},
                        {"problem", std::string(audit::ExportProblemName(
                                        audit::ExportProblemOf(tl.status())))},
                        {"message", UserMessage(tl.status())}})
                      .c_str());
    }
    return FailFor(cmd, false, tl.status());
  }
  const Timeline& t = *tl;
  const audit::ExportVerifyResult& v = *o.result;
  if (args.json) {
    json j;
    j["ok"] = t.problems.empty();
    j["dir"] = args.dir;
    j["origin"] = v.checkpoint.origin;
    j["size"] = v.checkpoint.size;
    j["root"] = audit::NoteBase64Encode(v.checkpoint.root_hash);
    j["log_vkey"] = v.log_vkey;
    j["roster_fingerprint"] = HexEncode(log.roster.fingerprint);
    j["leaves"] = v.leaf_count;
    j["cosigning_orgs"] = v.cosigning_orgs;
    j["settle_threshold"] = v.settle_threshold;
    j["settled"] = v.settled;
    j["state"] = std::string(audit::StateOutcomeName(v.state));
    j["notes"] = v.notes;
    j["full"] = TimelineHeaderJson(log, t);
    std::printf("%s\n", Dump(j).c_str());
  } else {
    auto line = [](const char* k, const std::string& val) {
      std::printf("%-12s %s\n", k, val.c_str());
    };
    line("export:", args.dir);
    line("roster:", *args.roster + " (fingerprint " +
                        HexEncode(log.roster.fingerprint) + ")");
    line("log:", v.checkpoint.origin);
    line("checkpoint:", "size " + Str(v.checkpoint.size) + ", root " +
                            audit::NoteBase64Encode(v.checkpoint.root_hash));
    for (const auto& [k, val] : OfflineVerificationLines(v)) {
      line((k + ":").c_str(), val);
    }
    for (const std::string& n : v.notes) line("note:", n);
    for (const std::string& n : t.notes) line("note:", n);
    std::string counts;
    for (const auto& [k, n] : t.counts) {
      counts += (counts.empty() ? "" : ", ") + Str(n) + " " + k;
    }
    line("full:", "every leaf read (" + (counts.empty() ? "none" : counts) +
                      "); " + Str(t.problems.size()) + " problem(s)");
    PrintProblems(t);
    if (t.problems.empty()) {
      std::printf(
          "OK: the export verifies, and so does every statement in it\n");
    }
  }
  if (!t.problems.empty()) {
    std::fprintf(stderr,
                 "conclave audit verify: %zu problem(s) in the log's leaves\n",
                 t.problems.size());
    return kExitBadInput;
  }
  return kExitOk;
}

// ---- list ----

void PrintEvent(const Timeline& t, const TimelineEvent& e, bool full) {
  std::printf("#%-5s %s  %s%s\n", Str(e.index).c_str(),
              FormatUtc(e.time_unix).c_str(),
              std::string(LeafKindName(e.kind)).c_str(),
              e.decision.empty() ? "" : (": " + e.decision).c_str());
  // Keys line up: 12 columns, or the longest detail key in full.
  int width = 12;
  if (full) {
    for (const auto& [k, v] : e.details) {
      width = std::max(width, static_cast<int>(k.size()));
    }
  }
  auto kv = [width](const char* k, const std::string& v) {
    if (!v.empty()) std::printf("       %-*s %s\n", width, k, v.c_str());
  };
  if (!e.editor.empty() && !full) {  // in full, the details name the signer
    kv(e.kind == LeafKind::kApproval          ? "released by"
       : e.signature == SignatureStatus::kBad ? "claims"
                                              : "by",
       e.editor);
  }
  if (full) {
    for (const auto& [k, v] : e.details) kv(k.c_str(), TerminalSafe(v));
  } else {
    if (e.kind == LeafKind::kSubmission || e.kind == LeafKind::kRoster ||
        e.kind == LeafKind::kDaemonStarted || e.kind == LeafKind::kUnreadable) {
      kv("what", TerminalSafe(e.summary));
    }
    kv("request", e.request_id);
    kv("submission", e.submission_id);
    if (!e.text.empty()) {
      kv(e.kind == LeafKind::kVote ? "comment" : "reason",
         "\"" + TerminalSafe(e.text) + "\"");
    }
    if (e.signature == SignatureStatus::kBad) {
      kv("signature", "BAD: " + TerminalSafe(e.signature_message));
    }
  }
  for (size_t i : e.problems) {
    kv("PROBLEM",
       t.problems[i].kind + ": " + TerminalSafe(t.problems[i].message));
  }
  if (full && e.problems.empty()) kv("problems", "none");
}

int ListMain(int argc, char** argv) {
  const std::string cmd = "list";
  cxxopts::Options options("conclave audit list",
                           "the audit log as a readable timeline");
  options.custom_help("(--offline DIR | --server ADDR) --roster R [options]");
  options.add_options()("json", "machine-readable timeline on stdout");
  AddModeOptions(options);
  Parsed p;
  if (auto code = ParseMode(cmd, options, argc, argv, kListHelpFooter, &p)) {
    return *code;
  }
  auto opened = OpenLog(cmd, p);
  if (std::holds_alternative<int>(opened)) return std::get<int>(opened);
  VerifiedLog& log = std::get<VerifiedLog>(opened);
  StatusOr<Timeline> tl = ReadTimeline(log, {});
  if (!tl.ok()) return FailFor(cmd, log.online, tl.status());
  const Timeline& t = *tl;
  if (p.r.count("json")) {
    json j = TimelineHeaderJson(log, t);
    json events = json::array();
    for (const TimelineEvent& e : t.events) events.push_back(EventJson(t, e));
    j["events"] = events;
    json reqs = json::array();
    for (const RequestProgress& r : t.requests) {
      reqs.push_back(RequestJson(r));
    }
    j["requests"] = reqs;
    json members = json::array();
    for (const MemberActivity& m : t.members) members.push_back(MemberJson(m));
    j["members"] = members;
    std::printf("%s\n", Dump(j).c_str());
    WarnProblems(cmd, t);
    return kExitOk;
  }
  std::printf("%s: %s leaves, checkpoint verified (%s); %zu problem(s)\n",
              TerminalSafe(log.checkpoint.origin).c_str(),
              Str(log.checkpoint.size).c_str(), log.source.c_str(),
              t.problems.size());
  for (const std::string& n : t.notes) {
    std::printf("note: %s\n", TerminalSafe(n).c_str());
  }
  std::printf("\n");
  for (const TimelineEvent& e : t.events) PrintEvent(t, e, false);
  if (!t.requests.empty()) {
    std::printf("\nRequests:\n");
    for (const RequestProgress& r : t.requests) {
      std::printf("  %s (leaf %s): %s\n", r.request_id.c_str(),
                  Str(r.index).c_str(), r.state.c_str());
      if (!r.description.empty()) {
        std::printf("    %s\n", TerminalSafe(r.description).c_str());
      }
    }
  }
  if (!t.problems.empty()) {
    std::printf("\nProblems:\n");
    PrintProblems(t);
  }
  WarnProblems(cmd, t);
  return kExitOk;
}

// ---- show ----

int ShowMain(int argc, char** argv) {
  const std::string cmd = "show";
  cxxopts::Options options("conclave audit show", "one leaf decoded in full");
  options.custom_help("N (--offline DIR | --server ADDR) --roster R [options]");
  options.add_options()("json", "machine-readable on stdout")(
      "index", "the leaf index", cxxopts::value<std::string>());
  options.parse_positional({"index"});
  options.positional_help("N");
  AddModeOptions(options);
  Parsed p;
  if (auto code = ParseMode(cmd, options, argc, argv, kShowHelpFooter, &p)) {
    return *code;
  }
  if (!p.r.count("index")) return UsageFor(cmd, "which leaf? give its index N");
  StatusOr<uint64_t> n = audit::ParseDecimalU64(p.r["index"].as<std::string>());
  if (!n.ok()) {
    return UsageFor(cmd, "N must be a leaf index (a decimal number), not \"" +
                             p.r["index"].as<std::string>() + "\"");
  }
  auto opened = OpenLog(cmd, p);
  if (std::holds_alternative<int>(opened)) return std::get<int>(opened);
  VerifiedLog& log = std::get<VerifiedLog>(opened);
  if (*n >= log.checkpoint.size) {
    std::fprintf(stderr,
                 "conclave audit show: there is no leaf %s: the verified log "
                 "has %s leaves (0 to %s)\n",
                 Str(*n).c_str(), Str(log.checkpoint.size).c_str(),
                 log.checkpoint.size == 0
                     ? "none"
                     : Str(log.checkpoint.size - 1).c_str());
    return kExitBadInput;
  }
  TimelineOptions topts;
  topts.detail_index = *n;
  StatusOr<Timeline> tl = ReadTimeline(log, topts);
  if (!tl.ok()) return FailFor(cmd, log.online, tl.status());
  const Timeline& t = *tl;
  const TimelineEvent& e = t.events[*n - t.first_index];
  if (p.r.count("json")) {
    json j = EventJson(t, e);
    j["source"] = log.source;
    j["checkpoint_size"] = log.checkpoint.size;
    std::printf("%s\n", Dump(j).c_str());
    return kExitOk;
  }
  std::printf("leaf %s of %s (%s, checkpoint verified)\n", Str(e.index).c_str(),
              TerminalSafe(log.checkpoint.origin).c_str(), log.source.c_str());
  PrintEvent(t, e, true);
  return kExitOk;
}

// ---- report ----

int ReportMain(int argc, char** argv) {
  const std::string cmd = "report";
  cxxopts::Options options("conclave audit report",
                           "a self-contained HTML report of the audit log");
  options.custom_help(
      "(--offline DIR | --server ADDR) --roster R -o FILE.html [options]");
  options.add_options()("o,output", "the HTML file to write",
                        cxxopts::value<std::string>(), "FILE.html");
  AddModeOptions(options);
  Parsed p;
  if (auto code = ParseMode(cmd, options, argc, argv, kReportHelpFooter, &p)) {
    return *code;
  }
  if (!p.r.count("output")) return UsageFor(cmd, "-o FILE.html is required");
  const std::string out = p.r["output"].as<std::string>();
  auto opened = OpenLog(cmd, p);
  if (std::holds_alternative<int>(opened)) return std::get<int>(opened);
  VerifiedLog& log = std::get<VerifiedLog>(opened);
  StatusOr<Timeline> tl = ReadTimeline(log, {});
  if (!tl.ok()) return FailFor(cmd, log.online, tl.status());
  ReportContext ctx;
  ctx.source = log.source;
  ctx.verification = log.verification;
  ctx.generated_unix = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
  const std::string html = RenderAuditReport(*tl, log.roster.body, ctx);
  Status w = WriteFileAtomically(out, AsBytes(html), 0644);
  if (!w.ok()) {
    std::fprintf(stderr, "conclave audit report: %s\n", UserMessage(w).c_str());
    return kExitIo;
  }
  std::printf("wrote %s: %s leaves, %zu request(s), %zu problem(s)\n",
              out.c_str(), Str(tl->leaf_count).c_str(), tl->requests.size(),
              tl->problems.size());
  WarnProblems(cmd, *tl);
  return kExitOk;
}

// ---- export ----

int ExportMain(int argc, char** argv) {
  const std::string cmd = "export";
  cxxopts::Options options("conclave audit export",
                           "download the daemon's log as an export");
  options.custom_help("--server ADDR --roster R --identity ID -o DIR");
  options.add_options()("o,output", "the export directory to write",
                        cxxopts::value<std::string>(), "DIR");
  AddModeOptions(options);
  Parsed p;
  if (auto code = ParseMode(cmd, options, argc, argv, kExportHelpFooter, &p)) {
    return *code;
  }
  if (p.offline) {
    return UsageFor(cmd,
                    "export reads the daemon's log (--server); an export "
                    "directory is already one");
  }
  if (!p.r.count("output")) return UsageFor(cmd, "-o DIR is required");
  const std::filesystem::path dir = p.r["output"].as<std::string>();
  auto opened = OpenLog(cmd, p);
  if (std::holds_alternative<int>(opened)) return std::get<int>(opened);
  VerifiedLog& log = std::get<VerifiedLog>(opened);

  // The leaves, checked against the verified checkpoint before anything is
  // written.
  audit::MemoryLogStorage storage;
  audit::CompactRange range;
  constexpr uint64_t kPage = 10000;
  for (uint64_t at = 0; at < log.checkpoint.size;) {
    const uint64_t end = std::min(log.checkpoint.size, at + kPage);
    StatusOr<std::vector<Bytes>> leaves = log.client->GetLeaves(at, end);
    if (!leaves.ok()) return FailFor(cmd, true, leaves.status());
    if (leaves->size() != end - at) {
      return FailFor(cmd, true,
                     DataLossError("the daemon returned the wrong number of "
                                   "leaves"));
    }
    for (const Bytes& leaf : *leaves) {
      StatusOr<uint64_t> s = storage.Append(leaf);
      if (!s.ok()) return FailFor(cmd, true, s.status());
      range.AppendLeaf(leaf);
    }
    at = end;
  }
  Status s = storage.Commit();
  if (s.ok() && range.Root() != log.checkpoint.root_hash) {
    s = UnauthenticatedError(
        "the daemon's leaves do not produce its checkpoint's root: nothing "
        "was written");
  }
  if (s.ok()) {
    s = audit::WriteExportFiles(dir, storage, log.checkpoint.size, log.note,
                                log.roster.body.log_vkey());
  }
  if (!s.ok()) return FailFor(cmd, true, s);
  // Read back as anyone will.
  AuditVerifyArgs check;
  check.dir = dir.string();
  check.roster = *p.common.roster;
  OfflineOutcome o = VerifyOffline(cmd, check);
  if (o.exit_code != kExitOk) return o.exit_code;
  std::printf(
      "wrote %s: checkpoint of %s (size %s, settled by organisations %s), "
      "log.vkey and %s leaves; it verifies offline with\n"
      "  conclave audit verify --offline %s --roster %s --full\n",
      dir.string().c_str(), log.checkpoint.origin.c_str(),
      Str(log.checkpoint.size).c_str(),
      JoinOrgs(o.result->cosigning_orgs).c_str(),
      Str(log.checkpoint.size).c_str(), dir.string().c_str(),
      p.common.roster->c_str());
  return kExitOk;
}

}  // namespace

int RunAuditVerify(const AuditVerifyArgs& args) {
  OfflineOutcome o = VerifyOffline("verify", args);
  if (o.exit_code != kExitOk) return o.exit_code;
  std::optional<std::string> roster_fingerprint;
  if (o.roster) roster_fingerprint = HexEncode(o.roster->fingerprint);
  const audit::ExportVerifyResult& v = *o.result;
  const std::string root = audit::NoteBase64Encode(v.checkpoint.root_hash);
  const std::string state(audit::StateOutcomeName(v.state));
  if (args.json) {
    json j;
    j["ok"] = true;
    j["dir"] = args.dir;
    j["origin"] = v.checkpoint.origin;
    j["size"] = v.checkpoint.size;
    j["root"] = root;
    j["log_vkey"] = v.log_vkey;
    j["roster_fingerprint"] =
        roster_fingerprint ? json(*roster_fingerprint) : json(nullptr);
    j["trusted_export_vkey"] = v.trusted_export_vkey;
    j["leaves"] = v.leaf_count;
    j["leaf_bytes"] = v.leaf_bytes;
    j["witnesses_checked"] = v.witnesses_checked;
    j["cosigning_orgs"] = v.cosigning_orgs;
    j["settle_threshold"] = v.settle_threshold;
    j["settled"] = v.settled;
    j["state"] = state;
    j["pinned_size"] = v.pinned_size ? json(*v.pinned_size) : json(nullptr);
    j["notes"] = v.notes;
    std::printf("%s\n", Dump(j).c_str());
    return kExitOk;
  }
  auto line = [](const char* k, const std::string& val) {
    std::printf("%-12s %s\n", k, val.c_str());
  };
  line("export:", args.dir);
  if (roster_fingerprint) {
    line("roster:",
         *args.roster + " (fingerprint " + *roster_fingerprint + ")");
  }
  line("log:", v.checkpoint.origin);
  line("checkpoint:",
       "size " + std::to_string(v.checkpoint.size) + ", root " + root);
  line("leaves:", std::to_string(v.leaf_count) + " leaves (" +
                      std::to_string(v.leaf_bytes) +
                      " bytes) recompute the signed root");
  line("log key:", v.log_vkey + (v.trusted_export_vkey
                                     ? "  (UNPINNED: taken from DIR/log.vkey)"
                                     : "  (pinned)"));
  if (v.witnesses_checked) {
    line("witnesses:",
         "cosigned by organisations " + JoinOrgs(v.cosigning_orgs) +
             "; W = " + std::to_string(v.settle_threshold) + ": settled");
  } else {
    line("witnesses:", "not checked");
  }
  if (v.state != audit::ExportVerifyResult::StateOutcome::kNotUsed) {
    line("state:",
         state + (v.pinned_size ? " (pinned size was " +
                                      std::to_string(*v.pinned_size) + ")"
                                : ""));
  }
  for (const std::string& n : v.notes) line("note:", n);
  std::printf("OK: the export verifies%s\n",
              v.trusted_export_vkey ? " against its own log.vkey only" : "");
  return kExitOk;
}

int AuditMain(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" ||
      std::string(argv[1]) == "-h") {
    std::fputs(kAuditUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? kExitUsage : kExitOk;
  }
  const std::string sub = argv[1];
  if (sub == "verify") return VerifyMain(argc - 1, argv + 1);
  if (sub == "list") return ListMain(argc - 1, argv + 1);
  if (sub == "show") return ShowMain(argc - 1, argv + 1);
  if (sub == "report") return ReportMain(argc - 1, argv + 1);
  if (sub == "export") return ExportMain(argc - 1, argv + 1);
  std::fprintf(stderr,
               "conclave audit: unknown subcommand '%s' (available: verify, "
               "list, show, report, export)\n",
               sub.c_str());
  return kExitUsage;
}

}  // namespace conclave::cli
