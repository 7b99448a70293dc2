#include "quorum/release.h"

#include <string>
#include <vector>

#include "quorum/approval.h"

namespace conclave::quorum {
namespace {

std::string Hex(ByteSpan b) { return HexEncode(b); }

bool SameStatement(const v1::SignedStatement& a, const v1::SignedStatement& b) {
  return a.signed_() == b.signed_() && a.signature() == b.signature() &&
         a.org_id() == b.org_id() && a.editor_index() == b.editor_index();
}

bool IsThisRequest(const std::string& id, const RequestId& request_id) {
  return SameBytes(id, request_id);
}

// The log from the request to the settled checkpoint: votes are counted,
// and a withdrawal, an expiry or a new roster epoch closes the request.
StatusOr<QuorumProgress> CountVotes(const keyceremony::VerifiedRoster& roster,
                                    const VerifiedRequest& request,
                                    const VerifiedLogView& view,
                                    std::vector<std::string>* not_counted) {
  const std::string qid = RequestIdHex(request.id);
  QuorumTally tally(roster, request);
  for (uint64_t i = view.first_index() + 1; i < view.size(); ++i) {
    StatusOr<v1::LogLeaf> leaf = ParseLogLeaf(view.leaf(i));
    if (!leaf.ok()) {
      return leaf.status().Annotate("leaf " + std::to_string(i) +
                                    " of the settled log");
    }
    switch (leaf->entry_case()) {
      case v1::LogLeaf::kVote: {
        // A vote that does not verify cannot count; the log's own
        // verification (audit verify --full) reports it.
        StatusOr<v1::VoteBody> vote = VerifyVote(roster, leaf->vote());
        if (!vote.ok()) {
          not_counted->push_back("leaf " + std::to_string(i) + ": " +
                                 vote.status().message());
          break;
        }
        if (!IsThisRequest(vote->request_id(), request.id)) break;
        const uint64_t s = vote->checkpoint_size();
        const std::string who =
            EditorLabel(roster.body, vote->org_id(), vote->editor_index());
        // The voter must have seen the request (s > its index) in a
        // checkpoint that existed before the vote was logged (s <= i).
        if (s <= view.first_index() || s > i) {
          not_counted->push_back(who + " (leaf " + std::to_string(i) +
                                 ") names a checkpoint of "
                                 "size " +
                                 std::to_string(s) +
                                 ", which cannot have shown the "
                                 "request (leaf " +
                                 std::to_string(view.first_index()) + ")");
          break;
        }
        const std::optional<audit::Hash> root = view.RootAt(s);
        if (!root.has_value() || !SameBytes(vote->checkpoint_root(), *root)) {
          return Status(
              StatusCode::kAborted,
              "split view: the vote of " + who + " (leaf " + std::to_string(i) +
                  ") names the log's checkpoint of size " + std::to_string(s) +
                  " with root " + Hex(AsBytes(vote->checkpoint_root())) +
                  ", but the settled log has a different root at that size. "
                  "The log has shown members different histories; do not "
                  "release, keep this evidence and tell the consortium");
        }
        // Votes from excluded organisations and conflicting votes are
        // refused by the tally and not counted; repeats count once.
        if (Status added = tally.Add(*vote);
            !added.ok() && added.code() != StatusCode::kAlreadyExists) {
          not_counted->push_back(added.message());
        }
        break;
      }
      case v1::LogLeaf::kWithdrawal: {
        StatusOr<v1::WithdrawalBody> w =
            VerifyWithdrawal(roster, leaf->withdrawal());
        if (!w.ok() || !IsThisRequest(w->request_id(), request.id)) break;
        if (w->org_id() != request.body.org_id() ||
            w->editor_index() != request.body.editor_index()) {
          break;  // only the requester may withdraw
        }
        return FailedPreconditionError(
            "request " + qid + " was withdrawn by its requester (leaf " +
            std::to_string(i) + "): " + w->reason());
      }
      case v1::LogLeaf::kExpiry:
        if (IsThisRequest(leaf->expiry().request_id(), request.id)) {
          return FailedPreconditionError("request " + qid +
                                         " was closed as expired (leaf " +
                                         std::to_string(i) + ")");
        }
        break;
      case v1::LogLeaf::kRoster: {
        v1::Roster next;
        v1::RosterBody body;
        // A roster leaf closes the open requests of the epoch it replaces
        // (REKEY included). A request of a retired key's last epoch is made
        // after the REKEY leaf, so only epochs beyond epoch + 1 follow it:
        // they belong to the new key and do not close it (docs/protocol.md
        // "Rekey"; the old key's chain has ended).
        if (next.ParseFromString(leaf->roster().roster()) &&
            body.ParseFromString(next.signed_()) &&
            body.epoch() != request.body.epoch() &&
            body.epoch() <= request.body.epoch() + 1) {
          return FailedPreconditionError(
              "the consortium moved to roster epoch " +
              std::to_string(body.epoch()) + " (leaf " + std::to_string(i) +
              ") after request " + qid + " of epoch " +
              std::to_string(request.body.epoch()) +
              ": the request is closed; ask again under the new roster");
        }
        break;
      }
      default:
        break;
    }
  }
  return tally.progress();
}

}  // namespace

StatusOr<ReleaseCheck> CheckRelease(const ReleaseInput& input) {
  if (input.roster == nullptr || input.releaser == nullptr ||
      input.share == nullptr) {
    return InvalidArgumentError("release needs a roster, identity and share");
  }
  const keyceremony::VerifiedRoster& roster = *input.roster;
  const EditorKeys& releaser = *input.releaser;
  const v1::EditorShare& share = *input.share;

  // 1. The share: this roster and epoch, and the releaser's own.
  CONCLAVE_RETURN_IF_ERROR(
      keyceremony::CheckEditorShare(share, roster).Annotate("your share"));
  if (share.org_id() != releaser.org_id() ||
      share.editor_index() != releaser.editor_index()) {
    return FailedPreconditionError(
        "the share belongs to " +
        EditorLabel(roster.body, share.org_id(), share.editor_index()) +
        " but the identity is " +
        EditorLabel(roster.body, releaser.org_id(), releaser.editor_index()));
  }

  // 2. The request, from the log when there is one.
  const v1::SignedStatement* request = input.request;
  std::optional<VerifiedLogView> view;
  v1::LogLeaf first;
  if (input.evidence != nullptr) {
    CONCLAVE_ASSIGN_OR_RETURN(
        view, VerifyLogEvidence(*input.evidence, roster, input.chain));
    StatusOr<v1::LogLeaf> leaf = ParseLogLeaf(view->leaf(view->first_index()));
    if (!leaf.ok() || leaf->entry_case() != v1::LogLeaf::kRequest) {
      return InvalidArgumentError(
          "the log evidence does not start at a request (leaf " +
          std::to_string(view->first_index()) + ")");
    }
    first = std::move(*leaf);
    if (request != nullptr && !SameStatement(*request, first.request())) {
      return InvalidArgumentError(
          "the log evidence is for another request than the one given");
    }
    request = &first.request();
  }
  if (request == nullptr) {
    return InvalidArgumentError("no request to release for");
  }
  ReleaseCheck check;
  CONCLAVE_ASSIGN_OR_RETURN(check.request, VerifyRequest(roster, *request));
  const VerifiedRequest& req = check.request;
  if (req.body.epoch() != share.epoch()) {
    return FailedPreconditionError(
        "the request is for roster epoch " + std::to_string(req.body.epoch()) +
        " but the share is of epoch " + std::to_string(share.epoch()));
  }
  CONCLAVE_RETURN_IF_ERROR(CheckNotExpired(req, input.now_unix));
  check.drill = req.drill;
  if (check.drill) return check;  // drill files skip the log (brief §4)

  // 3. The log: a settled view with a quorum for exactly this request.
  if (!view.has_value()) {
    return FailedPreconditionError(
        "submission " + req.submission.id +
        " is not a drill file: a partial decryption is released only "
        "against the audit log (a settled checkpoint showing the request "
        "and its votes)");
  }
  check.checkpoint_size = view->size();
  std::vector<std::string> not_counted;
  CONCLAVE_ASSIGN_OR_RETURN(QuorumProgress progress,
                            CountVotes(roster, req, *view, &not_counted));
  const std::string qid = RequestIdHex(req.id);
  std::string ignored;
  for (const std::string& why : not_counted) ignored += "; not counted: " + why;
  const OrganisationProgress* mine = nullptr;
  for (const OrganisationProgress& o : progress.orgs) {
    if (o.org_id == releaser.org_id()) mine = &o;
  }
  if (mine == nullptr || !mine->approving.contains(releaser.editor_index())) {
    return FailedPreconditionError(
        "the settled log (size " + std::to_string(view->size()) +
        ") has no approval of request " + qid + " by you (" +
        EditorLabel(roster.body, releaser.org_id(), releaser.editor_index()) +
        "): vote first, then release" + ignored);
  }
  if (!progress.complete()) {
    return FailedPreconditionError(
        "no quorum yet for request " + qid + " in the settled log (size " +
        std::to_string(view->size()) + "): " + progress.Describe(roster.body) +
        ignored);
  }
  if (!mine->satisfied()) {
    return FailedPreconditionError(
        "your organisation has " + std::to_string(mine->approving.size()) +
        " of the " + std::to_string(mine->editor_threshold) +
        " editor approvals it needs for request " + qid +
        ", so your partial decryption would not count");
  }
  check.progress = std::move(progress);
  return check;
}

StatusOr<Release> ReleasePartial(const ReleaseInput& input) {
  Release out;
  CONCLAVE_ASSIGN_OR_RETURN(out.check, CheckRelease(input));
  const VerifiedRequest& req = out.check.request;
  const v1::EditorShare& share = *input.share;
  const EditorKeys& releaser = *input.releaser;

  StatusOr<Scalar> y = Scalar::FromBytes(AsBytes(share.share()));
  if (!y.ok()) return InvalidArgumentError("the share is malformed");
  CONCLAVE_ASSIGN_OR_RETURN(
      Point y_oj, Point::DecodeCompressed(AsBytes(share.verification_share())));
  CONCLAVE_ASSIGN_OR_RETURN(
      Point r, Point::DecodeUncompressed(req.submission.p256tag.enc));
  CONCLAVE_ASSIGN_OR_RETURN(PartialDecryption partial,
                            ComputePartialDecryption(*y, y_oj, r));
  ApprovalAddress address;
  address.request_id = req.id;
  address.org_id = releaser.org_id();
  address.editor_index = releaser.editor_index();
  address.epoch = req.body.epoch();
  CONCLAVE_ASSIGN_OR_RETURN(Bytes ciphertext,
                            SealPartial(partial, req.reply_key, address));

  v1::ApprovalBody body;
  body.set_request_id(AsString(req.id));
  body.set_header_hash(AsString(req.submission.header_hash));
  body.set_org_id(releaser.org_id());
  body.set_editor_index(releaser.editor_index());
  body.set_epoch(req.body.epoch());
  body.set_ciphertext_hash(AsString(Sha256(ciphertext)));
  body.set_created_unix(input.now_unix);
  *out.approval.mutable_statement() = SignStatement(
      kApprovalStatementDst, ToBytes(body.SerializeAsString()), releaser);
  out.approval.set_ciphertext(AsString(ciphertext));
  return out;
}

}  // namespace conclave::quorum
