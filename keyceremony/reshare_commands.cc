#include "keyceremony/reshare_commands.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cxxopts.hpp>
#include <map>
#include <memory>
#include <set>
#include <system_error>
#include <utility>

#include "age/io.h"
#include "age/p256tag.h"
#include "age/submission.h"
#include "base/file_util.h"
#include "keyceremony/ceremony_commands.h"
#include "keyceremony/command_util.h"
#include "keyceremony/reshare.h"
#include "keyceremony/roster.h"
#include "keyceremony/simulate.h"
#include "sealed/passphrase.h"
#include "sealed/sealed_file.h"

namespace conclave::keyceremony {

namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxCopiedFile = size_t{16} << 20;

std::string OrgDir(uint32_t o) { return "org" + std::to_string(o); }
std::string EditorDir(uint32_t j) { return "editor" + std::to_string(j); }

std::string PointBytes(const Point& p) {
  const CompressedPoint c = p.EncodeCompressed();
  return std::string(c.begin(), c.end());
}

Status CopyFile(const fs::path& from, const fs::path& to, mode_t mode) {
  CONCLAVE_ASSIGN_OR_RETURN(Bytes data, ReadFileBytes(from, kMaxCopiedFile));
  std::error_code ec;
  fs::create_directories(to.parent_path(), ec);
  if (ec) {
    return Status(StatusCode::kUnavailable,
                  "cannot create " + to.parent_path().string());
  }
  return CreateFileAtomically(to, data, mode);
}

Status WriteMessage(const fs::path& path,
                    const google::protobuf::MessageLite& m) {
  std::string encoded;
  if (!m.SerializeToString(&encoded)) {
    return InternalError("cannot serialize " + path.string());
  }
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) {
    return Status(StatusCode::kUnavailable,
                  "cannot create " + path.parent_path().string());
  }
  return CreateFileAtomically(path, AsBytes(encoded), 0644);
}

// An editor's identity, opened.
struct Identity {
  uint32_t org = 0;
  uint32_t index = 0;
  std::unique_ptr<Ed25519PrivateKey> signing;
  Scalar receiving;
};

StatusOr<Identity> OpenIdentity(const fs::path& path,
                                const SecretBytes& passphrase) {
  CONCLAVE_ASSIGN_OR_RETURN(OpenedSecret opened,
                            ReadSealedFile(path, passphrase));
  if (!opened.message().has_editor_identity()) {
    return InvalidArgumentError(path.string() + " is not an editor identity");
  }
  const v1::EditorIdentity& id = opened.message().editor_identity();
  Identity out;
  out.org = id.org_id();
  out.index = id.editor_index();
  CONCLAVE_ASSIGN_OR_RETURN(
      Ed25519PrivateKey key,
      Ed25519PrivateKey::FromSeed(AsBytes(id.ed25519_seed())));
  out.signing = std::make_unique<Ed25519PrivateKey>(std::move(key));
  CONCLAVE_ASSIGN_OR_RETURN(out.receiving,
                            Scalar::FromBytes(AsBytes(id.p256_private_key())));
  return out;
}

StatusOr<OpenedSecret> OpenShare(const fs::path& path,
                                 const SecretBytes& passphrase) {
  CONCLAVE_ASSIGN_OR_RETURN(OpenedSecret opened,
                            ReadSealedFile(path, passphrase));
  if (!opened.message().has_editor_share()) {
    return InvalidArgumentError(path.string() + " is not an editor share");
  }
  return opened;
}

Status PrepareOut(const fs::path& out) {
  std::error_code ec;
  if (fs::exists(out, ec) && !fs::is_empty(out, ec)) {
    return AlreadyExistsError(out.string() +
                              " exists and is not empty; choose a new "
                              "directory (outputs are never overwritten)");
  }
  fs::create_directories(out, ec);
  if (ec)
    return Status(StatusCode::kUnavailable, "cannot create " + out.string());
  return OkStatus();
}

// The previous roster, checked along its chain when it has one.
StatusOr<VerifiedRoster> ReadPrevious(const fs::path& from,
                                      std::vector<v1::Roster>* chain) {
  CONCLAVE_ASSIGN_OR_RETURN(*chain, ReadRosterChain(from));
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<VerifiedRoster> verified,
                            VerifyRosterChain(*chain));
  return std::move(verified.back());
}

StatusOr<std::vector<SubmissionExclusions>> ReadSubmissions(const fs::path& dir,
                                                            const Point& y) {
  std::vector<SubmissionExclusions> out;
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".age") files.push_back(e.path());
  }
  if (ec) return NotFoundError("cannot read " + dir.string());
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    CONCLAVE_ASSIGN_OR_RETURN(Bytes data, ReadFileBytes(f, size_t{1} << 30));
    age::MemoryReader reader(data);
    StatusOr<age::Header> header = age::ReadAgeFileHeader(reader);
    if (!header.ok()) return header.status().Annotate(f.string());
    StatusOr<age::SubmissionInfo> info = age::ValidateSubmission(
        *header, y, {.allow_drill = true, .max_exclusions = std::nullopt});
    if (!info.ok()) return info.status().Annotate(f.string());
    out.push_back({info->id, info->excluded_orgs});
  }
  return out;
}

Status CheckStranding(const MembershipSimOptions& o, const Point& y,
                      const v1::RosterBody& next, MembershipSimResult* result) {
  if (!o.submissions) return OkStatus();
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<SubmissionExclusions> subs,
                            ReadSubmissions(*o.submissions, y));
  result->stranded = StrandedSubmissions(next, subs);
  if (!result->stranded.empty() && !o.force) {
    std::string ids;
    for (const std::string& id : result->stranded) {
      ids += (ids.empty() ? "" : ", ") + id;
    }
    return FailedPreconditionError(
        std::to_string(result->stranded.size()) +
        " stored submission(s) would be left with fewer than t' = " +
        std::to_string(next.threshold()) +
        " organisations they do not exclude, so nobody could open them: " +
        ids + " (use --force only if the consortium agreed to lose them)");
  }
  return OkStatus();
}

Status CarryDrillFiles(const fs::path& from, const fs::path& out,
                       const VerifiedRoster& prev, v1::RosterBody* body) {
  std::error_code ec;
  if (!fs::is_directory(from / "drill", ec)) return OkStatus();
  CONCLAVE_ASSIGN_OR_RETURN(
      std::vector<SubmissionExclusions> subs,
      ReadSubmissions(from / "drill", prev.consortium_key));
  std::set<std::string> listed(prev.body.drill_submission_ids().begin(),
                               prev.body.drill_submission_ids().end());
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(from / "drill", ec)) {
    if (e.path().extension() == ".age") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());  // the order ReadSubmissions used
  for (size_t i = 0; i < files.size(); ++i) {
    if (!listed.contains(subs[i].id)) continue;
    CONCLAVE_RETURN_IF_ERROR(
        CopyFile(files[i],
                 out / "drill" /
                     ("epoch" + std::to_string(prev.body.epoch()) + "-" +
                      files[i].filename().string()),
                 0644));
    body->add_drill_submission_ids(subs[i].id);
  }
  return OkStatus();
}

}  // namespace

StatusOr<std::vector<v1::Roster>> ReadRosterChain(const fs::path& dir) {
  std::map<uint64_t, v1::Roster> by_epoch;
  std::error_code ec;
  if (fs::is_directory(dir / "chain", ec)) {
    for (const auto& e : fs::directory_iterator(dir / "chain", ec)) {
      if (e.path().extension() != ".roster") continue;
      CONCLAVE_ASSIGN_OR_RETURN(Bytes data,
                                ReadFileBytes(e.path(), kMaxRosterSize));
      v1::Roster r;
      v1::RosterBody b;
      if (!r.ParseFromArray(data.data(), static_cast<int>(data.size())) ||
          !b.ParseFromString(r.signed_())) {
        return InvalidArgumentError(e.path().string() + " is not a roster");
      }
      if (!by_epoch.emplace(b.epoch(), std::move(r)).second) {
        return InvalidArgumentError(dir.string() +
                                    "/chain has two rosters "
                                    "of epoch " +
                                    std::to_string(b.epoch()));
      }
    }
  }
  const fs::path current = dir / "consortium.roster";
  CONCLAVE_ASSIGN_OR_RETURN(Bytes data, ReadFileBytes(current, kMaxRosterSize));
  v1::Roster r;
  if (!r.ParseFromArray(data.data(), static_cast<int>(data.size()))) {
    return InvalidArgumentError(current.string() + " is not a roster");
  }
  std::vector<v1::Roster> out;
  for (auto& [epoch, roster] : by_epoch) out.push_back(std::move(roster));
  out.push_back(std::move(r));
  return out;
}

StatusOr<MembershipSimResult> RunSimulatedMembershipChange(
    const MembershipSimOptions& o, const SecretBytes& pass) {
  const bool refresh = o.kind == v1::MEMBERSHIP_CHANGE_REFRESH;
  std::vector<v1::Roster> chain;
  CONCLAVE_ASSIGN_OR_RETURN(VerifiedRoster prev, ReadPrevious(o.from, &chain));
  const v1::RosterBody& pb = prev.body;
  MembershipSimResult result;

  // The new committee: continuing organisations (ids kept), then new ones
  // with fresh ids.
  for (uint32_t id : o.leave) {
    if (FindOrganisation(pb, id) == nullptr) {
      return InvalidArgumentError("--leave " + std::to_string(id) +
                                  ": no such organisation in the roster");
    }
  }
  std::vector<const v1::RosterOrganisation*> continuing;
  for (const v1::RosterOrganisation& org : pb.organisations()) {
    if (std::find(o.leave.begin(), o.leave.end(), org.id()) == o.leave.end()) {
      continuing.push_back(&org);
    }
  }
  const uint32_t m2 = refresh ? pb.organisations_size() : o.orgs;
  const uint32_t t2 = refresh ? pb.threshold() : o.threshold;
  if (m2 < continuing.size() || m2 > kMaxRosterOrganisations) {
    return InvalidArgumentError(
        "--orgs " + std::to_string(m2) + " is fewer than the " +
        std::to_string(continuing.size()) + " continuing organisations");
  }
  if (t2 < 1 || t2 > m2) {
    return InvalidArgumentError("--threshold must be between 1 and --orgs");
  }
  std::vector<uint32_t> ids;
  for (const auto* org : continuing) ids.push_back(org->id());
  const uint32_t first_new = NextOrganisationId(pb);
  for (uint32_t i = 0; ids.size() < m2; ++i) ids.push_back(first_new + i);
  std::vector<EditorSplit> splits;
  if (o.editors) {
    CONCLAVE_ASSIGN_OR_RETURN(splits, ParseEditorList(*o.editors, m2));
  } else {
    for (size_t i = 0; i < m2; ++i) {
      splits.push_back(i < continuing.size()
                           ? EditorSplit{continuing[i]->editor_count(),
                                         continuing[i]->editor_threshold()}
                           : EditorSplit{1, 1});
    }
  }
  {
    v1::RosterBody shape;
    shape.set_threshold(t2);
    for (uint32_t id : ids) shape.add_organisations()->set_id(id);
    CONCLAVE_RETURN_IF_ERROR(
        CheckStranding(o, prev.consortium_key, shape, &result));
  }
  CONCLAVE_RETURN_IF_ERROR(PrepareOut(o.out));
  CONCLAVE_RETURN_IF_ERROR(
      CopyFile(o.from / "log.age", o.out / "log.age", 0600));
  CONCLAVE_RETURN_IF_ERROR(
      CopyFile(o.from / "log.vkey", o.out / "log.vkey", 0644));

  // Identities: continuing editors keep theirs (copied), others are new.
  ResharePlanInput input;
  input.kind = o.kind;
  input.threshold = t2;
  std::map<std::pair<uint32_t, uint32_t>, Identity> editors;
  for (size_t i = 0; i < ids.size(); ++i) {
    const uint32_t id = ids[i];
    const fs::path od = o.out / OrgDir(id);
    v1::RosterOrganisation org;
    const v1::RosterOrganisation* old =
        i < continuing.size() ? continuing[i] : nullptr;
    if (old != nullptr) {
      org.set_id(id);
      org.set_name(old->name());
      org.set_cocktail_position(old->cocktail_position());
      org.set_witness_vkey(old->witness_vkey());
      CONCLAVE_RETURN_IF_ERROR(CopyFile(o.from / OrgDir(id) / "witness.age",
                                        od / "witness.age", 0600));
      CONCLAVE_RETURN_IF_ERROR(CopyFile(o.from / OrgDir(id) / "witness.vkey",
                                        od / "witness.vkey", 0644));
    } else {
      org.set_id(id);
      org.set_name("Organisation " + std::to_string(id));
      CONCLAVE_ASSIGN_OR_RETURN(std::string vkey,
                                CreateWitnessKey(id, DefaultWitnessName(id), od,
                                                 pass, o.work_factor));
      org.set_witness_vkey(vkey);
    }
    org.set_editor_threshold(splits[i].threshold);
    org.set_editor_count(splits[i].editors);
    for (uint32_t j = 1; j <= splits[i].editors; ++j) {
      const fs::path ed = od / EditorDir(j);
      v1::RosterEditor* e = org.add_editors();
      e->set_index(j);
      if (old != nullptr && j <= old->editor_count()) {
        const fs::path src = o.from / OrgDir(id) / EditorDir(j);
        CONCLAVE_RETURN_IF_ERROR(
            CopyFile(src / "identity.age", ed / "identity.age", 0600));
        CONCLAVE_RETURN_IF_ERROR(
            CopyFile(src / "editor.card", ed / "editor.card", 0644));
        const v1::RosterEditor& oe = old->editors(static_cast<int>(j - 1));
        e->set_name(oe.name());
        e->set_ed25519_public_key(oe.ed25519_public_key());
        e->set_p256_public_key(oe.p256_public_key());
        CONCLAVE_ASSIGN_OR_RETURN(Identity ident,
                                  OpenIdentity(ed / "identity.age", pass));
        editors.emplace(std::make_pair(id, j), std::move(ident));
      } else {
        CONCLAVE_ASSIGN_OR_RETURN(
            NewIdentity ni,
            CreateEditorIdentity(id, j,
                                 "Editor " + std::to_string(j) +
                                     " of organisation " + std::to_string(id),
                                 ed, pass, o.work_factor));
        CONCLAVE_ASSIGN_OR_RETURN(v1::PublicCardBody card,
                                  VerifyPublicCard(ni.card));
        e->set_name(card.name());
        e->set_ed25519_public_key(card.ed25519_public_key());
        e->set_p256_public_key(card.p256_public_key());
        CONCLAVE_ASSIGN_OR_RETURN(Identity ident,
                                  OpenIdentity(ed / "identity.age", pass));
        editors.emplace(std::make_pair(id, j), std::move(ident));
      }
    }
    input.organisations.push_back(std::move(org));
  }

  // The old quorum deals, preferring organisations that stay.
  input.dealers = DefaultDealers(pb, o.leave);
  CONCLAVE_ASSIGN_OR_RETURN(v1::ResharePlan plan_msg,
                            MakeResharePlan(prev, input));
  CONCLAVE_ASSIGN_OR_RETURN(CheckedResharePlan plan,
                            CheckResharePlan(plan_msg, prev));
  std::vector<v1::ReshareDealing> dealings;
  std::map<std::pair<uint32_t, uint32_t>, Identity> dealer_ids;
  for (const v1::ReshareDealer& d : plan.body.dealers()) {
    const fs::path dir =
        o.from / OrgDir(d.org_id()) / EditorDir(d.editor_index());
    CONCLAVE_ASSIGN_OR_RETURN(Identity ident,
                              OpenIdentity(dir / "identity.age", pass));
    CONCLAVE_ASSIGN_OR_RETURN(OpenedSecret share,
                              OpenShare(dir / "share.age", pass));
    StatusOr<v1::ReshareDealing> dealing = MakeReshareDealing(
        plan, prev, share.message().editor_share(), *ident.signing);
    if (!dealing.ok()) return dealing.status().Annotate(dir.string());
    dealings.push_back(std::move(dealing).value());
    dealer_ids.emplace(std::make_pair(d.org_id(), d.editor_index()),
                       std::move(ident));
  }
  result.dealers = dealings.size();

  // Every new editor checks and opens their part, then seals the new share.
  CONCLAVE_ASSIGN_OR_RETURN(ReshareOutcome outcome,
                            CombineReshareDealings(plan, prev, dealings));
  for (const auto& [who, ident] : editors) {
    std::optional<OpenedSecret> old_share;
    if (refresh) {
      CONCLAVE_ASSIGN_OR_RETURN(
          old_share, OpenShare(o.from / OrgDir(who.first) /
                                   EditorDir(who.second) / "share.age",
                               pass));
    }
    StatusOr<ReceivedShare> got = ReceiveReshare(
        plan, prev, dealings, who.first, who.second, ident.receiving,
        old_share ? &old_share->message().editor_share() : nullptr);
    if (!got.ok()) {
      return got.status().Annotate("new " + EditorDir(who.second) + " of " +
                                   OrgDir(who.first));
    }
    CONCLAVE_RETURN_IF_ERROR(SealEditorShare(
        o.out / OrgDir(who.first) / EditorDir(who.second) / "share.age",
        prev.consortium_key, who.first, got->share, got->verification_share,
        pass, o.work_factor, plan.body.epoch()));
  }

  CONCLAVE_ASSIGN_OR_RETURN(SuccessorDraft draft,
                            AssembleSuccessor(plan, prev, outcome));
  // The previous epoch's drill files stay drills of the same key: the new
  // holders' drill also opens files made before the change.
  CONCLAVE_RETURN_IF_ERROR(CarryDrillFiles(o.from, o.out, prev, &draft.body));
  CONCLAVE_RETURN_IF_ERROR(MakeDrillFiles(prev.consortium_key, o.drill_files,
                                          o.out / "drill", &draft.body)
                               .status());
  // Signatures: every new editor, then every dealer with their old key.
  std::vector<RosterSigner> signers;
  for (const auto& [who, ident] : editors) {
    signers.push_back({who.first, who.second, ident.signing.get()});
  }
  CONCLAVE_ASSIGN_OR_RETURN(v1::Roster roster, SignRoster(draft.body, signers));
  for (const auto& [who, ident] : dealer_ids) {
    *roster.add_dealer_signatures() =
        SignRosterAsDealer(roster, who.first, who.second, *ident.signing);
    SignReshareRecord(&draft.record, true, who.first, who.second,
                      *ident.signing);
  }
  for (const auto& [who, ident] : editors) {
    SignReshareRecord(&draft.record, false, who.first, who.second,
                      *ident.signing);
  }
  CONCLAVE_ASSIGN_OR_RETURN(VerifiedRoster verified,
                            VerifyRosterSuccessor(prev, roster));
  CONCLAVE_RETURN_IF_ERROR(CheckReshareRecord(draft.record, prev, verified));
  CONCLAVE_RETURN_IF_ERROR(
      WriteMessage(o.out / "reshare.record", draft.record));
  CONCLAVE_RETURN_IF_ERROR(WriteRosterDir(o.out, chain, roster, verified));
  result.recipient = age::EncodeP256TagRecipient(verified.consortium_key);
  result.roster_fingerprint = verified.fingerprint;
  result.epoch = verified.body.epoch();
  result.organisation_ids = ids;
  return result;
}

StatusOr<MembershipSimResult> RunSimulatedRekey(const MembershipSimOptions& o,
                                                const SecretBytes& pass) {
  std::vector<v1::Roster> chain;
  CONCLAVE_ASSIGN_OR_RETURN(VerifiedRoster prev, ReadPrevious(o.from, &chain));
  CONCLAVE_RETURN_IF_ERROR(PrepareOut(o.out));
  CONCLAVE_RETURN_IF_ERROR(
      CopyFile(o.from / "log.age", o.out / "log.age", 0600));
  CONCLAVE_RETURN_IF_ERROR(
      CopyFile(o.from / "log.vkey", o.out / "log.vkey", 0644));
  // The same organisations, editors and witness keys.
  std::vector<Identity> idents;
  for (const v1::RosterOrganisation& org : prev.body.organisations()) {
    const fs::path src = o.from / OrgDir(org.id());
    const fs::path od = o.out / OrgDir(org.id());
    CONCLAVE_RETURN_IF_ERROR(
        CopyFile(src / "witness.age", od / "witness.age", 0600));
    CONCLAVE_RETURN_IF_ERROR(
        CopyFile(src / "witness.vkey", od / "witness.vkey", 0644));
    for (const v1::RosterEditor& e : org.editors()) {
      const fs::path s = src / EditorDir(e.index());
      const fs::path d = od / EditorDir(e.index());
      CONCLAVE_RETURN_IF_ERROR(
          CopyFile(s / "identity.age", d / "identity.age", 0600));
      CONCLAVE_RETURN_IF_ERROR(
          CopyFile(s / "editor.card", d / "editor.card", 0644));
      CONCLAVE_ASSIGN_OR_RETURN(Identity ident,
                                OpenIdentity(d / "identity.age", pass));
      idents.push_back(std::move(ident));
    }
  }
  std::vector<RekeyEditor> editors;
  for (const Identity& id : idents) {
    editors.push_back({id.org, id.index, id.signing.get(), &id.receiving});
  }
  CONCLAVE_ASSIGN_OR_RETURN(RekeyOutput rekey,
                            RunRekeyInProcess(prev, editors));
  for (const auto& [who, share] : rekey.shares) {
    CONCLAVE_RETURN_IF_ERROR(SealEditorShare(
        o.out / OrgDir(who.first) / EditorDir(who.second) / "share.age",
        rekey.y, who.first, share.share, share.verification_share, pass,
        o.work_factor, rekey.body.epoch()));
  }
  rekey.shares.clear();
  CONCLAVE_RETURN_IF_ERROR(
      MakeDrillFiles(rekey.y, o.drill_files, o.out / "drill", &rekey.body)
          .status());
  std::vector<RosterSigner> signers;
  for (const RekeyEditor& e : editors) {
    signers.push_back({e.org_id, e.editor_index, e.signing});
  }
  CONCLAVE_ASSIGN_OR_RETURN(v1::Roster roster, SignRoster(rekey.body, signers));
  CONCLAVE_ASSIGN_OR_RETURN(VerifiedRoster verified,
                            VerifyRosterSuccessor(prev, roster));
  CONCLAVE_RETURN_IF_ERROR(CheckRekeyRecord(rekey.record, prev, verified));
  CONCLAVE_RETURN_IF_ERROR(WriteMessage(o.out / "rekey.record", rekey.record));
  CONCLAVE_RETURN_IF_ERROR(WriteRosterDir(o.out, chain, roster, verified));
  MembershipSimResult result;
  result.recipient = age::EncodeP256TagRecipient(verified.consortium_key);
  result.roster_fingerprint = verified.fingerprint;
  result.epoch = verified.body.epoch();
  result.dealers = rekey.dealers;
  for (const v1::RosterOrganisation& org : verified.body.organisations()) {
    result.organisation_ids.push_back(org.id());
  }
  return result;
}

// ---- Commands ----

namespace {

StatusOr<std::vector<uint32_t>> ParseIdList(const std::string& list) {
  std::vector<uint32_t> out;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = list.find(',', start);
    const std::string item = list.substr(
        start, comma == std::string::npos ? std::string::npos : comma - start);
    StatusOr<uint32_t> id = age::ParseOrgId(item);
    if (!id.ok()) {
      return InvalidArgumentError("'" + item +
                                  "' is not an organisation id (decimal, "
                                  "1..4294967295, no leading zeros)");
    }
    if (std::find(out.begin(), out.end(), *id) != out.end()) {
      return InvalidArgumentError("organisation " + item + " listed twice");
    }
    out.push_back(*id);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

void AddSimOptions(cxxopts::Options& options) {
  options.add_options()("from",
                        "the current epoch's directory (simulate's "
                        "layout)",
                        cxxopts::value<std::string>(), "DIR")(
      "out", "the new epoch's directory (new or empty)",
      cxxopts::value<std::string>(),
      "DIR2")("work-factor", "scrypt log2 N of every new sealed file (10..22)",
              cxxopts::value<int>()->default_value("18"),
              "LOGN")("drill-files", "number of drill files for the new epoch",
                      cxxopts::value<uint32_t>()->default_value("1"), "N");
  AddCommonOptions(&options, true);
}

int PrintResult(const std::string& cmd, const MembershipSimResult& r,
                double secs) {
  std::string ids;
  for (uint32_t id : r.organisation_ids) {
    ids += (ids.empty() ? "" : ",") + std::to_string(id);
  }
  std::printf(
      "%s: epoch %llu, organisations %s, %zu dealer(s), %.2f s\n"
      "consortium key: %s\nroster fingerprint (SHA-256): %s\n",
      cmd.c_str(), static_cast<unsigned long long>(r.epoch), ids.c_str(),
      r.dealers, secs, r.recipient.c_str(),
      HexEncode(r.roster_fingerprint).c_str());
  for (const std::string& s : r.stranded) {
    std::printf("FORCED: submission %s is stranded\n", s.c_str());
  }
  return kCeremonyExitOk;
}

constexpr char kOldSharesWarning[] = R"(
Old shares: while the consortium key is unchanged, any t shares of the OLD
epoch still open every submission, past and future. Every holder must
destroy their old share.age (and the old directory) once the new roster is
signed and the drill passed. Where that cannot be trusted, make a new key
for future submissions with `conclave-ceremony rekey`.
)";

int RunSim(const std::string& cmd, int argc, char** argv,
           v1::MembershipChangeKind kind) {
  const bool reshare = kind == v1::MEMBERSHIP_CHANGE_RESHARE;
  const bool rekey = kind == v1::MEMBERSHIP_CHANGE_REKEY;
  cxxopts::Options options(
      "conclave-ceremony " + cmd,
      reshare ? "Reshare the consortium key to a new committee and threshold, "
                "every side in this process (demos and tests). The key Y does "
                "not change."
      : rekey ? "Make a NEW consortium key for future submissions (a new "
                "COCKTAIL-DKG among the same organisations), every side in "
                "this process."
              : "Refresh every share (same committee, threshold and key), "
                "every side in this process (demos and tests).");
  std::string footer;
  std::vector<std::string> required = {"from", "out"};
  if (reshare) {
    options.custom_help(
        "--from DIR --orgs N [--leave ID,...] --threshold T [--editors LIST] "
        "--out DIR2 [--submissions DIR] [--force] [--passphrase-file F]");
    options.add_options()("orgs", "organisations in the new committee",
                          cxxopts::value<uint32_t>(), "N")(
        "threshold", "organisations needed after the reshare (t')",
        cxxopts::value<uint32_t>(),
        "T")("leave", "ids of organisations that leave",
             cxxopts::value<std::string>(), "ID,...")(
        "editors",
        "the new committee's editors, E:K for all or one per organisation "
        "in id order (default: continuing organisations keep theirs, new "
        "ones 1:1)",
        cxxopts::value<std::string>(),
        "LIST")("submissions",
                "stored submissions (*.age): refuse a reshare that strands one",
                cxxopts::value<std::string>(), "DIR")(
        "force", "reshare even if it strands a stored submission");
    required.push_back("orgs");
    required.push_back("threshold");
    footer = R"(
The new committee is the old organisations minus --leave, plus new ones with
fresh ids (never a departed id) up to N. Continuing organisations keep their
ids, their editors' identities and their witness keys (copied into DIR2);
an organisation whose --editors entry has more editors gets new identities,
fewer drops the last ones. The log key is copied too.

The dealers are the editors of an agreed quorum of the current roster (t
organisations, k_o editors each); none of them ever reassembles an
organisation's share. Each dealer (o, j) deals its share y_oj at two levels
(brief §9): a polynomial of degree t'-1 among organisations whose commitments
start with the dealer's Y_oj, and for each new organisation p a sharing of
its value at p among p's editors, encrypted (HPKE) to each editor. Every new
editor checks every commitment and its own evaluations (Feldman), combines
its new share with Lagrange weights, and checks it against the combined
commitments; the new verification shares must interpolate to the unchanged
Y. The new roster (epoch + 1) is signed by every new editor and every
dealer; DIR2/reshare.record keeps the public transcript and its
certification.

With --submissions DIR, a reshare that leaves a stored submission with fewer
than t' organisations it does not exclude is refused unless --force.

Example:
  conclave-ceremony simulate-reshare --from demo --orgs 6 --leave 2 \
      --threshold 4 --out demo2 --passphrase-file pass.txt
  conclave-ceremony verify-chain --dir demo2
)";
  } else if (!rekey) {
    options.custom_help("--from DIR --out DIR2 [--passphrase-file F]");
    footer = R"(
A refresh gives the same organisations and editors new shares of the same
key: a quorum of editors deals polynomials whose constant term is zero
(their commitments must start with the point at infinity), and each
increment reaches an organisation's editors only as a sharing among them,
never in clear. Y stays; every X_o and Y_oj changes, and old shares no
longer combine with new ones. An editor leaving a 1-of-1 organisation needs
simulate-reshare instead (a refresh cannot hand a successor a share).

Example:
  conclave-ceremony simulate-refresh --from demo --out demo2 \
      --passphrase-file pass.txt
)";
  } else {
    options.custom_help("--from DIR --out DIR2 [--passphrase-file F]");
    footer = R"(
Rekey is for when old shares cannot be trusted to be destroyed: the same
organisations, ids, editors, witness keys and log key make a fresh key Y' by
COCKTAIL-DKG; the new roster (epoch + 1, change REKEY) publishes it and the
intake page must switch to DIR2/consortium.pub. Submissions made before stay
under the old key and the old roster (kept in DIR2/chain/), and still need
the old shares: keep those until every old submission is dealt with.
COCKTAIL-DKG evaluates at positions 1..m; when the ids are not 1..m (someone
left) the DKG's shares are re-dealt to the permanent ids by the same editors
before anything is written. DIR2/rekey.record archives the DKG (and the
re-deal) for `verify-chain`.

Example:
  conclave-ceremony rekey --from demo --out demo2 --passphrase-file pass.txt
)";
  }
  AddSimOptions(options);
  cxxopts::ParseResult r;
  if (std::optional<int> stop = ParseCommand(
          cmd, options, argc, argv,
          footer + (rekey ? "" : kOldSharesWarning) + kPassphraseHelp, required,
          &r)) {
    return *stop;
  }
  try {
    MembershipSimOptions opts;
    opts.kind = kind;
    opts.from = r["from"].as<std::string>();
    opts.out = r["out"].as<std::string>();
    opts.work_factor = r["work-factor"].as<int>();
    if (opts.work_factor < 10 || opts.work_factor > 22) {
      return Usage(cmd, "--work-factor must be between 10 and 22");
    }
    opts.drill_files = r["drill-files"].as<uint32_t>();
    if (opts.drill_files < 1 || opts.drill_files > 100) {
      return Usage(cmd, "--drill-files must be between 1 and 100");
    }
    if (reshare) {
      opts.orgs = r["orgs"].as<uint32_t>();
      opts.threshold = r["threshold"].as<uint32_t>();
      if (opts.orgs < 1 || opts.orgs > 1000) {
        return Usage(cmd, "--orgs must be between 1 and 1000");
      }
      if (opts.threshold < 1 || opts.threshold > opts.orgs) {
        return Usage(cmd, "--threshold must be between 1 and --orgs");
      }
      if (r.count("leave")) {
        StatusOr<std::vector<uint32_t>> leave =
            ParseIdList(r["leave"].as<std::string>());
        if (!leave.ok())
          return Usage(cmd, "--leave: " + leave.status().message());
        opts.leave = std::move(leave).value();
      }
      opts.editors = OptionalString(r, "editors");
      if (r.count("submissions")) {
        opts.submissions = r["submissions"].as<std::string>();
      }
      opts.force = r.count("force") > 0;
    }
    StatusOr<SecretBytes> pass =
        GetPassphrase(OptionalString(r, "passphrase-file"),
                      "Passphrase of every sealed file: ", false);
    if (!pass.ok()) return Fail(cmd, pass.status());
    const auto start = std::chrono::steady_clock::now();
    StatusOr<MembershipSimResult> result =
        rekey ? RunSimulatedRekey(opts, *pass)
              : RunSimulatedMembershipChange(opts, *pass);
    if (!result.ok()) return Fail(cmd, result.status());
    return PrintResult(
        cmd, *result,
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  } catch (const cxxopts::exceptions::exception& e) {
    return Usage(cmd, e.what());
  }
}

}  // namespace

int SimulateReshareMain(int argc, char** argv) {
  return RunSim("simulate-reshare", argc, argv, v1::MEMBERSHIP_CHANGE_RESHARE);
}
int SimulateRefreshMain(int argc, char** argv) {
  return RunSim("simulate-refresh", argc, argv, v1::MEMBERSHIP_CHANGE_REFRESH);
}
int RekeyMain(int argc, char** argv) {
  return RunSim("rekey", argc, argv, v1::MEMBERSHIP_CHANGE_REKEY);
}

int VerifyChainMain(int argc, char** argv) {
  const std::string cmd = "verify-chain";
  cxxopts::Options options("conclave-ceremony verify-chain",
                           "Check a chain of rosters, epoch 1 to the latest.");
  options.custom_help("--dir DIR");
  options.add_options()("dir",
                        "a directory with consortium.roster and chain/ (as "
                        "simulate-reshare, simulate-refresh and rekey write)",
                        cxxopts::value<std::string>(), "DIR");
  AddCommonOptions(&options, false);
  static constexpr char kFooter[] = R"(
Checks DIR/chain/epoch-N.roster and DIR/consortium.roster in epoch order:
the first is a complete epoch-1 roster; each later one names its
predecessor's fingerprint, advances the epoch by one, keeps the log key and
(unless it is a rekey) the consortium key, never reuses a departed
organisation's id, and is signed by every one of its editors and by every
dealer of the old quorum with their old key. With DIR/reshare.record, the
last reshare's transcript is checked too: its commitments recombine to the
new roster's and every dealer and new editor certified it. With
DIR/rekey.record, the last rekey's COCKTAIL record (and its re-deal to the
organisation ids) is checked the same way.

Example:
  conclave-ceremony verify-chain --dir demo2
)";
  cxxopts::ParseResult r;
  if (std::optional<int> stop =
          ParseCommand(cmd, options, argc, argv, kFooter, {"dir"}, &r)) {
    return *stop;
  }
  const fs::path dir = r["dir"].as<std::string>();
  StatusOr<std::vector<v1::Roster>> chain = ReadRosterChain(dir);
  if (!chain.ok()) return Fail(cmd, chain.status());
  StatusOr<std::vector<VerifiedRoster>> verified = VerifyRosterChain(*chain);
  if (!verified.ok()) return Fail(cmd, verified.status());
  for (const VerifiedRoster& v : *verified) {
    const char* kind = "ceremony";
    switch (v.body.change().kind()) {
      case v1::MEMBERSHIP_CHANGE_RESHARE:
        kind = "reshare";
        break;
      case v1::MEMBERSHIP_CHANGE_REFRESH:
        kind = "refresh";
        break;
      case v1::MEMBERSHIP_CHANGE_REKEY:
        kind = "rekey";
        break;
      default:
        break;
    }
    std::printf("epoch %llu (%s): %d organisations, t = %u, %s\n",
                static_cast<unsigned long long>(v.body.epoch()), kind,
                v.body.organisations_size(), v.body.threshold(),
                HexEncode(v.fingerprint).c_str());
  }
  std::error_code ec;
  if (verified->size() >= 2 && fs::exists(dir / "rekey.record", ec)) {
    StatusOr<Bytes> data = ReadFileBytes(dir / "rekey.record", kMaxRosterSize);
    if (!data.ok()) return Fail(cmd, data.status());
    v1::RekeyRecord record;
    if (!record.ParseFromArray(data->data(), static_cast<int>(data->size()))) {
      return Fail(cmd, InvalidArgumentError("rekey.record does not parse"));
    }
    Status ok = CheckRekeyRecord(record, (*verified)[verified->size() - 2],
                                 verified->back());
    if (!ok.ok()) return Fail(cmd, ok);
    std::printf("rekey record OK%s\n",
                record.has_redeal() ? " (DKG, then re-dealt to the ids)" : "");
  }
  if (verified->size() >= 2 && fs::exists(dir / "reshare.record", ec)) {
    StatusOr<Bytes> data =
        ReadFileBytes(dir / "reshare.record", kMaxRosterSize);
    if (!data.ok()) return Fail(cmd, data.status());
    v1::ReshareRecord record;
    if (!record.ParseFromArray(data->data(), static_cast<int>(data->size()))) {
      return Fail(cmd, InvalidArgumentError("reshare.record does not parse"));
    }
    Status ok = CheckReshareRecord(record, (*verified)[verified->size() - 2],
                                   verified->back());
    if (!ok.ok()) return Fail(cmd, ok);
    std::printf("reshare record OK\n");
  }
  std::printf("chain OK: %zu roster(s)\n", verified->size());
  return kCeremonyExitOk;
}

}  // namespace conclave::keyceremony
