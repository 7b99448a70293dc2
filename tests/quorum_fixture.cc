#include "tests/quorum_fixture.h"

#include <stdlib.h>

#include <fstream>
#include <iterator>
#include <system_error>

#include "age/age.h"
#include "age/io.h"
#include "age/submission.h"
#include "audit/log_storage.h"
#include "audit/note.h"
#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "keyceremony/reshare.h"
#include "quorum/approval.h"
#include "quorum/evidence.h"

namespace conclave::testing {

namespace fs = std::filesystem;

// ---- Files ----

StatusOr<TempDir> TempDir::Create(std::string_view prefix) {
  std::string tmpl =
      (fs::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    return InternalError("mkdtemp failed for " + tmpl);
  }
  return TempDir(fs::path(tmpl));
}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

Status WriteBytesToFile(const fs::path& path, ByteSpan bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return InternalError("cannot create " + path.string());
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return InternalError("cannot write " + path.string());
  return OkStatus();
}

StatusOr<Bytes> ReadBytesFromFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot open " + path.string());
  Bytes data((std::istreambuf_iterator<char>(in)),
             std::istreambuf_iterator<char>());
  if (in.bad()) return InternalError("cannot read " + path.string());
  return data;
}

namespace {

Bytes Serialize(const google::protobuf::MessageLite& message) {
  return ToBytes(message.SerializeAsString());
}

StatusOr<OpenedSecret> OpenSealed(const fs::path& path,
                                  const SecretBytes& passphrase,
                                  v1::SealedSecret::SecretCase want) {
  CONCLAVE_ASSIGN_OR_RETURN(OpenedSecret opened,
                            ReadSealedFile(path, passphrase));
  if (opened.message().secret_case() != want) {
    return InvalidArgumentError(path.string() +
                                " holds another kind of secret");
  }
  return opened;
}

}  // namespace

// ---- Submissions ----

StatusOr<Submission> SubmissionFromBytes(Bytes file) {
  age::MemoryReader reader(file);
  CONCLAVE_ASSIGN_OR_RETURN(age::Header header, age::ReadAgeFileHeader(reader));
  const age::SubmissionReport report = age::InspectSubmission(header, nullptr);
  Submission s;
  s.header = header.bytes;
  if (report.id.has_value()) s.id = *report.id;
  if (report.excluded_orgs.has_value()) s.excluded_orgs = *report.excluded_orgs;
  s.file = std::move(file);
  return s;
}

StatusOr<Submission> MakeSubmission(const Point& consortium_key,
                                    ByteSpan plaintext,
                                    std::vector<uint32_t> excluded_orgs,
                                    bool drill) {
  CONCLAVE_ASSIGN_OR_RETURN(
      age::SubmissionRecipient recipient,
      age::SubmissionRecipient::Create(
          consortium_key, std::move(excluded_orgs),
          drill ? SenderProofKind::kDrill : SenderProofKind::kSender));
  const age::Recipient* recipients[] = {&recipient};
  CONCLAVE_ASSIGN_OR_RETURN(Bytes file,
                            age::EncryptToMemory(recipients, plaintext));
  return SubmissionFromBytes(std::move(file));
}

StatusOr<Submission> ReadSubmission(const fs::path& path) {
  CONCLAVE_ASSIGN_OR_RETURN(Bytes file, ReadBytesFromFile(path));
  return SubmissionFromBytes(std::move(file));
}

// ---- Consortium ----

StatusOr<std::unique_ptr<Consortium>> Consortium::Create(
    const ConsortiumOptions& options) {
  CONCLAVE_ASSIGN_OR_RETURN(TempDir dir, TempDir::Create("conclave-quorum"));
  std::unique_ptr<Consortium> c(new Consortium(options, std::move(dir)));
  CONCLAVE_ASSIGN_OR_RETURN(
      std::vector<keyceremony::EditorSplit> splits,
      keyceremony::ParseEditorList(options.editors, options.orgs));
  keyceremony::CeremonyOptions ceremony;
  ceremony.orgs = options.orgs;
  ceremony.threshold = options.threshold;
  ceremony.editors = std::move(splits);
  ceremony.work_factor = options.work_factor;
  ceremony.mode = options.mode;
  ceremony.log_origin = options.log_origin;
  ceremony.drill_files = options.drill_files;
  ceremony.max_request_lifetime_seconds = options.max_request_lifetime_seconds;
  const SecretBytes passphrase =
      SecretBytes::CopyFrom(AsBytes(options.passphrase));
  // RunCeremony wants an empty or missing directory.
  const fs::path out = c->dir() / "ceremony";
  CONCLAVE_ASSIGN_OR_RETURN(
      c->ceremony_, keyceremony::RunCeremony(ceremony, out, passphrase));
  CONCLAVE_RETURN_IF_ERROR(c->Load());
  return c;
}

Status Consortium::Load() {
  const fs::path out = dir() / "ceremony";
  const SecretBytes passphrase =
      SecretBytes::CopyFrom(AsBytes(options_.passphrase));
  CONCLAVE_ASSIGN_OR_RETURN(
      roster_, keyceremony::ReadRosterFile(out / "consortium.roster"));
  CONCLAVE_ASSIGN_OR_RETURN(log_key_, OpenSealed(out / "log.age", passphrase,
                                                 v1::SealedSecret::kLogKey));
  for (const v1::RosterOrganisation& org : roster_.body.organisations()) {
    const fs::path org_dir = out / ("org" + std::to_string(org.id()));
    CONCLAVE_ASSIGN_OR_RETURN(OpenedSecret witness,
                              OpenSealed(org_dir / "witness.age", passphrase,
                                         v1::SealedSecret::kWitnessKey));
    if (witness.message().witness_key().org_id() != org.id()) {
      return InvalidArgumentError("witness key of another organisation in " +
                                  org_dir.string());
    }
    witness_keys_.emplace(org.id(), std::move(witness));
    for (const v1::RosterEditor& e : org.editors()) {
      const fs::path editor_dir =
          org_dir / ("editor" + std::to_string(e.index()));
      CONCLAVE_ASSIGN_OR_RETURN(
          OpenedSecret identity,
          OpenSealed(editor_dir / "identity.age", passphrase,
                     v1::SealedSecret::kEditorIdentity));
      CONCLAVE_ASSIGN_OR_RETURN(OpenedSecret share,
                                OpenSealed(editor_dir / "share.age", passphrase,
                                           v1::SealedSecret::kEditorShare));
      CONCLAVE_RETURN_IF_ERROR(keyceremony::CheckEditorShare(
          share.message().editor_share(), roster_));
      CONCLAVE_ASSIGN_OR_RETURN(
          quorum::EditorKeys keys,
          quorum::EditorKeys::FromIdentity(identity.message().editor_identity(),
                                           roster_));
      if (keys.org_id() != org.id() || keys.editor_index() != e.index()) {
        return InvalidArgumentError("identity in " + editor_dir.string() +
                                    " is another editor's");
      }
      const EditorRef ref{org.id(), e.index()};
      editors_.emplace(
          ref, std::unique_ptr<ConsortiumEditor>(new ConsortiumEditor(
                   org.id(), e.index(), std::move(identity), std::move(share),
                   std::move(keys))));
    }
  }
  return OkStatus();
}

std::vector<uint32_t> Consortium::org_ids() const {
  std::vector<uint32_t> ids;
  for (const auto& org : roster_.body.organisations()) ids.push_back(org.id());
  return ids;
}

uint32_t Consortium::editor_threshold(uint32_t org_id) const {
  const v1::RosterOrganisation* org =
      keyceremony::FindOrganisation(roster_.body, org_id);
  return org == nullptr ? 0 : org->editor_threshold();
}

uint32_t Consortium::editor_count(uint32_t org_id) const {
  const v1::RosterOrganisation* org =
      keyceremony::FindOrganisation(roster_.body, org_id);
  return org == nullptr ? 0 : static_cast<uint32_t>(org->editors_size());
}

std::vector<EditorRef> Consortium::QuorumOf(uint32_t org_id) const {
  std::vector<EditorRef> refs;
  for (uint32_t j = 1; j <= editor_threshold(org_id); ++j) {
    refs.push_back({org_id, j});
  }
  return refs;
}

std::vector<EditorRef> Consortium::QuorumOf(
    std::span<const uint32_t> org_ids) const {
  std::vector<EditorRef> refs;
  for (uint32_t id : org_ids) {
    for (const EditorRef& r : QuorumOf(id)) refs.push_back(r);
  }
  return refs;
}

const ConsortiumEditor* Consortium::FindEditor(EditorRef ref) const {
  auto it = editors_.find(ref);
  return it == editors_.end() ? nullptr : it->second.get();
}

StatusOr<const ConsortiumEditor*> Consortium::Editor(EditorRef ref) const {
  const ConsortiumEditor* e = FindEditor(ref);
  if (e == nullptr) {
    return NotFoundError("no editor " + std::to_string(ref.editor_index) +
                         " in organisation " + std::to_string(ref.org_id));
  }
  return e;
}

std::vector<const ConsortiumEditor*> Consortium::editors() const {
  std::vector<const ConsortiumEditor*> all;
  for (const auto& [ref, e] : editors_) all.push_back(e.get());
  return all;
}

const v1::WitnessKey* Consortium::witness_key(uint32_t org_id) const {
  auto it = witness_keys_.find(org_id);
  return it == witness_keys_.end() ? nullptr
                                   : &it->second.message().witness_key();
}

fs::path Consortium::drill_path(uint32_t n) const {
  return dir() / "ceremony" / "drill" / ("drill-" + std::to_string(n) + ".age");
}

StatusOr<Submission> Consortium::DrillSubmission(uint32_t n) const {
  return ReadSubmission(drill_path(n));
}

std::string Consortium::DrillPlaintext(uint32_t n) {
  return "Conclave drill file " + std::to_string(n) +
         ". If you can read this, the quorum works.\n";
}

StatusOr<keyceremony::VerifiedRoster> Consortium::Resign(
    const std::function<void(v1::RosterBody*)>& edit) const {
  v1::RosterBody body = roster_.body;
  edit(&body);
  std::vector<Ed25519PrivateKey> keys;
  std::vector<keyceremony::RosterSigner> signers;
  keys.reserve(editors_.size());
  for (const auto& [ref, e] : editors_) {
    CONCLAVE_ASSIGN_OR_RETURN(
        Ed25519PrivateKey key,
        Ed25519PrivateKey::FromSeed(AsBytes(e->identity().ed25519_seed())));
    keys.push_back(std::move(key));
  }
  size_t i = 0;
  for (const auto& [ref, e] : editors_) {
    signers.push_back({ref.org_id, ref.editor_index, &keys[i++]});
  }
  CONCLAVE_ASSIGN_OR_RETURN(v1::Roster roster,
                            keyceremony::SignRoster(body, signers));
  return keyceremony::VerifyRoster(roster);
}

StatusOr<quorum::NewRequest> Consortium::Request(
    EditorRef requester, ByteSpan age_header, uint64_t now_unix,
    std::string reason, uint64_t lifetime_seconds) const {
  CONCLAVE_ASSIGN_OR_RETURN(const ConsortiumEditor* e, Editor(requester));
  quorum::RequestOptions options;
  options.reason = std::move(reason);
  options.lifetime_seconds = lifetime_seconds;
  options.now_unix = now_unix;
  return quorum::MakeRequest(roster_, e->keys(), age_header, options);
}

StatusOr<quorum::VerifiedRequest> Consortium::VerifyRequest(
    const v1::SignedStatement& request) const {
  return quorum::VerifyRequest(roster_, request);
}

StatusOr<v1::SignedStatement> Consortium::Vote(
    EditorRef voter, const quorum::VerifiedRequest& request,
    const audit::Checkpoint& seen, uint64_t now_unix,
    v1::Decision decision) const {
  CONCLAVE_ASSIGN_OR_RETURN(const ConsortiumEditor* e, Editor(voter));
  quorum::VoteOptions options;
  options.decision = decision;
  options.checkpoint_size = seen.size;
  options.checkpoint_root = ToBytes(seen.root_hash);
  options.comment = "fixture vote";
  options.now_unix = now_unix;
  return quorum::MakeVote(roster_, e->keys(), request, options);
}

StatusOr<quorum::Release> Consortium::Release(
    EditorRef releaser, const v1::SignedStatement* request,
    const v1::LogEvidence* evidence, uint64_t now_unix,
    const v1::EditorShare* share_override) const {
  CONCLAVE_ASSIGN_OR_RETURN(const ConsortiumEditor* e, Editor(releaser));
  quorum::ReleaseInput input;
  input.roster = &roster_;
  input.releaser = &e->keys();
  input.share = share_override != nullptr ? share_override : &e->share();
  input.request = request;
  input.evidence = evidence;
  input.now_unix = now_unix;
  return quorum::ReleasePartial(input);
}

StatusOr<quorum::Combined> Consortium::Combine(
    EditorRef requester, const quorum::VerifiedRequest& request,
    std::span<const v1::Approval> approvals) const {
  CONCLAVE_ASSIGN_OR_RETURN(const ConsortiumEditor* e, Editor(requester));
  return quorum::CombineApprovals(roster_, e->keys(), request, approvals);
}

StatusOr<v1::SignedStatement> Consortium::SignBody(
    std::string_view dst, const google::protobuf::MessageLite& body,
    EditorRef signer) const {
  CONCLAVE_ASSIGN_OR_RETURN(const ConsortiumEditor* e, Editor(signer));
  return quorum::SignStatement(dst, Serialize(body), e->keys());
}

StatusOr<v1::SignedStatement> Consortium::HandSignedVote(
    EditorRef voter, const quorum::RequestId& request_id,
    const audit::Checkpoint& seen, uint64_t now_unix,
    v1::Decision decision) const {
  v1::VoteBody body;
  body.set_request_id(request_id.data(), request_id.size());
  body.set_epoch(roster_.body.epoch());
  body.set_org_id(voter.org_id);
  body.set_editor_index(voter.editor_index);
  body.set_decision(decision);
  body.set_checkpoint_size(seen.size);
  body.set_checkpoint_root(seen.root_hash.data(), seen.root_hash.size());
  body.set_comment("hand-signed vote");
  body.set_created_unix(now_unix);
  return SignBody(quorum::kVoteDst, body, voter);
}

StatusOr<v1::RequestBody> Consortium::DraftRequestBody(
    EditorRef requester, ByteSpan age_header, uint64_t now_unix) const {
  CONCLAVE_ASSIGN_OR_RETURN(const ConsortiumEditor* e, Editor(requester));
  size_t consumed = 0;
  CONCLAVE_ASSIGN_OR_RETURN(age::Header header,
                            age::ParseHeader(age_header, &consumed));
  const age::SubmissionReport report = age::InspectSubmission(header, nullptr);
  v1::RequestBody body;
  body.set_roster_fingerprint(roster_.fingerprint.data(),
                              roster_.fingerprint.size());
  body.set_epoch(roster_.body.epoch());
  body.set_org_id(requester.org_id);
  body.set_editor_index(requester.editor_index);
  if (report.id.has_value()) body.set_submission_id(*report.id);
  body.set_age_header(header.bytes.data(), header.bytes.size());
  body.set_reason("hand-made request");
  body.set_created_unix(now_unix);
  body.set_expires_unix(now_unix +
                        roster_.body.policy().max_request_lifetime_seconds());
  const SecretBytes salt = RandomBytes(quorum::kReplySaltSize);
  body.set_reply_salt(salt.data(), salt.size());
  CONCLAVE_ASSIGN_OR_RETURN(Scalar reply_sk, e->keys().ReplyKey(salt.span()));
  const CompressedPoint reply_pk = Point::BaseMul(reply_sk).EncodeCompressed();
  body.set_reply_public_key(reply_pk.data(), reply_pk.size());
  return body;
}

// ---- Operator ----

StatusOr<std::unique_ptr<Operator>> Operator::Create(
    const Consortium& consortium) {
  const keyceremony::VerifiedRoster& roster = consortium.roster();
  std::unique_ptr<Operator> op(new Operator());
  CONCLAVE_ASSIGN_OR_RETURN(audit::VerifierKey log_vkey,
                            audit::ParseVerifierKey(roster.body.log_vkey()));
  op->origin_ = log_vkey.name;
  op->log_seed_ =
      SecretBytes::CopyFrom(AsBytes(consortium.log_key().ed25519_seed()));
  CONCLAVE_ASSIGN_OR_RETURN(Ed25519PrivateKey key,
                            Ed25519PrivateKey::FromSeed(op->log_seed_.span()));
  CONCLAVE_ASSIGN_OR_RETURN(
      op->log_, audit::Log::Create(std::make_unique<audit::MemoryLogStorage>(),
                                   op->origin_, std::move(key)));
  if (op->log_->vkey() != roster.body.log_vkey()) {
    return FailedPreconditionError(
        "the sealed log key is not the roster's log key");
  }
  for (const v1::RosterOrganisation& org : roster.body.organisations()) {
    const v1::WitnessKey* wk = consortium.witness_key(org.id());
    if (wk == nullptr) {
      return NotFoundError("no witness key for organisation " +
                           std::to_string(org.id()));
    }
    CONCLAVE_RETURN_IF_ERROR(
        op->AddWitness(org.id(), wk->name(),
                       SecretBytes::CopyFrom(AsBytes(wk->ed25519_seed()))));
    if (op->witnesses_.at(org.id())->Verifier()->vkey() != org.witness_vkey()) {
      return FailedPreconditionError("witness key of organisation " +
                                     std::to_string(org.id()) +
                                     " is not the roster's");
    }
  }
  return op;
}

Status Operator::AddWitness(uint32_t org_id, const std::string& name,
                            SecretBytes seed) {
  CONCLAVE_ASSIGN_OR_RETURN(Ed25519PrivateKey key,
                            Ed25519PrivateKey::FromSeed(seed.span()));
  CONCLAVE_ASSIGN_OR_RETURN(
      std::unique_ptr<audit::CosignatureV1Signer> signer,
      audit::CosignatureV1Signer::Create(name, std::move(key)));
  witnesses_[org_id] = std::move(signer);
  witness_seeds_[org_id] = {name, std::move(seed)};
  return OkStatus();
}

StatusOr<uint64_t> Operator::AppendRaw(ByteSpan leaf_bytes) {
  CONCLAVE_ASSIGN_OR_RETURN(uint64_t index, log_->Append(leaf_bytes));
  CONCLAVE_RETURN_IF_ERROR(log_->Commit());
  return index;
}

StatusOr<uint64_t> Operator::Append(const v1::LogLeaf& leaf) {
  return AppendRaw(quorum::EncodeLogLeaf(leaf));
}

StatusOr<uint64_t> Operator::AppendRequest(const v1::SignedStatement& request) {
  v1::LogLeaf leaf;
  leaf.set_time_unix(now_);
  *leaf.mutable_request() = request;
  return Append(leaf);
}

StatusOr<uint64_t> Operator::AppendVote(const v1::SignedStatement& vote) {
  v1::LogLeaf leaf;
  leaf.set_time_unix(now_);
  *leaf.mutable_vote() = vote;
  return Append(leaf);
}

StatusOr<uint64_t> Operator::AppendWithdrawal(
    const v1::SignedStatement& withdrawal) {
  v1::LogLeaf leaf;
  leaf.set_time_unix(now_);
  *leaf.mutable_withdrawal() = withdrawal;
  return Append(leaf);
}

StatusOr<uint64_t> Operator::AppendApproval(const v1::Approval& approval) {
  v1::LogLeaf leaf;
  leaf.set_time_unix(now_);
  *leaf.mutable_approval() = approval;
  return Append(leaf);
}

StatusOr<uint64_t> Operator::AppendExpiry(const quorum::RequestId& request_id) {
  v1::LogLeaf leaf;
  leaf.set_time_unix(now_);
  leaf.mutable_expiry()->set_request_id(request_id.data(), request_id.size());
  return Append(leaf);
}

StatusOr<uint64_t> Operator::AppendSubmission(const Submission& submission) {
  CONCLAVE_ASSIGN_OR_RETURN(age::Header header,
                            age::ParseHeader(submission.header));
  const Sha256Digest header_hash = header.Hash();
  const Sha256Digest file_hash = Sha256(submission.file);
  v1::LogLeaf leaf;
  leaf.set_time_unix(now_);
  v1::SubmissionReceived* s = leaf.mutable_submission();
  s->set_submission_id(submission.id);
  s->set_header_hash(header_hash.data(), header_hash.size());
  s->set_size(submission.file.size());
  s->set_file_hash(file_hash.data(), file_hash.size());
  for (uint32_t org : submission.excluded_orgs) s->add_excluded_orgs(org);
  return Append(leaf);
}

StatusOr<audit::Checkpoint> Operator::Checkpoint() const {
  return log_->CurrentCheckpoint();
}

StatusOr<std::string> Operator::CosignedCheckpoint(
    std::optional<std::set<uint32_t>> cosigners) const {
  if (cosigners.has_value()) {
    for (uint32_t org : *cosigners) {
      if (!witnesses_.contains(org)) {
        return NotFoundError("no witness for organisation " +
                             std::to_string(org));
      }
    }
  }
  CONCLAVE_ASSIGN_OR_RETURN(std::string note, log_->SignCheckpoint());
  CONCLAVE_ASSIGN_OR_RETURN(audit::Note parsed, audit::ParseNote(note));
  std::string lines;
  for (const auto& [org, signer] : witnesses_) {
    if (cosigners.has_value() && !cosigners->contains(org)) continue;
    CONCLAVE_ASSIGN_OR_RETURN(Bytes sig, signer->Sign(parsed.text));
    audit::NoteSignature line{signer->name(), signer->key_id(), std::move(sig)};
    lines += line.ToLine();
  }
  if (lines.empty()) return note;
  return audit::AppendSignatureLines(note, lines);
}

StatusOr<v1::LogEvidence> Operator::Evidence(
    uint64_t first_index, std::optional<std::set<uint32_t>> cosigners) const {
  CONCLAVE_ASSIGN_OR_RETURN(std::string note,
                            CosignedCheckpoint(std::move(cosigners)));
  return quorum::BuildLogEvidence(*log_, note, first_index);
}

StatusOr<std::unique_ptr<Operator>> Operator::Fork(uint64_t size) const {
  if (size > log_->Size()) {
    return OutOfRangeError("fork beyond the log's size");
  }
  std::unique_ptr<Operator> fork(new Operator());
  fork->origin_ = origin_;
  fork->log_seed_ = log_seed_.Clone();
  fork->now_ = now_;
  CONCLAVE_ASSIGN_OR_RETURN(Ed25519PrivateKey key,
                            Ed25519PrivateKey::FromSeed(log_seed_.span()));
  CONCLAVE_ASSIGN_OR_RETURN(
      fork->log_,
      audit::Log::Create(std::make_unique<audit::MemoryLogStorage>(), origin_,
                         std::move(key)));
  for (uint64_t i = 0; i < size; ++i) {
    CONCLAVE_ASSIGN_OR_RETURN(Bytes leaf, log_->storage().Leaf(i));
    CONCLAVE_RETURN_IF_ERROR(fork->log_->Append(leaf).status());
  }
  CONCLAVE_RETURN_IF_ERROR(fork->log_->Commit());
  // The same witnesses: a split view needs witnesses that were fooled or
  // collude, which is what the settled rule bounds.
  for (const auto& [org, witness] : witness_seeds_) {
    CONCLAVE_RETURN_IF_ERROR(
        fork->AddWitness(org, witness.first, witness.second.Clone()));
  }
  return fork;
}

// ---- The whole flow ----

StatusOr<QuorumRun> RequestAndVote(const Consortium& consortium, Operator& op,
                                   EditorRef requester,
                                   const Submission& submission,
                                   std::span<const EditorRef> voters,
                                   uint64_t now_unix) {
  QuorumRun run;
  op.set_now(now_unix);
  CONCLAVE_ASSIGN_OR_RETURN(
      run.request, consortium.Request(requester, submission.header, now_unix));
  CONCLAVE_ASSIGN_OR_RETURN(run.verified,
                            consortium.VerifyRequest(run.request.statement));
  CONCLAVE_ASSIGN_OR_RETURN(run.request_index,
                            op.AppendRequest(run.request.statement));
  CONCLAVE_ASSIGN_OR_RETURN(run.seen, op.Checkpoint());
  for (const EditorRef& voter : voters) {
    CONCLAVE_ASSIGN_OR_RETURN(
        v1::SignedStatement vote,
        consortium.Vote(voter, run.verified, run.seen, now_unix));
    CONCLAVE_RETURN_IF_ERROR(op.AppendVote(vote).status());
    run.votes.push_back(std::move(vote));
  }
  CONCLAVE_ASSIGN_OR_RETURN(run.evidence, op.Evidence(run.request_index));
  return run;
}

StatusOr<std::vector<v1::Approval>> ReleaseAll(
    const Consortium& consortium, const QuorumRun& run,
    std::span<const EditorRef> releasers, uint64_t now_unix) {
  std::vector<v1::Approval> approvals;
  for (const EditorRef& r : releasers) {
    StatusOr<quorum::Release> release =
        consortium.Release(r, &run.request.statement, &run.evidence, now_unix);
    if (!release.ok()) {
      return release.status().Annotate("release by organisation " +
                                       std::to_string(r.org_id) + " editor " +
                                       std::to_string(r.editor_index));
    }
    approvals.push_back(std::move(release->approval));
  }
  return approvals;
}

StatusOr<Bytes> CombineAndOpen(const Consortium& consortium,
                               EditorRef requester,
                               const quorum::VerifiedRequest& request,
                               std::span<const v1::Approval> approvals,
                               const Submission& submission,
                               const fs::path& work_dir) {
  CONCLAVE_ASSIGN_OR_RETURN(quorum::Combined combined,
                            consortium.Combine(requester, request, approvals));
  // A random stem: callers may open several submissions in one directory,
  // from several threads.
  const std::string stem = "open-" + HexEncode(RandomBytes(8).span());
  const fs::path in = work_dir / (stem + ".age");
  const fs::path out = work_dir / (stem + ".txt");
  CONCLAVE_RETURN_IF_ERROR(submission.WriteTo(in));
  CONCLAVE_RETURN_IF_ERROR(
      quorum::DecryptSubmissionToFile(request, combined.file_key, in, out));
  return ReadBytesFromFile(out);
}

StatusOr<Bytes> OpenWithQuorum(const Consortium& consortium, Operator& op,
                               EditorRef requester,
                               const Submission& submission,
                               std::span<const EditorRef> voters,
                               const fs::path& work_dir, uint64_t now_unix) {
  CONCLAVE_ASSIGN_OR_RETURN(
      QuorumRun run,
      RequestAndVote(consortium, op, requester, submission, voters, now_unix));
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<v1::Approval> approvals,
                            ReleaseAll(consortium, run, voters, now_unix));
  return CombineAndOpen(consortium, requester, run.verified, approvals,
                        submission, work_dir);
}

StatusOr<v1::Approval> HandMadeApproval(const Consortium& c, EditorRef who,
                                        const quorum::VerifiedRequest& req,
                                        const Scalar& y) {
  CONCLAVE_ASSIGN_OR_RETURN(
      Point r, Point::DecodeUncompressed(req.submission.p256tag.enc));
  CONCLAVE_ASSIGN_OR_RETURN(
      quorum::PartialDecryption partial,
      quorum::ComputePartialDecryption(y, Point::BaseMul(y), r));
  const quorum::ApprovalAddress address{.request_id = req.id,
                                        .org_id = who.org_id,
                                        .editor_index = who.editor_index,
                                        .epoch = req.body.epoch()};
  CONCLAVE_ASSIGN_OR_RETURN(
      Bytes ciphertext, quorum::SealPartial(partial, req.reply_key, address));
  v1::ApprovalBody body;
  body.set_request_id(req.id.data(), req.id.size());
  body.set_header_hash(req.submission.header_hash.data(),
                       req.submission.header_hash.size());
  body.set_org_id(who.org_id);
  body.set_editor_index(who.editor_index);
  body.set_epoch(req.body.epoch());
  const Sha256Digest ch = Sha256(ciphertext);
  body.set_ciphertext_hash(ch.data(), ch.size());
  body.set_created_unix(kFixtureNow);
  v1::Approval approval;
  CONCLAVE_ASSIGN_OR_RETURN(
      *approval.mutable_statement(),
      c.SignBody(quorum::kApprovalStatementDst, body, who));
  approval.set_ciphertext(ciphertext.data(), ciphertext.size());
  return approval;
}

StatusOr<v1::Roster> Rekeyed(const Consortium& c, const Consortium& fresh) {
  const keyceremony::VerifiedRoster& prev = c.roster();
  const v1::RosterBody& nb = fresh.roster().body;
  v1::RosterBody body = prev.body;
  body.set_epoch(prev.body.epoch() + 1);
  body.set_previous_roster_fingerprint(AsString(prev.fingerprint));
  body.set_next_organisation_id(keyceremony::NextOrganisationId(prev.body));
  body.mutable_change()->set_kind(v1::MEMBERSHIP_CHANGE_REKEY);
  body.set_consortium_key(nb.consortium_key());
  *body.mutable_consortium_commitments() = nb.consortium_commitments();
  body.set_key_generation(nb.key_generation());
  body.set_transcript_hash(nb.transcript_hash());
  body.set_session_id(nb.session_id());
  *body.mutable_drill_submission_ids() = nb.drill_submission_ids();
  std::vector<keyceremony::RosterSigner> signers;
  for (int i = 0; i < body.organisations_size(); ++i) {
    v1::RosterOrganisation* o = body.mutable_organisations(i);
    const v1::RosterOrganisation& n = nb.organisations(i);
    *o->mutable_editor_commitments() = n.editor_commitments();
    o->set_verification_share(n.verification_share());
    for (int j = 0; j < o->editors_size(); ++j) {
      o->mutable_editors(j)->set_verification_share(
          n.editors(j).verification_share());
      CONCLAVE_ASSIGN_OR_RETURN(const ConsortiumEditor* ed,
                                c.Editor({o->id(), o->editors(j).index()}));
      signers.push_back(
          {o->id(), o->editors(j).index(), &ed->keys().signing_key()});
    }
  }
  return keyceremony::SignRoster(body, signers);
}

}  // namespace conclave::testing
