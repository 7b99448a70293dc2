#include "cli/audit_timeline.h"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "audit/merkle.h"
#include "audit/note.h"
#include "crypto/hash.h"
#include "keyceremony/reshare.h"
#include "keyceremony/roster_members.h"
#include "quorum/canonical.h"
#include "quorum/statements.h"

namespace conclave::cli {

std::string_view LeafKindName(LeafKind kind) {
  switch (kind) {
    case LeafKind::kUnreadable:
      return "unreadable";
    case LeafKind::kSubmission:
      return "submission";
    case LeafKind::kRequest:
      return "request";
    case LeafKind::kVote:
      return "vote";
    case LeafKind::kApproval:
      return "approval";
    case LeafKind::kWithdrawal:
      return "withdrawal";
    case LeafKind::kExpiry:
      return "expiry";
    case LeafKind::kRoster:
      return "roster";
    case LeafKind::kDaemonStarted:
      return "daemon-started";
    case LeafKind::kReply:
      return "reply";
  }
  return "unreadable";
}

std::string_view SignatureStatusName(SignatureStatus status) {
  switch (status) {
    case SignatureStatus::kUnsigned:
      return "unsigned";
    case SignatureStatus::kVerified:
      return "verified";
    case SignatureStatus::kBad:
      return "bad";
  }
  return "bad";
}

std::string FormatUtc(uint64_t unix_seconds) {
  const time_t t = static_cast<time_t>(
      std::min<uint64_t>(unix_seconds, 253402300799ULL));  // year 9999
  struct tm tm {};
  if (gmtime_r(&t, &tm) == nullptr) return std::to_string(unix_seconds);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d UTC",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec);
  return buf;
}

namespace {

using quorum::RequestIdHex;

std::string Str(uint64_t v) { return std::to_string(v); }
std::string Hex(const std::string& bytes) { return HexEncode(AsBytes(bytes)); }

std::string OrgList(const v1::RosterBody& body,
                    const std::vector<uint32_t>& orgs) {
  std::string s;
  for (uint32_t o : orgs) {
    s += (s.empty() ? "" : ", ") + keyceremony::OrganisationLabel(body, o);
  }
  return s.empty() ? "none" : s;
}

std::string DecisionName(v1::Decision d) {
  switch (d) {
    case v1::DECISION_APPROVE:
      return "approve";
    case v1::DECISION_REFUSE:
      return "refuse";
    default:
      return "unspecified";
  }
}

// One request as the log has shown it so far.
struct RequestRecord {
  size_t position = 0;  // in Timeline::requests
  const keyceremony::VerifiedRoster* roster = nullptr;
  std::optional<quorum::VerifiedRequest> verified;
  std::unique_ptr<quorum::QuorumTally> tally;
  bool closed = false;
  std::string closed_by;  // "withdrawn at leaf 7"
};

}  // namespace

struct TimelineBuilder::State {
  State(const keyceremony::VerifiedRoster& r, TimelineOptions o)
      : pinned(r), in_force(&r), options(o) {}

  const keyceremony::VerifiedRoster& pinned;
  const keyceremony::VerifiedRoster* in_force;
  // Rosters of other epochs met in the log (owned: tallies point at them).
  std::vector<std::unique_ptr<keyceremony::VerifiedRoster>> log_rosters;
  // The last roster of each key a later roster replaced (REKEY), by epoch:
  // statements for that key's submissions still name it after the rekey
  // (docs/protocol.md "Rekey: two keys in one log").
  std::map<uint64_t, const keyceremony::VerifiedRoster*> retired;
  TimelineOptions options;

  bool started = false;
  bool spent = false;
  uint64_t next = 0;
  audit::CompactRange range;
  // roots[s - 1] = the log's root at size s (only from index 0): what a
  // vote's named checkpoint must match.
  std::vector<audit::Hash> roots;

  Timeline out;
  std::map<std::string, uint64_t> submissions;  // id -> first leaf
  std::map<std::string, RequestRecord> requests;
  std::map<std::pair<uint32_t, uint32_t>, size_t> member_pos;

  bool from_zero() const { return out.first_index == 0; }

  bool detailed(const TimelineEvent& e) const {
    return options.detail_index && *options.detail_index == e.index;
  }
  void Detail(TimelineEvent& e, std::string key, std::string value) {
    if (detailed(e)) e.details.emplace_back(std::move(key), std::move(value));
  }

  void Problem(TimelineEvent& e, const char* kind, std::string message) {
    e.problems.push_back(out.problems.size());
    out.problems.push_back({e.index, kind, std::move(message)});
  }

  MemberActivity& Member(uint32_t org, uint32_t editor) {
    auto it = member_pos.find({org, editor});
    if (it != member_pos.end()) return out.members[it->second];
    MemberActivity m;
    m.org_id = org;
    m.editor_index = editor;
    m.organisation = keyceremony::OrganisationLabel(pinned.body, org);
    m.editor = quorum::EditorLabel(in_force->body, org, editor);
    m.in_roster = false;
    member_pos[{org, editor}] = out.members.size();
    out.members.push_back(std::move(m));
    return out.members.back();
  }
  void Touch(MemberActivity& m, uint64_t time) {
    if (!m.first_time || time < *m.first_time) m.first_time = time;
    if (!m.last_time || time > *m.last_time) m.last_time = time;
  }

  void Signer(TimelineEvent& e, uint32_t org, uint32_t editor,
              const keyceremony::VerifiedRoster& roster) {
    e.org_id = org;
    e.editor_index = editor;
    e.organisation = keyceremony::OrganisationLabel(roster.body, org);
    e.editor = quorum::EditorLabel(roster.body, org, editor);
  }

  // The roster a statement is checked against: the roster in force, or the
  // last roster of a retired key when the statement names that epoch. The
  // epoch is read from the still unverified body only to choose the keys;
  // the statement is then verified in full under that roster, which checks
  // its epoch (and a request's roster fingerprint) again.
  template <typename Body>
  const keyceremony::VerifiedRoster& RosterFor(const v1::SignedStatement& st) {
    Body body;
    if (!body.ParseFromString(st.signed_())) return *in_force;
    if (body.epoch() == in_force->body.epoch()) return *in_force;
    auto it = retired.find(body.epoch());
    return it == retired.end() ? *in_force : *it->second;
  }

  // Verifies the envelope's signature against `roster`; records the
  // outcome on the event. False if it does not verify.
  bool CheckSignature(TimelineEvent& e, std::string_view dst,
                      const v1::SignedStatement& st,
                      const keyceremony::VerifiedRoster& roster) {
    Signer(e, st.org_id(), st.editor_index(), roster);
    Detail(e, "signer", e.editor);
    Status s = quorum::VerifyStatementSignature(dst, st, roster.body);
    if (!s.ok()) {
      e.signature = SignatureStatus::kBad;
      e.signature_message = s.message();
      Detail(e, "signature", "BAD: " + s.message());
      Problem(e, kProblemBadSignature, s.message());
      return false;
    }
    e.signature = SignatureStatus::kVerified;
    Detail(e, "signature",
           "verified (Ed25519, " + std::string(dst) + ", roster epoch " +
               Str(roster.body.epoch()) + ")");
    return true;
  }

  // The request a later statement names, or nullptr (then flagged when the
  // whole history is at hand).
  RequestRecord* FindRequest(TimelineEvent& e, const std::string& id_hex,
                             const char* what) {
    auto it = requests.find(id_hex);
    if (it != requests.end()) {
      e.submission_id = out.requests[it->second.position].submission_id;
      return &it->second;
    }
    if (from_zero()) {
      Problem(e, kProblemUnknownRequest,
              std::string(what) + " names request " + id_hex +
                  ", which is not in the log before it");
    }
    return nullptr;
  }

  void OnSubmission(TimelineEvent& e, const v1::SubmissionReceived& s) {
    e.submission_id = s.submission_id();
    std::vector<uint32_t> excluded(s.excluded_orgs().begin(),
                                   s.excluded_orgs().end());
    e.summary =
        "submission " + s.submission_id() + " received (" + Str(s.size()) +
        " bytes" +
        (excluded.empty() ? std::string()
                          : ", excludes " + OrgList(in_force->body, excluded)) +
        (s.linked_to_leaf() != 0
             ? ", follow-up to leaf " + Str(s.linked_to_leaf() - 1)
             : std::string()) +
        ")";
    Detail(e, "submission id", s.submission_id());
    Detail(e, "header hash", Hex(s.header_hash()));
    Detail(e, "file size", Str(s.size()) + " bytes");
    Detail(e, "file hash", Hex(s.file_hash()));
    Detail(e, "excluded organisations", OrgList(in_force->body, excluded));
    Detail(e, "follow-up to",
           s.linked_to_leaf() == 0 ? "none"
                                   : "leaf " + Str(s.linked_to_leaf() - 1));
    auto [it, inserted] = submissions.emplace(s.submission_id(), e.index);
    if (!inserted) {
      Problem(e, kProblemDuplicateSubmission,
              "submission id " + s.submission_id() +
                  " was already received at leaf " + Str(it->second));
    }
  }

  void OnRequest(TimelineEvent& e, const v1::SignedStatement& st) {
    const std::string id = RequestIdHex(Sha256(AsBytes(st.signed_())));
    e.request_id = id;
    Detail(e, "request id", id);
    const keyceremony::VerifiedRoster& roster = RosterFor<v1::RequestBody>(st);
    if (!CheckSignature(e, quorum::kRequestDst, st, roster)) {
      e.summary = "request claimed by " + e.editor + ": signature BAD";
      return;
    }
    StatusOr<v1::RequestBody> body =
        quorum::ParseCanonical<v1::RequestBody>(st.signed_(), "request");
    if (!body.ok()) {
      Problem(e, kProblemInvalidStatement, body.status().message());
      e.summary = "request by " + e.editor + ": malformed";
      return;
    }
    e.submission_id = body->submission_id();
    e.text = body->reason();
    e.summary = "request by " + e.editor + " to open submission " +
                body->submission_id();
    Detail(e, "submission id", body->submission_id());
    Detail(e, "reason", body->reason());
    Detail(
        e, "requester (body)",
        quorum::EditorLabel(roster.body, body->org_id(), body->editor_index()));
    Detail(e, "roster fingerprint", Hex(body->roster_fingerprint()));
    Detail(e, "epoch", Str(body->epoch()));
    Detail(e, "created", FormatUtc(body->created_unix()));
    Detail(e, "expires", FormatUtc(body->expires_unix()));
    Detail(e, "age header",
           Str(body->age_header().size()) + " bytes, SHA-256 " +
               HexEncode(Sha256(AsBytes(body->age_header()))));
    Detail(e, "reply salt", Hex(body->reply_salt()));
    Detail(e, "reply public key", Hex(body->reply_public_key()));

    RequestProgress p;
    p.index = e.index;
    p.time_unix = e.time_unix;
    p.request_id = id;
    p.submission_id = body->submission_id();
    p.requester = e.editor;
    p.requester_org = st.org_id();
    p.reason = body->reason();
    p.created_unix = body->created_unix();
    p.expires_unix = body->expires_unix();

    RequestRecord rec;
    rec.roster = &roster;
    StatusOr<quorum::VerifiedRequest> v = quorum::VerifyRequest(roster, st);
    if (!v.ok()) {
      Problem(e, kProblemInvalidStatement,
              "request " + id + " fails verification: " + v.status().message());
      Detail(e, "request checks", "FAILED: " + v.status().message());
      p.state = "invalid";
    } else {
      Detail(e, "request checks",
             "pass (sender proof, submission id, exclusions, lifetime)");
      Detail(e, "excluded organisations",
             OrgList(roster.body, v->submission.excluded_orgs));
      p.valid = true;
      p.drill = v->drill;
      if (v->drill) e.summary += " (drill file)";
      rec.verified = std::move(v).value();
      rec.tally = std::make_unique<quorum::QuorumTally>(roster, *rec.verified);
      p.progress = rec.tally->progress();
      p.state = "open";
      if (from_zero() && !p.drill &&
          !submissions.contains(body->submission_id())) {
        Problem(e, kProblemUnknownSubmission,
                "request " + id + " is for submission " +
                    body->submission_id() +
                    ", which the log has not received before it");
      }
    }
    if (requests.contains(id)) {
      Problem(e, kProblemDuplicateRequest,
              "request " + id + " was already logged at leaf " +
                  Str(out.requests[requests[id].position].index));
      return;
    }
    MemberActivity& m = Member(st.org_id(), st.editor_index());
    ++m.requests;
    Touch(m, e.time_unix);
    rec.position = out.requests.size();
    out.requests.push_back(std::move(p));
    requests.emplace(id, std::move(rec));
  }

  void OnVote(TimelineEvent& e, const v1::SignedStatement& st) {
    const keyceremony::VerifiedRoster& roster = RosterFor<v1::VoteBody>(st);
    if (!CheckSignature(e, quorum::kVoteDst, st, roster)) {
      e.summary = "vote claimed by " + e.editor + ": signature BAD";
      return;
    }
    StatusOr<v1::VoteBody> body =
        quorum::ParseCanonical<v1::VoteBody>(st.signed_(), "vote");
    if (!body.ok()) {
      Problem(e, kProblemInvalidStatement, body.status().message());
      e.summary = "vote by " + e.editor + ": malformed";
      return;
    }
    e.request_id = Hex(body->request_id());
    e.decision = DecisionName(body->decision());
    e.text = body->comment();
    e.summary =
        "vote by " + e.editor + ": " + e.decision + " request " + e.request_id;
    Detail(e, "request id", e.request_id);
    Detail(e, "decision", e.decision);
    Detail(e, "comment", body->comment().empty() ? "none" : body->comment());
    Detail(e, "epoch", Str(body->epoch()));
    Detail(e, "checkpoint seen",
           "size " + Str(body->checkpoint_size()) + ", root " +
               audit::NoteBase64Encode(AsBytes(body->checkpoint_root())));
    Detail(e, "created", FormatUtc(body->created_unix()));
    StatusOr<v1::VoteBody> checked = quorum::VerifyVote(roster, st);
    if (!checked.ok()) {
      Problem(e, kProblemInvalidStatement, checked.status().message());
      Detail(e, "vote checks", "FAILED: " + checked.status().message());
      return;
    }
    MemberActivity& m = Member(st.org_id(), st.editor_index());
    (body->decision() == v1::DECISION_APPROVE ? m.approve_votes
                                              : m.refuse_votes)++;
    Touch(m, e.time_unix);

    RequestRecord* rec = FindRequest(e, e.request_id, "the vote");
    if (rec != nullptr) {
      RequestProgress& p = out.requests[rec->position];
      CheckVoteCheckpoint(e, *checked, p.index);
      if (rec->closed) {
        Problem(e, kProblemAfterClose,
                "vote on request " + e.request_id + ", which was " +
                    rec->closed_by);
      } else if (rec->verified && e.time_unix >= p.expires_unix) {
        Problem(e, kProblemAfterClose,
                "vote logged at " + FormatUtc(e.time_unix) +
                    ", after request " + e.request_id + " expired at " +
                    FormatUtc(p.expires_unix));
      }
      if (rec->tally) {
        const bool was_complete = rec->tally->progress().complete();
        Status s = rec->tally->Add(*checked);
        if (!s.ok()) {
          Problem(e, kProblemVoteNotCounted,
                  "vote not counted: " + s.message());
          Detail(e, "counted", "no: " + s.message());
        } else {
          Detail(e, "counted", "yes");
          (checked->decision() == v1::DECISION_APPROVE ? p.approve_votes
                                                       : p.refuse_votes)++;
        }
        p.progress = rec->tally->progress();
        if (!was_complete && p.progress.complete()) {
          p.quorum_index = e.index;
          e.summary += " (quorum complete)";
        }
      }
    }
  }

  // The checkpoint a vote names must contain the request and be this log's
  // own at that size: another root there is a split view (brief §6).
  void CheckVoteCheckpoint(TimelineEvent& e, const v1::VoteBody& vote,
                           uint64_t request_index) {
    if (!from_zero()) return;
    const uint64_t s = vote.checkpoint_size();
    if (s <= request_index) {
      Problem(e, kProblemSplitView,
              "the vote names a checkpoint of size " + Str(s) +
                  ", which does not contain the request (leaf " +
                  Str(request_index) + ")");
      return;
    }
    if (s > e.index) {
      Problem(e, kProblemSplitView,
              "the vote names a checkpoint of size " + Str(s) +
                  ", larger than the log when the vote was logged (" +
                  Str(e.index) + " leaves)");
      return;
    }
    if (!quorum::SameBytes(vote.checkpoint_root(), roots[s - 1])) {
      Problem(e, kProblemSplitView,
              "the vote names a checkpoint of size " + Str(s) +
                  " whose root is not this log's root at that size: the "
                  "voter was shown another history");
    }
  }

  void OnApproval(TimelineEvent& e, const v1::Approval& a) {
    bool signature_ok = false;
    const keyceremony::VerifiedRoster& roster =
        RosterFor<v1::ApprovalBody>(a.statement());
    StatusOr<v1::ApprovalBody> checked =
        quorum::VerifyApprovalStatement(roster, a, &signature_ok);
    Signer(e, a.statement().org_id(), a.statement().editor_index(), roster);
    Detail(e, "signer", e.editor);
    if (!signature_ok) {
      e.signature = SignatureStatus::kBad;
      e.signature_message = checked.status().message();
      Detail(e, "signature", "BAD: " + e.signature_message);
      Problem(e, kProblemBadSignature, e.signature_message);
      e.summary = "release claimed by " + e.editor + ": signature BAD";
      return;
    }
    e.signature = SignatureStatus::kVerified;
    Detail(e, "signature",
           "verified (Ed25519, " + std::string(quorum::kApprovalStatementDst) +
               ", roster epoch " + Str(roster.body.epoch()) + ")");
    StatusOr<v1::ApprovalBody> body = quorum::ParseCanonical<v1::ApprovalBody>(
        a.statement().signed_(), "approval");
    if (!body.ok()) {
      Problem(e, kProblemInvalidStatement, body.status().message());
      e.summary = "release by " + e.editor + ": malformed";
      return;
    }
    e.request_id = Hex(body->request_id());
    e.summary = "release by " + e.editor + " for request " + e.request_id +
                " (a partial decryption only the requester can open)";
    Detail(e, "request id", e.request_id);
    Detail(e, "header hash", Hex(body->header_hash()));
    Detail(e, "epoch", Str(body->epoch()));
    Detail(e, "ciphertext",
           Str(a.ciphertext().size()) + " bytes, SHA-256 " +
               Hex(body->ciphertext_hash()));
    Detail(e, "created", FormatUtc(body->created_unix()));
    if (!checked.ok()) {
      Problem(e, kProblemInvalidStatement, checked.status().message());
      Detail(e, "approval checks", "FAILED: " + checked.status().message());
      return;
    }
    MemberActivity& m =
        Member(a.statement().org_id(), a.statement().editor_index());
    ++m.approvals;
    Touch(m, e.time_unix);

    RequestRecord* rec = FindRequest(e, e.request_id, "the release");
    if (rec == nullptr) return;
    RequestProgress& p = out.requests[rec->position];
    ++p.approvals;
    if (rec->closed) {
      Problem(e, kProblemAfterClose,
              "release for request " + e.request_id + ", which was " +
                  rec->closed_by);
    } else if (rec->verified && e.time_unix >= p.expires_unix) {
      Problem(e, kProblemAfterClose,
              "release logged after request " + e.request_id + " expired at " +
                  FormatUtc(p.expires_unix));
    }
    if (!rec->verified) return;
    if (!quorum::SameBytes(checked->header_hash(),
                           rec->verified->submission.header_hash)) {
      Problem(
          e, kProblemApprovalMismatch,
          "the release names another age header than request " + e.request_id);
    }
    if (checked->epoch() != rec->verified->body.epoch()) {
      Problem(e, kProblemApprovalMismatch,
              "the release is for epoch " + Str(checked->epoch()) +
                  ", the request for epoch " +
                  Str(rec->verified->body.epoch()));
    }
    const quorum::QuorumProgress& progress = rec->tally->progress();
    const quorum::OrganisationProgress* org = nullptr;
    for (const quorum::OrganisationProgress& o : progress.orgs) {
      if (o.org_id == checked->org_id()) org = &o;
    }
    if (org == nullptr || org->excluded) {
      Problem(
          e, kProblemApprovalMismatch,
          "the release comes from organisation " +
              keyceremony::OrganisationLabel(roster.body, checked->org_id()) +
              ", which the submission excludes or the roster lacks");
    } else if (!org->approving.contains(checked->editor_index())) {
      Problem(e, kProblemApprovalMismatch,
              e.editor + " released without a counted vote to approve");
    }
    if (!progress.complete()) {
      Problem(e, kProblemEarlyApproval,
              "released before the log held a complete quorum for request " +
                  e.request_id);
    }
  }

  // An editor's reply to an anonymous contact (daemon/contact.h, DST
  // conclave/v1/editor-reply): the leaf names the submission and the
  // ciphertext's hash, never the text.
  void OnReply(TimelineEvent& e, const v1::SignedStatement& st) {
    if (!CheckSignature(e, "conclave/v1/editor-reply", st, *in_force)) {
      e.summary = "reply claimed by " + e.editor + ": signature BAD";
      return;
    }
    StatusOr<v1::ReplyBody> body =
        quorum::ParseCanonical<v1::ReplyBody>(st.signed_(), "reply");
    if (!body.ok()) {
      Problem(e, kProblemInvalidStatement, body.status().message());
      e.summary = "reply by " + e.editor + ": malformed";
      return;
    }
    if (body->org_id() != st.org_id() ||
        body->editor_index() != st.editor_index()) {
      Problem(e, kProblemInvalidStatement,
              "the reply's body names another editor than its signer");
    }
    e.summary = "reply by " + e.editor + " to the contact of submission " +
                body->submission_id();
    Detail(e, "submission", body->submission_id());
    Detail(e, "ciphertext SHA-256", Hex(body->ciphertext_hash()));
    Detail(e, "epoch", Str(body->epoch()));
    Detail(e, "created", FormatUtc(body->created_unix()));
    Touch(Member(st.org_id(), st.editor_index()), e.time_unix);
  }

  void OnWithdrawal(TimelineEvent& e, const v1::SignedStatement& st) {
    const keyceremony::VerifiedRoster& roster =
        RosterFor<v1::WithdrawalBody>(st);
    if (!CheckSignature(e, quorum::kWithdrawalDst, st, roster)) {
      e.summary = "withdrawal claimed by " + e.editor + ": signature BAD";
      return;
    }
    StatusOr<v1::WithdrawalBody> body =
        quorum::ParseCanonical<v1::WithdrawalBody>(st.signed_(), "withdrawal");
    if (!body.ok()) {
      Problem(e, kProblemInvalidStatement, body.status().message());
      e.summary = "withdrawal by " + e.editor + ": malformed";
      return;
    }
    e.request_id = Hex(body->request_id());
    e.text = body->reason();
    e.summary = "withdrawal by " + e.editor + " of request " + e.request_id;
    Detail(e, "request id", e.request_id);
    Detail(e, "reason", body->reason().empty() ? "none" : body->reason());
    Detail(e, "epoch", Str(body->epoch()));
    Detail(e, "created", FormatUtc(body->created_unix()));
    StatusOr<v1::WithdrawalBody> checked = quorum::VerifyWithdrawal(roster, st);
    if (!checked.ok()) {
      Problem(e, kProblemInvalidStatement, checked.status().message());
      return;
    }
    MemberActivity& m = Member(st.org_id(), st.editor_index());
    ++m.withdrawals;
    Touch(m, e.time_unix);
    RequestRecord* rec = FindRequest(e, e.request_id, "the withdrawal");
    if (rec == nullptr) return;
    RequestProgress& p = out.requests[rec->position];
    if (rec->verified &&
        (rec->verified->body.org_id() != st.org_id() ||
         rec->verified->body.editor_index() != st.editor_index())) {
      Problem(e, kProblemNotRequester,
              e.editor + " withdrew request " + e.request_id +
                  ", which only its requester (" + p.requester +
                  ") may withdraw");
      return;
    }
    Close(e, *rec, "withdrawn at leaf " + Str(e.index));
  }

  void OnExpiry(TimelineEvent& e, const v1::RequestExpired& x) {
    e.request_id = Hex(x.request_id());
    e.summary = "request " + e.request_id + " expired";
    Detail(e, "request id", e.request_id);
    RequestRecord* rec = FindRequest(e, e.request_id, "the expiry");
    if (rec != nullptr) Close(e, *rec, "expired at leaf " + Str(e.index));
  }

  void Close(TimelineEvent& e, RequestRecord& rec, std::string how) {
    RequestProgress& p = out.requests[rec.position];
    if (rec.closed) {
      Problem(e, kProblemAfterClose,
              "request " + p.request_id + " was already " + rec.closed_by);
      return;
    }
    rec.closed = true;
    rec.closed_by = std::move(how);
    p.closed_index = e.index;
    if (e.kind == LeafKind::kWithdrawal) p.state = "withdrawn";
    if (e.kind == LeafKind::kExpiry) p.state = "expired";
  }

  void OnRoster(TimelineEvent& e, const v1::RosterEpoch& r) {
    StatusOr<keyceremony::VerifiedRoster> v =
        keyceremony::VerifyEncodedRoster(AsBytes(r.roster()));
    if (!v.ok()) {
      e.summary = "roster epoch that does not verify";
      e.signature = SignatureStatus::kBad;
      e.signature_message = v.status().message();
      Detail(e, "roster checks", "FAILED: " + v.status().message());
      Problem(
          e, kProblemBadRoster,
          "the roster in this leaf does not verify: " + v.status().message());
      return;
    }
    e.signature = SignatureStatus::kVerified;
    const std::string fp = HexEncode(v->fingerprint);
    const bool pinned_one = v->fingerprint == pinned.fingerprint;
    e.summary = "roster epoch " + Str(v->body.epoch()) + " (fingerprint " + fp +
                (pinned_one ? ", the roster you gave)" : ")");
    Detail(e, "epoch", Str(v->body.epoch()));
    Detail(e, "fingerprint", fp);
    Detail(e, "organisations", keyceremony::RosterMemberNames(v->body));
    Detail(e, "threshold", Str(v->body.threshold()));
    Detail(e, "roster checks",
           "pass (every editor's signature, every key and share relation)");
    Detail(e, "is the roster you gave", pinned_one ? "yes" : "no");
    // Issue 9: the next epoch must be the successor of the roster in force
    // (previous fingerprint, dealers' signatures, the same key unless REKEY).
    const bool successor =
        in_force != nullptr && v->body.epoch() == in_force->body.epoch() + 1;
    if (successor) {
      v1::Roster envelope;
      Status chained =
          envelope.ParseFromString(r.roster())
              ? keyceremony::VerifyRosterSuccessor(*in_force, envelope).status()
              : InvalidArgumentError("the roster does not parse");
      if (!chained.ok()) {
        Detail(e, "chain", "FAILED: " + chained.message());
        Problem(e, kProblemBadRoster,
                "roster epoch " + Str(v->body.epoch()) +
                    " is not a valid successor of epoch " +
                    Str(in_force->body.epoch()) + ": " + chained.message());
      } else {
        Detail(e, "chain",
               "pass (successor of epoch " + Str(in_force->body.epoch()) +
                   ": previous fingerprint, dealers' and editors' "
                   "signatures, " +
                   (v->consortium_key == in_force->consortium_key
                        ? "the same key)"
                        : "a new key by REKEY)"));
      }
    }
    if (!pinned_one && v->body.epoch() == pinned.body.epoch()) {
      Problem(e, kProblemBadRoster,
              "a different roster for epoch " + Str(v->body.epoch()) +
                  " than the one you gave (fingerprint " + fp + ")");
      return;
    }
    // A new key (REKEY): the roster it replaces stays the one for the old
    // key's submissions.
    if (in_force != nullptr && v->body.epoch() > in_force->body.epoch() &&
        !(v->consortium_key == in_force->consortium_key)) {
      retired[in_force->body.epoch()] = in_force;
      out.notes.push_back("leaf " + Str(e.index) +
                          " starts a new consortium key: statements naming "
                          "epoch " +
                          Str(in_force->body.epoch()) +
                          " (the old key's last roster) are checked against "
                          "that roster");
    }
    if (pinned_one) {
      in_force = &pinned;
      return;
    }
    out.notes.push_back(
        "leaf " + Str(e.index) + " moves to roster epoch " +
        Str(v->body.epoch()) + " (fingerprint " + fp +
        "): the statements after it are checked against that roster" +
        (successor ? std::string(", checked as the successor of the one "
                                 "before it")
                   : std::string(", whose own signatures verify; it does not "
                                 "follow the roster in force directly, so "
                                 "its chain is not checked here")));
    log_rosters.push_back(
        std::make_unique<keyceremony::VerifiedRoster>(std::move(v).value()));
    in_force = log_rosters.back().get();
  }

  void OnLeaf(TimelineEvent& e, ByteSpan leaf) {
    StatusOr<v1::LogLeaf> parsed = quorum::ParseLogLeaf(leaf);
    Detail(e, "leaf hash (RFC 6962)", HexEncode(audit::HashLeaf(leaf)));
    if (!parsed.ok()) {
      e.kind = LeafKind::kUnreadable;
      e.summary = "a leaf that is not a log entry";
      Problem(e, kProblemUnreadable, parsed.status().message());
      return;
    }
    e.time_unix = parsed->time_unix();
    switch (parsed->entry_case()) {
      case v1::LogLeaf::kSubmission:
        e.kind = LeafKind::kSubmission;
        OnSubmission(e, parsed->submission());
        break;
      case v1::LogLeaf::kRequest:
        e.kind = LeafKind::kRequest;
        OnRequest(e, parsed->request());
        break;
      case v1::LogLeaf::kVote:
        e.kind = LeafKind::kVote;
        OnVote(e, parsed->vote());
        break;
      case v1::LogLeaf::kApproval:
        e.kind = LeafKind::kApproval;
        OnApproval(e, parsed->approval());
        break;
      case v1::LogLeaf::kWithdrawal:
        e.kind = LeafKind::kWithdrawal;
        OnWithdrawal(e, parsed->withdrawal());
        break;
      case v1::LogLeaf::kExpiry:
        e.kind = LeafKind::kExpiry;
        OnExpiry(e, parsed->expiry());
        break;
      case v1::LogLeaf::kRoster:
        e.kind = LeafKind::kRoster;
        OnRoster(e, parsed->roster());
        break;
      case v1::LogLeaf::kDaemonStarted:
        e.kind = LeafKind::kDaemonStarted;
        e.summary =
            "daemon started (" + parsed->daemon_started().version() + ")";
        Detail(e, "version", parsed->daemon_started().version());
        break;
      case v1::LogLeaf::kReply:
        e.kind = LeafKind::kReply;
        OnReply(e, parsed->reply());
        break;
      case v1::LogLeaf::ENTRY_NOT_SET:
        e.kind = LeafKind::kUnreadable;
        e.summary = "a leaf without an entry";
        Problem(e, kProblemUnreadable, "log leaf has no entry");
        break;
    }
  }
};

TimelineBuilder::TimelineBuilder(const keyceremony::VerifiedRoster& roster,
                                 TimelineOptions options)
    : state_(std::make_unique<State>(roster, options)) {
  Timeline& out = state_->out;
  out.roster_epoch = roster.body.epoch();
  out.roster_fingerprint = HexEncode(roster.fingerprint);
  for (const v1::RosterOrganisation& org : roster.body.organisations()) {
    for (const v1::RosterEditor& ed : org.editors()) {
      MemberActivity m;
      m.org_id = org.id();
      m.editor_index = ed.index();
      m.organisation = keyceremony::OrganisationLabel(roster.body, org.id());
      m.editor = quorum::EditorLabel(roster.body, org.id(), ed.index());
      state_->member_pos[{org.id(), ed.index()}] = out.members.size();
      out.members.push_back(std::move(m));
    }
  }
}

TimelineBuilder::~TimelineBuilder() = default;

Status TimelineBuilder::Add(uint64_t index, ByteSpan leaf) {
  State& st = *state_;
  if (st.spent) return FailedPreconditionError("the timeline is finished");
  if (!st.started) {
    st.started = true;
    st.out.first_index = index;
    st.next = index;
  }
  if (index != st.next) {
    return InvalidArgumentError("leaf " + Str(index) + " given where leaf " +
                                Str(st.next) + " was expected");
  }
  ++st.next;
  ++st.out.leaf_count;
  if (st.from_zero()) {
    st.range.AppendLeaf(leaf);
    st.roots.push_back(st.range.Root());
  }
  TimelineEvent e;
  e.index = index;
  e.leaf_size = leaf.size();
  st.Detail(e, "leaf size", Str(leaf.size()) + " bytes");
  st.OnLeaf(e, leaf);
  if (st.detailed(e)) {
    e.details.insert(e.details.begin(), {"time", FormatUtc(e.time_unix)});
    e.details.insert(e.details.begin(),
                     {"kind", std::string(LeafKindName(e.kind))});
  }
  ++st.out.counts[std::string(LeafKindName(e.kind))];
  st.out.events.push_back(std::move(e));
  return OkStatus();
}

StatusOr<Timeline> TimelineBuilder::Finish(
    const std::optional<audit::Checkpoint>& checkpoint) {
  State& st = *state_;
  if (st.spent) return FailedPreconditionError("the timeline is finished");
  st.spent = true;
  if (checkpoint) {
    if (st.out.first_index != 0 || st.out.leaf_count != checkpoint->size) {
      return InvalidArgumentError(
          "the checkpoint covers leaves [0, " + Str(checkpoint->size) +
          ") but the timeline was given " + Str(st.out.leaf_count) +
          " leaves from index " + Str(st.out.first_index));
    }
    if (st.range.Root() != checkpoint->root_hash) {
      return UnauthenticatedError(
          "the leaves do not produce the checkpoint's root (size " +
          Str(checkpoint->size) +
          "): they changed after verification or are not the log's");
    }
    st.out.checkpoint = *checkpoint;
  }
  if (!st.from_zero()) {
    st.out.notes.push_back(
        "the timeline starts at leaf " + Str(st.out.first_index) +
        ": statements naming earlier leaves and the roots votes name are "
        "not checked");
  }
  for (auto& [id, rec] : st.requests) {
    RequestProgress& p = st.out.requests[rec.position];
    if (!rec.tally) continue;
    p.progress = rec.tally->progress();
    p.description = p.progress.Describe(rec.roster->body);
    if (p.approvals > 0) {
      p.state = "released";
    } else if (!rec.closed) {
      p.state = p.progress.complete() ? "quorum complete" : "open";
    }
  }
  return std::move(st.out);
}

StatusOr<Timeline> BuildTimeline(
    const keyceremony::VerifiedRoster& roster, std::span<const Bytes> leaves,
    uint64_t first_index, const std::optional<audit::Checkpoint>& checkpoint,
    TimelineOptions options) {
  TimelineBuilder b(roster, options);
  for (size_t i = 0; i < leaves.size(); ++i) {
    CONCLAVE_RETURN_IF_ERROR(b.Add(first_index + i, leaves[i]));
  }
  return b.Finish(checkpoint);
}

}  // namespace conclave::cli
