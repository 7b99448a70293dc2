#include "quorum/statements.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <utility>
#include <vector>

#include "crypto/hash_to_field.h"
#include "crypto/random.h"
#include "keyceremony/roster_members.h"
#include "quorum/canonical.h"

namespace conclave::quorum {
namespace {

Bytes Serialize(const google::protobuf::Message& message) {
  std::string s = message.SerializeAsString();
  return ToBytes(s);
}

// The envelope's signer must be the body's.
Status CheckSameSigner(const v1::SignedStatement& statement, uint32_t org_id,
                       uint32_t editor_index, std::string_view what) {
  if (statement.org_id() != org_id ||
      statement.editor_index() != editor_index) {
    return InvalidArgumentError(std::string(what) +
                                " names another signer than its envelope");
  }
  return OkStatus();
}

Status CheckEpoch(uint64_t epoch, const keyceremony::VerifiedRoster& roster,
                  std::string_view what) {
  if (epoch != roster.body.epoch()) {
    return FailedPreconditionError(
        std::string(what) + " is for roster epoch " + std::to_string(epoch) +
        ", but this roster is epoch " + std::to_string(roster.body.epoch()));
  }
  return OkStatus();
}

Status CheckId(const std::string& id, std::string_view what) {
  if (id.size() != kSha256Size) {
    return InvalidArgumentError(std::string(what) +
                                " does not carry a 32-byte request id");
  }
  return OkStatus();
}

std::string FormatTime(uint64_t unix_seconds) {
  const time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm;
  char buf[32];
  if (gmtime_r(&t, &tm) == nullptr ||
      strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm) == 0) {
    return std::to_string(unix_seconds);
  }
  return buf;
}

bool IsExcluded(const age::SubmissionInfo& submission, uint32_t org_id) {
  return std::binary_search(submission.excluded_orgs.begin(),
                            submission.excluded_orgs.end(), org_id);
}

bool IsDrillId(const v1::RosterBody& body, const std::string& id) {
  return std::find(body.drill_submission_ids().begin(),
                   body.drill_submission_ids().end(),
                   id) != body.drill_submission_ids().end();
}

// The header of `file`: the header alone, or the start of a whole age file.
StatusOr<age::Header> HeaderOf(ByteSpan file) {
  CONCLAVE_ASSIGN_OR_RETURN(age::Header header, age::ParseHeader(file));
  return header;
}

// The submission checks shared by MakeRequest and VerifyRequest.
StatusOr<age::SubmissionInfo> CheckSubmission(
    const keyceremony::VerifiedRoster& roster, const age::Header& header,
    uint32_t requester_org) {
  age::SubmissionPolicy policy;
  policy.allow_drill = true;
  policy.max_exclusions = keyceremony::MaxExclusions(roster.body);
  CONCLAVE_ASSIGN_OR_RETURN(
      age::SubmissionInfo info,
      age::ValidateSubmission(header, roster.consortium_key, policy));
  const bool listed = IsDrillId(roster.body, info.id);
  if (info.kind == SenderProofKind::kDrill && !listed) {
    return PermissionDeniedError(
        "submission " + info.id +
        " carries a drill proof but is not a drill file of this roster: "
        "drill proofs open only the drill files listed at the ceremony");
  }
  if (info.kind != SenderProofKind::kDrill && listed) {
    return PermissionDeniedError(
        "submission " + info.id +
        " is listed in the roster as a drill file but carries a real "
        "sender proof");
  }
  if (IsExcluded(info, requester_org)) {
    return PermissionDeniedError(
        "the whistleblower excluded " +
        keyceremony::OrganisationLabel(roster.body, requester_org) +
        " from submission " + info.id +
        ": its editors cannot request or approve its decryption");
  }
  return info;
}

}  // namespace

std::string RequestIdHex(const RequestId& id) { return HexEncode(id); }

bool SameBytes(const std::string& field, const Sha256Digest& digest) {
  return field.size() == digest.size() &&
         std::memcmp(field.data(), digest.data(), digest.size()) == 0;
}

StatusOr<RequestId> RequestIdFromBytes(ByteSpan bytes) {
  if (bytes.size() != kSha256Size) {
    return InvalidArgumentError("a request id is 32 bytes");
  }
  RequestId id;
  std::copy(bytes.begin(), bytes.end(), id.begin());
  return id;
}

StatusOr<RequestId> ParseRequestId(std::string_view hex) {
  if (hex.size() != 2 * kSha256Size) {
    return InvalidArgumentError("a request id is 64 hex digits");
  }
  StatusOr<Bytes> bytes = HexDecode(hex);
  if (!bytes.ok()) {
    return InvalidArgumentError("a request id is 64 hex digits");
  }
  return RequestIdFromBytes(*bytes);
}

const v1::RosterEditor* FindEditor(const v1::RosterBody& body, uint32_t org_id,
                                   uint32_t editor_index) {
  const v1::RosterOrganisation* org =
      keyceremony::FindOrganisation(body, org_id);
  if (org == nullptr) return nullptr;
  for (const v1::RosterEditor& e : org->editors()) {
    if (e.index() == editor_index) return &e;
  }
  return nullptr;
}

std::string EditorLabel(const v1::RosterBody& body, uint32_t org_id,
                        uint32_t editor_index) {
  std::string label = "organisation " + std::to_string(org_id) + " editor " +
                      std::to_string(editor_index);
  if (const v1::RosterEditor* e = FindEditor(body, org_id, editor_index)) {
    label += " (" + e->name() + ")";
  } else {
    label += " (not in the roster)";
  }
  return label;
}

// ---- EditorKeys ----

StatusOr<EditorKeys> EditorKeys::FromIdentity(
    const v1::EditorIdentity& identity,
    const keyceremony::VerifiedRoster& roster) {
  CONCLAVE_ASSIGN_OR_RETURN(
      Ed25519PrivateKey signing,
      Ed25519PrivateKey::FromSeed(AsBytes(identity.ed25519_seed())));
  const v1::RosterEditor* editor = nullptr;
  if (identity.editor_index() != 0) {
    editor =
        FindEditor(roster.body, identity.org_id(), identity.editor_index());
  } else if (const v1::RosterOrganisation* org = keyceremony::FindOrganisation(
                 roster.body, identity.org_id())) {
    // `identity new` seals index 0: the plan assigns the index later, so
    // the roster entry is the one with this identity's signing key.
    for (const v1::RosterEditor& e : org->editors()) {
      if (ConstantTimeEquals(signing.public_key(),
                             AsBytes(e.ed25519_public_key()))) {
        editor = &e;
      }
    }
  }
  const std::string who =
      "this identity (organisation " + std::to_string(identity.org_id()) +
      (identity.editor_index() == 0
           ? std::string(", editor index assigned by the plan)")
           : " editor " + std::to_string(identity.editor_index()) + ")");
  if (editor == nullptr) {
    return FailedPreconditionError(who + " is not an editor of this roster");
  }
  StatusOr<Scalar> p256 =
      Scalar::FromBytes(AsBytes(identity.p256_private_key()));
  if (!p256.ok() || p256->IsZero()) {
    return InvalidArgumentError(who + " has a malformed P-256 key");
  }
  const CompressedPoint p256_public = Point::BaseMul(*p256).EncodeCompressed();
  if (!ConstantTimeEquals(signing.public_key(),
                          AsBytes(editor->ed25519_public_key())) ||
      !ConstantTimeEquals(p256_public, AsBytes(editor->p256_public_key()))) {
    return FailedPreconditionError(
        who + " does not match the keys the roster lists for " +
        EditorLabel(roster.body, identity.org_id(), editor->index()));
  }
  return EditorKeys(
      identity.org_id(), editor->index(), std::move(signing),
      SecretBytes::CopyFrom(AsBytes(identity.p256_private_key())));
}

StatusOr<Scalar> EditorKeys::ReplyKey(ByteSpan reply_salt) const {
  if (reply_salt.size() != kReplySaltSize) {
    return InvalidArgumentError("a reply salt is 32 bytes");
  }
  SecretBytes input = p256_private_key_.Clone();
  input.Append(reply_salt);
  Scalar key = HashToScalar(input.span(), AsBytes(kReplyKeyDst));
  if (key.IsZero()) return InternalError("reply key is zero");
  return key;
}

// ---- Signed statements ----

v1::SignedStatement SignStatement(std::string_view dst, Bytes body,
                                  const EditorKeys& signer) {
  v1::SignedStatement out;
  const Ed25519Signature sig =
      signer.signing_key().Sign(keyceremony::DomainSeparatedMessage(dst, body));
  out.set_signed_(AsString(body));
  out.set_signature(AsString(sig));
  out.set_org_id(signer.org_id());
  out.set_editor_index(signer.editor_index());
  return out;
}

Status VerifyStatementSignature(std::string_view dst,
                                const v1::SignedStatement& statement,
                                const v1::RosterBody& roster) {
  if (statement.signed_().size() > kMaxStatementSize) {
    return InvalidArgumentError("signed statement is too large");
  }
  const v1::RosterEditor* editor =
      FindEditor(roster, statement.org_id(), statement.editor_index());
  if (editor == nullptr) {
    return PermissionDeniedError(
        "signed by organisation " + std::to_string(statement.org_id()) +
        " editor " + std::to_string(statement.editor_index()) +
        ", who is not a member of this roster");
  }
  Status s = Ed25519Verify(
      AsBytes(editor->ed25519_public_key()),
      keyceremony::DomainSeparatedMessage(dst, AsBytes(statement.signed_())),
      AsBytes(statement.signature()));
  if (!s.ok()) {
    return UnauthenticatedError(
        "the signature of " +
        EditorLabel(roster, statement.org_id(), statement.editor_index()) +
        " does not verify (" + std::string(dst) + ")");
  }
  return OkStatus();
}

// ---- Requests ----

StatusOr<NewRequest> MakeRequest(const keyceremony::VerifiedRoster& roster,
                                 const EditorKeys& requester,
                                 ByteSpan age_header,
                                 const RequestOptions& options) {
  if (options.reason.empty()) {
    return InvalidArgumentError("a request needs a reason");
  }
  if (options.reason.size() > kMaxReasonSize) {
    return InvalidArgumentError("the reason is longer than 4096 bytes");
  }
  const uint64_t max_lifetime =
      roster.body.policy().max_request_lifetime_seconds();
  const uint64_t lifetime =
      options.lifetime_seconds == 0 ? max_lifetime : options.lifetime_seconds;
  if (lifetime > max_lifetime) {
    return InvalidArgumentError("a request may live at most " +
                                std::to_string(max_lifetime) +
                                " seconds under this roster's policy");
  }
  CONCLAVE_ASSIGN_OR_RETURN(age::Header header, HeaderOf(age_header));
  CONCLAVE_ASSIGN_OR_RETURN(
      age::SubmissionInfo info,
      CheckSubmission(roster, header, requester.org_id()));

  Bytes salt(kReplySaltSize);
  FillRandom(salt);
  CONCLAVE_ASSIGN_OR_RETURN(Scalar reply_sk, requester.ReplyKey(salt));

  v1::RequestBody body;
  body.set_roster_fingerprint(AsString(roster.fingerprint));
  body.set_epoch(roster.body.epoch());
  body.set_org_id(requester.org_id());
  body.set_editor_index(requester.editor_index());
  body.set_submission_id(info.id);
  body.set_age_header(AsString(header.bytes));
  body.set_reason(options.reason);
  body.set_created_unix(options.now_unix);
  body.set_expires_unix(options.now_unix + lifetime);
  body.set_reply_salt(AsString(salt));
  body.set_reply_public_key(
      AsString(Point::BaseMul(reply_sk).EncodeCompressed()));
  NewRequest out;
  const Bytes signed_bytes = Serialize(body);
  out.id = Sha256(signed_bytes);
  out.statement = SignStatement(kRequestDst, signed_bytes, requester);
  return out;
}

StatusOr<VerifiedRequest> VerifyRequest(
    const keyceremony::VerifiedRoster& roster,
    const v1::SignedStatement& request) {
  CONCLAVE_RETURN_IF_ERROR(
      VerifyStatementSignature(kRequestDst, request, roster.body)
          .Annotate("request"));
  VerifiedRequest out;
  out.id = Sha256(AsBytes(request.signed_()));
  CONCLAVE_ASSIGN_OR_RETURN(
      out.body, ParseCanonical<v1::RequestBody>(request.signed_(), "request"));
  const v1::RequestBody& body = out.body;
  CONCLAVE_RETURN_IF_ERROR(
      CheckSameSigner(request, body.org_id(), body.editor_index(), "request"));
  if (!ConstantTimeEquals(AsBytes(body.roster_fingerprint()),
                          roster.fingerprint)) {
    return FailedPreconditionError(
        "request " + RequestIdHex(out.id) +
        " was made under another roster (another consortium or epoch)");
  }
  CONCLAVE_RETURN_IF_ERROR(CheckEpoch(body.epoch(), roster, "the request"));

  size_t consumed = 0;
  StatusOr<age::Header> header =
      age::ParseHeader(AsBytes(body.age_header()), &consumed);
  if (!header.ok() || consumed != body.age_header().size()) {
    return InvalidArgumentError(
        "the request does not embed exactly one age header");
  }
  out.header = std::move(*header);
  CONCLAVE_ASSIGN_OR_RETURN(out.submission,
                            CheckSubmission(roster, out.header, body.org_id()));
  if (body.submission_id() != out.submission.id) {
    return InvalidArgumentError("the request names submission " +
                                body.submission_id() +
                                " but its embedded header is submission " +
                                out.submission.id + " (SHA-256 of enc)");
  }
  out.drill = out.submission.kind == SenderProofKind::kDrill;

  if (body.reason().empty() || body.reason().size() > kMaxReasonSize) {
    return InvalidArgumentError("the request's reason is empty or too long");
  }
  const uint64_t max_lifetime =
      roster.body.policy().max_request_lifetime_seconds();
  if (body.expires_unix() <= body.created_unix() ||
      body.expires_unix() - body.created_unix() > max_lifetime) {
    return InvalidArgumentError(
        "the request's lifetime is not within the roster's maximum of " +
        std::to_string(max_lifetime) + " seconds");
  }
  if (body.reply_salt().size() != kReplySaltSize) {
    return InvalidArgumentError("the request's reply salt is not 32 bytes");
  }
  StatusOr<Point> reply =
      Point::DecodeCompressed(AsBytes(body.reply_public_key()));
  if (!reply.ok()) {
    return InvalidArgumentError("the request's reply key does not decode");
  }
  out.reply_key = std::move(*reply);
  return out;
}

Status CheckNotExpired(const VerifiedRequest& request, uint64_t now_unix) {
  if (now_unix >= request.body.expires_unix()) {
    return FailedPreconditionError("request " + RequestIdHex(request.id) +
                                   " expired at " +
                                   FormatTime(request.body.expires_unix()));
  }
  return OkStatus();
}

// ---- Votes ----

StatusOr<v1::SignedStatement> MakeVote(
    const keyceremony::VerifiedRoster& roster, const EditorKeys& voter,
    const VerifiedRequest& request, const VoteOptions& options) {
  if (IsExcluded(request.submission, voter.org_id())) {
    return PermissionDeniedError(
        "the whistleblower excluded " +
        keyceremony::OrganisationLabel(roster.body, voter.org_id()) +
        " from submission " + request.submission.id +
        ": its editors cannot vote on it");
  }
  CONCLAVE_RETURN_IF_ERROR(
      CheckEpoch(request.body.epoch(), roster, "the request"));
  CONCLAVE_RETURN_IF_ERROR(CheckNotExpired(request, options.now_unix));
  if (options.decision != v1::DECISION_APPROVE &&
      options.decision != v1::DECISION_REFUSE) {
    return InvalidArgumentError("a vote approves or refuses");
  }
  if (options.checkpoint_root.size() != kSha256Size) {
    return InvalidArgumentError("a vote names a 32-byte checkpoint root");
  }
  if (options.comment.size() > kMaxReasonSize) {
    return InvalidArgumentError("the comment is longer than 4096 bytes");
  }
  v1::VoteBody body;
  body.set_request_id(AsString(request.id));
  body.set_epoch(roster.body.epoch());
  body.set_org_id(voter.org_id());
  body.set_editor_index(voter.editor_index());
  body.set_decision(options.decision);
  body.set_checkpoint_size(options.checkpoint_size);
  body.set_checkpoint_root(AsString(options.checkpoint_root));
  body.set_comment(options.comment);
  body.set_created_unix(options.now_unix);
  return SignStatement(kVoteDst, Serialize(body), voter);
}

StatusOr<v1::VoteBody> VerifyVote(const keyceremony::VerifiedRoster& roster,
                                  const v1::SignedStatement& vote) {
  CONCLAVE_RETURN_IF_ERROR(
      VerifyStatementSignature(kVoteDst, vote, roster.body).Annotate("vote"));
  CONCLAVE_ASSIGN_OR_RETURN(
      v1::VoteBody body, ParseCanonical<v1::VoteBody>(vote.signed_(), "vote"));
  CONCLAVE_RETURN_IF_ERROR(
      CheckSameSigner(vote, body.org_id(), body.editor_index(), "vote"));
  CONCLAVE_RETURN_IF_ERROR(CheckEpoch(body.epoch(), roster, "the vote"));
  CONCLAVE_RETURN_IF_ERROR(CheckId(body.request_id(), "the vote"));
  if (body.decision() != v1::DECISION_APPROVE &&
      body.decision() != v1::DECISION_REFUSE) {
    return InvalidArgumentError("the vote neither approves nor refuses");
  }
  if (body.checkpoint_root().size() != kSha256Size) {
    return InvalidArgumentError("the vote's checkpoint root is not 32 bytes");
  }
  return body;
}

// ---- Withdrawals ----

StatusOr<v1::SignedStatement> MakeWithdrawal(
    const keyceremony::VerifiedRoster& roster, const EditorKeys& requester,
    const VerifiedRequest& request, std::string reason, uint64_t now_unix) {
  if (requester.org_id() != request.body.org_id() ||
      requester.editor_index() != request.body.editor_index()) {
    return PermissionDeniedError("only the requester (" +
                                 EditorLabel(roster.body, request.body.org_id(),
                                             request.body.editor_index()) +
                                 ") may withdraw request " +
                                 RequestIdHex(request.id));
  }
  if (reason.size() > kMaxReasonSize) {
    return InvalidArgumentError("the reason is longer than 4096 bytes");
  }
  v1::WithdrawalBody body;
  body.set_request_id(AsString(request.id));
  body.set_epoch(request.body.epoch());
  body.set_org_id(requester.org_id());
  body.set_editor_index(requester.editor_index());
  body.set_reason(std::move(reason));
  body.set_created_unix(now_unix);
  return SignStatement(kWithdrawalDst, Serialize(body), requester);
}

StatusOr<v1::WithdrawalBody> VerifyWithdrawal(
    const keyceremony::VerifiedRoster& roster,
    const v1::SignedStatement& withdrawal) {
  CONCLAVE_RETURN_IF_ERROR(
      VerifyStatementSignature(kWithdrawalDst, withdrawal, roster.body)
          .Annotate("withdrawal"));
  CONCLAVE_ASSIGN_OR_RETURN(
      v1::WithdrawalBody body,
      ParseCanonical<v1::WithdrawalBody>(withdrawal.signed_(), "withdrawal"));
  CONCLAVE_RETURN_IF_ERROR(CheckSameSigner(withdrawal, body.org_id(),
                                           body.editor_index(), "withdrawal"));
  CONCLAVE_RETURN_IF_ERROR(CheckEpoch(body.epoch(), roster, "the withdrawal"));
  CONCLAVE_RETURN_IF_ERROR(CheckId(body.request_id(), "the withdrawal"));
  return body;
}

// ---- Approvals ----

StatusOr<v1::ApprovalBody> VerifyApprovalStatement(
    const keyceremony::VerifiedRoster& roster, const v1::Approval& approval,
    bool* signature_ok) {
  if (signature_ok != nullptr) *signature_ok = false;
  CONCLAVE_RETURN_IF_ERROR(VerifyStatementSignature(kApprovalStatementDst,
                                                    approval.statement(),
                                                    roster.body)
                               .Annotate("approval"));
  if (signature_ok != nullptr) *signature_ok = true;
  CONCLAVE_ASSIGN_OR_RETURN(v1::ApprovalBody body,
                            ParseCanonical<v1::ApprovalBody>(
                                approval.statement().signed_(), "approval"));
  CONCLAVE_RETURN_IF_ERROR(CheckSameSigner(approval.statement(), body.org_id(),
                                           body.editor_index(), "approval"));
  CONCLAVE_RETURN_IF_ERROR(CheckEpoch(body.epoch(), roster, "the approval"));
  CONCLAVE_RETURN_IF_ERROR(CheckId(body.request_id(), "the approval"));
  if (body.header_hash().size() != kSha256Size) {
    return InvalidArgumentError("the approval's header hash is not 32 bytes");
  }
  const Sha256Digest ciphertext_hash = Sha256(AsBytes(approval.ciphertext()));
  if (!ConstantTimeEquals(ciphertext_hash, AsBytes(body.ciphertext_hash()))) {
    return UnauthenticatedError(
        "the approval's ciphertext is not the one " +
        EditorLabel(roster.body, body.org_id(), body.editor_index()) +
        " signed");
  }
  return body;
}

// ---- Leaves ----

Bytes EncodeLogLeaf(const v1::LogLeaf& leaf) { return Serialize(leaf); }

StatusOr<v1::LogLeaf> ParseLogLeaf(ByteSpan leaf) {
  CONCLAVE_ASSIGN_OR_RETURN(
      v1::LogLeaf out,
      ParseCanonical<v1::LogLeaf>(std::string(AsStringView(leaf)), "log leaf"));
  if (out.entry_case() == v1::LogLeaf::ENTRY_NOT_SET) {
    return InvalidArgumentError("log leaf has no entry");
  }
  return out;
}

}  // namespace conclave::quorum
