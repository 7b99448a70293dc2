#include "quorum/drill.h"

#include <google/protobuf/message_lite.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <system_error>
#include <utility>

#include "age/age.h"
#include "age/io.h"
#include "age/submission.h"
#include "base/file_util.h"
#include "crypto/ed25519.h"
#include "quorum/combine.h"
#include "quorum/release.h"
#include "sealed/sealed_file.h"
#include "shares/shamir.h"

namespace conclave::quorum {
namespace {

namespace fs = std::filesystem;

using Holder = std::pair<uint32_t, uint32_t>;  // (organisation, editor)

// DIR/*SUFFIX, regular files, sorted by name.
StatusOr<std::vector<fs::path>> ListFiles(const fs::path& dir,
                                          std::string_view suffix) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return NotFoundError(dir.string() + " is not a directory");
  }
  std::vector<fs::path> out;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->is_regular_file() && name.size() > suffix.size() &&
        name.ends_with(suffix)) {
      out.push_back(it->path());
    }
  }
  if (ec) {
    return Status(StatusCode::kUnavailable,
                  "cannot list " + dir.string() + ": " + ec.message());
  }
  std::sort(out.begin(), out.end());
  return out;
}

template <typename M>
StatusOr<M> ReadMessageFile(const fs::path& path, std::string_view what) {
  CONCLAVE_ASSIGN_OR_RETURN(Bytes bytes, ReadFileBytes(path, kMaxDrillSetSize));
  M msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return InvalidArgumentError(path.string() + " is not " + std::string(what));
  }
  return msg;
}

std::string FileName(const DrillFile& d) { return d.path.filename().string(); }

std::string Label(const keyceremony::VerifiedRoster& roster, Holder h) {
  return EditorLabel(roster.body, h.first, h.second);
}

// One t-subset: organisation → the editors whose partials are combined.
using Quorum = NestedSelection;

class DrillCombiner {
 public:
  DrillCombiner(const keyceremony::VerifiedRoster& roster,
                const DrillRound& round,
                const std::vector<VerifiedPartials>& partials,
                DrillReport* report)
      : roster_(roster), round_(round), partials_(partials), report_(report) {}

  // Combines `quorum`'s partials for every drill file; each must unwrap the
  // file key, verify the header MAC (CombinePartials) and decrypt the whole
  // payload. On success every member is proven.
  void Open(const Quorum& quorum) {
    std::string names;
    for (const auto& [o, eds] : quorum) names += " " + std::to_string(o);
    bool all = true;
    for (size_t i = 0; i < round_.requests.size(); ++i) {
      StatusOr<SecretBytes> key =
          CombinePartials(roster_, round_.requests[i], quorum, partials_[i]);
      Status s = key.status();
      if (s.ok()) {
        age::MemoryReader in(round_.files[i].bytes);
        age::SecretWriter out;  // wiped; the plaintext goes nowhere
        s = age::DecryptWithFileKey(in, out, *key);
      }
      if (!s.ok()) {
        all = false;
        report_->failures.push_back(
            "organisations" + names + " together cannot open drill file " +
            FileName(round_.files[i]) + ": " + s.message());
        continue;
      }
      ++report_->quorums_opened;
    }
    if (!all) return;
    for (const auto& [o, eds] : quorum) {
      for (uint32_t j : eds) proven_.insert({o, j});
    }
  }

  bool proven(Holder h) const { return proven_.contains(h); }

 private:
  const keyceremony::VerifiedRoster& roster_;
  const DrillRound& round_;
  const std::vector<VerifiedPartials>& partials_;
  DrillReport* report_;
  std::set<Holder> proven_;
};

}  // namespace

StatusOr<std::vector<DrillFile>> ReadDrillFiles(
    const keyceremony::VerifiedRoster& roster, const fs::path& dir_or_file) {
  std::vector<fs::path> paths;
  std::error_code ec;
  if (fs::is_directory(dir_or_file, ec)) {
    CONCLAVE_ASSIGN_OR_RETURN(paths, ListFiles(dir_or_file, ".age"));
  } else {
    paths.push_back(dir_or_file);
  }
  const auto& ids = roster.body.drill_submission_ids();
  std::vector<DrillFile> out;
  for (const fs::path& path : paths) {
    DrillFile d;
    d.path = path;
    CONCLAVE_ASSIGN_OR_RETURN(d.bytes, ReadFileBytes(path, kMaxDrillFileSize));
    age::MemoryReader reader(d.bytes);
    StatusOr<age::Header> header = age::ReadAgeFileHeader(reader);
    if (!header.ok()) return header.status().Annotate(path.string());
    StatusOr<age::SubmissionInfo> info = age::ValidateSubmission(
        *header, roster.consortium_key,
        {.allow_drill = true, .max_exclusions = std::nullopt});
    if (!info.ok()) return info.status().Annotate(path.string());
    if (info->kind != SenderProofKind::kDrill ||
        std::find(ids.begin(), ids.end(), info->id) == ids.end()) {
      return FailedPreconditionError(path.string() +
                                     " is not a drill file of this roster");
    }
    d.id = info->id;
    d.header = std::move(header->bytes);
    out.push_back(std::move(d));
  }
  if (out.empty()) {
    return NotFoundError("no drill file in " + dir_or_file.string());
  }
  return out;
}

StatusOr<v1::RequestSet> MakeDrillRequests(
    const keyceremony::VerifiedRoster& roster, const EditorKeys& requester,
    std::span<const DrillFile> drills, uint64_t now_unix) {
  v1::RequestSet out;
  for (const DrillFile& d : drills) {
    StatusOr<NewRequest> request =
        MakeRequest(roster, requester, d.header,
                    {.reason = std::string(kDrillReason),
                     .lifetime_seconds = 0,
                     .now_unix = now_unix});
    if (!request.ok()) {
      return request.status().Annotate("drill file " + FileName(d));
    }
    *out.add_requests() = std::move(request->statement);
  }
  return out;
}

StatusOr<std::vector<VerifiedRequest>> VerifyDrillRequests(
    const keyceremony::VerifiedRoster& roster, const v1::RequestSet& requests,
    uint64_t now_unix) {
  if (requests.requests_size() == 0) {
    return InvalidArgumentError("the drill request set is empty");
  }
  std::vector<VerifiedRequest> out;
  std::set<std::string> submissions;
  for (int i = 0; i < requests.requests_size(); ++i) {
    const std::string which = "drill request " + std::to_string(i + 1);
    StatusOr<VerifiedRequest> v = VerifyRequest(roster, requests.requests(i));
    if (!v.ok() && v.status().code() == StatusCode::kUnauthenticated) {
      return Status(StatusCode::kUnauthenticated,
                    which + ": " + v.status().message() +
                        " (a request of another roster or ceremony, or "
                        "altered)");
    }
    if (!v.ok()) return v.status().Annotate(which);
    if (!v->drill) {
      return PermissionDeniedError(
          which + " (" + RequestIdHex(v->id) + ") is for submission " +
          v->submission.id +
          ", which is not a drill file of this roster: the drill releases "
          "partial decryptions only for the drill files listed at the "
          "ceremony; any other submission is released only against the "
          "audit log");
    }
    CONCLAVE_RETURN_IF_ERROR(CheckNotExpired(*v, now_unix).Annotate(which));
    if (!out.empty() &&
        (v->body.org_id() != out.front().body.org_id() ||
         v->body.editor_index() != out.front().body.editor_index())) {
      return InvalidArgumentError(
          which + " was made by " +
          EditorLabel(roster.body, v->body.org_id(), v->body.editor_index()) +
          ", the others by " +
          EditorLabel(roster.body, out.front().body.org_id(),
                      out.front().body.editor_index()) +
          ": one requester makes every request of a drill");
    }
    if (!submissions.insert(v->submission.id).second) {
      return InvalidArgumentError(which + " repeats drill file " +
                                  v->submission.id);
    }
    out.push_back(*std::move(v));
  }
  return out;
}

StatusOr<v1::ApprovalSet> MakeDrillApprovals(
    const keyceremony::VerifiedRoster& roster, const EditorKeys& holder,
    const v1::EditorShare& share, const v1::RequestSet& requests,
    uint64_t now_unix) {
  CONCLAVE_RETURN_IF_ERROR(
      VerifyDrillRequests(roster, requests, now_unix).status());
  v1::ApprovalSet out;
  for (int i = 0; i < requests.requests_size(); ++i) {
    ReleaseInput input;
    input.roster = &roster;
    input.releaser = &holder;
    input.share = &share;
    input.request = &requests.requests(i);
    input.evidence = nullptr;  // drill files are released without the log
    input.now_unix = now_unix;
    StatusOr<Release> release = ReleasePartial(input);
    if (!release.ok()) {
      return release.status().Annotate("drill request " +
                                       std::to_string(i + 1));
    }
    if (!release->check.drill) {
      // VerifyDrillRequests already refused it; never release otherwise.
      return InternalError("a drill release for a non-drill request");
    }
    *out.add_approvals() = std::move(release->approval);
  }
  return out;
}

StatusOr<DrillRound> PairDrillRequests(std::vector<VerifiedRequest> requests,
                                       std::vector<DrillFile> files) {
  DrillRound out;
  std::vector<bool> used(files.size(), false);
  for (VerifiedRequest& request : requests) {
    size_t found = files.size();
    for (size_t f = 0; f < files.size(); ++f) {
      if (!used[f] && files[f].id == request.submission.id) found = f;
    }
    if (found == files.size()) {
      return FailedPreconditionError(
          "drill request " + RequestIdHex(request.id) + " is for drill file " +
          request.submission.id + ", which is not among the drill files given");
    }
    if (files[found].header != request.header.bytes) {
      return FailedPreconditionError(
          FileName(files[found]) +
          " is not the requested submission: its age header differs from "
          "the one in drill request " +
          RequestIdHex(request.id));
    }
    used[found] = true;
    out.files.push_back(std::move(files[found]));
    out.requests.push_back(std::move(request));
  }
  for (size_t f = 0; f < files.size(); ++f) {
    if (!used[f]) {
      return FailedPreconditionError("drill file " + FileName(files[f]) +
                                     " has no request in the request set");
    }
  }
  return out;
}

Status CombineDrill(const keyceremony::VerifiedRoster& roster,
                    const EditorKeys& requester, const DrillRound& round,
                    std::span<const HandedInApprovals> handed_in,
                    DrillReport* report) {
  const v1::RosterBody& rb = roster.body;
  const size_t n = round.requests.size();
  if (n == 0 || round.files.size() != n) {
    return InvalidArgumentError("no drill requests to combine");
  }
  report->requester =
      EditorLabel(rb, requester.org_id(), requester.editor_index());

  // Route every approval to its request. Only a signature that verifies
  // under this roster lets us say who an approval is from.
  std::vector<std::vector<v1::Approval>> routed(n);
  std::map<Holder, std::string> source_of;
  for (const HandedInApprovals& h : handed_in) {
    for (const v1::Approval& a : h.approvals.approvals()) {
      const v1::SignedStatement& st = a.statement();
      StatusOr<v1::ApprovalBody> body = VerifyApprovalStatement(roster, a);
      if (!body.ok()) {
        const bool signed_ok =
            VerifyStatementSignature(kApprovalStatementDst, st, rb).ok();
        report->failures.push_back(
            (signed_ok ? EditorLabel(rb, st.org_id(), st.editor_index())
                       : "an approval claiming to be from " +
                             EditorLabel(rb, st.org_id(), st.editor_index())) +
            ": " + h.source + ": " + body.status().message() +
            (signed_ok ? ""
                       : " (made for another roster or ceremony, or "
                         "altered)"));
        continue;
      }
      const Holder holder{body->org_id(), body->editor_index()};
      const std::string who = Label(roster, holder);
      auto [it, inserted] = source_of.emplace(holder, h.source);
      if (!inserted && it->second != h.source) {
        report->failures.push_back(who + ": " + h.source +
                                   ": a second partial of the same holder (" +
                                   it->second + " came first)");
        continue;
      }
      size_t i = 0;
      while (i < n && !SameBytes(body->request_id(), round.requests[i].id)) {
        ++i;
      }
      if (i == n) {
        report->failures.push_back(
            who + ": " + h.source +
            ": approves a request that is not in this drill's request set "
            "(made for another drill run?)");
        continue;
      }
      routed[i].push_back(a);
    }
  }

  // Open and verify each request's approvals; refusals name the editor.
  std::vector<VerifiedPartials> partials(n);
  for (size_t i = 0; i < n; ++i) {
    CONCLAVE_ASSIGN_OR_RETURN(
        OpenedApprovals opened,
        OpenApprovals(roster, requester, round.requests[i], routed[i]));
    for (const std::string& line : opened.report.refused) {
      report->failures.push_back(line + " (drill file " +
                                 FileName(round.files[i]) + ")");
    }
    partials[i] = std::move(opened.partials);
  }

  // Working holders: a verified partial for every drill file, by
  // organisation, editors ascending. Everyone else is named.
  std::map<uint32_t, std::vector<uint32_t>> working;
  for (const v1::RosterOrganisation& org : rb.organisations()) {
    for (const v1::RosterEditor& e : org.editors()) {
      const Holder h{org.id(), e.index()};
      std::vector<std::string> missing;
      for (size_t i = 0; i < n; ++i) {
        auto o = partials[i].find(org.id());
        if (o == partials[i].end() || !o->second.contains(e.index())) {
          missing.push_back(FileName(round.files[i]));
        }
      }
      if (missing.empty()) {
        working[org.id()].push_back(e.index());
      } else if (missing.size() == n) {
        report->failures.push_back(Label(roster, h) + ": no verified partial");
      } else {
        std::string list;
        for (const std::string& m : missing) list += " " + m;
        report->failures.push_back(
            Label(roster, h) + ": no verified partial for drill file" + list);
      }
    }
  }
  // Only working holders' partials take part.
  std::vector<VerifiedPartials> usable(n);
  for (size_t i = 0; i < n; ++i) {
    for (const auto& [o, eds] : working) {
      for (uint32_t j : eds) usable[i][o].emplace(j, partials[i].at(o).at(j));
    }
  }

  std::vector<uint32_t> ready;
  std::map<uint32_t, uint32_t> k;
  for (const v1::RosterOrganisation& org : rb.organisations()) {
    k[org.id()] = org.editor_threshold();
    auto it = working.find(org.id());
    if (it != working.end() && it->second.size() >= org.editor_threshold()) {
      ready.push_back(org.id());
    }
  }
  const uint32_t t = rb.threshold();
  if (ready.size() < t) {
    report->failures.push_back(
        "only " + std::to_string(ready.size()) +
        " organisations have enough working shares; t = " + std::to_string(t));
    return OkStatus();
  }
  // The first k_o working editors of organisation o, or a window of k_o
  // consecutive ones that includes position `must`.
  auto pick_editors = [&](uint32_t o, std::optional<size_t> must) {
    const std::vector<uint32_t>& all = working.at(o);
    size_t start = 0;
    if (must && *must >= k[o]) start = *must - k[o] + 1;
    return std::vector<uint32_t>(all.begin() + start,
                                 all.begin() + start + k[o]);
  };
  DrillCombiner combiner(roster, round, usable, report);
  // Every t-subset of ready organisations (up to 64 of them).
  std::vector<bool> pick(ready.size(), false);
  std::fill(pick.begin(), pick.begin() + t, true);
  size_t subsets = 0;
  do {
    if (++subsets > 64) break;
    Quorum quorum;
    for (size_t i = 0; i < ready.size(); ++i) {
      if (pick[i]) quorum[ready[i]] = pick_editors(ready[i], std::nullopt);
    }
    combiner.Open(quorum);
  } while (std::prev_permutation(pick.begin(), pick.end()));
  // Every working holder not yet covered takes part in one more opening:
  // their organisation with them, plus the first t-1 other organisations.
  for (uint32_t o : ready) {
    const std::vector<uint32_t>& eds = working.at(o);
    for (size_t pos = 0; pos < eds.size(); ++pos) {
      if (combiner.proven({o, eds[pos]})) continue;
      Quorum quorum;
      quorum[o] = pick_editors(o, pos);
      for (uint32_t other : ready) {
        if (quorum.size() == t) break;
        if (other != o) quorum[other] = pick_editors(other, std::nullopt);
      }
      combiner.Open(quorum);
    }
  }
  for (const auto& [o, eds] : working) {
    for (uint32_t j : eds) {
      if (combiner.proven({o, j})) {
        report->proven.push_back(Label(roster, {o, j}));
      } else {
        report->failures.push_back(Label(roster, {o, j}) +
                                   ": took part in no successful opening");
      }
    }
  }
  return OkStatus();
}

StatusOr<DrillReport> RunDrillCombine(const DrillCombinePaths& paths,
                                      const v1::EditorIdentity& requester,
                                      uint64_t now_unix) {
  CONCLAVE_ASSIGN_OR_RETURN(keyceremony::VerifiedRoster roster,
                            keyceremony::ReadRosterFile(paths.roster));
  CONCLAVE_ASSIGN_OR_RETURN(EditorKeys keys,
                            EditorKeys::FromIdentity(requester, roster));
  CONCLAVE_ASSIGN_OR_RETURN(v1::RequestSet set, ReadRequestSet(paths.requests));
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<VerifiedRequest> requests,
                            VerifyDrillRequests(roster, set, now_unix));
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<DrillFile> files,
                            ReadDrillFiles(roster, paths.drill));
  CONCLAVE_ASSIGN_OR_RETURN(
      DrillRound round,
      PairDrillRequests(std::move(requests), std::move(files)));
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<fs::path> partial_files,
                            ListFiles(paths.partials, kDrillPartialSuffix));
  DrillReport report;
  std::vector<HandedInApprovals> handed_in;
  for (const fs::path& path : partial_files) {
    ++report.shares_checked;
    StatusOr<v1::ApprovalSet> set = ReadApprovalSet(path);
    if (!set.ok()) {
      report.failures.push_back(set.status().message());
      continue;
    }
    handed_in.push_back({path.filename().string(), *std::move(set)});
  }
  CONCLAVE_RETURN_IF_ERROR(
      CombineDrill(roster, keys, round, handed_in, &report));
  return report;
}

StatusOr<DrillReport> RunDrill(const fs::path& dir,
                               const DrillPassphrase& passphrase,
                               uint64_t now_unix) {
  CONCLAVE_ASSIGN_OR_RETURN(
      keyceremony::VerifiedRoster roster,
      keyceremony::ReadRosterFile(dir / "consortium.roster"));
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<DrillFile> drills,
                            ReadDrillFiles(roster, dir / "drill"));
  DrillReport report;
  std::optional<EditorKeys> requester;
  std::optional<v1::RequestSet> requests;
  std::vector<HandedInApprovals> handed_in;

  // Opens one of the holder's sealed files, or says why not. A failing
  // passphrase prompt stops the whole drill (`prompt`).
  Status prompt;
  auto open = [&](uint32_t o, const v1::RosterEditor& e,
                  const std::string& file) -> StatusOr<OpenedSecret> {
    const fs::path path = dir / ("org" + std::to_string(o)) /
                          ("editor" + std::to_string(e.index())) / file;
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      return NotFoundError("no " + file + " at " + path.string());
    }
    StatusOr<SecretBytes> pass = passphrase(o, e.index(), e.name(), file);
    if (!pass.ok()) {
      prompt = pass.status();
      return pass.status();
    }
    StatusOr<OpenedSecret> opened = ReadSealedFile(path, *pass);
    if (!opened.ok()) {
      return opened.status().Annotate("cannot open " + path.string());
    }
    return opened;
  };

  for (const v1::RosterOrganisation& org : roster.body.organisations()) {
    for (const v1::RosterEditor& e : org.editors()) {
      const Holder h{org.id(), e.index()};
      const std::string who = Label(roster, h);
      // The identity: it signs the holder's approvals (and the requests).
      StatusOr<OpenedSecret> id = open(org.id(), e, "identity.age");
      if (!prompt.ok()) return prompt;
      StatusOr<EditorKeys> keys =
          !id.ok() ? StatusOr<EditorKeys>(id.status())
          : !id->message().has_editor_identity()
              ? StatusOr<EditorKeys>(
                    InvalidArgumentError("identity.age is not an identity"))
              : EditorKeys::FromIdentity(id->message().editor_identity(),
                                         roster);
      if (keys.ok() &&
          (keys->org_id() != h.first || keys->editor_index() != h.second)) {
        keys = InvalidArgumentError(
            "identity.age is the identity of " +
            Label(roster, {keys->org_id(), keys->editor_index()}));
      }
      if (!keys.ok()) {
        report.failures.push_back(who + ": " + keys.status().message());
        continue;
      }
      // The share.
      StatusOr<OpenedSecret> sh = open(org.id(), e, "share.age");
      if (!prompt.ok()) return prompt;
      if (!sh.ok()) {
        report.failures.push_back(who + ": " + sh.status().message());
        continue;
      }
      ++report.shares_checked;
      const v1::EditorShare& es = sh->message().editor_share();
      if (!sh->message().has_editor_share()) {
        report.failures.push_back(who + ": share.age is not a share file");
        continue;
      }
      if (es.org_id() != h.first || es.editor_index() != h.second) {
        report.failures.push_back(
            who + ": share.age holds the share of " +
            Label(roster, {es.org_id(), es.editor_index()}));
        continue;
      }
      // The first holder whose identity opens makes the requests.
      if (!requester.has_value()) {
        CONCLAVE_ASSIGN_OR_RETURN(
            v1::RequestSet made,
            MakeDrillRequests(roster, *keys, drills, now_unix));
        requests = std::move(made);
        requester.emplace(*std::move(keys));
        report.requester = who;
      }
      const EditorKeys& mine = requester->org_id() == h.first &&
                                       requester->editor_index() == h.second
                                   ? *requester
                                   : *keys;
      StatusOr<v1::ApprovalSet> approvals =
          MakeDrillApprovals(roster, mine, es, *requests, now_unix);
      if (!approvals.ok()) {
        report.failures.push_back(who + ": " + approvals.status().message());
        continue;
      }
      handed_in.push_back({"org" + std::to_string(h.first) + "/editor" +
                               std::to_string(h.second),
                           *std::move(approvals)});
    }
  }
  if (!requester.has_value()) {
    report.failures.push_back(
        "no holder's identity and share opened: no drill request was made");
    return report;
  }
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<VerifiedRequest> verified,
                            VerifyDrillRequests(roster, *requests, now_unix));
  CONCLAVE_ASSIGN_OR_RETURN(DrillRound round,
                            PairDrillRequests(std::move(verified), drills));
  CONCLAVE_RETURN_IF_ERROR(
      CombineDrill(roster, *requester, round, handed_in, &report));
  return report;
}

StatusOr<v1::RequestSet> ReadRequestSet(const fs::path& path) {
  return ReadMessageFile<v1::RequestSet>(path, "a drill request set");
}

StatusOr<v1::ApprovalSet> ReadApprovalSet(const fs::path& path) {
  return ReadMessageFile<v1::ApprovalSet>(path, "a drill partial");
}

Status WriteDrillMessage(const fs::path& path,
                         const google::protobuf::MessageLite& message) {
  std::string s;
  if (!message.SerializeToString(&s)) {
    return InternalError("cannot serialize " + path.string());
  }
  return CreateFileAtomically(path, AsBytes(s), 0644);
}

}  // namespace conclave::quorum
