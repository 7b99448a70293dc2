// approve, release (online and --bundle offline), request export, approval
// upload: the editors' side of brief §5.2-§5.3 through the daemon, and the
// air-gapped path.
#include <cstdio>
#include <memory>

#include "age/output_file.h"
#include "base/file_util.h"
#include "cli/online_commands.h"
#include "cli/online_common.h"
#include "quorum/canonical.h"
#include "quorum/release.h"

namespace conclave::cli {

using online::CommonArgs;
using online::json;

namespace {

constexpr char kServerFooter[] = R"(
The daemon is --server ADDR (before or after the command name) or
$CONCLAVE_SERVER: HOST:PORT or unix:PATH; without --tls-ca only a loopback
address or a unix socket. Every contact verifies the daemon's latest
settled checkpoint against the roster and the checkpoint this client kept
(--state DIR, default ~/.config/conclave/state); a forked log is refused
(exit 8) and the evidence kept there.

Passphrases: --passphrase-file F (first line) for the identity, and for the
share unless --share-passphrase-file F gives the share's own; without them,
prompts on the terminal.
)";

// Bundles carry every leaf from the request to the checkpoint.
constexpr size_t kMaxBundleSize = size_t{1} << 31;
constexpr size_t kMaxApprovalFileSize = size_t{16} << 20;

bool IsExcluded(const quorum::VerifiedRequest& req, uint32_t org) {
  for (uint32_t o : req.submission.excluded_orgs) {
    if (o == org) return true;
  }
  return false;
}

Status ExcludedError(const keyceremony::VerifiedRoster& roster,
                     const quorum::VerifiedRequest& req, uint32_t org) {
  return PermissionDeniedError(
      "organisation " + online::OrgLabel(roster.body, org) +
      " is excluded from submission " + req.submission.id +
      " by its sender: its editors' votes and releases are refused and "
      "never counted");
}

// Releases this editor's partial for a request whose quorum is complete in
// `evidence`, and posts it. Returns the daemon's reply.
StatusOr<v1::PostReply> ReleaseAndPost(DaemonClient& client,
                                       const online::Editor& editor,
                                       const v1::LogEvidence& evidence) {
  quorum::ReleaseInput in;
  in.roster = &editor.roster;
  in.releaser = editor.keys.get();
  in.share = &editor.share_message();
  in.evidence = &evidence;
  in.chain = client.chain();
  in.now_unix = online::NowUnix();
  CONCLAVE_ASSIGN_OR_RETURN(quorum::Release release,
                            quorum::ReleasePartial(in));
  return client.PostApproval(release.approval);
}

// ---- approve ----

constexpr char kApproveFooter[] = R"(
Shows the request (requester, reason, submission, excluded organisations,
expiry and the vote progress, counted here from the signed votes) and asks
"Approve? [y/N]" on the terminal unless --yes. The vote is signed, names the
latest settled checkpoint this client verified that contains the request
(waiting for one if needed), and is logged. --refuse casts a signed refusal
instead (with --comment).

With --share, your partial decryption is released as soon as the settled
log shows a complete quorum (t organisations, k_o editors each): at once if
it already does; with --wait the command stays, polling with backoff and
showing progress, until it does (or --wait-timeout passes: exit 7).
Without --wait and no quorum yet, the vote stands; release later with
`conclave release`. Without --share only the vote is cast (an air-gapped
editor then releases through `request export` / `release --bundle`).

After a rekey, a request for a submission made before it is handled under
the old key's last roster: give the current --roster and your share of the
old key (of its last epoch); that roster is taken from the daemon's roster
chain, verified here to hold --roster, and a note names its epoch. A share
of an earlier epoch of that key (reshared since) is refused before anything
is signed. Without --share (a vote only), the roster the request names is
used when it is such a roster. Naming the old roster with --roster works
as well.

Examples:
  conclave --server 127.0.0.1:7443 approve --roster consortium.roster \
      --identity identity.age --share share.age --request-id 8c1d...
  conclave approve ... --request-id 8c1d... --yes --wait
  conclave approve ... --request-id 8c1d... --refuse --comment "no basis"
)";

struct ApproveFlags {
  bool yes = false;
  bool wait = false;
  std::chrono::seconds wait_timeout{0};
  bool refuse = false;
  std::string comment;
};

int RunApprove(const CommonArgs& args, const quorum::RequestId& id,
               const ApproveFlags& flags) {
  const std::string name = "approve";
  const bool with_share = args.share.has_value() && !flags.refuse;
  // An old-key share after a rekey selects its key's last roster from the
  // daemon's verified chain (docs/operations.md "Rekeying").
  StatusOr<online::Editor> editor =
      online::LoadEditor(args, with_share, /*follow_rekey=*/true);
  if (!editor.ok()) return online::Fail(name, editor.status());
  StatusOr<std::unique_ptr<DaemonClient>> client =
      online::ConnectEditor(args, *editor);
  if (!client.ok()) return online::Fail(name, client.status());
  if (!with_share) {
    // A vote without a share: the request's roster, if it is a retired
    // key's last one.
    StatusOr<std::optional<online::Editor>> under =
        online::EditorForRequest(**client, *editor, id);
    if (!under.ok()) return online::Fail(name, under.status());
    if (under->has_value()) {
      client->reset();
      *editor = std::move(**under);
      client = online::ConnectEditor(args, *editor);
      if (!client.ok()) return online::Fail(name, client.status());
    }
  }
  if (editor->roster_note) online::Note(name, *editor->roster_note);
  const quorum::EditorKeys& me = *editor->keys;
  StatusOr<online::FetchedRequest> r =
      online::FetchRequest(**client, editor->roster, id);
  if (!r.ok()) return online::Fail(name, r.status());
  const quorum::VerifiedRequest& req = r->request;
  const std::string qid = quorum::RequestIdHex(id);
  std::FILE* info_out = args.json ? stderr : stdout;

  const std::vector<v1::SignedStatement> votes(r->info.votes().begin(),
                                               r->info.votes().end());
  online::VoteTally tally = online::TallyVotes(editor->roster, req, votes, me);
  std::fputs(
      online::DescribeRequest(editor->roster, *r, &tally.progress).c_str(),
      info_out);
  std::fflush(info_out);

  if (IsExcluded(req, me.org_id())) {
    return online::Fail(name, ExcludedError(editor->roster, req, me.org_id()));
  }
  switch (r->info.state()) {
    case v1::REQUEST_STATE_OPEN:
      break;
    case v1::REQUEST_STATE_RELEASED:
      online::Note(name, "request " + qid +
                             " is already released: a quorum's approvals "
                             "are in the log; nothing to do");
      if (args.json) {
        online::PrintJson({{"request_id", qid}, {"state", "released"}});
      }
      return kExitOk;
    default:
      return online::Fail(
          name, FailedPreconditionError("request " + qid + " is " +
                                        online::StateName(r->info.state()) +
                                        ": it can no longer be approved"));
  }
  if (Status s = quorum::CheckNotExpired(req, online::NowUnix()); !s.ok()) {
    return online::Fail(name, s);
  }

  const v1::Decision decision =
      flags.refuse ? v1::DECISION_REFUSE : v1::DECISION_APPROVE;
  json out;
  out["request_id"] = qid;
  out["decision"] = flags.refuse ? "refuse" : "approve";
  out["roster_epoch"] = editor->roster.body.epoch();
  if (editor->roster_note) out["roster_note"] = *editor->roster_note;
  if (tally.mine.has_value()) {
    if (*tally.mine != decision) {
      return online::Fail(
          name,
          FailedPreconditionError(
              std::string("you already voted to ") +
              (*tally.mine == v1::DECISION_APPROVE ? "approve" : "refuse") +
              " request " + qid + "; a second, different vote is refused"));
    }
    online::Note(name, "you already voted on this request; not voting again");
    out["vote"] = {{"already_cast", true}};
  } else {
    if (!flags.yes) {
      StatusOr<bool> ok =
          online::Confirm(flags.refuse ? "Refuse?" : "Approve?");
      if (!ok.ok()) {
        online::Note(name, UserMessage(ok.status()));
        return kExitUsage;
      }
      if (!*ok) {
        online::Note(name, "not confirmed; nothing was sent");
        return kExitRefused;
      }
    }
    // The vote names a settled checkpoint this client verified that
    // contains the request.
    StatusOr<VerifiedContact> contact = (*client)->WaitForSettledCover(
        r->info.leaf_index(), std::chrono::seconds(120),
        [&](const VerifiedContact& c) {
          online::Note(name,
                       "waiting for a settled checkpoint covering the "
                       "request (leaf " +
                           std::to_string(r->info.leaf_index()) +
                           "; settled: " + std::to_string(c.size()) +
                           " leaves)");
        });
    if (!contact.ok()) {
      if (contact.status().code() == StatusCode::kDeadlineExceeded) {
        online::Note(name, UserMessage(contact.status()));
        return kExitPending;
      }
      return online::Fail(name, contact.status());
    }
    quorum::VoteOptions vo;
    vo.decision = decision;
    vo.checkpoint_size = contact->size();
    const audit::Hash& root = contact->settled->checkpoint().root_hash;
    vo.checkpoint_root.assign(root.begin(), root.end());
    vo.comment = flags.comment;
    vo.now_unix = online::NowUnix();
    StatusOr<v1::SignedStatement> vote =
        quorum::MakeVote(editor->roster, me, req, vo);
    if (!vote.ok()) return online::Fail(name, vote.status());
    StatusOr<v1::PostReply> reply = (*client)->PostVote(*vote);
    if (!reply.ok()) return online::Fail(name, reply.status());
    online::Note(name, std::string(flags.refuse ? "refusal" : "approval") +
                           " logged at leaf " +
                           std::to_string(reply->leaf_index()) +
                           (reply->duplicate() ? " (already there)" : ""));
    if (!reply->status().empty()) online::Note(name, reply->status());
    out["vote"] = {{"leaf_index", reply->leaf_index()},
                   {"duplicate", reply->duplicate()},
                   {"status", reply->status()}};
  }

  if (flags.refuse || !with_share) {
    if (!flags.refuse) {
      online::Note(name,
                   "no --share: vote only. Release once the quorum is "
                   "complete with `conclave release --share SHARE` (or, "
                   "air-gapped, `conclave request export` then "
                   "`conclave release --bundle`)");
    }
    out["released"] = false;
    if (args.json) online::PrintJson(out);
    return kExitOk;
  }
  for (const v1::Approval& a : r->info.approvals()) {
    if (online::IsMyApproval(editor->roster, a, id, me)) {
      online::Note(name, "your partial decryption is already released");
      out["released"] = true;
      if (args.json) online::PrintJson(out);
      return kExitOk;
    }
  }

  online::QuorumWait how;
  how.wait = flags.wait;
  how.need_my_vote = true;
  how.timeout = flags.wait_timeout;
  how.on_progress = [&](const std::string& p) {
    online::Note(name, "waiting: " + p);
  };
  StatusOr<online::QuorumSeen> seen =
      online::SeeQuorum(**client, editor->roster, req, me, how);
  if (!seen.ok()) return online::Fail(name, seen.status());
  if (!seen->ready) {
    out["released"] = false;
    out["pending"] = seen->why_not;
    online::Note(name, seen->why_not);
    if (!flags.wait) {
      online::Note(name,
                   "your vote stands; release later with `conclave release` "
                   "or wait with `conclave approve --wait`");
      if (args.json) online::PrintJson(out);
      return kExitOk;
    }
    if (args.json) online::PrintJson(out);
    return kExitPending;
  }
  StatusOr<v1::PostReply> posted =
      ReleaseAndPost(**client, *editor, seen->evidence->evidence);
  if (!posted.ok()) return online::Fail(name, posted.status());
  online::Note(name, "partial decryption released (approval logged at leaf " +
                         std::to_string(posted->leaf_index()) + ")");
  if (!posted->status().empty()) online::Note(name, posted->status());
  out["released"] = true;
  out["approval"] = {{"leaf_index", posted->leaf_index()},
                     {"duplicate", posted->duplicate()},
                     {"status", posted->status()}};
  if (args.json) online::PrintJson(out);
  return kExitOk;
}

// ---- release (online) ----

constexpr char kReleaseFooter[] = R"(
Online (with the daemon): releases your partial decryption for every open
request you approved and have not released yet whose quorum is complete in
the settled log (or only for --request-id Q). Each release first checks,
on this machine, the settled checkpoint, the request, its votes (t
organisations, k_o editors each, none excluded), that it is not expired or
withdrawn, and the sender proof. Requests still short of their quorum are
listed as waiting (exit 7 if nothing failed but something waits).

Offline (air-gapped, no --server): --bundle BUNDLE (from `conclave request
export`) makes the same checks against the bundle's settled checkpoint and
leaves, with this machine's clock, and writes the approval to -o APPROVAL
for `conclave approval upload` on an online machine.

After a rekey, online, your share of the old key (of its last epoch) with
the current --roster releases the requests for submissions made before it:
the old key's last roster is taken from the daemon's verified roster chain
(a note names its epoch); requests of the other key are skipped. Offline
(--bundle) give that roster with --roster yourself.

Examples:
  conclave --server 127.0.0.1:7443 release --roster consortium.roster \
      --identity identity.age --share share.age
  conclave release --bundle request.bundle --roster consortium.roster \
      --identity identity.age --share share.age -o approval.bin
)";

int RunReleaseOnline(const CommonArgs& args,
                     const std::optional<quorum::RequestId>& only) {
  const std::string name = "release";
  // An old-key share after a rekey selects its key's last roster from the
  // daemon's verified chain (docs/operations.md "Rekeying").
  StatusOr<online::Editor> editor =
      online::LoadEditor(args, true, /*follow_rekey=*/true);
  if (!editor.ok()) return online::Fail(name, editor.status());
  if (editor->roster_note) online::Note(name, *editor->roster_note);
  const quorum::EditorKeys& me = *editor->keys;
  StatusOr<std::unique_ptr<DaemonClient>> client =
      online::ConnectEditor(args, *editor);
  if (!client.ok()) return online::Fail(name, client.status());

  std::vector<quorum::RequestId> candidates;
  if (only) {
    candidates.push_back(*only);
  } else {
    StatusOr<std::vector<v1::RequestInfo>> list = (*client)->ListRequests();
    if (!list.ok()) return online::Fail(name, list.status());
    for (const v1::RequestInfo& info : *list) {
      if (info.state() != v1::REQUEST_STATE_OPEN) continue;
      // Another roster's request (the other key's, after a rekey): not
      // this share's to release.
      if (online::NamesOtherRoster(info.request(), editor->roster)) continue;
      StatusOr<quorum::RequestId> id =
          quorum::RequestIdFromBytes(AsBytes(info.request_id()));
      if (id.ok()) candidates.push_back(*id);
    }
  }

  json results = json::array();
  int released = 0, pending = 0;
  std::optional<Status> first_failure;
  for (const quorum::RequestId& id : candidates) {
    const std::string qid = quorum::RequestIdHex(id);
    json item = {{"request_id", qid}};
    auto record = [&](const std::string& outcome, const std::string& detail) {
      item["outcome"] = outcome;
      item["detail"] = detail;
      results.push_back(item);
      if (!args.json) {
        std::printf("%s  %s%s%s\n", qid.c_str(), outcome.c_str(),
                    detail.empty() ? "" : ": ", detail.c_str());
      }
    };
    StatusOr<online::FetchedRequest> r =
        online::FetchRequest(**client, editor->roster, id);
    if (!r.ok()) {
      if (r.status().code() == StatusCode::kAborted) {
        return online::Fail(name, r.status());
      }
      record("failed", UserMessage(r.status()));
      if (!first_failure) first_failure = r.status();
      continue;
    }
    const quorum::VerifiedRequest& req = r->request;
    const std::vector<v1::SignedStatement> votes(r->info.votes().begin(),
                                                 r->info.votes().end());
    const online::VoteTally tally =
        online::TallyVotes(editor->roster, req, votes, me);
    if (!tally.mine || *tally.mine != v1::DECISION_APPROVE) {
      if (only) {
        return online::Fail(name, FailedPreconditionError(
                                      "you have not approved request " + qid +
                                      ": approve it first (conclave approve)"));
      }
      continue;  // not ours to release
    }
    bool done = false;
    for (const v1::Approval& a : r->info.approvals()) {
      done = done || online::IsMyApproval(editor->roster, a, id, me);
    }
    if (done) {
      if (only) record("already released", "");
      continue;
    }
    if (r->info.state() != v1::REQUEST_STATE_OPEN) {
      const Status s = FailedPreconditionError(
          "request is " + online::StateName(r->info.state()));
      record("failed", s.message());
      if (!first_failure) first_failure = s;
      continue;
    }
    online::QuorumWait how;
    how.need_my_vote = true;
    StatusOr<online::QuorumSeen> seen =
        online::SeeQuorum(**client, editor->roster, req, me, how);
    if (!seen.ok()) {
      if (seen.status().code() == StatusCode::kAborted) {
        return online::Fail(name, seen.status());
      }
      record("failed", UserMessage(seen.status()));
      if (!first_failure) first_failure = seen.status();
      continue;
    }
    if (!seen->ready) {
      record("waiting", seen->why_not);
      ++pending;
      continue;
    }
    StatusOr<v1::PostReply> posted =
        ReleaseAndPost(**client, *editor, seen->evidence->evidence);
    if (!posted.ok()) {
      if (posted.status().code() == StatusCode::kAborted) {
        return online::Fail(name, posted.status());
      }
      record("failed", UserMessage(posted.status()));
      if (!first_failure) first_failure = posted.status();
      continue;
    }
    item["leaf_index"] = posted->leaf_index();
    record("released",
           "approval logged at leaf " + std::to_string(posted->leaf_index()));
    ++released;
  }
  if (args.json) {
    online::PrintJson(results);
  } else if (candidates.empty() ||
             (released == 0 && pending == 0 && !first_failure && !only)) {
    std::printf("Nothing to release.\n");
  }
  if (first_failure) return OnlineExitCodeFor(*first_failure);
  if (pending > 0) return kExitPending;
  return kExitOk;
}

// ---- release --bundle (offline) ----

int RunReleaseBundle(const CommonArgs& args, const std::string& bundle,
                     const std::string& out_path) {
  const std::string name = "release";
  StatusOr<online::Editor> editor = online::LoadEditor(args, true);
  if (!editor.ok()) return online::Fail(name, editor.status());
  StatusOr<Bytes> bytes = ReadFileBytes(bundle, kMaxBundleSize);
  if (!bytes.ok()) {
    return online::Fail(name, bytes.status().Annotate("bundle " + bundle));
  }
  v1::LogEvidence evidence;
  if (!evidence.ParseFromArray(bytes->data(),
                               static_cast<int>(bytes->size()))) {
    return online::Fail(name, InvalidArgumentError(
                                  bundle + " is not a request bundle (conclave "
                                           "request export)"));
  }
  // The bundle's state, for a clear answer before the full check.
  StatusOr<quorum::VerifiedLogView> view =
      quorum::VerifyLogEvidence(evidence, editor->roster);
  if (!view.ok()) return online::Fail(name, view.status().Annotate(bundle));
  StatusOr<v1::LogLeaf> first =
      quorum::ParseLogLeaf(view->leaf(view->first_index()));
  if (!first.ok() || first->entry_case() != v1::LogLeaf::kRequest) {
    return online::Fail(
        name, InvalidArgumentError("the bundle's first leaf is not a request"));
  }
  StatusOr<quorum::VerifiedRequest> req =
      quorum::VerifyRequest(editor->roster, first->request());
  if (!req.ok()) return online::Fail(name, req.status());
  const std::string qid = quorum::RequestIdHex(req->id);
  if (IsExcluded(*req, editor->keys->org_id())) {
    return online::Fail(
        name, ExcludedError(editor->roster, *req, editor->keys->org_id()));
  }
  const online::VoteTally tally =
      online::TallyEvidence(editor->roster, *req, *view, *editor->keys);
  if (tally.closed) {
    return online::Fail(name, FailedPreconditionError(*tally.closed));
  }
  if (!tally.progress.complete()) {
    online::Note(name, "no quorum yet for request " + qid +
                           " in the bundle's settled checkpoint (" +
                           std::to_string(view->size()) + " leaves): " +
                           tally.progress.Describe(editor->roster.body) +
                           "; export a newer bundle later");
    return kExitPending;
  }
  quorum::ReleaseInput in;
  in.roster = &editor->roster;
  in.releaser = editor->keys.get();
  in.share = &editor->share_message();
  in.evidence = &evidence;
  in.now_unix = online::NowUnix();
  StatusOr<quorum::Release> release = quorum::ReleasePartial(in);
  if (!release.ok()) return online::Fail(name, release.status());
  v1::ApprovalSet set;
  *set.add_approvals() = release->approval;
  const std::string data = set.SerializeAsString();
  StatusOr<std::unique_ptr<age::OutputFile>> f =
      age::OutputFile::Create(out_path);
  if (!f.ok()) return online::Fail(name, f.status());
  Status s = (*f)->writer().Write(AsBytes(data));
  if (s.ok()) s = (*f)->Commit();
  if (!s.ok()) return online::Fail(name, s);
  if (args.json) {
    online::PrintJson({{"request_id", qid},
                       {"approval", out_path},
                       {"checkpoint_size", view->size()}});
  } else {
    std::printf(
        "Approval for request %s written to %s.\nCarry it to an online "
        "machine: conclave approval upload %s --roster R --identity ID\n",
        qid.c_str(), out_path.c_str(), out_path.c_str());
  }
  return kExitOk;
}

// ---- request export ----

constexpr char kExportFooter[] = R"(
Writes a request bundle for an air-gapped editor: the log evidence of the
request (a settled checkpoint with its witness cosignatures, the request's
leaf and every later leaf up to the checkpoint, and the subtree roots before
it), verified here first and checked against this client's kept checkpoint.
The offline machine verifies it all again (`conclave release --bundle`).
Exit 7 if the settled log does not show a complete quorum yet (with --wait,
polls until it does).
)";

int RunExport(const CommonArgs& args, const quorum::RequestId& id,
              const std::string& out_path, bool wait,
              std::chrono::seconds timeout) {
  const std::string name = "request export";
  StatusOr<online::Editor> editor = online::LoadEditor(args, false);
  if (!editor.ok()) return online::Fail(name, editor.status());
  StatusOr<std::unique_ptr<DaemonClient>> client =
      online::ConnectEditor(args, *editor);
  if (!client.ok()) return online::Fail(name, client.status());
  StatusOr<online::FetchedRequest> r =
      online::FetchRequest(**client, editor->roster, id);
  if (!r.ok()) return online::Fail(name, r.status());
  online::QuorumWait how;
  how.wait = wait;
  how.timeout = timeout;
  how.on_progress = [&](const std::string& p) {
    online::Note(name, "waiting: " + p);
  };
  StatusOr<online::QuorumSeen> seen = online::SeeQuorum(
      **client, editor->roster, r->request, *editor->keys, how);
  if (!seen.ok()) return online::Fail(name, seen.status());
  if (!seen->ready) {
    online::Note(name, seen->why_not);
    return kExitPending;
  }
  const v1::LogEvidence& ev = seen->evidence->evidence;
  StatusOr<std::unique_ptr<age::OutputFile>> f =
      age::OutputFile::Create(out_path);
  if (!f.ok()) return online::Fail(name, f.status());
  Status s = (*f)->writer().Write(AsBytes(ev.SerializeAsString()));
  if (s.ok()) s = (*f)->Commit();
  if (!s.ok()) return online::Fail(name, s);
  const uint64_t size = seen->evidence->view.size();
  if (args.json) {
    online::PrintJson({{"request_id", quorum::RequestIdHex(id)},
                       {"bundle", out_path},
                       {"checkpoint_size", size},
                       {"first_index", ev.first_index()},
                       {"leaves", ev.leaves_size()}});
  } else {
    std::printf(
        "Bundle for request %s written to %s (settled checkpoint of %llu "
        "leaves, %d leaves from the request).\n",
        quorum::RequestIdHex(id).c_str(), out_path.c_str(),
        static_cast<unsigned long long>(size), ev.leaves_size());
  }
  return kExitOk;
}

// ---- approval upload ----

constexpr char kUploadFooter[] = R"(
Uploads the approvals in APPROVAL (written by `conclave release --bundle`
on an air-gapped machine) to the daemon, which logs and relays them. Each is
checked here first (a roster editor's signature over its clear part). Any
editor may upload anyone's approval: it is sealed to the requester.
)";

int RunUpload(const CommonArgs& args, const std::string& path) {
  const std::string name = "approval upload";
  StatusOr<Bytes> bytes = ReadFileBytes(path, kMaxApprovalFileSize);
  if (!bytes.ok()) return online::Fail(name, bytes.status().Annotate(path));
  StatusOr<v1::ApprovalSet> set = quorum::ParseCanonical<v1::ApprovalSet>(
      AsString(*bytes), path + " (an approval file)");
  if (!set.ok()) return online::Fail(name, set.status());
  if (set->approvals_size() == 0) {
    return online::Fail(name,
                        InvalidArgumentError(path + " holds no approval"));
  }
  StatusOr<online::Editor> editor = online::LoadEditor(args, false);
  if (!editor.ok()) return online::Fail(name, editor.status());
  for (const v1::Approval& a : set->approvals()) {
    StatusOr<v1::ApprovalBody> body =
        quorum::VerifyApprovalStatement(editor->roster, a);
    if (!body.ok()) return online::Fail(name, body.status().Annotate(path));
  }
  StatusOr<std::unique_ptr<DaemonClient>> client =
      online::ConnectEditor(args, *editor);
  if (!client.ok()) return online::Fail(name, client.status());
  json results = json::array();
  for (const v1::Approval& a : set->approvals()) {
    const v1::ApprovalBody body =
        quorum::VerifyApprovalStatement(editor->roster, a).value();
    const std::string qid = HexEncode(AsBytes(body.request_id()));
    StatusOr<v1::PostReply> reply = (*client)->PostApproval(a);
    if (!reply.ok()) return online::Fail(name, reply.status());
    results.push_back({{"request_id", qid},
                       {"org_id", body.org_id()},
                       {"editor_index", body.editor_index()},
                       {"leaf_index", reply->leaf_index()},
                       {"duplicate", reply->duplicate()},
                       {"status", reply->status()}});
    if (!args.json) {
      std::printf("Approval of %s for request %s logged at leaf %llu%s.\n",
                  quorum::EditorLabel(editor->roster.body, body.org_id(),
                                      body.editor_index())
                      .c_str(),
                  qid.c_str(),
                  static_cast<unsigned long long>(reply->leaf_index()),
                  reply->duplicate() ? " (already there)" : "");
      if (!reply->status().empty()) online::Note(name, reply->status());
    }
  }
  if (args.json) online::PrintJson(results);
  return kExitOk;
}

StatusOr<std::chrono::seconds> WaitTimeoutArg(const cxxopts::ParseResult& r) {
  if (!r.count("wait-timeout")) return std::chrono::seconds(0);
  CONCLAVE_ASSIGN_OR_RETURN(uint64_t d,
                            ParseDuration(r["wait-timeout"].as<std::string>()));
  return std::chrono::seconds(static_cast<int64_t>(d));
}

}  // namespace

// ---- Entry points ----

int ApproveMain(int argc, char** argv) {
  cxxopts::Options options("conclave approve",
                           "Vote on a request; release when the quorum is "
                           "complete.");
  options.custom_help(
      "--roster R --identity ID --request-id Q [--share SHARE] [--yes] "
      "[--wait [--wait-timeout D]] [--refuse --comment TEXT] [--json]");
  online::AddServerOptions(options);
  online::AddEditorOptions(options, true);
  options.add_options()("request-id", "the request (64 hex digits)",
                        cxxopts::value<std::string>(),
                        "Q")("y,yes", "do not ask for confirmation")(
      "wait", "stay until the quorum is complete, then release")(
      "wait-timeout",
      "give up waiting after this long (e.g. 2h; default: "
      "never)",
      cxxopts::value<std::string>(),
      "D")("refuse", "vote to refuse instead (signed and logged)")(
      "comment", "a comment logged with the vote",
      cxxopts::value<std::string>(), "TEXT")("json", "machine-readable output");
  const std::string footer = std::string(kApproveFooter) + kServerFooter;
  return online::RunCommand(
      "approve", options, argc, argv, footer.c_str(),
      [&](const cxxopts::ParseResult& r) {
        StatusOr<CommonArgs> args = online::ReadEditorArgs(r);
        if (!args.ok()) {
          return online::Usage("approve", args.status().message());
        }
        StatusOr<quorum::RequestId> id = online::RequestIdArg(r);
        if (!id.ok()) return online::Usage("approve", id.status().message());
        ApproveFlags flags;
        flags.yes = r.count("yes") > 0;
        flags.wait = r.count("wait") > 0;
        flags.refuse = r.count("refuse") > 0;
        if (r.count("comment")) flags.comment = r["comment"].as<std::string>();
        if (flags.comment.size() > quorum::kMaxReasonSize) {
          return online::Usage("approve", "--comment is too long");
        }
        StatusOr<std::chrono::seconds> t = WaitTimeoutArg(r);
        if (!t.ok()) return online::Usage("approve", t.status().message());
        flags.wait_timeout = *t;
        if (flags.refuse && flags.wait) {
          return online::Usage("approve",
                               "--refuse and --wait do not go "
                               "together");
        }
        return RunApprove(*args, *id, flags);
      });
}

int ReleaseMain(int argc, char** argv) {
  cxxopts::Options options(
      "conclave release",
      "Release your partial decryptions whose quorum is complete.");
  options.custom_help(
      "--roster R --identity ID --share SHARE [--request-id Q] | --bundle "
      "BUNDLE -o APPROVAL");
  online::AddServerOptions(options);
  online::AddEditorOptions(options, true);
  options.add_options()("request-id", "only this request",
                        cxxopts::value<std::string>(), "Q")(
      "bundle", "offline: a bundle from `conclave request export`",
      cxxopts::value<std::string>(),
      "BUNDLE")("o,output", "offline: where to write the approval",
                cxxopts::value<std::string>(),
                "APPROVAL")("json", "machine-readable output");
  const std::string footer = std::string(kReleaseFooter) + kServerFooter;
  return online::RunCommand(
      "release", options, argc, argv, footer.c_str(),
      [&](const cxxopts::ParseResult& r) {
        StatusOr<CommonArgs> args =
            online::ReadEditorArgs(r, true, r.count("bundle") == 0);
        if (!args.ok()) {
          return online::Usage("release", args.status().message());
        }
        if (r.count("bundle")) {
          if (r.count("server") || r.count("tls-ca") || r.count("state")) {
            return online::Usage(
                "release",
                "--bundle works offline: it takes no --server, --tls-ca or "
                "--state");
          }
          if (r.count("request-id")) {
            return online::Usage("release",
                                 "--bundle names its request; drop "
                                 "--request-id");
          }
          if (!r.count("output")) {
            return online::Usage("release", "--bundle needs -o APPROVAL");
          }
          return RunReleaseBundle(*args, r["bundle"].as<std::string>(),
                                  r["output"].as<std::string>());
        }
        if (r.count("output")) {
          return online::Usage("release", "-o goes with --bundle");
        }
        std::optional<quorum::RequestId> only;
        if (r.count("request-id")) {
          StatusOr<quorum::RequestId> id = online::RequestIdArg(r);
          if (!id.ok()) return online::Usage("release", id.status().message());
          only = *id;
        }
        return RunReleaseOnline(*args, only);
      });
}

int RequestExportMain(int argc, char** argv) {
  cxxopts::Options options(
      "conclave request export",
      "Write a request's log evidence for an air-gapped release.");
  options.custom_help(
      "--roster R --identity ID --request-id Q -o BUNDLE [--wait]");
  online::AddServerOptions(options);
  online::AddEditorOptions(options, false);
  options.add_options()("request-id", "the request (64 hex digits)",
                        cxxopts::value<std::string>(), "Q")(
      "o,output", "the bundle file", cxxopts::value<std::string>(), "BUNDLE")(
      "wait", "poll until the quorum is complete")(
      "wait-timeout", "give up waiting after this long",
      cxxopts::value<std::string>(), "D")("json", "machine-readable output");
  const std::string footer = std::string(kExportFooter) + kServerFooter;
  return online::RunCommand(
      "request export", options, argc, argv, footer.c_str(),
      [&](const cxxopts::ParseResult& r) {
        StatusOr<CommonArgs> args = online::ReadEditorArgs(r);
        if (!args.ok()) {
          return online::Usage("request export", args.status().message());
        }
        StatusOr<quorum::RequestId> id = online::RequestIdArg(r);
        if (!id.ok()) {
          return online::Usage("request export", id.status().message());
        }
        if (!r.count("output")) {
          return online::Usage("request export", "-o BUNDLE is required");
        }
        StatusOr<std::chrono::seconds> t = WaitTimeoutArg(r);
        if (!t.ok()) {
          return online::Usage("request export", t.status().message());
        }
        return RunExport(*args, *id, r["output"].as<std::string>(),
                         r.count("wait") > 0, *t);
      });
}

int ApprovalUploadMain(int argc, char** argv) {
  cxxopts::Options options("conclave approval upload",
                           "Upload approvals made on an air-gapped machine.");
  options.custom_help("APPROVAL --roster R --identity ID [--json]")
      .positional_help("APPROVAL")
      .show_positional_help();
  online::AddServerOptions(options);
  online::AddEditorOptions(options, false);
  options.add_options()("json", "machine-readable output");
  options.add_options("positional")("file", "the approval file",
                                    cxxopts::value<std::string>());
  options.parse_positional({"file"});
  const std::string footer = std::string(kUploadFooter) + kServerFooter;
  return online::RunCommand(
      "approval upload", options, argc, argv, footer.c_str(),
      [&](const cxxopts::ParseResult& r) {
        StatusOr<CommonArgs> args = online::ReadEditorArgs(r);
        if (!args.ok()) {
          return online::Usage("approval upload", args.status().message());
        }
        if (!r.count("file")) {
          return online::Usage("approval upload", "APPROVAL is required");
        }
        return RunUpload(*args, r["file"].as<std::string>());
      });
}

}  // namespace conclave::cli
