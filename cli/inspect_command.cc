#include "cli/inspect_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <cxxopts.hpp>
#include <nlohmann/json.hpp>

#include "age/age.h"
#include "age/submission.h"
#include "crypto/aead.h"
#include "keyceremony/roster.h"
#include "keyceremony/roster_members.h"

namespace conclave::cli {

namespace {

constexpr char kInspectHelpFooter[] = R"(
Describes a submission without decrypting it: its submission id (hex SHA-256
of the p256tag stanza's enc), whether the sender proof is present and valid,
which organisations it excludes, whether it is addressed to the given key, and
the payload size. Checking the proof and the tag needs the consortium key
(--to, or --roster); without it, inspect reports what it can. The header MAC
and the payload can only be checked after a quorum decrypts.

With --roster R (consortium.roster, verified first) the key comes from the
roster, excluded organisations are shown with their names, and the intake
rule applies: at most m - t organisations may be excluded.

Examples:
  conclave inspect leak.age --to consortium.pub
  conclave inspect leak.age --to age1tag1qf... --json
  conclave inspect leak.age --roster consortium.roster
  conclave inspect - < leak.age
)";

using json = nlohmann::json;

// What follows the header: the payload (nonce + STREAM), unauthenticated.
struct PayloadShape {
  uint64_t bytes = 0;
  std::optional<uint64_t> chunks, plaintext;  // nullopt if malformed
};

PayloadShape ShapeOf(uint64_t payload) {
  PayloadShape p;
  p.bytes = payload;
  if (payload < age::kPayloadNonceSize + kAeadTagSize) return p;
  const uint64_t s = payload - age::kPayloadNonceSize;
  const uint64_t chunks =
      (s + age::kEncryptedChunkSize - 1) / age::kEncryptedChunkSize;
  const uint64_t last = s - (chunks - 1) * age::kEncryptedChunkSize;
  if (last < kAeadTagSize) return p;
  p.chunks = chunks;
  p.plaintext = s - chunks * kAeadTagSize;
  return p;
}

struct Parsed {
  age::Header header;
  bool armored = false;
  PayloadShape payload;
};

StatusOr<uint64_t> CountRest(age::Reader& in) {
  Bytes buf(1 << 16);
  uint64_t total = 0;
  for (;;) {
    CONCLAVE_ASSIGN_OR_RETURN(size_t n, in.Read(buf));
    if (n == 0) return total;
    total += n;
  }
}

StatusOr<Parsed> ReadFile(int fd) {
  Parsed p;
  age::FdReader raw(fd);
  age::BufferedReader buf(raw);
  CONCLAVE_ASSIGN_OR_RETURN(p.armored, age::LooksArmored(buf));
  if (p.armored) {
    age::ArmorReader armor(buf);
    age::BufferedReader decoded(armor);
    CONCLAVE_ASSIGN_OR_RETURN(p.header, age::ReadHeader(decoded));
    CONCLAVE_ASSIGN_OR_RETURN(uint64_t rest, CountRest(decoded));
    p.payload = ShapeOf(rest);
    return p;
  }
  CONCLAVE_ASSIGN_OR_RETURN(p.header, age::ReadHeader(buf));
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<uint64_t>(st.st_size) >= p.header.bytes.size()) {
    p.payload =
        ShapeOf(static_cast<uint64_t>(st.st_size) - p.header.bytes.size());
    return p;
  }
  CONCLAVE_ASSIGN_OR_RETURN(uint64_t rest, CountRest(buf));
  p.payload = ShapeOf(rest);
  return p;
}

std::string Join(const std::vector<uint32_t>& v) {
  std::string s;
  for (uint32_t x : v) s += (s.empty() ? "" : ", ") + std::to_string(x);
  return s;
}

json ToJson(const InspectArgs& args, const Parsed& p,
            const age::SubmissionReport& r, bool key_given,
            const keyceremony::VerifiedRoster* roster) {
  json j;
  j["file"] = args.file;
  j["armored"] = p.armored;
  j["stanzas"] = r.stanza_types;
  j["header_size"] = r.header_size;
  j["header_hash"] = HexEncode(r.header_hash);
  j["id"] = r.id ? json(*r.id) : json(nullptr);
  j["kind"] = r.kind ? json(std::string(age::SenderProofKindName(*r.kind)))
                     : json(nullptr);
  j["proof_present"] = r.proof_present;
  j["proof_valid"] = r.proof_valid ? json(*r.proof_valid) : json(nullptr);
  j["proof_status"] = r.proof_status;
  j["excluded_orgs"] = r.excluded_orgs ? json(*r.excluded_orgs) : json(nullptr);
  if (roster) {
    j["roster_fingerprint"] = HexEncode(roster->fingerprint);
    j["max_exclusions"] = keyceremony::MaxExclusions(roster->body);
    if (r.excluded_orgs) {
      json names = json::array();
      for (uint32_t id : *r.excluded_orgs) {
        const v1::RosterOrganisation* o =
            keyceremony::FindOrganisation(roster->body, id);
        names.push_back(o ? json(o->name()) : json(nullptr));
      }
      j["excluded_names"] = names;
    }
  }
  j["tag_matches"] = r.tag_matches ? json(*r.tag_matches) : json(nullptr);
  j["key_given"] = key_given;
  j["valid"] = r.valid;
  json defects = json::array();
  for (const auto& d : r.defects) {
    defects.push_back(
        {{"defect", std::string(age::SubmissionDefectName(d.defect))},
         {"message", d.message}});
  }
  j["defects"] = defects;
  json payload;
  payload["bytes"] = p.payload.bytes;
  payload["chunks"] =
      p.payload.chunks ? json(*p.payload.chunks) : json(nullptr);
  payload["plaintext_bytes"] =
      p.payload.plaintext ? json(*p.payload.plaintext) : json(nullptr);
  j["payload"] = payload;
  return j;
}

void PrintHuman(const InspectArgs& args, const Parsed& p,
                const age::SubmissionReport& r, bool key_given,
                const keyceremony::VerifiedRoster* roster) {
  auto line = [](const char* k, const std::string& v) {
    std::printf("%-16s %s\n", k, v.c_str());
  };
  line("file:",
       args.file + (p.armored ? " (ASCII-armored age file)" : " (age file)"));
  line("submission id:", r.id ? *r.id : "(none: no readable p256tag stanza)");
  if (r.kind) line("kind:", std::string(age::SenderProofKindName(*r.kind)));
  line("sender proof:", r.proof_status);
  if (roster) {
    line("roster:", args.roster.value_or("") + " (fingerprint " +
                        HexEncode(roster->fingerprint) + ")");
  }
  if (r.excluded_orgs && roster) {
    std::string labels;
    for (uint32_t id : *r.excluded_orgs) {
      labels += (labels.empty() ? "" : ", ") +
                keyceremony::OrganisationLabel(roster->body, id);
    }
    line("excluded orgs:",
         (labels.empty() ? "none" : labels) + " (at most m - t = " +
             std::to_string(keyceremony::MaxExclusions(roster->body)) + ")");
  } else if (r.excluded_orgs) {
    line("excluded orgs:",
         r.excluded_orgs->empty() ? "none" : Join(*r.excluded_orgs));
  } else if (r.proof_present) {
    line("excluded orgs:", "(unreadable)");
  }
  line("tag matches:", !key_given ? "cannot check without --to or --roster"
                       : !r.tag_matches ? "(no readable p256tag stanza)"
                       : *r.tag_matches ? "yes, addressed to this key"
                                        : "NO, addressed to another key");
  std::string stanzas;
  for (const auto& t : r.stanza_types)
    stanzas += (stanzas.empty() ? "" : ", ") + t;
  line("stanzas:", stanzas.empty() ? "(none)" : stanzas);
  line("header:", std::to_string(r.header_size) + " bytes, SHA-256 " +
                      HexEncode(r.header_hash));
  if (p.payload.plaintext) {
    line("payload:", std::to_string(*p.payload.plaintext) +
                         " bytes of plaintext in " +
                         std::to_string(*p.payload.chunks) +
                         " chunk(s), not yet authenticated");
  } else {
    line("payload:", std::to_string(p.payload.bytes) +
                         " bytes: too short or truncated (malformed)");
  }
  for (const auto& d : r.defects) {
    line("problem:",
         std::string(age::SubmissionDefectName(d.defect)) + ": " + d.message);
  }
  if (r.valid) {
    line("verdict:", "a valid submission for this key");
  } else if (!r.defects.empty()) {
    line("verdict:", "NOT a valid submission");
  } else {
    line("verdict:",
         "no problem found; give --to or --roster to check the proof and "
         "tag");
  }
}

int Error(const InspectArgs& args, const Status& s) {
  if (args.json) {
    json j;
    j["file"] = args.file;
    j["error"] = UserMessage(s);
    std::printf("%s\n", j.dump(2).c_str());
  }
  std::fprintf(stderr, "conclave inspect: %s\n", UserMessage(s).c_str());
  return ExitCodeFor(s);
}

}  // namespace

int RunInspect(const InspectArgs& args) {
  std::optional<Point> key;
  std::optional<keyceremony::VerifiedRoster> roster;
  age::SubmissionPolicy policy{.allow_drill = true,
                               .max_exclusions = std::nullopt};
  if (args.roster) {
    StatusOr<keyceremony::VerifiedRoster> r =
        keyceremony::ReadRosterFile(*args.roster);
    if (!r.ok()) {
      return Error(
          args, Status(r.status().code(), "roster " + UserMessage(r.status())));
    }
    roster = std::move(r).value();
    key = roster->consortium_key;
    // The intake rule (brief §2): t organisations must remain.
    policy.max_exclusions = keyceremony::MaxExclusions(roster->body);
  } else if (args.recipient) {
    StatusOr<Point> k = age::ReadRecipientArgument(*args.recipient);
    if (!k.ok()) return Error(args, k.status());
    key = *k;
  }
  int fd = STDIN_FILENO;
  if (args.file != "-") {
    fd = open(args.file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return Error(args, age::AgeError(age::ErrorKind::kIo,
                                       "cannot open " + args.file + ": " +
                                           std::strerror(errno)));
    }
  }
  StatusOr<Parsed> parsed = ReadFile(fd);
  if (fd != STDIN_FILENO) close(fd);
  if (!parsed.ok()) {
    Status s = parsed.status();
    if (age::GetErrorKind(s) != age::ErrorKind::kIo) {
      s = Status(s.code(), "not a readable age file: " + UserMessage(s));
    }
    return Error(args, s);
  }
  const age::SubmissionReport report =
      age::InspectSubmission(parsed->header, key ? &*key : nullptr, policy);
  const keyceremony::VerifiedRoster* rp = roster ? &*roster : nullptr;
  if (args.json) {
    std::printf(
        "%s\n",
        ToJson(args, *parsed, report, key.has_value(), rp).dump(2).c_str());
  } else {
    PrintHuman(args, *parsed, report, key.has_value(), rp);
  }
  const bool payload_ok = parsed->payload.plaintext.has_value();
  return report.defects.empty() && payload_ok ? kExitOk : kExitBadInput;
}

int InspectMain(int argc, char** argv) {
  cxxopts::Options options("conclave inspect",
                           "Describe a submission without decrypting it.");
  options.custom_help("[--to RECIPIENT | --roster R] [--json]")
      .positional_help("FILE")
      .show_positional_help();
  options.add_options()(
      "t,to",
      "consortium key (age1tag1... or a file holding one): check "
      "the tag and the sender proof",
      cxxopts::value<std::string>(),
      "RECIPIENT")("roster",
                   "the consortium roster (verified first): the key, "
                   "organisation names and the m - t exclusion limit",
                   cxxopts::value<std::string>(), "R")(
      "json", "machine-readable output")("h,help", "this help");
  options.add_options("positional")("file", "the age file (- for stdin)",
                                    cxxopts::value<std::string>());
  options.parse_positional({"file"});
  InspectArgs args;
  try {
    const cxxopts::ParseResult r = options.parse(argc, argv);
    if (r.count("help")) {
      std::printf("%s%s\n%s", options.help({""}).c_str(), kInspectHelpFooter,
                  ExitCodeHelp());
      return kExitOk;
    }
    if (!r.count("file")) {
      std::fprintf(stderr,
                   "conclave inspect: FILE is required (see conclave inspect "
                   "--help)\n");
      return kExitUsage;
    }
    if (!r.unmatched().empty()) {
      std::fprintf(stderr, "conclave inspect: unexpected argument '%s'\n",
                   r.unmatched().front().c_str());
      return kExitUsage;
    }
    args.file = r["file"].as<std::string>();
    if (r.count("to") && r.count("roster")) {
      std::fprintf(stderr,
                   "conclave inspect: give --to RECIPIENT or --roster R, "
                   "not both (the roster holds the key)\n");
      return kExitUsage;
    }
    if (r.count("to")) args.recipient = r["to"].as<std::string>();
    if (r.count("roster")) args.roster = r["roster"].as<std::string>();
    args.json = r.count("json") > 0;
  } catch (const cxxopts::exceptions::exception& e) {
    std::fprintf(stderr, "conclave inspect: %s (see conclave inspect --help)\n",
                 e.what());
    return kExitUsage;
  }
  return RunInspect(args);
}

}  // namespace conclave::cli
