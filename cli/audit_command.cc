#include "cli/audit_command.h"

#include <cstdio>
#include <cxxopts.hpp>
#include <nlohmann/json.hpp>

#include "audit/export.h"
#include "audit/note.h"
#include "base/file_util.h"
#include "keyceremony/roster.h"
#include "keyceremony/roster_members.h"

namespace conclave::cli {

namespace {

using json = nlohmann::json;

constexpr char kAuditUsage[] =
    R"(conclave audit - review the consortium's audit log

Usage:
  conclave audit verify --offline DIR --roster R [--state DIR] [--json]
  conclave audit verify --offline DIR [--log-vkey V]
                        [--witness ORG=VKEY]... [--members M --threshold T]
                        [--state DIR] [--json]

)";

constexpr char kVerifyHelpFooter[] = R"(
Checks an audit log export (a directory with checkpoint, log.vkey and
leaves): recomputes the Merkle tree from every leaf, checks its size and root
against the checkpoint and the log's signature on it. With --witness keys and
--members/--threshold it also checks the witnesses' cosignatures and that the
checkpoint is settled: cosigned by the witnesses of W = ceil((m + t) / 2)
organisations. With --state DIR (a client state directory) the export must
extend the checkpoint pinned there; a settled export moves the pin forward,
and a rewritten history is kept there as fork evidence.

--roster R (consortium.roster) is verified first; the log key, every
organisation's witness key, m and t then all come from it, so it cannot be
combined with --log-vkey, --witness, --members or --threshold. Without a
roster, --witness ORG=VKEY (repeatable) with --members and --threshold give
the same information by hand.

Without --log-vkey or --roster the log key is taken from DIR/log.vkey
itself, and the report says so: that proves the export is internally
consistent, not that it comes from your consortium's log.

V and VKEY are verifier keys ("name+id+base64") or files holding one.

Examples:
  conclave audit verify --offline export/ --roster consortium.roster \
      --state ~/.conclave/audit
  conclave audit verify --offline export/ --log-vkey log.vkey
  conclave audit verify --offline export/ --log-vkey log.vkey \
      --witness 1=w1.vkey --witness 2=w2.vkey --witness 3=w3.vkey \
      --members 5 --threshold 3 --state ~/.conclave/audit
)";

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

int Usage(const std::string& message) {
  std::fprintf(stderr, "conclave audit verify: %s\n", message.c_str());
  return kExitUsage;
}

std::string JoinOrgs(const std::vector<uint32_t>& v) {
  std::string s;
  for (uint32_t x : v) s += (s.empty() ? "" : ", ") + std::to_string(x);
  return s.empty() ? "none" : s;
}

int VerifyMain(int argc, char** argv) {
  cxxopts::Options options("conclave audit verify",
                           "check an audit log export offline");
  options.custom_help("--offline DIR [options]");
  // clang-format off
  options.add_options()
    ("offline", "the export directory", cxxopts::value<std::string>())
    ("log-vkey", "the log's verifier key (or a file holding it)",
     cxxopts::value<std::string>())
    ("roster", "the consortium roster: log key, witnesses, m and t",
     cxxopts::value<std::string>())
    ("witness", "ORG=VKEY: an organisation's witness key (repeatable)",
     cxxopts::value<std::vector<std::string>>())
    ("members", "m, the number of organisations",
     cxxopts::value<uint32_t>())
    ("threshold", "t, the consortium threshold", cxxopts::value<uint32_t>())
    ("state", "client state directory: pin and check the history",
     cxxopts::value<std::string>())
    ("json", "machine-readable report on stdout")
    ("h,help", "this help");
  // clang-format on
  cxxopts::ParseResult r;
  try {
    r = options.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    return Usage(std::string(e.what()) + " (see --help)");
  }
  if (r.count("help")) {
    std::printf("%s%s%s", options.help().c_str(), kVerifyHelpFooter,
                ExitCodeHelp());
    return kExitOk;
  }
  if (!r.unmatched().empty()) {
    return Usage("unexpected argument '" + r.unmatched()[0] + "'");
  }
  if (r.count("roster")) {
    for (const char* other : {"log-vkey", "witness", "members", "threshold"}) {
      if (r.count(other)) {
        return Usage(std::string("--roster and --") + other +
                     " conflict: the roster already gives the log key, the "
                     "witnesses, m and t");
      }
    }
  }
  if (!r.count("offline")) {
    return Usage(
        "only --offline DIR is available (online review comes with the "
        "daemon issue)");
  }
  AuditVerifyArgs args;
  args.dir = r["offline"].as<std::string>();
  args.json = r.count("json") > 0;
  if (r.count("roster")) args.roster = r["roster"].as<std::string>();
  if (r.count("log-vkey")) {
    auto v = VkeyArg(r["log-vkey"].as<std::string>());
    if (!v.ok()) return Usage("--log-vkey: " + v.status().message());
    args.log_vkey = *v;
  }
  if (r.count("witness")) {
    for (const std::string& w : r["witness"].as<std::vector<std::string>>()) {
      const size_t eq = w.find('=');
      if (eq == std::string::npos || eq == 0) {
        return Usage("--witness " + w + ": expected ORG=VKEY");
      }
      auto org = audit::ParseDecimalU64(w.substr(0, eq));
      if (!org.ok() || *org == 0 || *org > UINT32_MAX) {
        return Usage("--witness " + w + ": bad organisation id");
      }
      auto v = VkeyArg(w.substr(eq + 1));
      if (!v.ok()) return Usage("--witness: " + v.status().message());
      args.witnesses.emplace_back(static_cast<uint32_t>(*org), *v);
    }
  }
  const bool has_m = r.count("members"), has_t = r.count("threshold");
  if (!args.witnesses.empty() && !(has_m && has_t)) {
    return Usage(
        "--witness needs --members and --threshold (the settled "
        "rule needs m and t)");
  }
  if ((has_m || has_t) && args.witnesses.empty()) {
    return Usage("--members/--threshold without any --witness");
  }
  if (has_m) args.members = r["members"].as<uint32_t>();
  if (has_t) args.threshold = r["threshold"].as<uint32_t>();
  if (r.count("state")) args.state_dir = r["state"].as<std::string>();
  return RunAuditVerify(args);
}

}  // namespace

int RunAuditVerify(const AuditVerifyArgs& args) {
  audit::ExportVerifyOptions opts;
  opts.log_vkey = args.log_vkey;
  for (const auto& [org, vkey] : args.witnesses) {
    opts.witnesses.push_back({org, vkey});
  }
  opts.members = args.members;
  opts.threshold = args.threshold;
  std::optional<std::string> roster_fingerprint;
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
        std::printf("%s\n", j.dump(2).c_str());
      }
      std::fprintf(stderr, "conclave audit verify: %s\n", msg.c_str());
      return ExitCodeFor(roster.status());
    }
    const v1::RosterBody& body = roster->body;
    opts.log_vkey = body.log_vkey();
    opts.witnesses.clear();
    for (const keyceremony::RosterWitness& w :
         keyceremony::RosterWitnesses(body)) {
      opts.witnesses.push_back({w.org_id, w.vkey});
    }
    opts.members = static_cast<uint32_t>(body.organisations_size());
    opts.threshold = body.threshold();
    roster_fingerprint = HexEncode(roster->fingerprint);
  }
  if (args.state_dir) opts.state_dir = *args.state_dir;
  auto res = audit::VerifyExport(args.dir, opts);
  if (!res.ok()) {
    const audit::ExportProblem p = audit::ExportProblemOf(res.status());
    const std::string msg = UserMessage(res.status());
    const int code = p == audit::ExportProblem::kIo ? kExitIo : kExitBadInput;
    if (args.json) {
      json j;
      j["ok"] = false;
      j["dir"] = args.dir;
      j["problem"] = std::string(audit::ExportProblemName(p));
      j["message"] = msg;
      std::printf("%s\n", j.dump(2).c_str());
    }
    std::fprintf(stderr, "conclave audit verify: %s: %s\n",
                 std::string(audit::ExportProblemName(p)).c_str(), msg.c_str());
    return code;
  }
  const audit::ExportVerifyResult& v = *res;
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
    std::printf("%s\n", j.dump(2).c_str());
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
  std::fprintf(stderr,
               "conclave audit: unknown subcommand '%s' (available: verify)\n",
               sub.c_str());
  return kExitUsage;
}

}  // namespace conclave::cli
