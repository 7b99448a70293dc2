// submit, submissions, request, requests, withdraw, decrypt; the global
// options and durations. approve, release, request export and approval
// upload are in approve_commands.cc.
#include "cli/online_commands.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "age/io.h"
#include "age/submission.h"
#include "audit/note.h"
#include "cli/online_common.h"
#include "cli/progress.h"
#include "quorum/combine.h"

namespace conclave::cli {

using online::CommonArgs;
using online::json;

// ---- Global options and durations ----

StatusOr<std::vector<std::string>> HoistGlobalOptions(int argc, char** argv) {
  static const char* kGlobal[] = {"--server", "--tls-ca", "--tls-cert",
                                  "--tls-key", "--state"};
  std::vector<std::string> out;
  std::vector<std::string> hoisted;
  if (argc > 0) out.push_back(argv[0]);
  int i = 1;
  while (i < argc) {
    const std::string a = argv[i];
    bool matched = false;
    for (const char* g : kGlobal) {
      const std::string name = g;
      if (a == name) {
        if (i + 1 >= argc) {
          return InvalidArgumentError(name + " needs a value");
        }
        hoisted.push_back(a);
        hoisted.push_back(argv[i + 1]);
        i += 2;
        matched = true;
        break;
      }
      if (a.rfind(name + "=", 0) == 0) {
        hoisted.push_back(a);
        ++i;
        matched = true;
        break;
      }
    }
    if (!matched) break;
  }
  for (; i < argc; ++i) out.push_back(argv[i]);
  if (out.size() < 2) return out;  // no command: let main print usage
  out.insert(out.end(), hoisted.begin(), hoisted.end());
  return out;
}

StatusOr<uint64_t> ParseDuration(std::string_view text) {
  if (text.empty()) return InvalidArgumentError("empty duration");
  const std::string bad = "duration \"" + std::string(text) +
                          "\": expected e.g. 7d, 12h, 90m, 3600s, 1d12h or "
                          "a number of seconds";
  if (text.find_first_not_of("0123456789") == std::string_view::npos) {
    if (text.size() > 12) return InvalidArgumentError(bad);
    return std::stoull(std::string(text));
  }
  uint64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
    if (j == i || j == text.size() || j - i > 9) {
      return InvalidArgumentError(bad);
    }
    const uint64_t n = std::stoull(std::string(text.substr(i, j - i)));
    uint64_t unit = 0;
    switch (text[j]) {
      case 'd':
        unit = 86400;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'm':
        unit = 60;
        break;
      case 's':
        unit = 1;
        break;
      default:
        return InvalidArgumentError(bad);
    }
    total += n * unit;
    i = j + 1;
  }
  return total;
}

const char* OnlineUsage() {
  return R"(Online (through the daemon; --server ADDR before or after the command):
  conclave submit FILE [--roster R] [--json]
  conclave submissions --roster R --identity ID [--json]
  conclave request --roster R --identity ID --submission-id S --reason TEXT
                   [--lifetime DURATION] [--json]
  conclave requests --roster R --identity ID [--json]
  conclave approve --roster R --identity ID --request-id Q [--share SHARE]
                   [--yes] [--wait [--wait-timeout D]]
                   [--refuse --comment TEXT] [--json]
  conclave release --roster R --identity ID --share SHARE [--request-id Q]
  conclave withdraw --roster R --identity ID --request-id Q [--reason TEXT]
  conclave decrypt --roster R --identity ID --request-id Q -o OUT
Air-gapped editors:
  conclave request export --roster R --identity ID --request-id Q -o BUNDLE
  conclave release --bundle BUNDLE --roster R --identity ID --share SHARE
                   -o APPROVAL                         (offline: no --server)
  conclave approval upload APPROVAL --roster R --identity ID
)";
}

namespace {

constexpr char kServerFooter[] = R"(
The daemon is --server ADDR (before or after the command name) or
$CONCLAVE_SERVER: HOST:PORT or unix:PATH. Without --tls-ca only a loopback
address or a unix socket is accepted (the API is served over TLS otherwise).

Every contact verifies the daemon's latest settled checkpoint (the log key
and the witnesses' cosignatures from the roster, witnesses of
ceil((m + t) / 2) organisations) and that it extends the checkpoint this
client kept (--state DIR, default ~/.config/conclave/state). A log that
forked or went back is refused (exit 8) and the evidence is kept there.

Passphrases: --passphrase-file F (first line) for the identity, and for
the share unless --share-passphrase-file F gives the share's own; without
them, prompts on the terminal.
)";

// ---- submit ----

constexpr char kSubmitFooter[] = R"(
Sends an encrypted submission (made with `conclave encrypt` or the intake
page) to the daemon, anonymously: no identity, no client state. The daemon
validates it and answers with a receipt signed by the audit log's key:
  conclave submission acceptance v1 / origin / id / leaf / header hash
It is printed on stdout followed by the submission id as the LAST line. With
--roster R the receipt's signature is checked against the roster's log key
and its content against the file (exit 2 if it does not verify).

Examples:
  conclave --server 127.0.0.1:7443 submit leak.age
  conclave submit leak.age --server unix:/run/conclave/api.sock \
      --roster consortium.roster --json
)";

int RunSubmit(const CommonArgs& args, const std::string& file) {
  const std::string name = "submit";
  // The file's own id and header hash, to check the receipt against.
  std::optional<age::Header> header;
  std::optional<keyceremony::VerifiedRoster> roster;
  std::optional<uint64_t> size;
  {
    const int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return online::Fail(
          name, Status(StatusCode::kUnavailable,
                       "cannot open " + file + ": " + std::strerror(errno)));
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
      size = static_cast<uint64_t>(st.st_size);
    }
    age::FdReader reader(fd);
    StatusOr<age::Header> h = age::ReadAgeFileHeader(reader);
    close(fd);
    if (!h.ok()) return online::Fail(name, h.status().Annotate(file));
    header = std::move(h).value();
  }
  std::string local_id;
  if (args.roster) {
    StatusOr<keyceremony::VerifiedRoster> r =
        keyceremony::ReadRosterFile(*args.roster);
    if (!r.ok()) {
      return online::Fail(name, r.status().Annotate("roster " + *args.roster));
    }
    roster = std::move(r).value();
    StatusOr<age::SubmissionInfo> info =
        age::ValidateSubmission(*header, roster->consortium_key);
    if (!info.ok()) return online::Fail(name, info.status().Annotate(file));
    local_id = info->id;
  } else {
    age::SubmissionReport report = age::InspectSubmission(*header, nullptr);
    if (report.id) local_id = *report.id;
  }

  StatusOr<std::unique_ptr<DaemonClient>> client =
      DaemonClient::ConnectAnonymous(args.server);
  if (!client.ok()) return online::Fail(name, client.status());
  ProgressBar bar("sending", size, WantProgress(size));
  StatusOr<v1::SubmitReply> reply =
      (*client)->Submit(file, [&bar](uint64_t n) { bar.Update(n); });
  bar.Finish();
  if (!reply.ok()) return online::Fail(name, reply.status());
  if (!local_id.empty() && reply->submission_id() != local_id) {
    return online::Fail(
        name,
        DataLossError("the daemon accepted the file under id " +
                      reply->submission_id() + ", but its id is " + local_id));
  }

  bool verified = false;
  if (roster) {
    StatusOr<quorum::RosterLogKeys> lk = quorum::LogKeysFromRoster(*roster);
    if (!lk.ok()) return online::Fail(name, lk.status());
    audit::NoteVerifierSet keys;
    Status added = keys.Add(lk->log_key.get());
    if (!added.ok()) return online::Fail(name, added);
    StatusOr<audit::OpenedNote> opened =
        audit::OpenNote(reply->acceptance(), keys);
    const std::string expected = "conclave submission acceptance v1\n" +
                                 lk->origin + "\n" + local_id + "\n" +
                                 std::to_string(reply->leaf_index()) + "\n" +
                                 HexEncode(header->Hash()) + "\n";
    if (!opened.ok()) {
      return online::Fail(
          name, UnauthenticatedError(
                    "the daemon's acceptance is not signed by the roster's "
                    "log key: " +
                    opened.status().message()));
    }
    if (opened->text != expected) {
      return online::Fail(
          name, UnauthenticatedError("the daemon's signed acceptance does not "
                                     "describe this file at leaf " +
                                     std::to_string(reply->leaf_index())));
    }
    verified = true;
  }

  if (args.json) {
    json j;
    j["submission_id"] = reply->submission_id();
    j["leaf_index"] = reply->leaf_index();
    j["acceptance"] = reply->acceptance();
    j["acceptance_verified"] = verified;
    online::PrintJson(j);
    return kExitOk;
  }
  online::Note(name,
               "accepted at leaf " + std::to_string(reply->leaf_index()) +
                   " of the audit log" +
                   (verified ? " (receipt verified against the roster)" : "") +
                   "; keep the receipt below");
  std::string note = reply->acceptance();
  if (!note.empty() && note.back() != '\n') note += '\n';
  std::printf("%s%s\n", note.c_str(), reply->submission_id().c_str());
  return kExitOk;
}

// ---- submissions ----

constexpr char kSubmissionsFooter[] = R"(
Lists every submission the daemon holds, in log order: leaf, id, when it
arrived, size and the organisations it excludes.
)";

int RunSubmissions(const CommonArgs& args) {
  const std::string name = "submissions";
  StatusOr<online::Editor> editor = online::LoadEditor(args, false);
  if (!editor.ok()) return online::Fail(name, editor.status());
  StatusOr<std::unique_ptr<DaemonClient>> client =
      online::ConnectEditor(args, *editor);
  if (!client.ok()) return online::Fail(name, client.status());
  StatusOr<std::vector<v1::SubmissionInfo>> list = (*client)->ListSubmissions();
  if (!list.ok()) return online::Fail(name, list.status());
  if (args.json) {
    json arr = json::array();
    for (const v1::SubmissionInfo& s : *list) {
      arr.push_back(
          {{"submission_id", s.submission_id()},
           {"leaf_index", s.leaf_index()},
           {"received_unix", s.received_unix()},
           {"size", s.size()},
           {"excluded_orgs", std::vector<uint32_t>(s.excluded_orgs().begin(),
                                                   s.excluded_orgs().end())},
           {"header_hash", HexEncode(AsBytes(s.header_hash()))}});
    }
    online::PrintJson(arr);
    return kExitOk;
  }
  if (list->empty()) {
    std::printf("No submissions.\n");
    return kExitOk;
  }
  for (const v1::SubmissionInfo& s : *list) {
    const std::vector<uint32_t> ex(s.excluded_orgs().begin(),
                                   s.excluded_orgs().end());
    std::printf("%s  leaf %llu  %s  %s  excluded: %s\n",
                s.submission_id().c_str(),
                static_cast<unsigned long long>(s.leaf_index()),
                online::FormatTime(s.received_unix()).c_str(),
                ProgressBar::FormatBytes(static_cast<double>(s.size())).c_str(),
                online::OrgList(editor->roster.body, ex).c_str());
  }
  return kExitOk;
}

// ---- request ----

constexpr char kRequestFooter[] = R"(
Asks the consortium to decrypt one submission. The request embeds the
submission's age header (fetched from the daemon and checked: its id must be
S, its sender proof must verify, your organisation must not be excluded),
your reason, an expiry (--lifetime, at most the roster's maximum; default
that maximum) and a fresh reply key derived from your identity, so only you
can combine the approvals. It is signed and logged; the request id is
printed as the LAST line.

Examples:
  conclave --server 127.0.0.1:7443 request --roster consortium.roster \
      --identity identity.age --submission-id 3f9a... \
      --reason "verify the leaked contract before publication" --lifetime 3d
)";

int RunRequest(const CommonArgs& args, const std::string& submission_id,
               const std::string& reason,
               std::optional<uint64_t> lifetime_seconds) {
  const std::string name = "request";
  StatusOr<online::Editor> editor = online::LoadEditor(args, false);
  if (!editor.ok()) return online::Fail(name, editor.status());
  StatusOr<std::unique_ptr<DaemonClient>> client =
      online::ConnectEditor(args, *editor);
  if (!client.ok()) return online::Fail(name, client.status());
  StatusOr<Bytes> header = (*client)->GetSubmissionHeader(submission_id);
  if (!header.ok()) return online::Fail(name, header.status());
  // After a rekey, a submission to an older key is requested under that
  // key's last roster (docs/protocol.md "Rekey"), taken from the verified
  // roster chain by the submission's leaf: the key in force there.
  {
    StatusOr<quorum::IndexedRosterChain> chain = (*client)->GetVerifiedChain();
    if (!chain.ok()) return online::Fail(name, chain.status());
    StatusOr<std::vector<v1::SubmissionInfo>> subs =
        (*client)->ListSubmissions();
    if (!subs.ok()) return online::Fail(name, subs.status());
    const keyceremony::VerifiedRoster* key_roster = nullptr;
    for (const v1::SubmissionInfo& s : *subs) {
      if (s.submission_id() != submission_id) continue;
      key_roster =
          chain->KeyFinal(chain->InForceAt(s.leaf_index() + 1).body.epoch());
    }
    if (key_roster != nullptr &&
        key_roster->fingerprint != editor->roster.fingerprint) {
      StatusOr<online::Editor> under =
          online::EditorUnder(*editor, *key_roster);
      if (!under.ok()) return online::Fail(name, under.status());
      online::Note(name, "submission " + submission_id +
                             " is to the consortium key of roster epoch " +
                             std::to_string(key_roster->body.epoch()) +
                             " (the last epoch of that key): requesting "
                             "under that roster");
      client->reset();
      *editor = std::move(under).value();
      client = online::ConnectEditor(args, *editor);
      if (!client.ok()) return online::Fail(name, client.status());
    }
  }
  quorum::RequestOptions options;
  options.reason = reason;
  options.lifetime_seconds = lifetime_seconds.value_or(0);
  options.now_unix = online::NowUnix();
  StatusOr<quorum::NewRequest> req =
      quorum::MakeRequest(editor->roster, *editor->keys, *header, options);
  if (!req.ok()) return online::Fail(name, req.status());
  StatusOr<quorum::VerifiedRequest> verified =
      quorum::VerifyRequest(editor->roster, req->statement);
  if (!verified.ok()) return online::Fail(name, verified.status());
  if (verified->submission.id != submission_id) {
    return online::Fail(
        name, DataLossError("the daemon served submission " +
                            verified->submission.id + " when asked for " +
                            submission_id));
  }
  StatusOr<v1::PostReply> reply = (*client)->PostRequest(req->statement);
  if (!reply.ok()) return online::Fail(name, reply.status());
  const std::string qid = quorum::RequestIdHex(req->id);
  if (args.json) {
    json j = online::RequestJson(editor->roster, *verified);
    j["leaf_index"] = reply->leaf_index();
    j["duplicate"] = reply->duplicate();
    j["status"] = reply->status();
    online::PrintJson(j);
    return kExitOk;
  }
  online::Note(name, "request logged at leaf " +
                         std::to_string(reply->leaf_index()) + "; expires " +
                         online::FormatTime(verified->body.expires_unix()));
  if (!reply->status().empty()) online::Note(name, reply->status());
  std::printf("%s\n", qid.c_str());
  return kExitOk;
}

// ---- requests ----

constexpr char kRequestsFooter[] = R"(
Lists every request in the log with its state (open, released, expired,
withdrawn) and vote progress as the daemon counts it. Each request's
signature, submission and sender proof are verified here; one that does not
verify is shown as such. `conclave approve` recounts the votes itself before
you vote.
)";

int RunRequests(const CommonArgs& args) {
  const std::string name = "requests";
  StatusOr<online::Editor> editor = online::LoadEditor(args, false);
  if (!editor.ok()) return online::Fail(name, editor.status());
  StatusOr<std::unique_ptr<DaemonClient>> client =
      online::ConnectEditor(args, *editor);
  if (!client.ok()) return online::Fail(name, client.status());
  StatusOr<std::vector<v1::RequestInfo>> list = (*client)->ListRequests();
  if (!list.ok()) return online::Fail(name, list.status());
  json arr = json::array();
  std::string text;
  for (const v1::RequestInfo& info : *list) {
    StatusOr<quorum::VerifiedRequest> v =
        quorum::VerifyRequest(editor->roster, info.request());
    const bool id_ok = v.ok() && quorum::SameBytes(info.request_id(), v->id);
    json j;
    if (v.ok() && id_ok) {
      j = online::RequestJson(editor->roster, *v);
      j["verified"] = true;
    } else {
      j["request_id"] = HexEncode(AsBytes(info.request_id()));
      j["verified"] = false;
      j["error"] = v.ok() ? std::string("the listed id is not the request's")
                          : UserMessage(v.status());
    }
    j["leaf_index"] = info.leaf_index();
    j["state"] = online::StateName(info.state());
    j["progress"] = info.progress();
    arr.push_back(j);
    if (v.ok() && id_ok) {
      text += quorum::RequestIdHex(v->id) + "  " +
              online::StateName(info.state()) + "  leaf " +
              std::to_string(info.leaf_index()) + "\n";
      text += "  requester   " +
              quorum::EditorLabel(editor->roster.body, v->body.org_id(),
                                  v->body.editor_index()) +
              "\n";
      text += "  reason      " + v->body.reason() + "\n";
      text += "  submission  " + v->submission.id + "\n";
      text +=
          "  excluded    " +
          online::OrgList(editor->roster.body, v->submission.excluded_orgs) +
          "\n";
      text +=
          "  expires     " + online::FormatTime(v->body.expires_unix()) + "\n";
      text += "  progress    " + info.progress() + "\n";
    } else {
      text += HexEncode(AsBytes(info.request_id())) +
              "  DOES NOT VERIFY: " + j["error"].get<std::string>() + "\n";
    }
  }
  if (args.json) {
    online::PrintJson(arr);
  } else if (list->empty()) {
    std::printf("No requests.\n");
  } else {
    std::fputs(text.c_str(), stdout);
  }
  return kExitOk;
}

// ---- withdraw ----

constexpr char kWithdrawFooter[] = R"(
Withdraws your own request: a signed, logged withdrawal. Releasers then
refuse it (they see the withdrawal in the settled log). Only the requester
may withdraw.
)";

int RunWithdraw(const CommonArgs& args, const quorum::RequestId& id,
                const std::string& reason) {
  const std::string name = "withdraw";
  StatusOr<online::Editor> editor = online::LoadEditor(args, false);
  if (!editor.ok()) return online::Fail(name, editor.status());
  StatusOr<std::unique_ptr<DaemonClient>> client =
      online::ConnectEditor(args, *editor);
  if (!client.ok()) return online::Fail(name, client.status());
  StatusOr<online::FetchedRequest> r =
      online::FetchRequest(**client, editor->roster, id);
  if (!r.ok()) return online::Fail(name, r.status());
  StatusOr<v1::SignedStatement> w = quorum::MakeWithdrawal(
      editor->roster, *editor->keys, r->request, reason, online::NowUnix());
  if (!w.ok()) return online::Fail(name, w.status());
  StatusOr<v1::PostReply> reply = (*client)->PostWithdrawal(*w);
  if (!reply.ok()) return online::Fail(name, reply.status());
  if (args.json) {
    online::PrintJson({{"request_id", quorum::RequestIdHex(id)},
                       {"leaf_index", reply->leaf_index()},
                       {"duplicate", reply->duplicate()},
                       {"status", reply->status()}});
  } else {
    std::printf("Request %s withdrawn (leaf %llu).\n",
                quorum::RequestIdHex(id).c_str(),
                static_cast<unsigned long long>(reply->leaf_index()));
  }
  return kExitOk;
}

// ---- decrypt ----

constexpr char kDecryptFooter[] = R"(
For the requester, once a quorum has released: fetches the request and its
approvals, verifies every approval and its partial decryption (a bad one is
named), combines them (the consortium key is never reconstructed),
downloads the submission and decrypts it. OUT appears only when the last
chunk has verified; on any error nothing is left. Exit 7 when the approvals
do not reach the quorum yet.

Example:
  conclave --server 127.0.0.1:7443 decrypt --roster consortium.roster \
      --identity identity.age --request-id 8c1d... -o leak.zip
)";

// Removes the downloaded ciphertext however decrypt ends.
struct TempFile {
  std::string path;
  int fd = -1;
  ~TempFile() {
    if (fd >= 0) close(fd);
    if (!path.empty()) unlink(path.c_str());
  }
};

int RunDecrypt(const CommonArgs& args, const quorum::RequestId& id,
               const std::string& out) {
  const std::string name = "decrypt";
  StatusOr<online::Editor> editor = online::LoadEditor(args, false);
  if (!editor.ok()) return online::Fail(name, editor.status());
  StatusOr<std::unique_ptr<DaemonClient>> client =
      online::ConnectEditor(args, *editor);
  if (!client.ok()) return online::Fail(name, client.status());
  // An old-key request after a rekey: under that key's last roster, taken
  // from the verified chain (docs/operations.md "Rekeying").
  {
    StatusOr<std::optional<online::Editor>> under =
        online::EditorForRequest(**client, *editor, id);
    if (!under.ok()) return online::Fail(name, under.status());
    if (under->has_value()) {
      online::Note(name, *(*under)->roster_note);
      client->reset();
      *editor = std::move(**under);
      client = online::ConnectEditor(args, *editor);
      if (!client.ok()) return online::Fail(name, client.status());
    }
  }
  StatusOr<online::FetchedRequest> r =
      online::FetchRequest(**client, editor->roster, id);
  if (!r.ok()) return online::Fail(name, r.status());
  const quorum::VerifiedRequest& req = r->request;
  if (req.body.org_id() != editor->keys->org_id() ||
      req.body.editor_index() != editor->keys->editor_index()) {
    return online::Fail(
        name,
        PermissionDeniedError(
            "only the requester (" +
            quorum::EditorLabel(editor->roster.body, req.body.org_id(),
                                req.body.editor_index()) +
            ") can decrypt: the approvals are sealed to their reply key"));
  }
  std::vector<v1::Approval> approvals(r->info.approvals().begin(),
                                      r->info.approvals().end());
  StatusOr<quorum::Combined> combined =
      quorum::CombineApprovals(editor->roster, *editor->keys, req, approvals);
  if (!combined.ok()) {
    if (combined.status().code() == StatusCode::kFailedPrecondition) {
      online::Note(name, "the approvals do not reach the quorum yet: " +
                             UserMessage(combined.status()));
      online::Note(
          name, "request state: " + online::StateName(r->info.state()) + "; " +
                    r->info.progress());
      return kExitPending;
    }
    return online::Fail(name, combined.status());
  }
  for (const std::string& refused : combined->report.refused) {
    online::Note(name, "refused an approval: " + refused);
  }

  // Download next to the output (same file system; ciphertext only).
  const std::filesystem::path out_path(out);
  std::filesystem::path dir = out_path.parent_path();
  if (dir.empty()) dir = ".";
  TempFile tmp;
  {
    std::string tmpl = (dir / ("." + out_path.filename().string() +
                               ".conclave-download-XXXXXX"))
                           .string();
    tmp.fd = mkstemp(tmpl.data());
    if (tmp.fd < 0) {
      return online::Fail(
          name, Status(StatusCode::kUnavailable,
                       "cannot create a temporary file in " + dir.string() +
                           ": " + std::strerror(errno)));
    }
    tmp.path = tmpl;
  }
  ProgressBar down("downloading", std::nullopt, WantProgress(std::nullopt));
  uint64_t got = 0;
  Status s = (*client)->GetSubmissionFile(
      req.submission.id, [&](ByteSpan chunk, bool*) -> Status {
        size_t off = 0;
        while (off < chunk.size()) {
          const ssize_t n =
              write(tmp.fd, chunk.data() + off, chunk.size() - off);
          if (n < 0) {
            if (errno == EINTR) continue;
            return Status(StatusCode::kUnavailable,
                          "cannot write the download: " +
                              std::string(std::strerror(errno)));
          }
          off += static_cast<size_t>(n);
        }
        got += chunk.size();
        down.Update(got);
        return OkStatus();
      });
  down.Finish();
  if (!s.ok()) return online::Fail(name, s);
  close(tmp.fd);
  tmp.fd = -1;

  ProgressBar bar("decrypting", got, WantProgress(got));
  s = quorum::DecryptSubmissionToFile(req, combined->file_key, tmp.path,
                                      out_path,
                                      [&bar](uint64_t n) { bar.Update(n); });
  bar.Finish();
  if (!s.ok()) return online::Fail(name, s);
  if (args.json) {
    json used = json::array();
    for (const auto& [org, ed] : combined->report.used) {
      used.push_back({{"org_id", org}, {"editor_index", ed}});
    }
    online::PrintJson({{"request_id", quorum::RequestIdHex(id)},
                       {"submission_id", req.submission.id},
                       {"output", out},
                       {"used", used},
                       {"refused", combined->report.refused}});
  } else {
    std::string who;
    for (const auto& [org, ed] : combined->report.used) {
      if (!who.empty()) who += ", ";
      who += quorum::EditorLabel(editor->roster.body, org, ed);
    }
    std::printf("Decrypted submission %s to %s (partials of %s).\n",
                req.submission.id.c_str(), out.c_str(), who.c_str());
  }
  return kExitOk;
}

}  // namespace

// ---- Entry points ----

int SubmitMain(int argc, char** argv) {
  cxxopts::Options options("conclave submit",
                           "Send a submission to the daemon (anonymous).");
  options.custom_help("[--server ADDR] [--roster R] [--json]")
      .positional_help("FILE")
      .show_positional_help();
  online::AddServerOptions(options);
  options.add_options()("roster",
                        "check the file and the daemon's signed receipt "
                        "against this roster",
                        cxxopts::value<std::string>(),
                        "R")("json", "machine-readable output");
  options.add_options("positional")("file", "the submission",
                                    cxxopts::value<std::string>());
  options.parse_positional({"file"});
  std::string footer = std::string(kSubmitFooter);
  return online::RunCommand(
      "submit", options, argc, argv, kSubmitFooter,
      [&](const cxxopts::ParseResult& r) {
        CommonArgs args;
        if (Status s = online::ReadCommonArgs(r, &args); !s.ok()) {
          return online::Usage("submit", s.message());
        }
        if (!r.count("file")) {
          return online::Usage("submit", "FILE is required");
        }
        return RunSubmit(args, r["file"].as<std::string>());
      });
}

int SubmissionsMain(int argc, char** argv) {
  cxxopts::Options options("conclave submissions",
                           "List the submissions the daemon holds.");
  options.custom_help("--roster R --identity ID [--json]");
  online::AddServerOptions(options);
  online::AddEditorOptions(options, false);
  options.add_options()("json", "machine-readable output");
  const std::string footer = std::string(kSubmissionsFooter) + kServerFooter;
  return online::RunCommand(
      "submissions", options, argc, argv, footer.c_str(),
      [&](const cxxopts::ParseResult& r) {
        StatusOr<CommonArgs> args = online::ReadEditorArgs(r);
        if (!args.ok()) {
          return online::Usage("submissions", args.status().message());
        }
        return RunSubmissions(*args);
      });
}

int RequestMain(int argc, char** argv) {
  cxxopts::Options options("conclave request",
                           "Ask the consortium to decrypt a submission.");
  options.custom_help(
      "--roster R --identity ID --submission-id S --reason TEXT "
      "[--lifetime DURATION] [--json]");
  online::AddServerOptions(options);
  online::AddEditorOptions(options, false);
  options.add_options()("submission-id", "the submission (64 hex digits)",
                        cxxopts::value<std::string>(), "S")(
      "reason", "why, in your words (logged; every member reads it)",
      cxxopts::value<std::string>(),
      "TEXT")("lifetime",
              "how long the request stays open (7d, 12h, 90m; default and "
              "maximum: the roster's policy)",
              cxxopts::value<std::string>(),
              "DURATION")("json", "machine-readable output");
  const std::string footer = std::string(kRequestFooter) + kServerFooter;
  return online::RunCommand(
      "request", options, argc, argv, footer.c_str(),
      [&](const cxxopts::ParseResult& r) {
        StatusOr<CommonArgs> args = online::ReadEditorArgs(r);
        if (!args.ok()) {
          return online::Usage("request", args.status().message());
        }
        if (!r.count("submission-id")) {
          return online::Usage("request", "--submission-id S is required");
        }
        if (!r.count("reason") || r["reason"].as<std::string>().empty()) {
          return online::Usage("request", "--reason TEXT is required");
        }
        std::optional<uint64_t> lifetime;
        if (r.count("lifetime")) {
          StatusOr<uint64_t> d = ParseDuration(r["lifetime"].as<std::string>());
          if (!d.ok()) return online::Usage("request", d.status().message());
          if (*d == 0) {
            return online::Usage("request", "--lifetime must be positive");
          }
          lifetime = *d;
        }
        return RunRequest(*args, r["submission-id"].as<std::string>(),
                          r["reason"].as<std::string>(), lifetime);
      });
}

int RequestsMain(int argc, char** argv) {
  cxxopts::Options options("conclave requests",
                           "List every request with its state and progress.");
  options.custom_help("--roster R --identity ID [--json]");
  online::AddServerOptions(options);
  online::AddEditorOptions(options, false);
  options.add_options()("json", "machine-readable output");
  const std::string footer = std::string(kRequestsFooter) + kServerFooter;
  return online::RunCommand(
      "requests", options, argc, argv, footer.c_str(),
      [&](const cxxopts::ParseResult& r) {
        StatusOr<CommonArgs> args = online::ReadEditorArgs(r);
        if (!args.ok()) {
          return online::Usage("requests", args.status().message());
        }
        return RunRequests(*args);
      });
}

int WithdrawMain(int argc, char** argv) {
  cxxopts::Options options("conclave withdraw", "Withdraw your own request.");
  options.custom_help(
      "--roster R --identity ID --request-id Q [--reason TEXT]");
  online::AddServerOptions(options);
  online::AddEditorOptions(options, false);
  options.add_options()("request-id", "the request (64 hex digits)",
                        cxxopts::value<std::string>(), "Q")(
      "reason", "why (logged)", cxxopts::value<std::string>(), "TEXT")(
      "json", "machine-readable output");
  const std::string footer = std::string(kWithdrawFooter) + kServerFooter;
  return online::RunCommand(
      "withdraw", options, argc, argv, footer.c_str(),
      [&](const cxxopts::ParseResult& r) {
        StatusOr<CommonArgs> args = online::ReadEditorArgs(r);
        if (!args.ok()) {
          return online::Usage("withdraw", args.status().message());
        }
        StatusOr<quorum::RequestId> id = online::RequestIdArg(r);
        if (!id.ok()) return online::Usage("withdraw", id.status().message());
        return RunWithdraw(
            *args, *id,
            r.count("reason") ? r["reason"].as<std::string>() : std::string());
      });
}

int DecryptMain(int argc, char** argv) {
  cxxopts::Options options(
      "conclave decrypt",
      "Combine the released approvals and decrypt the submission.");
  options.custom_help("--roster R --identity ID --request-id Q -o OUT");
  online::AddServerOptions(options);
  online::AddEditorOptions(options, false);
  options.add_options()("request-id", "your request (64 hex digits)",
                        cxxopts::value<std::string>(), "Q")(
      "o,output", "the plaintext file", cxxopts::value<std::string>(), "OUT")(
      "json", "machine-readable output");
  const std::string footer = std::string(kDecryptFooter) + kServerFooter;
  return online::RunCommand(
      "decrypt", options, argc, argv, footer.c_str(),
      [&](const cxxopts::ParseResult& r) {
        StatusOr<CommonArgs> args = online::ReadEditorArgs(r);
        if (!args.ok()) {
          return online::Usage("decrypt", args.status().message());
        }
        StatusOr<quorum::RequestId> id = online::RequestIdArg(r);
        if (!id.ok()) return online::Usage("decrypt", id.status().message());
        if (!r.count("output")) {
          return online::Usage("decrypt", "-o OUT is required");
        }
        return RunDecrypt(*args, *id, r["output"].as<std::string>());
      });
}

}  // namespace conclave::cli
