#include "keyceremony/simulate.h"

#include <charconv>
#include <system_error>
#include <utility>

#include "age/age.h"
#include "age/io.h"
#include "age/p256tag.h"
#include "age/submission.h"
#include "audit/cosignature.h"
#include "audit/note.h"
#include "base/file_util.h"
#include "crypto/random.h"
#include "keyceremony/cocktail.h"
#include "keyceremony/reshare.h"
#include "keyceremony/roster.h"
#include "sealed/sealed_file.h"
#include "shares/shamir.h"

namespace conclave::keyceremony {

namespace {

namespace fs = std::filesystem;

// Bytes into a protobuf field without a temporary std::string copy (which
// would be freed unwiped).
void SetSecret(std::string* field, ByteSpan bytes) {
  field->assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::string PointBytes(const Point& p) {
  const CompressedPoint c = p.EncodeCompressed();
  return std::string(c.begin(), c.end());
}

Status MakeDirectory(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return Status(StatusCode::kUnavailable,
                  "cannot create " + dir.string() + ": " + ec.message());
  }
  return OkStatus();
}

Status WriteText(const fs::path& path, const std::string& text) {
  return CreateFileAtomically(path, AsBytes(text), 0644);
}

StatusOr<uint32_t> ParseCount(std::string_view s, std::string_view what) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() ||
      (s.size() > 1 && s[0] == '0')) {
    return InvalidArgumentError(std::string(what) + " '" + std::string(s) +
                                "' is not a positive decimal number");
  }
  return v;
}

StatusOr<EditorSplit> ParseSplit(std::string_view entry) {
  const size_t colon = entry.find(':');
  if (colon == std::string_view::npos) {
    return InvalidArgumentError("editor entry '" + std::string(entry) +
                                "' is not E:K (editors:threshold)");
  }
  CONCLAVE_ASSIGN_OR_RETURN(uint32_t e,
                            ParseCount(entry.substr(0, colon), "editor count"));
  CONCLAVE_ASSIGN_OR_RETURN(
      uint32_t k, ParseCount(entry.substr(colon + 1), "editor threshold"));
  if (k < 1 || k > e) {
    return InvalidArgumentError("editor entry '" + std::string(entry) +
                                "': need 1 <= K <= E");
  }
  if (e > 1000) {
    return InvalidArgumentError("editor entry '" + std::string(entry) +
                                "': at most 1000 editors per organisation");
  }
  return EditorSplit{e, k};
}

}  // namespace

// The COCKTAIL-DKG among the organisations, all in this process: x_o for
// each organisation (position o = id o), the aggregate commitments and the
// transcript hash. The static keys and round-1 secrets die with this scope.
StatusOr<KeyGenOutput> RunCocktailInProcess(uint32_t m, uint32_t t) {
  std::vector<Scalar> static_keys;
  std::vector<Point> static_public;
  for (uint32_t i = 0; i < m; ++i) {
    static_keys.push_back(Scalar::Random());
    static_public.push_back(Point::BaseMul(static_keys.back()));
  }
  KeyGenOutput out;
  const SecretBytes sid = RandomBytes(32);
  out.session_id = ToBytes(sid.span());
  const Bytes context =
      cocktail::RecommendedContext(out.session_id, static_public);
  CONCLAVE_ASSIGN_OR_RETURN(cocktail::Session session,
                            cocktail::NewSession(t, static_public, context));

  // Round 1; each message travels encoded (as on the removable media) and
  // every receiver decodes it strictly.
  std::vector<Bytes> wire;
  for (uint32_t i = 1; i <= m; ++i) {
    StatusOr<cocktail::Round1Output> r1 =
        cocktail::Round1(session, i, static_keys[i - 1]);
    if (!r1.ok()) {
      return r1.status().Annotate("COCKTAIL round 1 of organisation " +
                                  std::to_string(i));
    }
    wire.push_back(cocktail::EncodeRound1Message(r1->message));
    // r1->secrets (the polynomial and e_i) are wiped here.
  }
  std::vector<cocktail::Round1Message> messages;
  for (uint32_t j = 1; j <= m; ++j) {
    StatusOr<cocktail::Round1Message> msg =
        cocktail::DecodeRound1Message(wire[j - 1], m, t);
    if (!msg.ok()) {
      return msg.status().Annotate("round 1 message of organisation " +
                                   std::to_string(j));
    }
    messages.push_back(std::move(msg).value());
  }

  // Round 2: every participant checks everything it received.
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<Point> verification,
                            cocktail::VerificationShares(session, messages));
  CONCLAVE_ASSIGN_OR_RETURN(out.y, cocktail::GroupPublicKey(session, messages));
  for (uint32_t i = 1; i <= m; ++i) {
    cocktail::Blame blame;
    StatusOr<cocktail::Round2Output> r2 =
        cocktail::Round2(session, i, static_keys[i - 1], messages, &blame);
    if (!r2.ok()) {
      return r2.status().Annotate(
          "COCKTAIL round 2 at organisation " + std::to_string(i) +
          " blames organisation " + std::to_string(blame.culprit) + " (" +
          std::string(cocktail::FaultName(blame.fault)) + ")");
    }
    if (r2->group_public_key != out.y ||
        r2->verification_share != verification[i - 1]) {
      return InternalError("organisation " + std::to_string(i) +
                           " computed a different key or verification share");
    }
    out.org_secrets.push_back(std::move(r2->secret_share));
  }

  // Round 3: CertEq — everyone signs T, everyone checks all signatures.
  CONCLAVE_ASSIGN_OR_RETURN(Bytes transcript,
                            cocktail::Transcript(session, messages));
  std::vector<Bytes> signatures;
  for (uint32_t i = 1; i <= m; ++i) {
    CONCLAVE_ASSIGN_OR_RETURN(
        Bytes sig, cocktail::CertEqSign(static_keys[i - 1], transcript));
    signatures.push_back(std::move(sig));
  }
  CONCLAVE_RETURN_IF_ERROR(
      cocktail::VerifyCertificate(session, transcript, signatures));
  const Sha256Digest th = Sha256(transcript);
  out.transcript_hash.assign(th.begin(), th.end());
  out.record.set_transcript(std::string(transcript.begin(), transcript.end()));
  for (const Bytes& sig : signatures) {
    out.record.add_certeq_signatures(std::string(sig.begin(), sig.end()));
  }

  for (uint32_t k = 0; k < t; ++k) {
    Point c = Point::Infinity();
    for (const cocktail::Round1Message& msg : messages) {
      c = c + msg.commitment[k];
    }
    out.commitments.push_back(c);
  }
  if (out.commitments[0] != out.y) {
    return InternalError("aggregate commitment C_0 is not Y");
  }
  return out;  // static_keys are wiped (BN_clear_free) on return
}

namespace {

StatusOr<KeyGenOutput> RunDealer(uint32_t m, uint32_t t) {
  std::vector<uint32_t> ids;
  for (uint32_t i = 1; i <= m; ++i) ids.push_back(i);
  KeyGenOutput out;
  Dealing dealing;
  {
    const Scalar x = Scalar::Random();
    CONCLAVE_ASSIGN_OR_RETURN(dealing, DealShares(x, t, ids));
  }  // x is wiped here
  out.y = dealing.commitments[0];
  out.commitments = dealing.commitments;
  for (Share& s : dealing.shares) out.org_secrets.push_back(std::move(s.value));
  return out;
}

}  // namespace

std::string DefaultWitnessName(uint32_t org_id) {
  return "witness-org" + std::to_string(org_id);
}

Status SealEditorShare(const fs::path& path, const Point& y, uint32_t org,
                       const Share& share, const Point& y_oj,
                       const SecretBytes& passphrase, int work_factor,
                       uint64_t epoch) {
  v1::SealedSecret sealed;
  v1::EditorShare* es = sealed.mutable_editor_share();
  es->set_consortium_key(PointBytes(y));
  es->set_epoch(epoch);
  es->set_org_id(org);
  es->set_editor_index(share.index);
  SetSecret(es->mutable_share(), share.value.ToBytes().span());
  es->set_verification_share(PointBytes(y_oj));
  Status s = WriteSealedFile(path, sealed, passphrase, work_factor);
  CleanseMessage(&sealed);
  return s;
}

StatusOr<std::vector<Share>> SplitOrganisationSecret(
    const Scalar& x_o, uint32_t k, v1::RosterOrganisation* org) {
  std::vector<uint32_t> indices;
  for (uint32_t j = 1; j <= static_cast<uint32_t>(org->editors_size()); ++j) {
    indices.push_back(j);
  }
  org->set_verification_share(PointBytes(Point::BaseMul(x_o)));
  StatusOr<Dealing> dealing = DealShares(x_o, k, indices);
  if (!dealing.ok()) {
    return dealing.status().Annotate("organisation " +
                                     std::to_string(org->id()));
  }
  CONCLAVE_RETURN_IF_ERROR(
      VerifyShares(dealing->commitments, k, dealing->shares));
  org->clear_editor_commitments();
  for (const Point& c : dealing->commitments) {
    org->add_editor_commitments(PointBytes(c));
  }
  for (size_t j = 0; j < dealing->shares.size(); ++j) {
    org->mutable_editors(static_cast<int>(j))
        ->set_verification_share(
            PointBytes(dealing->verification_shares[j].point));
  }
  return std::move(dealing->shares);
}

StatusOr<std::vector<std::string>> MakeDrillFiles(const Point& y,
                                                  uint32_t count,
                                                  const fs::path& dir,
                                                  v1::RosterBody* body) {
  CONCLAVE_RETURN_IF_ERROR(MakeDirectory(dir));
  CONCLAVE_ASSIGN_OR_RETURN(
      age::SubmissionRecipient drill_recipient,
      age::SubmissionRecipient::Create(y, {}, SenderProofKind::kDrill));
  std::vector<std::string> ids;
  for (uint32_t d = 1; d <= count; ++d) {
    const std::string plaintext = "Conclave drill file " + std::to_string(d) +
                                  ". If you can read this, the quorum works.\n";
    const age::Recipient* recipients[] = {&drill_recipient};
    CONCLAVE_ASSIGN_OR_RETURN(
        Bytes file, age::EncryptToMemory(recipients, AsBytes(plaintext)));
    age::MemoryReader reader(file);
    CONCLAVE_ASSIGN_OR_RETURN(age::Header header,
                              age::ReadAgeFileHeader(reader));
    CONCLAVE_ASSIGN_OR_RETURN(
        age::SubmissionInfo info,
        age::ValidateSubmission(
            header, y, {.allow_drill = true, .max_exclusions = std::nullopt}));
    CONCLAVE_RETURN_IF_ERROR(CreateFileAtomically(
        dir / ("drill-" + std::to_string(d) + ".age"), file, 0644));
    body->add_drill_submission_ids(info.id);
    ids.push_back(info.id);
  }
  return ids;
}

StatusOr<NewIdentity> CreateEditorIdentity(
    uint32_t org_id, uint32_t editor_index, const std::string& name,
    const fs::path& dir, const SecretBytes& passphrase, int work_factor) {
  if (org_id == 0) return InvalidArgumentError("organisation id 0");
  if (name.empty()) return InvalidArgumentError("the editor name is empty");
  CONCLAVE_RETURN_IF_ERROR(MakeDirectory(dir));
  Ed25519PrivateKey signing = Ed25519PrivateKey::Generate();
  const Scalar receiving = Scalar::Random();

  v1::PublicCardBody body;
  body.set_org_id(org_id);
  body.set_editor_index(editor_index);
  body.set_name(name);
  body.set_ed25519_public_key(
      std::string(signing.public_key().begin(), signing.public_key().end()));
  body.set_p256_public_key(PointBytes(Point::BaseMul(receiving)));
  CONCLAVE_ASSIGN_OR_RETURN(v1::PublicCard card, MakePublicCard(body, signing));

  v1::SealedSecret sealed;
  v1::EditorIdentity* id = sealed.mutable_editor_identity();
  id->set_org_id(org_id);
  id->set_editor_index(editor_index);
  id->set_name(name);
  SetSecret(id->mutable_ed25519_seed(), signing.seed().span());
  SetSecret(id->mutable_p256_private_key(), receiving.ToBytes().span());
  Status s =
      WriteSealedFile(dir / "identity.age", sealed, passphrase, work_factor);
  CleanseMessage(&sealed);
  CONCLAVE_RETURN_IF_ERROR(s);
  std::string encoded_card;
  card.SerializeToString(&encoded_card);
  CONCLAVE_RETURN_IF_ERROR(
      CreateFileAtomically(dir / "editor.card", AsBytes(encoded_card), 0644));
  return NewIdentity{std::move(card), std::move(signing)};
}

StatusOr<std::string> CreateWitnessKey(uint32_t org_id, const std::string& name,
                                       const fs::path& dir,
                                       const SecretBytes& passphrase,
                                       int work_factor) {
  if (org_id == 0) return InvalidArgumentError("organisation id 0");
  CONCLAVE_RETURN_IF_ERROR(audit::ValidateKeyName(name));
  CONCLAVE_RETURN_IF_ERROR(MakeDirectory(dir));
  Ed25519PrivateKey key = Ed25519PrivateKey::Generate();
  const std::string vkey = audit::EncodeVerifierKey(
      name, audit::kSigTypeCosignatureV1, key.public_key());
  v1::SealedSecret sealed;
  v1::WitnessKey* w = sealed.mutable_witness_key();
  w->set_org_id(org_id);
  w->set_name(name);
  SetSecret(w->mutable_ed25519_seed(), key.seed().span());
  Status s =
      WriteSealedFile(dir / "witness.age", sealed, passphrase, work_factor);
  CleanseMessage(&sealed);
  CONCLAVE_RETURN_IF_ERROR(s);
  CONCLAVE_RETURN_IF_ERROR(WriteText(dir / "witness.vkey", vkey + "\n"));
  return vkey;
}

StatusOr<std::string> CreateLogKey(const std::string& origin,
                                   const fs::path& dir,
                                   const SecretBytes& passphrase,
                                   int work_factor) {
  CONCLAVE_RETURN_IF_ERROR(audit::ValidateKeyName(origin));
  CONCLAVE_RETURN_IF_ERROR(MakeDirectory(dir));
  Ed25519PrivateKey key = Ed25519PrivateKey::Generate();
  const std::string vkey = audit::EncodeVerifierKey(
      origin, audit::kSigTypeEd25519, key.public_key());
  v1::SealedSecret sealed;
  v1::LogKey* l = sealed.mutable_log_key();
  l->set_origin(origin);
  SetSecret(l->mutable_ed25519_seed(), key.seed().span());
  Status s = WriteSealedFile(dir / "log.age", sealed, passphrase, work_factor);
  CleanseMessage(&sealed);
  CONCLAVE_RETURN_IF_ERROR(s);
  CONCLAVE_RETURN_IF_ERROR(WriteText(dir / "log.vkey", vkey + "\n"));
  return vkey;
}

StatusOr<std::vector<EditorSplit>> ParseEditorList(std::string_view list,
                                                   uint32_t orgs) {
  std::vector<std::string_view> entries;
  size_t start = 0;
  while (true) {
    const size_t comma = list.find(',', start);
    entries.push_back(list.substr(start, comma == std::string_view::npos
                                             ? std::string_view::npos
                                             : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  std::vector<EditorSplit> out;
  if (entries.size() == 1) {
    CONCLAVE_ASSIGN_OR_RETURN(EditorSplit s, ParseSplit(entries[0]));
    out.assign(orgs, s);
    return out;
  }
  if (entries.size() != orgs) {
    return InvalidArgumentError(
        "the editor list has " + std::to_string(entries.size()) +
        " entries for " + std::to_string(orgs) +
        " organisations (give one E:K for all, or one per organisation)");
  }
  for (std::string_view e : entries) {
    CONCLAVE_ASSIGN_OR_RETURN(EditorSplit s, ParseSplit(e));
    out.push_back(s);
  }
  return out;
}

StatusOr<RekeyOutput> RunRekeyInProcess(const VerifiedRoster& previous,
                                        std::span<const RekeyEditor> editors) {
  const v1::RosterBody& pb = previous.body;
  const uint32_t m = pb.organisations_size(), t = pb.threshold();
  using EditorId = std::pair<uint32_t, uint32_t>;
  std::map<EditorId, const RekeyEditor*> by_id;
  for (const RekeyEditor& e : editors) by_id[{e.org_id, e.editor_index}] = &e;
  std::vector<RosterSigner> dkg_signers;
  for (uint32_t i = 0; i < m; ++i) {
    const v1::RosterOrganisation& org = pb.organisations(static_cast<int>(i));
    for (const v1::RosterEditor& e : org.editors()) {
      auto it = by_id.find({org.id(), e.index()});
      if (it == by_id.end()) {
        return FailedPreconditionError(
            "rekey: the keys of editor " + std::to_string(e.index()) +
            " of organisation " + std::to_string(org.id()) + " are missing");
      }
      dkg_signers.push_back({i + 1, e.index(), it->second->signing});
    }
  }
  // The DKG's roster: positions as ids (the new roster when ids are 1..m).
  RekeyOutput out;
  v1::RosterBody& body = out.body;
  body.set_epoch(pb.epoch() + 1);
  body.set_threshold(t);
  body.set_log_vkey(pb.log_vkey());
  *body.mutable_policy() = pb.policy();
  body.set_previous_roster_fingerprint(
      std::string(previous.fingerprint.begin(), previous.fingerprint.end()));
  body.set_next_organisation_id(NextOrganisationId(pb));
  body.mutable_change()->set_kind(v1::MEMBERSHIP_CHANGE_REKEY);
  CONCLAVE_ASSIGN_OR_RETURN(KeyGenOutput keygen, RunCocktailInProcess(m, t));
  out.y = keygen.y;
  body.set_consortium_key(PointBytes(keygen.y));
  for (const Point& c : keygen.commitments) {
    body.add_consortium_commitments(PointBytes(c));
  }
  body.set_key_generation(v1::KEY_GENERATION_COCKTAIL_DKG);
  body.set_transcript_hash(std::string(keygen.transcript_hash.begin(),
                                       keygen.transcript_hash.end()));
  body.set_session_id(
      std::string(keygen.session_id.begin(), keygen.session_id.end()));
  *out.record.mutable_cocktail() = std::move(keygen.record);
  const bool redeal = !IdsArePositions(pb);
  // With a re-deal the DKG's shares only deal, and are wiped on return.
  std::map<EditorId, v1::EditorShare> dkg_shares;
  struct Wipe {
    std::map<EditorId, v1::EditorShare>* shares;
    ~Wipe() {
      for (auto& entry : *shares) CleanseMessage(&entry.second);
    }
  } wipe{&dkg_shares};
  for (uint32_t i = 0; i < m; ++i) {
    const uint32_t id = pb.organisations(static_cast<int>(i)).id();
    v1::RosterOrganisation* org = body.add_organisations();
    *org = pb.organisations(static_cast<int>(i));
    org->set_id(i + 1);
    org->set_cocktail_position(i + 1);
    StatusOr<std::vector<Share>> shares = [&]() {
      const Scalar x_o = std::move(keygen.org_secrets[i]);
      return SplitOrganisationSecret(x_o, org->editor_threshold(), org);
    }();
    if (!shares.ok()) return shares.status();
    for (size_t j = 0; j < shares->size(); ++j) {
      const uint32_t index = static_cast<uint32_t>(j + 1);
      CONCLAVE_ASSIGN_OR_RETURN(
          Point y_oj,
          Point::DecodeCompressed(
              AsBytes(org->editors(static_cast<int>(j)).verification_share())));
      ReceivedShare share{std::move((*shares)[j]), y_oj};
      if (redeal) {
        dkg_shares[{i + 1, index}] =
            MakeEditorShare(keygen.y, body.epoch(), i + 1, share);
      } else {
        out.shares.emplace(EditorId{id, index}, std::move(share));
      }
    }
  }
  keygen.org_secrets.clear();
  if (!redeal) return out;

  CONCLAVE_ASSIGN_OR_RETURN(*out.record.mutable_dkg_roster(),
                            SignRoster(body, dkg_signers));
  CONCLAVE_ASSIGN_OR_RETURN(VerifiedRoster dkg,
                            VerifyRoster(out.record.dkg_roster()));
  CONCLAVE_ASSIGN_OR_RETURN(v1::ResharePlan plan_msg,
                            MakeRedealPlan(dkg, previous));
  CONCLAVE_ASSIGN_OR_RETURN(CheckedResharePlan plan,
                            CheckResharePlan(plan_msg, dkg));
  // Position p's editors deal, as the DKG roster's organisation p.
  auto editor_at = [&](uint32_t position, uint32_t index) {
    return by_id.at(
        {pb.organisations(static_cast<int>(position - 1)).id(), index});
  };
  std::vector<v1::ReshareDealing> dealings;
  for (const v1::ReshareDealer& d : plan.body.dealers()) {
    StatusOr<v1::ReshareDealing> dealing = MakeReshareDealing(
        plan, dkg, dkg_shares.at({d.org_id(), d.editor_index()}),
        *editor_at(d.org_id(), d.editor_index())->signing);
    if (!dealing.ok()) {
      return dealing.status().Annotate("rekey re-deal by position " +
                                       std::to_string(d.org_id()));
    }
    dealings.push_back(std::move(dealing).value());
  }
  out.dealers = dealings.size();
  CONCLAVE_ASSIGN_OR_RETURN(ReshareOutcome outcome,
                            CombineReshareDealings(plan, dkg, dealings));
  for (const RekeyEditor& e : editors) {
    StatusOr<ReceivedShare> got = ReceiveReshare(plan, dkg, dealings, e.org_id,
                                                 e.editor_index, *e.receiving);
    if (!got.ok()) {
      return got.status().Annotate(
          "rekey re-deal to editor " + std::to_string(e.editor_index) +
          " of organisation " + std::to_string(e.org_id));
    }
    out.shares.emplace(EditorId{e.org_id, e.editor_index},
                       std::move(got).value());
  }
  CONCLAVE_ASSIGN_OR_RETURN(SuccessorDraft draft,
                            AssembleSuccessor(plan, dkg, outcome));
  // Certification: the dealers under their DKG-roster (position) ids, every
  // editor under their permanent id.
  for (const v1::ReshareDealer& d : plan.body.dealers()) {
    SignReshareRecord(&draft.record, true, d.org_id(), d.editor_index(),
                      *editor_at(d.org_id(), d.editor_index())->signing);
  }
  for (const RekeyEditor& e : editors) {
    SignReshareRecord(&draft.record, false, e.org_id, e.editor_index,
                      *e.signing);
  }
  out.body = std::move(draft.body);
  *out.record.mutable_redeal() = std::move(draft.record);
  return out;
}

StatusOr<CeremonyResult> RunCeremony(const CeremonyOptions& options,
                                     const fs::path& out,
                                     const SecretBytes& passphrase) {
  const uint32_t m = options.orgs, t = options.threshold;
  if (m < 1 || m > 1000) {
    return InvalidArgumentError("--orgs must be between 1 and 1000");
  }
  if (t < 1 || t > m) {
    return InvalidArgumentError("--threshold must be between 1 and --orgs (" +
                                std::to_string(m) + ")");
  }
  if (options.editors.size() != m) {
    return InvalidArgumentError("one editor split per organisation needed");
  }
  if (options.work_factor < 10 || options.work_factor > 22) {
    return InvalidArgumentError("--work-factor must be between 10 and 22");
  }
  std::error_code ec;
  if (fs::exists(out, ec) && !fs::is_empty(out, ec)) {
    return AlreadyExistsError(out.string() +
                              " exists and is not empty; choose a new "
                              "directory (ceremony outputs are never "
                              "overwritten)");
  }
  CONCLAVE_RETURN_IF_ERROR(MakeDirectory(out));

  CeremonyResult result;
  v1::RosterBody body;
  body.set_epoch(1);
  body.set_threshold(t);
  body.mutable_policy()->set_max_request_lifetime_seconds(
      options.max_request_lifetime_seconds);

  // The log key (the daemon's; the plan records its vkey).
  CONCLAVE_ASSIGN_OR_RETURN(
      std::string log_vkey,
      CreateLogKey(options.log_origin, out, passphrase, options.work_factor));
  body.set_log_vkey(log_vkey);
  ++result.sealed_files;

  // Identities and witnesses: each organisation, before the key exists.
  std::vector<std::vector<NewIdentity>> identities(m);
  for (uint32_t o = 1; o <= m; ++o) {
    const fs::path org_dir = out / ("org" + std::to_string(o));
    v1::RosterOrganisation* org = body.add_organisations();
    org->set_id(o);
    org->set_name("Organisation " + std::to_string(o));
    CONCLAVE_ASSIGN_OR_RETURN(
        std::string witness_vkey,
        CreateWitnessKey(o, DefaultWitnessName(o), org_dir, passphrase,
                         options.work_factor));
    ++result.sealed_files;
    org->set_witness_vkey(witness_vkey);
    const EditorSplit split = options.editors[o - 1];
    org->set_editor_threshold(split.threshold);
    org->set_editor_count(split.editors);
    for (uint32_t j = 1; j <= split.editors; ++j) {
      CONCLAVE_ASSIGN_OR_RETURN(
          NewIdentity id,
          CreateEditorIdentity(o, j,
                               "Editor " + std::to_string(j) +
                                   " of organisation " + std::to_string(o),
                               org_dir / ("editor" + std::to_string(j)),
                               passphrase, options.work_factor));
      ++result.sealed_files;
      // The plan checks every card before using it.
      CONCLAVE_ASSIGN_OR_RETURN(v1::PublicCardBody card,
                                VerifyPublicCard(id.card));
      v1::RosterEditor* e = org->add_editors();
      e->set_index(j);
      e->set_name(card.name());
      e->set_ed25519_public_key(card.ed25519_public_key());
      e->set_p256_public_key(card.p256_public_key());
      identities[o - 1].push_back(std::move(id));
    }
  }

  // The consortium key.
  StatusOr<KeyGenOutput> keygen =
      options.mode == KeyGenerationMode::kCocktailDkg
          ? RunCocktailInProcess(m, t)
          : RunDealer(m, t);
  if (!keygen.ok()) return keygen.status();
  const Point y = keygen->y;
  body.set_consortium_key(PointBytes(y));
  for (const Point& c : keygen->commitments) {
    body.add_consortium_commitments(PointBytes(c));
  }
  if (options.mode == KeyGenerationMode::kCocktailDkg) {
    body.set_key_generation(v1::KEY_GENERATION_COCKTAIL_DKG);
    body.set_transcript_hash(std::string(keygen->transcript_hash.begin(),
                                         keygen->transcript_hash.end()));
    body.set_session_id(
        std::string(keygen->session_id.begin(), keygen->session_id.end()));
    for (v1::RosterOrganisation& org : *body.mutable_organisations()) {
      org.set_cocktail_position(org.id());
    }
  } else {
    body.set_key_generation(v1::KEY_GENERATION_TRUSTED_DEALER);
  }

  // Each organisation splits x_o among its editors (Feldman).
  for (uint32_t o = 1; o <= m; ++o) {
    v1::RosterOrganisation* org = body.mutable_organisations(o - 1);
    StatusOr<std::vector<Share>> shares = [&]() {
      const Scalar x_o = std::move(keygen->org_secrets[o - 1]);
      return SplitOrganisationSecret(x_o, options.editors[o - 1].threshold,
                                     org);
    }();  // x_o is wiped here
    if (!shares.ok()) return shares.status();
    for (size_t j = 0; j < shares->size(); ++j) {
      CONCLAVE_ASSIGN_OR_RETURN(
          Point y_oj,
          Point::DecodeCompressed(
              AsBytes(org->editors(static_cast<int>(j)).verification_share())));
      CONCLAVE_RETURN_IF_ERROR(SealEditorShare(
          out / ("org" + std::to_string(o)) /
              ("editor" + std::to_string(j + 1)) / "share.age",
          y, o, (*shares)[j], y_oj, passphrase, options.work_factor));
      ++result.sealed_files;
    }
  }
  keygen->org_secrets.clear();

  // Drill files: submissions with a drill proof, their ids in the roster.
  CONCLAVE_ASSIGN_OR_RETURN(
      result.drill_ids,
      MakeDrillFiles(y, options.drill_files, out / "drill", &body));

  // Every editor signs the roster (after checking it, as the runbook says).
  std::vector<RosterSigner> signers;
  for (uint32_t o = 1; o <= m; ++o) {
    for (uint32_t j = 1; j <= identities[o - 1].size(); ++j) {
      signers.push_back({o, j, &identities[o - 1][j - 1].signing_key});
    }
  }
  CONCLAVE_ASSIGN_OR_RETURN(v1::Roster roster, SignRoster(body, signers));
  CONCLAVE_ASSIGN_OR_RETURN(VerifiedRoster verified, VerifyRoster(roster));
  std::string encoded;
  roster.SerializeToString(&encoded);
  CONCLAVE_RETURN_IF_ERROR(
      CreateFileAtomically(out / "consortium.roster", AsBytes(encoded), 0644));

  if (options.mode == KeyGenerationMode::kCocktailDkg) {
    // The DKG's public record; the round-1 ciphertexts are not kept.
    CONCLAVE_RETURN_IF_ERROR(CheckCocktailRecord(keygen->record, verified));
    std::string record;
    keygen->record.SerializeToString(&record);
    CONCLAVE_RETURN_IF_ERROR(
        CreateFileAtomically(out / "cocktail.record", AsBytes(record), 0644));
  }

  result.recipient = age::EncodeP256TagRecipient(y);
  result.roster_fingerprint = verified.fingerprint;
  CONCLAVE_RETURN_IF_ERROR(WriteText(
      out / "consortium.pub", result.recipient +
                                  "\n# roster fingerprint (SHA-256): " +
                                  HexEncode(verified.fingerprint) + "\n"));
  return result;
}

}  // namespace conclave::keyceremony
