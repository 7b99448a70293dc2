#include "keyceremony/reshare_rounds_commands.h"

#include <algorithm>
#include <cstdio>
#include <cxxopts.hpp>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "age/p256tag.h"
#include "base/file_util.h"
#include "keyceremony/ceremony_commands.h"
#include "keyceremony/command_util.h"
#include "keyceremony/reshare.h"
#include "keyceremony/reshare_commands.h"
#include "keyceremony/roster.h"
#include "keyceremony/roster_members.h"
#include "keyceremony/rounds.h"
#include "keyceremony/simulate.h"
#include "sealed/passphrase.h"
#include "sealed/sealed_file.h"

namespace conclave::keyceremony {

namespace {

namespace fs = std::filesystem;

using EditorId = std::pair<uint32_t, uint32_t>;

constexpr size_t kMaxSubmissionsJson = size_t{64} << 20;

std::string Hex(const Sha256Digest& d) { return HexEncode(d); }

std::string EditorLabel(uint32_t org, uint32_t index) {
  return "organisation " + std::to_string(org) + " editor " +
         std::to_string(index);
}

std::string DealingName(uint32_t org, uint32_t index) {
  return "org" + std::to_string(org) + "-editor" + std::to_string(index) +
         std::string(kDealingSuffix);
}

std::string CertificationName(uint32_t org, uint32_t index) {
  return "org" + std::to_string(org) + "-editor" + std::to_string(index) +
         std::string(kCertificationSuffix);
}

std::string KindName(v1::MembershipChangeKind kind) {
  if (kind == v1::MEMBERSHIP_CHANGE_REKEY) return "rekey re-deal";
  return kind == v1::MEMBERSHIP_CHANGE_REFRESH ? "refresh" : "reshare";
}

// The record that `reshare finish` writes: a re-deal's is only part of the
// rekey record (finalize writes rekey.record), so it must not be taken for
// a reshare's by `verify-chain`.
std::string RecordName(bool redeal) {
  return redeal ? "redeal.record" : "reshare.record";
}

// Every DIR/*SUFFIX, sorted by name.
StatusOr<std::vector<fs::path>> ListFiles(const fs::path& dir,
                                          std::string_view suffix) {
  std::error_code ec;
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().string().ends_with(suffix)) {
      out.push_back(e.path());
    }
  }
  if (ec) return NotFoundError("cannot read the directory " + dir.string());
  std::sort(out.begin(), out.end());
  return out;
}

// The previous roster (every signature and relation checked) and its
// fingerprint on screen: the first thing everyone compares.
StatusOr<VerifiedRoster> LoadPrevious(const std::string& path) {
  StatusOr<VerifiedRoster> prev = ReadRosterFile(path);
  if (!prev.ok()) return prev.status().Annotate("previous roster " + path);
  std::printf("previous roster: epoch %llu, fingerprint (SHA-256) %s\n",
              static_cast<unsigned long long>(prev->body.epoch()),
              Hex(prev->fingerprint).c_str());
  return prev;
}

// A rekey's DKG roster (`roster finalize` of a rekey whose ids are not
// 1..m writes DIR/dkg.roster): PATH is the file or its directory.
struct DkgRoster {
  v1::Roster roster;
  VerifiedRoster verified;
  fs::path dir;  // where its cocktail.record lies
};

StatusOr<DkgRoster> LoadDkg(const std::string& path) {
  DkgRoster out;
  fs::path file = path;
  std::error_code ec;
  if (fs::is_directory(file, ec)) file /= "dkg.roster";
  out.dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  CONCLAVE_ASSIGN_OR_RETURN(out.roster,
                            ReadMessageFile<v1::Roster>(file, "a roster"));
  StatusOr<VerifiedRoster> v = VerifyRoster(out.roster);
  if (!v.ok()) return v.status().Annotate("DKG roster " + file.string());
  out.verified = std::move(v).value();
  if (out.verified.body.change().kind() != v1::MEMBERSHIP_CHANGE_REKEY ||
      !IdsArePositions(out.verified.body)) {
    return InvalidArgumentError(
        file.string() +
        " is not a rekey's DKG roster (the dkg.roster that `roster "
        "finalize --previous` writes)");
  }
  std::printf("DKG roster: epoch %llu, fingerprint (SHA-256) %s\n",
              static_cast<unsigned long long>(out.verified.body.epoch()),
              Hex(out.verified.fingerprint).c_str());
  return out;
}

// The roster before a rekey (--previous DIR, checked along its chain) and
// the rekey's DKG roster (--dkg), which must continue it.
struct RekeyRosters {
  RosterDir previous;
  DkgRoster dkg;
};

StatusOr<RekeyRosters> LoadRekeyRosters(const cxxopts::ParseResult& r) {
  RekeyRosters out;
  const std::string previous = r["previous"].as<std::string>();
  CONCLAVE_ASSIGN_OR_RETURN(out.previous, ReadRosterDir(previous));
  std::printf(
      "roster in force before the rekey: epoch %llu, fingerprint "
      "(SHA-256) %s\n",
      static_cast<unsigned long long>(out.previous.roster.body.epoch()),
      Hex(out.previous.roster.fingerprint).c_str());
  CONCLAVE_ASSIGN_OR_RETURN(out.dkg, LoadDkg(r["dkg"].as<std::string>()));
  const Sha256Digest& fp = out.previous.roster.fingerprint;
  if (out.dkg.verified.body.previous_roster_fingerprint() !=
      std::string(fp.begin(), fp.end())) {
    return FailedPreconditionError(
        "the DKG roster is a rekey of another roster, not of the one in " +
        previous);
  }
  return out;
}

// The roster the plan continues: --roster (the roster in force) for a
// reshare or refresh, --dkg (the DKG roster) for a rekey's re-deal.
// Exactly one; sets *redeal.
StatusOr<VerifiedRoster> LoadBase(const cxxopts::ParseResult& r, bool* redeal) {
  if (r.count("roster") == r.count("dkg")) {
    return InvalidArgumentError(
        "give either --roster (the roster in force: reshare or refresh) or "
        "--dkg (the rekey's dkg.roster: re-deal), not both or neither");
  }
  *redeal = r.count("dkg") > 0;
  if (*redeal) {
    CONCLAVE_ASSIGN_OR_RETURN(DkgRoster dkg,
                              LoadDkg(r["dkg"].as<std::string>()));
    return std::move(dkg.verified);
  }
  return LoadPrevious(r["roster"].as<std::string>());
}

StatusOr<CheckedResharePlan> LoadReshare(const std::string& path,
                                         const VerifiedRoster& prev,
                                         bool redeal = false) {
  CONCLAVE_ASSIGN_OR_RETURN(
      v1::ResharePlan plan,
      ReadMessageFile<v1::ResharePlan>(path, "a reshare plan"));
  v1::ResharePlanBody peek;
  if (peek.ParseFromString(plan.body())) {
    const bool is_redeal = peek.kind() == v1::MEMBERSHIP_CHANGE_REKEY;
    if (is_redeal && !redeal) {
      return FailedPreconditionError(
          path +
          " is a rekey re-deal plan: give the rekey's DKG roster with --dkg "
          "(not --roster)");
    }
    if (!is_redeal && redeal) {
      return FailedPreconditionError(
          path + " is a " + KindName(peek.kind()) +
          " plan, not a rekey re-deal: give the roster in force with "
          "--roster (not --dkg)");
    }
  }
  StatusOr<CheckedResharePlan> checked = CheckResharePlan(plan, prev);
  if (!checked.ok()) {
    if (checked.status().code() == StatusCode::kFailedPrecondition) {
      return checked.status().Annotate(
          path + " was made from another " +
          (redeal ? std::string("DKG roster (another rekey)") : "roster") +
          " than the one given (fingerprint " + Hex(prev.fingerprint) + ")");
    }
    return checked.status();
  }
  std::printf("%s plan fingerprint (SHA-256): %s\n",
              redeal ? "re-deal" : "reshare",
              Hex(checked->fingerprint).c_str());
  return checked;
}

// The editor (organisation, index) whose signing key is `key`, in any
// organisation: a rekey's DKG roster numbers organisations by position, so
// the identity's permanent id does not find it (keys are unique).
std::optional<EditorId> FindEditorAnywhere(const v1::RosterBody& body,
                                           const std::string& key) {
  for (const v1::RosterOrganisation& o : body.organisations()) {
    for (const v1::RosterEditor& e : o.editors()) {
      if (e.ed25519_public_key() == key) return EditorId{o.id(), e.index()};
    }
  }
  return std::nullopt;
}

// An editor's identity, opened (passphrase from the prompt or the file).
struct OpenedIdentity {
  uint32_t org = 0;
  std::optional<Ed25519PrivateKey> signing;
  Scalar receiving;
  v1::EditorIdentity message;  // for SignAssembledRoster; wiped on scope end
  ~OpenedIdentity() { CleanseMessage(&message); }
};

StatusOr<std::unique_ptr<OpenedIdentity>> OpenIdentityFile(
    const std::string& path, const cxxopts::ParseResult& r) {
  auto out = std::make_unique<OpenedIdentity>();
  CONCLAVE_ASSIGN_OR_RETURN(out->message, OpenEditorIdentity(path, r));
  out->org = out->message.org_id();
  CONCLAVE_ASSIGN_OR_RETURN(
      Ed25519PrivateKey key,
      Ed25519PrivateKey::FromSeed(AsBytes(out->message.ed25519_seed())));
  out->signing.emplace(std::move(key));
  CONCLAVE_ASSIGN_OR_RETURN(
      out->receiving,
      Scalar::FromBytes(AsBytes(out->message.p256_private_key())));
  return out;
}

std::string SigningKey(const OpenedIdentity& id) {
  const auto& pk = id.signing->public_key();
  return std::string(pk.begin(), pk.end());
}

// The index of the editor of `org` (in a roster or plan organisation list)
// whose signing key is `key`; identities made with `identity new` carry
// index 0, so the key is what identifies them.
template <typename Orgs>
std::optional<uint32_t> FindEditorByKey(const Orgs& orgs, uint32_t org,
                                        const std::string& key) {
  for (const v1::RosterOrganisation& o : orgs) {
    if (o.id() != org) continue;
    for (const v1::RosterEditor& e : o.editors()) {
      if (e.ed25519_public_key() == key) return e.index();
    }
  }
  return std::nullopt;
}

// Every DIR/*.dealing. A file that does not parse is named; the library
// names the dealer of everything else.
StatusOr<std::vector<v1::ReshareDealing>> LoadDealings(const fs::path& dir) {
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<fs::path> files,
                            ListFiles(dir, kDealingSuffix));
  std::vector<v1::ReshareDealing> out;
  for (const fs::path& f : files) {
    CONCLAVE_ASSIGN_OR_RETURN(
        v1::ReshareDealing d,
        ReadMessageFile<v1::ReshareDealing>(f, "a reshare dealing"));
    out.push_back(std::move(d));
  }
  if (out.empty()) {
    return FailedPreconditionError("no " + std::string(kDealingSuffix) +
                                   " files in " + dir.string());
  }
  return out;
}

// SHA-256 of a dealer's serialized commitments: what the dealer reads out
// at `deal` and compares at `sign`.
std::string CommitmentsHash(const v1::ReshareCommitments& c) {
  std::string s;
  c.SerializeToString(&s);
  return Hex(Sha256(AsBytes(s)));
}

constexpr char kComplaint[] =
    "COMPLAINT: the reshare is aborted; no new share was written.\n"
    "Read the failure above to the room: it names the dealer (or file) at "
    "fault.\nDo not continue with these dealings. The room chooses a new "
    "quorum of dealers\nwithout that dealer (reshare plan --dealers ...), "
    "makes a new plan and starts\nagain; destroy every .dealing file of this "
    "plan.\n";

// Fail, then the complaint the room acts on.
int FailWithComplaint(const std::string& cmd, const Status& status) {
  const int rc = Fail(cmd, status);
  std::fputs(kComplaint, stderr);
  return rc;
}

constexpr char kOldSharesBox[] = R"(
+------------------------------------------------------------------------+
| OLD SHARES MUST BE DESTROYED. The consortium key is unchanged: while   |
| it is in use, any t shares of the old epoch open EVERY submission,     |
| past and future. Once the drill of the new roster has passed, every    |
| holder destroys their old share.age and every copy of it. Where that   |
| cannot be trusted, make a new key with `conclave-ceremony rekey`.      |
+------------------------------------------------------------------------+
)";

void PrintCommittee(const v1::ResharePlanBody& b, const v1::RosterBody& prev) {
  std::printf("%s to epoch %llu: t' = %u of %d organisations\n",
              KindName(b.kind()).c_str(),
              static_cast<unsigned long long>(b.epoch()), b.threshold(),
              b.organisations_size());
  for (const v1::RosterOrganisation& o : b.organisations()) {
    std::printf("  organisation %u (%s), %s: k' = %u of %d editors\n", o.id(),
                o.name().c_str(),
                FindOrganisation(prev, o.id()) ? "continuing" : "NEW",
                o.editor_threshold(), o.editors_size());
    for (const v1::RosterEditor& e : o.editors()) {
      std::printf("    editor %u: %s, key %s\n", e.index(), e.name().c_str(),
                  HexEncode(AsBytes(e.ed25519_public_key())).c_str());
    }
  }
  for (const v1::RosterOrganisation& o : prev.organisations()) {
    bool stays = false;
    for (const v1::RosterOrganisation& n : b.organisations()) {
      stays |= n.id() == o.id();
    }
    if (!stays) {
      std::printf("  organisation %u (%s) LEAVES\n", o.id(), o.name().c_str());
    }
  }
  std::string dealers;
  for (const v1::ReshareDealer& d : b.dealers()) {
    dealers += (dealers.empty() ? "" : ", ") + std::to_string(d.org_id()) +
               ":" + std::to_string(d.editor_index());
  }
  std::printf("dealers (the old quorum, organisation:editor): %s\n",
              dealers.c_str());
}

// ---- plan ----

// "A:B" with both parts numbers.
std::optional<EditorId> ParsePair(const std::string& s) {
  const size_t c = s.find(':');
  if (c == std::string::npos || c == 0 || c + 1 == s.size()) return {};
  try {
    size_t used = 0;
    const unsigned long a = std::stoul(s.substr(0, c), &used);
    if (used != c) return {};
    const unsigned long b = std::stoul(s.substr(c + 1), &used);
    if (used != s.size() - c - 1 || a == 0 || b == 0 || a > 0xffffffffUL ||
        b > 0xffffffffUL) {
      return {};
    }
    return EditorId{static_cast<uint32_t>(a), static_cast<uint32_t>(b)};
  } catch (...) {
    return {};
  }
}

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t c = s.find(',', start);
    out.push_back(s.substr(start, c == std::string::npos ? c : c - start));
    if (c == std::string::npos) break;
    start = c + 1;
  }
  return out;
}

// The editors' cards in DIR (DIR/*.card, DIR/*/editor.card), in the order
// `plan` uses: shorter names first, so editor2 comes before editor10.
StatusOr<std::vector<v1::PublicCardBody>> ReadCards(const fs::path& dir,
                                                    uint32_t org) {
  std::vector<fs::path> paths;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".card") {
      paths.push_back(e.path());
    } else if (e.is_directory() && fs::exists(e.path() / "editor.card")) {
      paths.push_back(e.path() / "editor.card");
    }
  }
  if (ec) return NotFoundError("cannot read the directory " + dir.string());
  std::sort(paths.begin(), paths.end(),
            [](const fs::path& a, const fs::path& b) {
              const std::string x = a.string(), y = b.string();
              return x.size() != y.size() ? x.size() < y.size() : x < y;
            });
  std::vector<v1::PublicCardBody> out;
  for (const fs::path& p : paths) {
    CONCLAVE_ASSIGN_OR_RETURN(v1::PublicCard card,
                              ReadMessageFile<v1::PublicCard>(p, "a card"));
    StatusOr<v1::PublicCardBody> body = VerifyPublicCard(card);
    if (!body.ok()) return body.status().Annotate(p.string());
    if (body->org_id() != org) {
      return InvalidArgumentError(p.string() + " was made for organisation " +
                                  std::to_string(body->org_id()) + ", not " +
                                  std::to_string(org) +
                                  " (make it again with `identity new --org " +
                                  std::to_string(org) + "`)");
    }
    out.push_back(std::move(body).value());
  }
  if (out.empty()) {
    return NotFoundError("no editor cards in " + dir.string());
  }
  return out;
}

void SetEditors(const std::vector<v1::PublicCardBody>& cards, uint32_t k,
                v1::RosterOrganisation* org) {
  org->clear_editors();
  uint32_t j = 0;
  for (const v1::PublicCardBody& c : cards) {
    v1::RosterEditor* e = org->add_editors();
    e->set_index(++j);
    e->set_name(c.name());
    e->set_ed25519_public_key(c.ed25519_public_key());
    e->set_p256_public_key(c.p256_public_key());
  }
  org->set_editor_count(j);
  org->set_editor_threshold(k);
}

// A continuing organisation as the plan lists it: its roster entry without
// what the dealing makes (verification shares, commitments).
v1::RosterOrganisation Continuing(const v1::RosterOrganisation& old) {
  v1::RosterOrganisation o = old;
  o.clear_editor_commitments();
  o.clear_verification_share();
  for (v1::RosterEditor& e : *o.mutable_editors()) e.clear_verification_share();
  return o;
}

StatusOr<std::string> ReadVkey(const fs::path& path) {
  CONCLAVE_ASSIGN_OR_RETURN(Bytes b, ReadFileBytes(path, 4096));
  std::string s(b.begin(), b.end());
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// The JSON of `conclave --server ADDR submissions --json`: an array of
// objects with "submission_id" and "excluded_orgs".
StatusOr<std::vector<SubmissionExclusions>> ReadSubmissionsJson(
    const fs::path& path) {
  CONCLAVE_ASSIGN_OR_RETURN(Bytes data,
                            ReadFileBytes(path, kMaxSubmissionsJson));
  const nlohmann::json j = nlohmann::json::parse(
      std::string(data.begin(), data.end()), nullptr, false);
  if (j.is_discarded() || !j.is_array()) {
    return InvalidArgumentError(path.string() +
                                " is not the JSON array of `conclave "
                                "submissions --json`");
  }
  std::vector<SubmissionExclusions> out;
  for (const nlohmann::json& s : j) {
    if (!s.is_object() || !s.contains("submission_id") ||
        !s["submission_id"].is_string() || !s.contains("excluded_orgs") ||
        !s["excluded_orgs"].is_array()) {
      return InvalidArgumentError(
          path.string() + ": an entry lacks submission_id or excluded_orgs");
    }
    SubmissionExclusions e;
    e.id = s["submission_id"].get<std::string>();
    for (const nlohmann::json& x : s["excluded_orgs"]) {
      if (!x.is_number_unsigned() || x.get<uint64_t>() == 0 ||
          x.get<uint64_t>() > 0xffffffffULL) {
        return InvalidArgumentError(path.string() + ": submission " + e.id +
                                    " has an excluded id that is not an "
                                    "organisation id");
      }
      e.excluded.push_back(x.get<uint32_t>());
    }
    out.push_back(std::move(e));
  }
  return out;
}

// Dealers "A:B,..." sorted; nullopt on a malformed item (named in *bad).
std::optional<std::vector<v1::ReshareDealer>> ParseDealers(
    const std::string& list, std::string* bad) {
  std::vector<v1::ReshareDealer> out;
  for (const std::string& item : SplitCommas(list)) {
    const std::optional<EditorId> d = ParsePair(item);
    if (!d) {
      *bad = item;
      return std::nullopt;
    }
    v1::ReshareDealer dealer;
    dealer.set_org_id(d->first);
    dealer.set_editor_index(d->second);
    out.push_back(dealer);
  }
  std::sort(out.begin(), out.end(),
            [](const v1::ReshareDealer& a, const v1::ReshareDealer& b) {
              return std::make_pair(a.org_id(), a.editor_index()) <
                     std::make_pair(b.org_id(), b.editor_index());
            });
  return out;
}

// `reshare plan --redeal`: MakeRedealPlan from the DKG roster to the ids of
// the roster before it.
int RedealPlan(const std::string& cmd, const cxxopts::ParseResult& r) {
  if (r.count("roster") || r.count("kind") || r.count("threshold") ||
      r.count("keep") || r.count("add-org") || r.count("org-editors") ||
      r.count("submissions") || r.count("force")) {
    return Usage(cmd,
                 "a re-deal keeps the rekey's committee and t: give only "
                 "--dkg, --previous, --out and perhaps --dealers");
  }
  if (!r.count("dkg") || !r.count("previous")) {
    return Usage(cmd, "a re-deal needs --dkg DKG.roster and --previous DIR");
  }
  StatusOr<RekeyRosters> rosters = LoadRekeyRosters(r);
  if (!rosters.ok()) return Fail(cmd, rosters.status());
  const RosterDir* prev = &rosters->previous;
  const DkgRoster* dkg = &rosters->dkg;
  std::vector<v1::ReshareDealer> dealers;
  if (r.count("dealers")) {
    std::string bad;
    std::optional<std::vector<v1::ReshareDealer>> d =
        ParseDealers(r["dealers"].as<std::string>(), &bad);
    if (!d)
      return Usage(cmd, "--dealers: '" + bad + "' is not POSITION:EDITOR");
    dealers = std::move(*d);
  }
  StatusOr<v1::ResharePlan> plan =
      MakeRedealPlan(dkg->verified, prev->roster, dealers);
  if (!plan.ok()) return Fail(cmd, plan.status());
  StatusOr<CheckedResharePlan> checked = CheckResharePlan(*plan, dkg->verified);
  if (!checked.ok()) return Fail(cmd, checked.status());
  Status s = WriteNewMessage(r["out"].as<std::string>(), *plan);
  if (!s.ok()) return Fail(cmd, s);
  const v1::ResharePlanBody& b = checked->body;
  std::printf(
      "rekey re-deal at epoch %llu: t = %u of %d organisations, the "
      "DKG's new key kept\n",
      static_cast<unsigned long long>(b.epoch()), b.threshold(),
      b.organisations_size());
  for (const v1::RosterOrganisation& o : b.organisations()) {
    std::printf(
        "  DKG position %u -> organisation %u (%s): k = %u of %d "
        "editors\n",
        o.cocktail_position(), o.id(), o.name().c_str(), o.editor_threshold(),
        o.editors_size());
  }
  std::string list;
  for (const v1::ReshareDealer& d : b.dealers()) {
    list += (list.empty() ? "" : ", ") + std::to_string(d.org_id()) + ":" +
            std::to_string(d.editor_index());
  }
  std::printf(
      "dealers (DKG position:editor, with their intermediate "
      "shares): %s\n",
      list.c_str());
  std::printf("plan written: %s\nre-deal plan fingerprint (SHA-256): %s\n",
              r["out"].as<std::string>().c_str(),
              Hex(checked->fingerprint).c_str());
  return kCeremonyExitOk;
}

int PlanCmd(int argc, char** argv) {
  const std::string cmd = "reshare plan";
  cxxopts::Options o("conclave-ceremony reshare plan",
                     "Write the plan of a reshare (new committee and/or "
                     "threshold) or a refresh (same committee, new shares).");
  o.custom_help(
      "--roster OLD.roster --kind reshare|refresh [--threshold T'] [--keep "
      "ID,...] [--add-org K:DIR:NAME]... [--org-editors ID:K:DIR]... "
      "[--dealers ORG:EDITOR,...] [--submissions FILE [--force]] --out PLAN");
  o.add_options()("roster", "the roster in force (verified first)",
                  cxxopts::value<std::string>(), "OLD.roster")(
      "kind", "reshare or refresh", cxxopts::value<std::string>(), "KIND")(
      "threshold", "reshare: t', organisations needed afterwards",
      cxxopts::value<uint32_t>(), "T")(
      "keep",
      "reshare: the continuing organisations' ids; an organisation left out "
      "leaves",
      cxxopts::value<std::string>(), "ID,...")(
      "add-org",
      "reshare: a new organisation: K its editor threshold, DIR holding its "
      "witness.vkey and its editors' cards (made with --org of the new id), "
      "NAME its name",
      cxxopts::value<std::vector<std::string>>(), "K:DIR:NAME")(
      "org-editors",
      "reshare: a continuing organisation whose editors change: its id, its "
      "new editor threshold K, DIR with every editor's card (continuing "
      "editors bring their existing card)",
      cxxopts::value<std::vector<std::string>>(), "ID:K:DIR")(
      "dealers",
      "the agreed old quorum: t organisations of the roster in force, k_o "
      "editors of each (default: the first t organisations that stay, their "
      "first k_o editors)",
      cxxopts::value<std::string>(), "ORG:EDITOR,...")(
      "submissions",
      "the daemon's stored submissions (`conclave --server ADDR submissions "
      "--json`): refuse a plan that strands one",
      cxxopts::value<std::string>(),
      "FILE")("force", "write the plan even if it strands stored submissions")(
      "out", "the plan file to create", cxxopts::value<std::string>(), "PLAN")(
      "redeal",
      "rekey: the re-deal of the DKG roster to the organisation ids (with "
      "--dkg and --previous, no --roster or --kind)")(
      "dkg", "re-deal: the rekey's dkg.roster (or its directory)",
      cxxopts::value<std::string>(), "DKG.roster")(
      "previous",
      "re-deal: the directory of the roster in force before the rekey "
      "(consortium.roster and chain/)",
      cxxopts::value<std::string>(), "DIR");
  AddCommonOptions(&o, false);
  static constexpr char kFooter[] = R"(
A new organisation gets the roster's next free id (`reshare next-id`); its
editors make their identities with `identity new --org ID` and it makes its
witness key with `witness new --org ID`, as at the first ceremony. Departed
ids are never reused. The dealers are the editors of an agreed quorum of the
roster in force; their organisations' shares are never reassembled. A
refresh keeps every organisation, editor, k_o and t (give no --threshold,
--keep, --add-org or --org-editors).

With --submissions, a plan under which some stored submission would keep
fewer than t' organisations it does not exclude is refused: nobody could
open it any more. --force writes it anyway (the consortium agreed to lose
those submissions); the stranded ids are printed.

The plan fingerprint is printed: write it on the board.

Rekey re-deal (docs/ceremony.md, "Rekey on separate machines"): when the
organisation ids are not 1..m, the rekey's DKG roster (ids = DKG positions)
is re-dealt to the ids: `reshare plan --redeal --dkg DKG.roster --previous
DIR --out PLAN [--dealers POSITION:EDITOR,...]`. The dealers are a quorum of
the DKG roster, named by DKG position; every step after it takes --dkg
DKG.roster in place of --roster.
)";
  cxxopts::ParseResult r;
  if (auto rc = ParseCommand(cmd, o, argc, argv, kFooter, {"out"}, &r)) {
    return *rc;
  }
  if (r.count("redeal")) return RedealPlan(cmd, r);
  if (r.count("dkg") || r.count("previous")) {
    return Usage(cmd, "--dkg and --previous are for --redeal");
  }
  if (!r.count("roster") || !r.count("kind")) {
    return Usage(cmd, "required: --roster, --kind (or --redeal for a rekey)");
  }
  const std::string kind = r["kind"].as<std::string>();
  if (kind != "reshare" && kind != "refresh") {
    return Usage(cmd, "--kind must be reshare or refresh");
  }
  const bool refresh = kind == "refresh";
  if (refresh && (r.count("threshold") || r.count("keep") ||
                  r.count("add-org") || r.count("org-editors"))) {
    return Usage(cmd,
                 "a refresh keeps the committee: no --threshold, --keep, "
                 "--add-org or --org-editors");
  }
  if (!refresh && (!r.count("threshold") || !r.count("keep"))) {
    return Usage(cmd, "a reshare needs --threshold and --keep");
  }
  StatusOr<VerifiedRoster> prev = LoadPrevious(r["roster"].as<std::string>());
  if (!prev.ok()) return Fail(cmd, prev.status());
  const v1::RosterBody& pb = prev->body;

  ResharePlanInput in;
  std::vector<uint32_t> leaving;
  if (refresh) {
    in.kind = v1::MEMBERSHIP_CHANGE_REFRESH;
    in.threshold = pb.threshold();
    for (const v1::RosterOrganisation& org : pb.organisations()) {
      in.organisations.push_back(Continuing(org));
    }
  } else {
    in.kind = v1::MEMBERSHIP_CHANGE_RESHARE;
    in.threshold = r["threshold"].as<uint32_t>();
    std::map<uint32_t, v1::RosterOrganisation> orgs;
    for (const std::string& item : SplitCommas(r["keep"].as<std::string>())) {
      StatusOr<uint32_t> id = ResolveOrganisation(pb, item);
      if (!id.ok()) return Fail(cmd, id.status().Annotate("--keep"));
      if (!orgs.emplace(*id, Continuing(*FindOrganisation(pb, *id))).second) {
        return Usage(
            cmd, "--keep names organisation " + std::to_string(*id) + " twice");
      }
    }
    for (const v1::RosterOrganisation& org : pb.organisations()) {
      if (!orgs.contains(org.id())) leaving.push_back(org.id());
    }
    if (r.count("org-editors")) {
      for (const std::string& spec :
           r["org-editors"].as<std::vector<std::string>>()) {
        const size_t a = spec.find(':');
        const size_t b = a == std::string::npos ? a : spec.find(':', a + 1);
        const std::optional<EditorId> idk = b == std::string::npos
                                                ? std::nullopt
                                                : ParsePair(spec.substr(0, b));
        if (!idk)
          return Usage(cmd, "--org-editors '" + spec + "' is not ID:K:DIR");
        auto it = orgs.find(idk->first);
        if (it == orgs.end()) {
          return Usage(cmd, "--org-editors: organisation " +
                                std::to_string(idk->first) +
                                " is not in --keep (a new organisation is "
                                "--add-org)");
        }
        StatusOr<std::vector<v1::PublicCardBody>> cards =
            ReadCards(spec.substr(b + 1), idk->first);
        if (!cards.ok()) return Fail(cmd, cards.status());
        SetEditors(*cards, idk->second, &it->second);
      }
    }
    const uint32_t next = NextOrganisationId(pb);
    if (r.count("add-org")) {
      for (const std::string& spec :
           r["add-org"].as<std::vector<std::string>>()) {
        const size_t a = spec.find(':');
        const size_t b = a == std::string::npos ? a : spec.find(':', a + 1);
        if (b == std::string::npos) {
          return Usage(cmd, "--add-org '" + spec + "' is not K:DIR:NAME");
        }
        uint32_t k = 0;
        try {
          k = static_cast<uint32_t>(std::stoul(spec.substr(0, a)));
        } catch (...) {
          return Usage(cmd, "--add-org '" + spec + "': K is not a number");
        }
        const fs::path dir = spec.substr(a + 1, b - a - 1);
        // The cards say which id the organisation was given.
        StatusOr<std::vector<v1::PublicCardBody>> first = [&] {
          std::error_code ec;
          for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
            if (e.path().extension() != ".card") continue;
            StatusOr<v1::PublicCard> c =
                ReadMessageFile<v1::PublicCard>(e.path(), "a card");
            if (!c.ok())
              return StatusOr<std::vector<v1::PublicCardBody>>(c.status());
            StatusOr<v1::PublicCardBody> body = VerifyPublicCard(*c);
            if (!body.ok()) {
              return StatusOr<std::vector<v1::PublicCardBody>>(
                  body.status().Annotate(e.path().string()));
            }
            return ReadCards(dir, body->org_id());
          }
          return StatusOr<std::vector<v1::PublicCardBody>>(
              NotFoundError("no editor cards in " + dir.string()));
        }();
        if (!first.ok()) return Fail(cmd, first.status());
        const uint32_t id = first->front().org_id();
        if (FindOrganisation(pb, id) != nullptr || id < next) {
          return Fail(cmd,
                      InvalidArgumentError(
                          "--add-org " + dir.string() +
                          ": its cards are for "
                          "organisation " +
                          std::to_string(id) +
                          ", an id already used; new organisations take ids "
                          "from " +
                          std::to_string(next) +
                          " (make the cards and witness key again with --org " +
                          std::to_string(next) + " or above)"));
        }
        v1::RosterOrganisation org;
        org.set_id(id);
        org.set_name(spec.substr(b + 1));
        StatusOr<std::string> vkey = ReadVkey(dir / "witness.vkey");
        if (!vkey.ok()) return Fail(cmd, vkey.status());
        org.set_witness_vkey(*vkey);
        SetEditors(*first, k, &org);
        if (!orgs.emplace(id, std::move(org)).second) {
          return Usage(cmd, "two --add-org have cards for organisation " +
                                std::to_string(id));
        }
      }
    }
    for (auto& [id, org] : orgs) in.organisations.push_back(std::move(org));
  }
  if (r.count("dealers")) {
    for (const std::string& item :
         SplitCommas(r["dealers"].as<std::string>())) {
      const std::optional<EditorId> d = ParsePair(item);
      if (!d) return Usage(cmd, "--dealers: '" + item + "' is not ORG:EDITOR");
      v1::ReshareDealer dealer;
      dealer.set_org_id(d->first);
      dealer.set_editor_index(d->second);
      in.dealers.push_back(dealer);
    }
    std::sort(in.dealers.begin(), in.dealers.end(),
              [](const v1::ReshareDealer& a, const v1::ReshareDealer& b) {
                return std::make_pair(a.org_id(), a.editor_index()) <
                       std::make_pair(b.org_id(), b.editor_index());
              });
  } else {
    in.dealers = DefaultDealers(pb, leaving);
  }

  // Stranding (brief §9): checked on the committee before anything is
  // written.
  std::vector<std::string> stranded;
  if (r.count("submissions")) {
    StatusOr<std::vector<SubmissionExclusions>> subs =
        ReadSubmissionsJson(r["submissions"].as<std::string>());
    if (!subs.ok()) return Fail(cmd, subs.status());
    v1::RosterBody shape;
    shape.set_threshold(in.threshold);
    for (const v1::RosterOrganisation& org : in.organisations) {
      shape.add_organisations()->set_id(org.id());
    }
    stranded = StrandedSubmissions(shape, *subs);
    if (!stranded.empty() && !r.count("force")) {
      std::string ids;
      for (const std::string& id : stranded) ids += "\n  " + id;
      return Fail(
          cmd, FailedPreconditionError(
                   std::to_string(stranded.size()) +
                   " stored submission(s) would keep fewer than t' = " +
                   std::to_string(in.threshold) +
                   " organisations they do not exclude, so nobody could open "
                   "them any more:" +
                   ids +
                   "\nopen them first, or change the plan; --force only if "
                   "the consortium agreed to lose them"));
    }
    std::printf("stored submissions checked: %zu\n", subs->size());
  }

  StatusOr<v1::ResharePlan> plan = MakeResharePlan(*prev, in);
  if (!plan.ok()) return Fail(cmd, plan.status());
  StatusOr<CheckedResharePlan> checked = CheckResharePlan(*plan, *prev);
  if (!checked.ok()) return Fail(cmd, checked.status());
  Status s = WriteNewMessage(r["out"].as<std::string>(), *plan);
  if (!s.ok()) return Fail(cmd, s);
  PrintCommittee(checked->body, pb);
  for (const std::string& id : stranded) {
    std::printf("FORCED: submission %s will be stranded\n", id.c_str());
  }
  std::printf("plan written: %s\nreshare plan fingerprint (SHA-256): %s\n",
              r["out"].as<std::string>().c_str(),
              Hex(checked->fingerprint).c_str());
  return kCeremonyExitOk;
}

// ---- next-id ----

int NextIdCmd(int argc, char** argv) {
  const std::string cmd = "reshare next-id";
  cxxopts::Options o("conclave-ceremony reshare next-id",
                     "Print the id the next new organisation gets.");
  o.custom_help("--roster ROSTER");
  o.add_options()("roster", "the roster in force",
                  cxxopts::value<std::string>(), "ROSTER");
  AddCommonOptions(&o, false);
  static constexpr char kFooter[] = R"(
New organisations take ids from this one, in order; a departed
organisation's id is never reused. Their editors run `identity new --org ID`
and the organisation `witness new --org ID` with it.
)";
  cxxopts::ParseResult r;
  if (auto rc = ParseCommand(cmd, o, argc, argv, kFooter, {"roster"}, &r)) {
    return *rc;
  }
  StatusOr<VerifiedRoster> prev = LoadPrevious(r["roster"].as<std::string>());
  if (!prev.ok()) return Fail(cmd, prev.status());
  std::printf("next organisation id: %u\n", NextOrganisationId(prev->body));
  return kCeremonyExitOk;
}

// ---- deal ----

int DealCmd(int argc, char** argv) {
  const std::string cmd = "reshare deal";
  cxxopts::Options o("conclave-ceremony reshare deal",
                     "Deal your share to the new committee (each dealer "
                     "editor, on their own machine).");
  o.custom_help(
      "--roster OLD.roster --plan PLAN --identity identity.age --share "
      "share.age --out DIR");
  o.add_options()("roster", "the roster in force",
                  cxxopts::value<std::string>(), "OLD.roster")(
      "plan", "the reshare plan", cxxopts::value<std::string>(), "PLAN")(
      "identity", "your identity.age", cxxopts::value<std::string>(), "FILE")(
      "share", "your share.age of the roster in force",
      cxxopts::value<std::string>(),
      "FILE")("out", "the exchange directory (writes orgO-editorJ.dealing)",
              cxxopts::value<std::string>(), "DIR");
  o.add_options()("dkg",
                  "rekey re-deal: the DKG roster (dkg.roster), in place of "
                  "--roster",
                  cxxopts::value<std::string>(), "DKG.roster");
  AddCommonOptions(&o, true);
  static constexpr char kFooter[] = R"(
Compare the roster and plan fingerprints with the board first. Your share is
checked against the roster; you must be one of the plan's dealers. Your
share is dealt at two levels (brief §9): a polynomial of degree t'-1 among
organisations whose commitments start with your verification share, and for
each new organisation a sharing of its value among its editors, encrypted to
each of them. Read the printed commitments hash aloud; you compare it again
when you sign. The .dealing file holds ciphertexts: destroy it (and every
copy) once the new roster is final.
Rekey re-deal: give --dkg DKG.roster (the rekey's dkg.roster) in place of
--roster, and the plan of `reshare plan --redeal`.
)";
  cxxopts::ParseResult r;
  if (auto rc = ParseCommand(cmd, o, argc, argv,
                             std::string(kFooter) + kPassphraseHelp,
                             {"plan", "identity", "share", "out"}, &r)) {
    return *rc;
  }
  bool redeal = false;
  StatusOr<VerifiedRoster> prev = LoadBase(r, &redeal);
  if (!prev.ok()) return Fail(cmd, prev.status());
  StatusOr<CheckedResharePlan> plan =
      LoadReshare(r["plan"].as<std::string>(), *prev, redeal);
  if (!plan.ok()) return Fail(cmd, plan.status());
  StatusOr<std::unique_ptr<OpenedIdentity>> id =
      OpenIdentityFile(r["identity"].as<std::string>(), r);
  if (!id.ok()) return Fail(cmd, id.status());
  StatusOr<OpenedSecret> share = OpenShareFile(r["share"].as<std::string>(), r);
  if (!share.ok()) return Fail(cmd, share.status());
  const v1::EditorShare& es = share->message().editor_share();
  // In a re-deal the dealer is found by key: the DKG roster numbers
  // organisations by position, the identity by permanent id.
  std::optional<EditorId> me;
  if (redeal) {
    me = FindEditorAnywhere(prev->body, SigningKey(**id));
  } else if (const std::optional<uint32_t> j = FindEditorByKey(
                 prev->body.organisations(), (*id)->org, SigningKey(**id))) {
    me = EditorId{(*id)->org, *j};
  }
  if (!me || me->first != es.org_id() || me->second != es.editor_index()) {
    return Fail(cmd, PermissionDeniedError(
                         "the identity and the share are not the same "
                         "editor's in the roster given (the share is " +
                         EditorLabel(es.org_id(), es.editor_index()) + ")"));
  }
  StatusOr<v1::ReshareDealing> dealing =
      MakeReshareDealing(*plan, *prev, es, *(*id)->signing);
  if (!dealing.ok()) return Fail(cmd, dealing.status());
  v1::ReshareDealingBody body;
  body.ParseFromString(dealing->signed_());
  const fs::path dir = r["out"].as<std::string>();
  std::error_code ec;
  fs::create_directories(dir, ec);
  const fs::path out = dir / DealingName(es.org_id(), es.editor_index());
  Status s = WriteNewMessage(out, *dealing);
  if (!s.ok()) return Fail(cmd, s);
  if (redeal) {
    std::printf(
        "dealing of the dealer at DKG position %u, editor %u "
        "(organisation %u) written: %s\n",
        es.org_id(), es.editor_index(), (*id)->org, out.c_str());
  } else {
    std::printf("dealing of dealer %s written: %s\n",
                EditorLabel(es.org_id(), es.editor_index()).c_str(),
                out.c_str());
  }
  std::printf("your commitments SHA-256: %s  (compare when you sign)\n",
              CommitmentsHash(body.commitments()).c_str());
  return kCeremonyExitOk;
}

// ---- receive ----

int ReceiveCmd(int argc, char** argv) {
  const std::string cmd = "reshare receive";
  cxxopts::Options o("conclave-ceremony reshare receive",
                     "Check every dealing, seal your new share and certify "
                     "the transcript (each new editor, on their own "
                     "machine).");
  o.custom_help(
      "--roster OLD.roster --plan PLAN --dealings DIR --identity identity.age "
      "[--share CURRENT.age] --out share.age --certifications DIR");
  o.add_options()("roster", "the roster in force",
                  cxxopts::value<std::string>(), "OLD.roster")(
      "plan", "the reshare plan", cxxopts::value<std::string>(), "PLAN")(
      "dealings", "directory with every dealer's .dealing file",
      cxxopts::value<std::string>(),
      "DIR")("identity", "your identity.age", cxxopts::value<std::string>(),
             "FILE")("share", "refresh only: your current share.age",
                     cxxopts::value<std::string>(),
                     "FILE")("out", "your new share file to create",
                             cxxopts::value<std::string>(), "share.age")(
      "certifications", "directory for your certification (orgP-editorQ.cert)",
      cxxopts::value<std::string>(),
      "DIR")("work-factor", "scrypt log2 N of the new share file (10..22)",
             cxxopts::value<int>()->default_value("18"), "LOGN");
  o.add_options()("dkg",
                  "rekey re-deal: the DKG roster (dkg.roster), in place of "
                  "--roster",
                  cxxopts::value<std::string>(), "DKG.roster");
  AddCommonOptions(&o, true);
  static constexpr char kFooter[] = R"(
Every dealing is checked: signed by its dealer's key in the roster in force,
for this plan, the dealers exactly the plan's quorum (none missing, none
extra), every vector of the right length, both constant terms (the dealer's
verification share, and the evaluated commitment for each organisation), and
your own evaluations against the commitments (Feldman). Your new share must
match the combined verification share, and the new verification shares must
interpolate to the unchanged consortium key. Then you type a passphrase for
the new share (sealed at the new epoch) and your certification of the
transcript is written: carry it to `reshare finish`.

A failed check is a complaint: nothing is written, the dealer at fault is
named, and the room must choose a new quorum of dealers and a new plan.
Rekey re-deal: give --dkg DKG.roster (the rekey's dkg.roster) in place of
--roster, and the plan of `reshare plan --redeal`.
)";
  cxxopts::ParseResult r;
  if (auto rc = ParseCommand(
          cmd, o, argc, argv, std::string(kFooter) + kPassphraseHelp,
          {"plan", "dealings", "identity", "out", "certifications"}, &r)) {
    return *rc;
  }
  const int wf = r["work-factor"].as<int>();
  if (wf < 10 || wf > 22) return Usage(cmd, "--work-factor must be 10..22");
  bool redeal = false;
  StatusOr<VerifiedRoster> prev = LoadBase(r, &redeal);
  if (!prev.ok()) return Fail(cmd, prev.status());
  StatusOr<CheckedResharePlan> plan =
      LoadReshare(r["plan"].as<std::string>(), *prev, redeal);
  if (!plan.ok()) return Fail(cmd, plan.status());
  if (plan->refresh != (r.count("share") > 0)) {
    return Usage(cmd,
                 plan->refresh
                     ? "a refresh adds to your current share: give --share"
                     : "a reshare does not use your old share: no --share");
  }
  const fs::path out = r["out"].as<std::string>();
  std::error_code ec;
  if (fs::exists(out, ec)) {
    return Fail(cmd, AlreadyExistsError(out.string() + " exists"));
  }
  // Refuse bad dealings before any passphrase is typed.
  StatusOr<std::vector<v1::ReshareDealing>> dealings =
      LoadDealings(r["dealings"].as<std::string>());
  StatusOr<ReshareOutcome> outcome =
      dealings.ok() ? CombineReshareDealings(*plan, *prev, *dealings)
                    : StatusOr<ReshareOutcome>(dealings.status());
  if (!outcome.ok()) {
    return FailWithComplaint(cmd, outcome.status());
  }
  StatusOr<std::unique_ptr<OpenedIdentity>> id =
      OpenIdentityFile(r["identity"].as<std::string>(), r);
  if (!id.ok()) return Fail(cmd, id.status());
  const uint32_t p = (*id)->org;
  const std::optional<uint32_t> q =
      FindEditorByKey(plan->body.organisations(), p, SigningKey(**id));
  if (!q) {
    return Fail(cmd, NotFoundError("this identity is not an editor of "
                                   "organisation " +
                                   std::to_string(p) + " in the plan"));
  }
  std::optional<OpenedSecret> old;
  if (plan->refresh) {
    StatusOr<OpenedSecret> s = OpenShareFile(r["share"].as<std::string>(), r);
    if (!s.ok()) return Fail(cmd, s.status());
    old.emplace(std::move(s).value());
  }
  StatusOr<ReceivedShare> got =
      ReceiveReshare(*plan, *prev, *dealings, p, *q, (*id)->receiving,
                     old ? &old->message().editor_share() : nullptr);
  if (!got.ok()) {
    return FailWithComplaint(cmd, got.status());
  }
  // The transcript everyone must certify identically.
  StatusOr<SuccessorDraft> draft = AssembleSuccessor(*plan, *prev, *outcome);
  if (!draft.ok()) return Fail(cmd, draft.status());
  StatusOr<SecretBytes> pass = CommandPassphrase(
      r, "Passphrase for your new share " + out.string() + ": ", true);
  if (!pass.ok()) return Fail(cmd, pass.status());
  if (out.has_parent_path()) fs::create_directories(out.parent_path(), ec);
  Status s =
      SealEditorShare(out, prev->consortium_key, p, got->share,
                      got->verification_share, *pass, wf, plan->body.epoch());
  if (!s.ok()) return Fail(cmd, s);
  v1::ReshareRecord cert;
  cert.set_transcript(draft->record.transcript());
  SignReshareRecord(&cert, false, p, *q, *(*id)->signing);
  const fs::path cdir = r["certifications"].as<std::string>();
  fs::create_directories(cdir, ec);
  s = WriteNewMessage(cdir / CertificationName(p, *q), cert);
  if (!s.ok()) return Fail(cmd, s);
  std::printf("all %d dealings verified\n", plan->body.dealers_size());
  std::printf("new share of %s sealed at epoch %llu: %s\n",
              EditorLabel(p, *q).c_str(),
              static_cast<unsigned long long>(plan->body.epoch()), out.c_str());
  std::printf("your new verification share: %s  (compare when you sign)\n",
              HexEncode(got->verification_share.EncodeCompressed()).c_str());
  std::printf("transcript SHA-256: %s  (must be the same for every editor)\n",
              Hex(Sha256(AsBytes(draft->record.transcript()))).c_str());
  std::printf("consortium key (%s): %s\n",
              redeal ? "the rekey's new key" : "unchanged",
              age::EncodeP256TagRecipient(prev->consortium_key).c_str());
  std::printf("certification written: %s\n",
              (cdir / CertificationName(p, *q)).c_str());
  return kCeremonyExitOk;
}

// ---- finish ----

int FinishCmd(int argc, char** argv) {
  const std::string cmd = "reshare finish";
  cxxopts::Options o("conclave-ceremony reshare finish",
                     "Assemble the successor roster and the reshare record "
                     "from the dealings and every new editor's "
                     "certification.");
  o.custom_help(
      "--roster OLD.roster --plan PLAN --dealings DIR --certifications DIR "
      "--out DIR [--drill-files N] [--shred]");
  o.add_options()("roster", "the roster in force",
                  cxxopts::value<std::string>(), "OLD.roster")(
      "plan", "the reshare plan", cxxopts::value<std::string>(), "PLAN")(
      "dealings", "directory with every .dealing file",
      cxxopts::value<std::string>(),
      "DIR")("certifications", "directory with every new editor's .cert file",
             cxxopts::value<std::string>(), "DIR")(
      "out", "the new roster directory", cxxopts::value<std::string>(), "DIR")(
      "drill-files", "drill files for the new epoch",
      cxxopts::value<uint32_t>()->default_value("1"),
      "N")("shred", "also overwrite and delete the .dealing files");
  o.add_options()("dkg",
                  "rekey re-deal: the DKG roster (dkg.roster), in place of "
                  "--roster",
                  cxxopts::value<std::string>(), "DKG.roster");
  AddCommonOptions(&o, false);
  static constexpr char kFooter[] = R"(
Checks every dealing again, and that every new editor certified this very
transcript (a missing or different certification is named). Writes
DIR/roster.unsigned, DIR/reshare.record (certified by the new editors so
far; the dealers certify at `reshare sign`) and DIR/drill/. The .dealing
files hold ciphertexts: destroy them (--shred here, every other copy by
hand).
Rekey re-deal: give --dkg DKG.roster (the rekey's dkg.roster) in place of
--roster, and the plan of `reshare plan --redeal`.
)";
  cxxopts::ParseResult r;
  if (auto rc =
          ParseCommand(cmd, o, argc, argv, kFooter,
                       {"plan", "dealings", "certifications", "out"}, &r)) {
    return *rc;
  }
  const uint32_t drills = r["drill-files"].as<uint32_t>();
  if (drills < 1 || drills > 100) {
    return Usage(cmd, "--drill-files must be between 1 and 100");
  }
  bool redeal = false;
  StatusOr<VerifiedRoster> prev = LoadBase(r, &redeal);
  if (!prev.ok()) return Fail(cmd, prev.status());
  StatusOr<CheckedResharePlan> plan =
      LoadReshare(r["plan"].as<std::string>(), *prev, redeal);
  if (!plan.ok()) return Fail(cmd, plan.status());
  const fs::path dealings_dir = r["dealings"].as<std::string>();
  StatusOr<std::vector<v1::ReshareDealing>> dealings =
      LoadDealings(dealings_dir);
  StatusOr<ReshareOutcome> outcome =
      dealings.ok() ? CombineReshareDealings(*plan, *prev, *dealings)
                    : StatusOr<ReshareOutcome>(dealings.status());
  if (!outcome.ok()) {
    return FailWithComplaint(cmd, outcome.status());
  }
  StatusOr<SuccessorDraft> draft = AssembleSuccessor(*plan, *prev, *outcome);
  if (!draft.ok()) return Fail(cmd, draft.status());
  const Bytes message = DomainSeparatedMessage(
      kReshareTranscriptDst, AsBytes(draft->record.transcript()));

  // Every new editor's certification of this transcript.
  std::map<EditorId, v1::RosterSignature> certs;
  StatusOr<std::vector<fs::path>> files =
      ListFiles(r["certifications"].as<std::string>(), kCertificationSuffix);
  if (!files.ok()) return Fail(cmd, files.status());
  for (const fs::path& f : *files) {
    StatusOr<v1::ReshareRecord> c =
        ReadMessageFile<v1::ReshareRecord>(f, "a certification");
    if (!c.ok()) return Fail(cmd, c.status());
    if (c->editor_signatures_size() != 1 || c->dealer_signatures_size() != 0) {
      return Fail(cmd, InvalidArgumentError(
                           f.string() + " is not one editor's certification"));
    }
    const v1::RosterSignature& sig = c->editor_signatures(0);
    const std::string who = EditorLabel(sig.org_id(), sig.editor_index());
    const v1::RosterEditor* e = nullptr;
    for (const v1::RosterOrganisation& org : plan->body.organisations()) {
      if (org.id() != sig.org_id()) continue;
      for (const v1::RosterEditor& x : org.editors()) {
        if (x.index() == sig.editor_index()) e = &x;
      }
    }
    if (e == nullptr) {
      return Fail(cmd, InvalidArgumentError(f.string() + ": " + who +
                                            " is not a new editor of this "
                                            "plan"));
    }
    if (c->transcript() != draft->record.transcript()) {
      return Fail(cmd,
                  FailedPreconditionError(
                      who + " certified a different transcript (" + f.string() +
                      "): they received other dealings; compare the "
                      "transcript hashes aloud"));
    }
    if (!Ed25519Verify(AsBytes(e->ed25519_public_key()), message,
                       AsBytes(sig.signature()))
             .ok()) {
      return Fail(
          cmd, UnauthenticatedError("the certification of " + who +
                                    " does not verify (" + f.string() + ")"));
    }
    if (!certs.emplace(EditorId{sig.org_id(), sig.editor_index()}, sig)
             .second) {
      return Fail(cmd, InvalidArgumentError(who + " certified twice"));
    }
  }
  std::string missing;
  for (const v1::RosterOrganisation& org : plan->body.organisations()) {
    for (const v1::RosterEditor& e : org.editors()) {
      if (!certs.contains({org.id(), e.index()})) {
        missing +=
            "\n  " + EditorLabel(org.id(), e.index()) + " (" + e.name() + ")";
      }
    }
  }
  if (!missing.empty()) {
    return Fail(cmd,
                FailedPreconditionError("no certification yet from:" + missing +
                                        "\neach runs `reshare receive` first"));
  }
  for (auto& [who, sig] : certs) {
    *draft->record.add_editor_signatures() = sig;
  }

  const fs::path out = r["out"].as<std::string>();
  std::error_code ec;
  if (fs::exists(out / "roster.unsigned", ec)) {
    return Fail(cmd, AlreadyExistsError((out / "roster.unsigned").string() +
                                        " exists"));
  }
  fs::create_directories(out, ec);
  StatusOr<std::vector<std::string>> ids =
      MakeDrillFiles(prev->consortium_key, drills, out / "drill", &draft->body);
  if (!ids.ok()) return Fail(cmd, ids.status());
  v1::Roster roster;
  if (!draft->body.SerializeToString(roster.mutable_signed_())) {
    return Fail(cmd, InternalError("cannot serialize the roster"));
  }
  Status s = WriteNewMessage(out / RecordName(redeal), draft->record);
  if (s.ok()) s = WriteNewMessage(out / "roster.unsigned", roster);
  if (!s.ok()) return Fail(cmd, s);
  PrintCommittee(plan->body, prev->body);
  std::printf("transcript SHA-256: %s\n",
              Hex(Sha256(AsBytes(draft->record.transcript()))).c_str());
  std::printf("roster assembled: %s\nroster fingerprint (SHA-256): %s\n",
              (out / "roster.unsigned").c_str(),
              Hex(Sha256(AsBytes(roster.signed_()))).c_str());
  std::printf(
      "now every new editor and every dealer runs `reshare sign`, then "
      "`reshare finalize`\n");
  if (r.count("shred")) {
    StatusOr<std::vector<fs::path>> shred =
        ListFiles(dealings_dir, kDealingSuffix);
    if (!shred.ok()) return Fail(cmd, shred.status());
    for (const fs::path& f : *shred) {
      s = ShredFile(f);
      if (!s.ok()) return Fail(cmd, s);
      std::printf("shredded %s\n", f.c_str());
    }
  } else {
    std::printf(
        "NOW DESTROY the .dealing files in %s and every copy of them once "
        "the roster is final: they hold share ciphertexts.\n",
        dealings_dir.c_str());
  }
  return kCeremonyExitOk;
}

// ---- sign / finalize ----

struct Draft {
  v1::Roster roster;
  v1::RosterBody body;
  v1::ReshareRecord record;
};

StatusOr<Draft> ReadDraft(const fs::path& dir, bool redeal) {
  Draft d;
  CONCLAVE_ASSIGN_OR_RETURN(d.roster, ReadMessageFile<v1::Roster>(
                                          dir / "roster.unsigned", "a roster"));
  if (!d.body.ParseFromString(d.roster.signed_())) {
    return InvalidArgumentError("roster.unsigned: the body does not parse");
  }
  CONCLAVE_ASSIGN_OR_RETURN(
      d.record,
      ReadMessageFile<v1::ReshareRecord>(dir / RecordName(redeal), "a record"));
  return d;
}

// Before anyone signs: the unsigned roster is exactly what the record's
// transcript gives over the roster in force (only the drill ids are added
// by finish), and the record is the roster's.
Status CheckDraft(const Draft& d, const VerifiedRoster& prev,
                  CheckedResharePlan* plan_out,
                  std::vector<v1::ReshareCommitments>* commitments) {
  const Sha256Digest th = Sha256(AsBytes(d.record.transcript()));
  if (std::string(th.begin(), th.end()) != d.body.transcript_hash()) {
    return InvalidArgumentError(
        "the record is not this roster's (transcript hash differs)");
  }
  v1::ReshareTranscript transcript;
  if (!transcript.ParseFromString(d.record.transcript())) {
    return InvalidArgumentError(
        "reshare.record: the transcript does not parse");
  }
  v1::ResharePlan plan_msg;
  plan_msg.set_body(transcript.plan());
  CONCLAVE_ASSIGN_OR_RETURN(*plan_out, CheckResharePlan(plan_msg, prev));
  commitments->assign(transcript.dealings().begin(),
                      transcript.dealings().end());
  CONCLAVE_ASSIGN_OR_RETURN(
      ReshareOutcome outcome,
      CombineReshareCommitments(*plan_out, prev, *commitments));
  CONCLAVE_ASSIGN_OR_RETURN(SuccessorDraft expected,
                            AssembleSuccessor(*plan_out, prev, outcome));
  v1::RosterBody got = d.body;
  got.clear_drill_submission_ids();
  std::string a, b;
  got.SerializeToString(&a);
  expected.body.SerializeToString(&b);
  if (a != b || expected.record.transcript() != d.record.transcript()) {
    return InvalidArgumentError(
        "roster.unsigned is not the roster that the transcript gives: do not "
        "sign it");
  }
  return OkStatus();
}

int SignCmd(int argc, char** argv) {
  const std::string cmd = "reshare sign";
  cxxopts::Options o("conclave-ceremony reshare sign",
                     "Sign the successor roster: as a new editor, as a "
                     "dealer (also certifying the transcript), or both.");
  o.custom_help(
      "--roster OLD.roster | --dkg DKG.roster --dir DIR --identity "
      "identity.age");
  o.add_options()("roster", "the roster in force",
                  cxxopts::value<std::string>(), "OLD.roster")(
      "dir", "the new roster directory (from reshare finish)",
      cxxopts::value<std::string>(), "DIR")(
      "identity", "your identity.age", cxxopts::value<std::string>(), "FILE")(
      "dkg", "rekey re-deal: the DKG roster (dkg.roster), in place of --roster",
      cxxopts::value<std::string>(), "DKG.roster");
  AddCommonOptions(&o, true);
  static constexpr char kFooter[] = R"(
Before signing, the roster is recomputed from the transcript in
DIR/reshare.record and the roster in force: anything else is refused. Compare
the roster fingerprint with the board, your verification share with what
`reshare receive` printed (new editors), and your commitments hash with what
`reshare deal` printed (dealers). A continuing editor who dealt signs both
ways in one run.

Rekey re-deal (--dkg DKG.roster): nobody signs the roster as a dealer (the
rekey roster continues the roster before the DKG and names no dealers);
dealers certify the re-deal's transcript under their DKG position, and every
editor signs the roster under their organisation id, in one run.
)";
  cxxopts::ParseResult r;
  if (auto rc = ParseCommand(cmd, o, argc, argv,
                             std::string(kFooter) + kPassphraseHelp,
                             {"dir", "identity"}, &r)) {
    return *rc;
  }
  bool redeal = false;
  StatusOr<VerifiedRoster> prev = LoadBase(r, &redeal);
  if (!prev.ok()) return Fail(cmd, prev.status());
  const fs::path dir = r["dir"].as<std::string>();
  StatusOr<Draft> d = ReadDraft(dir, redeal);
  if (!d.ok()) return Fail(cmd, d.status());
  CheckedResharePlan plan;
  std::vector<v1::ReshareCommitments> commitments;
  Status s = CheckDraft(*d, *prev, &plan, &commitments);
  if (!s.ok()) return Fail(cmd, s);
  std::printf("roster fingerprint (SHA-256): %s\n",
              Hex(Sha256(AsBytes(d->roster.signed_()))).c_str());
  if (plan.redeal != redeal) {
    return Fail(cmd, FailedPreconditionError(
                         "the roster in " + dir.string() +
                         (plan.redeal ? " is a rekey re-deal's: give --dkg"
                                      : " is not a re-deal's: give --roster")));
  }
  std::printf("consortium key (%s): %s\n",
              redeal ? "the rekey's new key" : "unchanged",
              age::EncodeP256TagRecipient(prev->consortium_key).c_str());
  StatusOr<std::unique_ptr<OpenedIdentity>> id =
      OpenIdentityFile(r["identity"].as<std::string>(), r);
  if (!id.ok()) return Fail(cmd, id.status());
  const std::string key = SigningKey(**id);
  const uint32_t org = (*id)->org;
  bool signed_any = false;

  // As a new editor.
  if (const std::optional<uint32_t> q =
          FindEditorByKey(d->body.organisations(), org, key)) {
    StatusOr<v1::RosterSignature> sig =
        SignAssembledRoster(&d->roster, (*id)->message);
    if (!sig.ok()) return Fail(cmd, sig.status());
    const v1::RosterOrganisation* norg = FindOrganisation(d->body, org);
    std::printf("signed as new %s (%s)\n", EditorLabel(org, *q).c_str(),
                norg->name().c_str());
    std::printf("your verification share in it: %s (compare with receive)\n",
                HexEncode(AsBytes(norg->editors(static_cast<int>(*q - 1))
                                      .verification_share()))
                    .c_str());
    signed_any = true;
  }
  // As a dealer (key in the roster the plan continues; in a re-deal the
  // DKG roster, where the dealer's organisation is its DKG position).
  std::optional<EditorId> dealer;
  if (redeal) {
    dealer = FindEditorAnywhere(prev->body, key);
  } else if (const std::optional<uint32_t> j =
                 FindEditorByKey(prev->body.organisations(), org, key)) {
    dealer = EditorId{org, *j};
  }
  if (dealer) {
    const auto [o, j] = *dealer;
    for (size_t i = 0; i < commitments.size(); ++i) {
      const v1::ReshareCommitments& c = commitments[i];
      if (c.org_id() != o || c.editor_index() != j) continue;
      const auto& already = redeal ? d->record.dealer_signatures()
                                   : d->roster.dealer_signatures();
      for (const v1::RosterSignature& x : already) {
        if (x.org_id() == o && x.editor_index() == j) {
          return Fail(cmd,
                      AlreadyExistsError("you have already signed as dealer"));
        }
      }
      if (!redeal) {
        *d->roster.add_dealer_signatures() =
            SignRosterAsDealer(d->roster, o, j, *(*id)->signing);
      }
      SignReshareRecord(&d->record, true, o, j, *(*id)->signing);
      if (redeal) {
        std::printf(
            "certified the re-deal as dealer at DKG position %u, "
            "editor %u\n",
            o, j);
      } else {
        std::printf("signed and certified as dealer %s\n",
                    EditorLabel(o, j).c_str());
      }
      std::printf(
          "your commitments SHA-256 in the transcript: %s (compare with "
          "deal)\n",
          CommitmentsHash(c).c_str());
      signed_any = true;
    }
  }
  if (!signed_any) {
    return Fail(cmd, NotFoundError("this identity is neither an editor of "
                                   "the new roster nor a dealer of the plan"));
  }
  s = ReplaceMessage(dir / RecordName(redeal), d->record);
  if (s.ok()) s = ReplaceMessage(dir / "roster.unsigned", d->roster);
  if (!s.ok()) return Fail(cmd, s);
  int editors = 0;
  for (const v1::RosterOrganisation& o : d->body.organisations()) {
    editors += o.editors_size();
  }
  if (redeal) {
    std::printf(
        "signatures: %d of %d editors; certifications: %d of %d "
        "dealers\n",
        d->roster.signatures_size(), editors,
        d->record.dealer_signatures_size(), plan.body.dealers_size());
  } else {
    std::printf("signatures: %d of %d new editors, %d of %d dealers\n",
                d->roster.signatures_size(), editors,
                d->roster.dealer_signatures_size(),
                d->body.change().dealers_size());
  }
  return kCeremonyExitOk;
}

// `reshare finalize --dkg --previous`: the rekey roster after its re-deal,
// checked against the roster before the rekey, and the whole rekey record.
int FinalizeRedeal(const std::string& cmd, const cxxopts::ParseResult& r) {
  StatusOr<RekeyRosters> rosters = LoadRekeyRosters(r);
  if (!rosters.ok()) return Fail(cmd, rosters.status());
  const RosterDir* prev = &rosters->previous;
  const DkgRoster* dkg = &rosters->dkg;
  const fs::path dir = r["dir"].as<std::string>();
  StatusOr<Draft> d = ReadDraft(dir, true);
  if (!d.ok()) return Fail(cmd, d.status());
  StatusOr<v1::CocktailRecord> cocktail = ReadMessageFile<v1::CocktailRecord>(
      dkg->dir / "cocktail.record", "a COCKTAIL record");
  if (!cocktail.ok()) {
    return Fail(cmd, cocktail.status().Annotate(
                         "the DKG's cocktail.record must lie next to "
                         "dkg.roster"));
  }
  StatusOr<VerifiedRoster> next =
      VerifyRosterSuccessor(prev->roster, d->roster);
  if (!next.ok()) return Fail(cmd, next.status());
  v1::RekeyRecord record;
  *record.mutable_cocktail() = std::move(cocktail).value();
  *record.mutable_dkg_roster() = dkg->roster;
  *record.mutable_redeal() = d->record;
  Status s = CheckRekeyRecord(record, prev->roster, *next);
  if (s.ok()) s = WriteRekeyOutputs(dir, *prev, d->roster, *next, record);
  if (!s.ok()) return Fail(cmd, s);
  const std::string recipient =
      age::EncodeP256TagRecipient(next->consortium_key);
  std::printf(
      "rekey roster of epoch %llu verified: signed by all %d editors; the "
      "re-deal certified by all %d dealers and every editor\n"
      "new consortium key: %s\nroster fingerprint (SHA-256): %s\n"
      "written: %s, %s, %s, %s\n",
      static_cast<unsigned long long>(next->body.epoch()),
      d->roster.signatures_size(), d->record.dealer_signatures_size(),
      recipient.c_str(), Hex(next->fingerprint).c_str(),
      (dir / "consortium.roster").c_str(), (dir / "consortium.pub").c_str(),
      (dir / "rekey.record").c_str(), (dir / "chain").c_str());
  std::printf(
      "next: the drill on the new roster, then `conclave --server "
      "ADDR roster push`\n");
  std::fputs(kRekeyDestroyBox, stdout);
  return kCeremonyExitOk;
}

int FinalizeCmd(int argc, char** argv) {
  const std::string cmd = "reshare finalize";
  cxxopts::Options o("conclave-ceremony reshare finalize",
                     "Check every signature and relation of the successor "
                     "roster and write it.");
  o.custom_help(
      "--roster OLD.roster --dir DIR | --dkg DKG.roster --previous DIR --dir "
      "DIR");
  o.add_options()("roster", "the roster in force",
                  cxxopts::value<std::string>(), "OLD.roster")(
      "dir", "the new roster directory", cxxopts::value<std::string>(), "DIR")(
      "dkg",
      "rekey re-deal: the DKG roster (dkg.roster; its cocktail.record lies "
      "next to it)",
      cxxopts::value<std::string>(), "DKG.roster")(
      "previous",
      "rekey re-deal: the directory of the roster in force before the rekey "
      "(consortium.roster and chain/)",
      cxxopts::value<std::string>(), "DIR");
  AddCommonOptions(&o, false);
  static constexpr char kFooter[] = R"(
Checks the new roster against the one in force (epoch + 1, previous
fingerprint, unchanged key and log key, ids never reused, the dealers a
quorum, every new editor's and every dealer's signature) and the reshare
record (its commitments recombine to the roster's; every dealer and new
editor certified it). Writes DIR/consortium.roster, DIR/consortium.pub and
DIR/chain/epoch-N.roster (every earlier roster, for `verify-chain --dir
DIR`). Then: the drill, `conclave --server ADDR roster push`, and the old
shares are destroyed.

Rekey re-deal (--dkg DKG.roster --previous DIR): the new roster must be the
rekey successor of the roster in DIR (epoch + 1, a new key, the same
committee, ids and editors' keys, no dealers) and the rekey record must hold:
the DKG roster continues DIR's roster and its COCKTAIL record verifies, and
the re-deal's transcript recombines to the new roster, certified by every
dealer (DKG position) and every editor. Writes DIR/consortium.roster,
DIR/consortium.pub, DIR/chain/ and DIR/rekey.record.
)";
  cxxopts::ParseResult r;
  if (auto rc = ParseCommand(cmd, o, argc, argv, kFooter, {"dir"}, &r)) {
    return *rc;
  }
  if (r.count("dkg")) {
    if (r.count("roster") || !r.count("previous")) {
      return Usage(cmd,
                   "a re-deal is finalized with --dkg DKG.roster and "
                   "--previous DIR (no --roster)");
    }
    return FinalizeRedeal(cmd, r);
  }
  if (!r.count("roster") || r.count("previous")) {
    return Usage(cmd,
                 "required: --roster (or --dkg and --previous for a rekey "
                 "re-deal)");
  }
  const fs::path old_path = r["roster"].as<std::string>();
  StatusOr<VerifiedRoster> prev = LoadPrevious(old_path);
  if (!prev.ok()) return Fail(cmd, prev.status());
  const fs::path dir = r["dir"].as<std::string>();
  StatusOr<Draft> d = ReadDraft(dir, false);
  if (!d.ok()) return Fail(cmd, d.status());
  StatusOr<VerifiedRoster> next = VerifyRosterSuccessor(*prev, d->roster);
  if (!next.ok()) return Fail(cmd, next.status());
  Status s = CheckReshareRecord(d->record, *prev, *next);
  if (!s.ok()) return Fail(cmd, s);

  // The chain so far: the roster in force, and the rosters before it when
  // it sits in a directory with chain/ (as finalize and simulate-reshare
  // write).
  std::vector<v1::Roster> chain;
  std::error_code ec;
  const fs::path old_dir =
      old_path.has_parent_path() ? old_path.parent_path() : fs::path(".");
  if (fs::is_directory(old_dir / "chain", ec) &&
      fs::equivalent(old_dir / "consortium.roster", old_path, ec)) {
    StatusOr<std::vector<v1::Roster>> c = ReadRosterChain(old_dir);
    if (!c.ok()) return Fail(cmd, c.status());
    StatusOr<std::vector<VerifiedRoster>> v = VerifyRosterChain(*c);
    if (!v.ok()) return Fail(cmd, v.status().Annotate("the earlier chain"));
    chain = std::move(c).value();
  } else {
    StatusOr<v1::Roster> one =
        ReadMessageFile<v1::Roster>(old_path, "a roster");
    if (!one.ok()) return Fail(cmd, one.status());
    chain.push_back(std::move(one).value());
  }
  s = WriteRosterDir(dir, chain, d->roster, *next);
  if (!s.ok()) return Fail(cmd, s);
  std::printf(
      "roster of epoch %llu verified: signed by all %d new editors and all "
      "%d dealers; reshare record certified\n",
      static_cast<unsigned long long>(next->body.epoch()),
      d->roster.signatures_size(), d->roster.dealer_signatures_size());
  std::printf(
      "consortium key (unchanged): %s\nroster fingerprint (SHA-256): "
      "%s\nwritten: %s, %s\n",
      age::EncodeP256TagRecipient(next->consortium_key).c_str(),
      Hex(next->fingerprint).c_str(), (dir / "consortium.roster").c_str(),
      (dir / "consortium.pub").c_str());
  std::fputs(kOldSharesBox, stdout);
  return kCeremonyExitOk;
}

}  // namespace

int ReshareMain(int argc, char** argv) {
  const std::string sub = argc >= 1 ? argv[0] : "";
  if (sub == "plan") return PlanCmd(argc, argv);
  if (sub == "next-id") return NextIdCmd(argc, argv);
  if (sub == "deal") return DealCmd(argc, argv);
  if (sub == "receive") return ReceiveCmd(argc, argv);
  if (sub == "finish") return FinishCmd(argc, argv);
  if (sub == "sign") return SignCmd(argc, argv);
  if (sub == "finalize") return FinalizeCmd(argc, argv);
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::printf(
        "conclave-ceremony reshare: membership change as file rounds "
        "(docs/ceremony.md)\n\n"
        "  reshare next-id  --roster R\n"
        "  reshare plan     --roster R --kind reshare|refresh ... --out PLAN\n"
        "  reshare deal     --roster R --plan PLAN --identity F --share F "
        "--out DIR\n"
        "  reshare receive  --roster R --plan PLAN --dealings DIR --identity "
        "F\n"
        "                   [--share F] --out share.age --certifications DIR\n"
        "  reshare finish   --roster R --plan PLAN --dealings DIR "
        "--certifications DIR\n"
        "                   --out DIR\n"
        "  reshare sign     --roster R --dir DIR --identity F\n"
        "  reshare finalize --roster R --dir DIR\n\n"
        "Rekey re-deal: reshare plan --redeal --dkg DKG.roster --previous "
        "DIR --out PLAN;\nthen deal, receive, finish and sign with --dkg "
        "DKG.roster in place of --roster,\nand reshare finalize --dkg "
        "DKG.roster --previous DIR --dir DIR2.\n\n"
        "Each has --help.\n%s",
        CeremonyExitCodeHelp());
    return kCeremonyExitOk;
  }
  return Usage("reshare",
               "needs plan, next-id, deal, receive, finish, sign or finalize");
}

}  // namespace conclave::keyceremony
