#include "cli/online_common.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <thread>

#include "base/hardening.h"
#include "keyceremony/roster.h"
#include "quorum/evidence.h"
#include "sealed/passphrase.h"

namespace conclave::cli::online {

// ---- Options ----

void AddServerOptions(cxxopts::Options& options) {
  options.add_options("daemon")(
      "server",
      "the daemon: HOST:PORT, [IPV6]:PORT or unix:PATH (default: "
      "$CONCLAVE_SERVER); without --tls-ca only loopback or unix",
      cxxopts::value<std::string>(),
      "ADDR")("tls-ca", "PEM CA certificate of the daemon's TLS certificate",
              cxxopts::value<std::string>(), "F")(
      "tls-cert", "PEM client certificate (daemons that ask for one)",
      cxxopts::value<std::string>(), "F")("tls-key", "PEM key of --tls-cert",
                                          cxxopts::value<std::string>(), "F")(
      "state",
      "client state directory: the latest verified checkpoint and any fork "
      "evidence (default: $XDG_CONFIG_HOME/conclave/state or "
      "~/.config/conclave/state)",
      cxxopts::value<std::string>(), "DIR")(
      "timeout", "seconds allowed for each call to the daemon (default 60)",
      cxxopts::value<unsigned>(), "S");
}

void AddEditorOptions(cxxopts::Options& options, bool share) {
  options.add_options("editor")("roster",
                                "the consortium roster (verified before use)",
                                cxxopts::value<std::string>(), "R")(
      "identity", "your sealed editor identity (identity.age)",
      cxxopts::value<std::string>(),
      "ID")("passphrase-file",
            "first line: the passphrase of --identity (and of --share unless "
            "--share-passphrase-file); default: a prompt",
            cxxopts::value<std::string>(), "F");
  if (share) {
    options.add_options("editor")("share", "your sealed share (share.age)",
                                  cxxopts::value<std::string>(), "SHARE")(
        "share-passphrase-file",
        "first line: the passphrase of --share, if it differs from "
        "the identity's",
        cxxopts::value<std::string>(), "F");
  }
}

namespace {

std::optional<std::string> Opt(const cxxopts::ParseResult& r,
                               const std::string& name) {
  try {
    if (r.count(name)) return r[name].as<std::string>();
  } catch (const cxxopts::exceptions::exception&) {
    // Not an option of this command.
  }
  return std::nullopt;
}

}  // namespace

Status ReadCommonArgs(const cxxopts::ParseResult& r, CommonArgs* out,
                      bool needs_server) {
  if (auto s = Opt(r, "server")) {
    out->server.address = *s;
  } else if (const char* env = std::getenv("CONCLAVE_SERVER");
             env != nullptr && env[0] != '\0') {
    out->server.address = env;
  }
  out->server.tls_ca = Opt(r, "tls-ca");
  out->server.tls_cert = Opt(r, "tls-cert");
  out->server.tls_key = Opt(r, "tls-key");
  try {
    if (r.count("timeout")) {
      const unsigned t = r["timeout"].as<unsigned>();
      if (t == 0) return InvalidArgumentError("--timeout must be at least 1");
      out->server.call_timeout = std::chrono::seconds(t);
    }
  } catch (const cxxopts::exceptions::exception&) {
  }
  out->state = Opt(r, "state");
  out->roster = Opt(r, "roster");
  out->identity = Opt(r, "identity");
  out->passphrase_file = Opt(r, "passphrase-file");
  out->share = Opt(r, "share");
  out->share_passphrase_file = Opt(r, "share-passphrase-file");
  try {
    out->json = r.count("json") > 0;
  } catch (const cxxopts::exceptions::exception&) {
  }
  if (needs_server) return CheckServerAddress(out->server);
  return OkStatus();
}

Status CheckEditorArgs(const CommonArgs& args, bool need_share) {
  if (!args.roster) return InvalidArgumentError("--roster R is required");
  if (!args.identity) return InvalidArgumentError("--identity ID is required");
  if (need_share && !args.share) {
    return InvalidArgumentError("--share SHARE is required");
  }
  return OkStatus();
}

StatusOr<CommonArgs> ReadEditorArgs(const cxxopts::ParseResult& r,
                                    bool need_share, bool needs_server) {
  HardenProcess();
  CommonArgs args;
  CONCLAVE_RETURN_IF_ERROR(ReadCommonArgs(r, &args, needs_server));
  CONCLAVE_RETURN_IF_ERROR(CheckEditorArgs(args, need_share));
  return args;
}

StatusOr<quorum::RequestId> RequestIdArg(const cxxopts::ParseResult& r) {
  if (!r.count("request-id")) {
    return InvalidArgumentError("--request-id Q is required");
  }
  return quorum::ParseRequestId(r["request-id"].as<std::string>());
}

namespace {

// A share of an older epoch and another key than e->roster (a rekey
// replaced its key): picks the share's roster from the daemon's verified
// chain if it is the last roster of the share's key (docs/protocol.md
// "Rekey"), else says why not. Nothing is signed before this returns.
Status FollowRekey(const CommonArgs& args, const v1::EditorShare& s,
                   Editor* e) {
  const std::string share = "share " + *args.share;
  const std::string given_epoch = std::to_string(e->roster.body.epoch());
  const std::string epoch = std::to_string(s.epoch());
  StatusOr<quorum::IndexedRosterChain> chain =
      FetchVerifiedChain(args.server, e->roster);
  if (!chain.ok()) {
    // A transport error keeps its prefix (its exit code depends on it).
    if (IsUnreachable(chain.status())) return chain.status();
    return chain.status().Annotate(
        share + " is for another consortium key than the roster " +
        *args.roster + "; looking for the roster of its epoch " + epoch);
  }
  const keyceremony::VerifiedRoster* at = chain->Epoch(s.epoch());
  if (at == nullptr) {
    return FailedPreconditionError(
        share + " is from roster epoch " + epoch +
        ", which the daemon's verified roster chain (epochs " +
        std::to_string(chain->roster(0).body.epoch()) + " to " +
        std::to_string(chain->latest().body.epoch()) +
        ") does not hold: it is not a share of this consortium");
  }
  if (at->body.consortium_key() != s.consortium_key()) {
    return FailedPreconditionError(
        share + " is from roster epoch " + epoch +
        " but for another consortium key than that epoch's roster in the "
        "daemon's verified chain: it is not a share of this consortium");
  }
  const keyceremony::VerifiedRoster* last = chain->KeyFinal(s.epoch());
  if (last == nullptr || last->body.epoch() != s.epoch()) {
    const std::string last_epoch =
        last == nullptr ? "?" : std::to_string(last->body.epoch());
    return FailedPreconditionError(
        share + " is from roster epoch " + epoch +
        ", but that consortium key's shares were replaced at epoch " +
        last_epoch + ", its last roster before the rekey: you need your " +
        "share from the epoch " + last_epoch +
        " ceremony (and the old share must be destroyed)");
  }
  // The roster that replaced the share's key: the one after `last`.
  std::string rekeyed_at = "a later epoch";
  for (size_t i = 0; i + 1 < chain->size(); ++i) {
    if (chain->roster(i).body.epoch() == s.epoch()) {
      rekeyed_at = "epoch " + std::to_string(chain->roster(i + 1).body.epoch());
    }
  }
  StatusOr<Editor> under = EditorUnder(*e, *at);
  if (!under.ok()) {
    return under.status().Annotate("identity " + *args.identity +
                                   " under the roster of epoch " + epoch);
  }
  under->identity = std::move(e->identity);
  under->roster_note = "using the roster of epoch " + epoch +
                       " (the last roster of the key " + share +
                       " belongs to; the consortium rekeyed at " + rekeyed_at +
                       "), not the roster of epoch " + given_epoch + " given";
  *e = std::move(under).value();
  return OkStatus();
}

}  // namespace

StatusOr<quorum::IndexedRosterChain> FetchVerifiedChain(
    const ServerOptions& server, const keyceremony::VerifiedRoster& held) {
  CONCLAVE_ASSIGN_OR_RETURN(std::unique_ptr<DaemonClient> client,
                            DaemonClient::ConnectAnonymous(server));
  CONCLAVE_ASSIGN_OR_RETURN(v1::RosterChain served, client->GetRosters());
  const std::vector<std::string> rosters(served.rosters().begin(),
                                         served.rosters().end());
  const std::vector<uint64_t> indices(served.leaf_indices().begin(),
                                      served.leaf_indices().end());
  StatusOr<quorum::IndexedRosterChain> chain =
      quorum::IndexedRosterChain::VerifyHolding(rosters, indices, held);
  if (!chain.ok()) return chain.status().Annotate("the daemon's roster chain");
  return chain;
}

StatusOr<Editor> LoadEditor(const CommonArgs& args, bool need_share,
                            bool follow_rekey) {
  CONCLAVE_RETURN_IF_ERROR(CheckEditorArgs(args, need_share));
  Editor e;
  {
    StatusOr<keyceremony::VerifiedRoster> roster =
        keyceremony::ReadRosterFile(*args.roster);
    if (!roster.ok()) {
      return roster.status().Annotate("roster " + *args.roster);
    }
    e.roster = std::move(roster).value();
  }
  CONCLAVE_ASSIGN_OR_RETURN(
      SecretBytes pass,
      GetPassphrase(args.passphrase_file,
                    "Passphrase for " + *args.identity + ": ", false));
  {
    StatusOr<OpenedSecret> id = ReadSealedFile(*args.identity, pass);
    if (!id.ok()) return id.status().Annotate("identity " + *args.identity);
    if (!id->message().has_editor_identity()) {
      return InvalidArgumentError(*args.identity +
                                  " is not an editor identity (identity.age)");
    }
    StatusOr<quorum::EditorKeys> keys = quorum::EditorKeys::FromIdentity(
        id->message().editor_identity(), e.roster);
    if (!keys.ok()) return keys.status().Annotate("identity " + *args.identity);
    e.keys = std::make_unique<quorum::EditorKeys>(std::move(keys).value());
    e.identity.emplace(std::move(id).value());
  }
  if (!args.share) return e;

  // The share's passphrase: its own file, else the identity's, else (at a
  // terminal) a prompt.
  StatusOr<OpenedSecret> share = Status(StatusCode::kInternal, "unset");
  if (args.share_passphrase_file) {
    CONCLAVE_ASSIGN_OR_RETURN(SecretBytes sp,
                              ReadPassphraseFile(*args.share_passphrase_file));
    share = ReadSealedFile(*args.share, sp);
  } else {
    share = ReadSealedFile(*args.share, pass);
    if (!share.ok() && share.status().code() == StatusCode::kUnauthenticated) {
      if (args.passphrase_file) {
        return UnauthenticatedError(
            "share " + *args.share +
            ": the identity's passphrase does not open it; give its own "
            "with --share-passphrase-file");
      }
      CONCLAVE_ASSIGN_OR_RETURN(
          SecretBytes sp,
          PromptPassphrase("Passphrase for " + *args.share + ": ", false));
      share = ReadSealedFile(*args.share, sp);
    }
  }
  if (!share.ok()) return share.status().Annotate("share " + *args.share);
  if (!share->message().has_editor_share()) {
    return InvalidArgumentError(*args.share + " is not an editor share");
  }
  const v1::EditorShare& s = share->message().editor_share();
  // After a rekey, online: the share's own key's last roster, from the
  // daemon's verified chain (read only; nothing is signed before the checks
  // below pass under that roster).
  if (follow_rekey && s.epoch() < e.roster.body.epoch() &&
      s.consortium_key() != e.roster.body.consortium_key()) {
    CONCLAVE_RETURN_IF_ERROR(FollowRekey(args, s, &e));
  }
  // Issue 9: after a membership change the old share is useless (and must
  // be destroyed); say so before anything else is done with it.
  if (s.epoch() != e.roster.body.epoch()) {
    // A share of another key than the roster's: a rekey replaced it. Its
    // submissions are opened under that key's last roster, which the
    // editor must name (docs/operations.md "Rekeying", step 4).
    if (s.epoch() < e.roster.body.epoch() &&
        s.consortium_key() != e.roster.body.consortium_key()) {
      return FailedPreconditionError(
          "share " + *args.share + " is from roster epoch " +
          std::to_string(s.epoch()) + " and for another consortium key than " +
          "the roster " + *args.roster + " (epoch " +
          std::to_string(e.roster.body.epoch()) +
          "): a rekey replaced that key. For a request for a submission " +
          "made before the rekey, run this again with --roster naming the " +
          "old key's last roster (the roster of epoch " +
          std::to_string(s.epoch()) +
          " if this is your last share of that key; the ceremony keeps it " +
          "in chain/) and this share; for anything else use your share of " +
          "epoch " + std::to_string(e.roster.body.epoch()));
    }
    // A roster older than the share: the editor has not switched yet.
    if (s.epoch() > e.roster.body.epoch()) {
      return FailedPreconditionError(
          "share " + *args.share + " is from roster epoch " +
          std::to_string(s.epoch()) + " but the roster " + *args.roster +
          " is epoch " + std::to_string(e.roster.body.epoch()) +
          ": give --roster of epoch " + std::to_string(s.epoch()) +
          " (`conclave roster show --save-latest FILE` fetches it)");
    }
    return FailedPreconditionError(
        "share " + *args.share + " is from roster epoch " +
        std::to_string(s.epoch()) + " but the consortium's roster (" +
        *args.roster + ") is at epoch " +
        std::to_string(e.roster.body.epoch()) +
        ": you need your new share from the epoch " +
        std::to_string(e.roster.body.epoch()) +
        " ceremony (and the old share must be destroyed)");
  }
  CONCLAVE_RETURN_IF_ERROR(keyceremony::CheckEditorShare(s, e.roster)
                               .Annotate("share " + *args.share));
  if (s.org_id() != e.keys->org_id() ||
      s.editor_index() != e.keys->editor_index()) {
    return FailedPreconditionError(
        "the share " + *args.share + " belongs to " +
        quorum::EditorLabel(e.roster.body, s.org_id(), s.editor_index()) +
        ", the identity to " +
        quorum::EditorLabel(e.roster.body, e.keys->org_id(),
                            e.keys->editor_index()));
  }
  e.share.emplace(std::move(share).value());
  return e;
}

StatusOr<Editor> EditorUnder(const Editor& editor,
                             const keyceremony::VerifiedRoster& roster) {
  if (!editor.identity.has_value()) {
    return InternalError("the editor's identity was not kept");
  }
  Editor e;
  e.roster = roster;
  CONCLAVE_ASSIGN_OR_RETURN(
      quorum::EditorKeys keys,
      quorum::EditorKeys::FromIdentity(
          editor.identity->message().editor_identity(), e.roster));
  e.keys = std::make_unique<quorum::EditorKeys>(std::move(keys));
  return e;
}

bool NamesOtherRoster(const v1::SignedStatement& request,
                      const keyceremony::VerifiedRoster& roster) {
  v1::RequestBody body;
  if (!body.ParseFromString(request.signed_())) return false;
  return !quorum::SameBytes(body.roster_fingerprint(), roster.fingerprint);
}

StatusOr<std::optional<Editor>> EditorForRequest(DaemonClient& client,
                                                 const Editor& editor,
                                                 const quorum::RequestId& id) {
  CONCLAVE_ASSIGN_OR_RETURN(v1::RequestInfo info, client.GetRequest(id));
  if (!NamesOtherRoster(info.request(), editor.roster)) {
    return std::optional<Editor>();
  }
  v1::RequestBody body;
  if (!body.ParseFromString(info.request().signed_()) ||
      body.roster_fingerprint().size() != kSha256Size) {
    return std::optional<Editor>();
  }
  Sha256Digest fp;
  std::copy(body.roster_fingerprint().begin(), body.roster_fingerprint().end(),
            fp.begin());
  CONCLAVE_ASSIGN_OR_RETURN(quorum::IndexedRosterChain chain,
                            client.GetVerifiedChain());
  const std::optional<size_t> i = chain.Find(fp);
  if (!i) return std::optional<Editor>();
  const keyceremony::VerifiedRoster& named = chain.roster(*i);
  const keyceremony::VerifiedRoster* last = chain.KeyFinal(named.body.epoch());
  // Only a retired key's last roster (docs/protocol.md "Rekey"): requests
  // of any other roster stay refused under the one given.
  if (named.body.epoch() >= editor.roster.body.epoch() ||
      named.body.consortium_key() == editor.roster.body.consortium_key() ||
      last == nullptr || last->body.epoch() != named.body.epoch() ||
      *i + 1 >= chain.size()) {
    return std::optional<Editor>();
  }
  CONCLAVE_ASSIGN_OR_RETURN(Editor under, EditorUnder(editor, named));
  const std::string epoch = std::to_string(named.body.epoch());
  under.roster_note = "using the roster of epoch " + epoch + " (request " +
                      quorum::RequestIdHex(id) +
                      " is for the consortium key of epoch " + epoch +
                      ", its last roster; the consortium rekeyed at epoch " +
                      std::to_string(chain.roster(*i + 1).body.epoch()) +
                      "), not the roster of epoch " +
                      std::to_string(editor.roster.body.epoch()) + " given";
  return std::optional<Editor>(std::move(under));
}

StatusOr<std::unique_ptr<DaemonClient>> ConnectEditor(const CommonArgs& args,
                                                      const Editor& editor) {
  CONCLAVE_ASSIGN_OR_RETURN(std::filesystem::path state,
                            StateDirectory(args.state));
  return DaemonClient::Connect(args.server, editor.roster, *editor.keys, state);
}

// ---- Running a command ----

int RunCommand(const std::string& name, cxxopts::Options& options, int argc,
               char** argv, const char* footer,
               const std::function<int(const cxxopts::ParseResult&)>& body) {
  options.add_options()("h,help", "this help");
  try {
    const cxxopts::ParseResult r = options.parse(argc, argv);
    if (r.count("help")) {
      std::printf("%s%s\n%s", options.help({"", "editor", "daemon"}).c_str(),
                  footer, OnlineExitCodeHelp());
      return kExitOk;
    }
    if (!r.unmatched().empty()) {
      return Usage(name, "unexpected argument '" + r.unmatched().front() +
                             "' (see conclave " + name + " --help)");
    }
    return body(r);
  } catch (const cxxopts::exceptions::exception& e) {
    return Usage(name,
                 std::string(e.what()) + " (see conclave " + name + " --help)");
  }
}

int Fail(const std::string& name, const Status& s) {
  std::fprintf(stderr, "conclave %s: %s\n", name.c_str(),
               UserMessage(s).c_str());
  return OnlineExitCodeFor(s);
}

int Usage(const std::string& name, const std::string& message) {
  std::fprintf(stderr, "conclave %s: %s\n", name.c_str(), message.c_str());
  return kExitUsage;
}

void Note(const std::string& name, const std::string& message) {
  std::fprintf(stderr, "conclave %s: %s\n", name.c_str(), message.c_str());
}

// ---- Printing ----

uint64_t NowUnix() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
}

std::string FormatTime(uint64_t unix_seconds) {
  const time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm;
  if (gmtime_r(&t, &tm) == nullptr) return std::to_string(unix_seconds);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string FormatDuration(uint64_t s) {
  if (s >= 86400) {
    return std::to_string(s / 86400) + "d " + std::to_string(s % 86400 / 3600) +
           "h";
  }
  if (s >= 3600) {
    return std::to_string(s / 3600) + "h " + std::to_string(s % 3600 / 60) +
           "m";
  }
  if (s >= 60) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

std::string OrgLabel(const v1::RosterBody& body, uint32_t org_id) {
  const v1::RosterOrganisation* o = keyceremony::FindOrganisation(body, org_id);
  if (o == nullptr || o->name().empty()) return std::to_string(org_id);
  return std::to_string(org_id) + " (" + o->name() + ")";
}

std::string OrgList(const v1::RosterBody& body, std::span<const uint32_t> ids) {
  if (ids.empty()) return "none";
  std::string out;
  for (uint32_t id : ids) {
    if (!out.empty()) out += ", ";
    out += OrgLabel(body, id);
  }
  return out;
}

std::string StateName(v1::RequestState state) {
  switch (state) {
    case v1::REQUEST_STATE_OPEN:
      return "open";
    case v1::REQUEST_STATE_RELEASED:
      return "released";
    case v1::REQUEST_STATE_EXPIRED:
      return "expired";
    case v1::REQUEST_STATE_WITHDRAWN:
      return "withdrawn";
    default:
      return "unknown";
  }
}

void PrintJson(const json& j) {
  std::printf("%s\n", j.dump(2).c_str());
  std::fflush(stdout);
}

StatusOr<bool> Confirm(const std::string& question) {
  const int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    return FailedPreconditionError(
        "no terminal to ask \"" + question +
        "\" on: read the request above and pass --yes to confirm");
  }
  const std::string prompt = question + " [y/N] ";
  (void)!write(fd, prompt.data(), prompt.size());
  std::string line;
  char c;
  while (read(fd, &c, 1) == 1 && c != '\n') {
    if (line.size() < 64) line.push_back(c);
  }
  close(fd);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
    line.pop_back();
  }
  return line == "y" || line == "Y" || line == "yes" || line == "YES" ||
         line == "Yes";
}

// ---- Requests and votes ----

namespace {

void CountVote(const keyceremony::VerifiedRoster& roster,
               const quorum::VerifiedRequest& request,
               const v1::SignedStatement& statement,
               const quorum::EditorKeys& me, quorum::QuorumTally* tally,
               VoteTally* out) {
  StatusOr<v1::VoteBody> vote = quorum::VerifyVote(roster, statement);
  if (!vote.ok() || !quorum::SameBytes(vote->request_id(), request.id)) return;
  if (vote->org_id() == me.org_id() &&
      vote->editor_index() == me.editor_index()) {
    out->mine = vote->decision();
  }
  (void)tally->Add(*vote);  // excluded, conflicting and repeated: not counted
}

}  // namespace

VoteTally TallyVotes(const keyceremony::VerifiedRoster& roster,
                     const quorum::VerifiedRequest& request,
                     std::span<const v1::SignedStatement> votes,
                     const quorum::EditorKeys& me) {
  VoteTally out;
  quorum::QuorumTally tally(roster, request);
  for (const v1::SignedStatement& v : votes) {
    CountVote(roster, request, v, me, &tally, &out);
  }
  out.progress = tally.progress();
  return out;
}

VoteTally TallyEvidence(const keyceremony::VerifiedRoster& roster,
                        const quorum::VerifiedRequest& request,
                        const quorum::VerifiedLogView& view,
                        const quorum::EditorKeys& me) {
  VoteTally out;
  quorum::QuorumTally tally(roster, request);
  const std::string qid = quorum::RequestIdHex(request.id);
  for (uint64_t i = view.first_index() + 1; i < view.size(); ++i) {
    StatusOr<v1::LogLeaf> leaf = quorum::ParseLogLeaf(view.leaf(i));
    if (!leaf.ok()) continue;
    switch (leaf->entry_case()) {
      case v1::LogLeaf::kVote:
        CountVote(roster, request, leaf->vote(), me, &tally, &out);
        break;
      case v1::LogLeaf::kWithdrawal: {
        StatusOr<v1::WithdrawalBody> w =
            quorum::VerifyWithdrawal(roster, leaf->withdrawal());
        if (w.ok() && quorum::SameBytes(w->request_id(), request.id) &&
            w->org_id() == request.body.org_id() &&
            w->editor_index() == request.body.editor_index()) {
          out.closed = "request " + qid + " was withdrawn by its requester" +
                       (w->reason().empty() ? "" : ": " + w->reason());
        }
        break;
      }
      case v1::LogLeaf::kExpiry:
        if (quorum::SameBytes(leaf->expiry().request_id(), request.id)) {
          out.closed = "request " + qid + " expired";
        }
        break;
      case v1::LogLeaf::kRoster: {
        v1::Roster next;
        v1::RosterBody body;
        // Only the next epoch closes it (docs/protocol.md "Rekey"): later
        // ones follow an old-key request only after a REKEY.
        if (next.ParseFromString(leaf->roster().roster()) &&
            body.ParseFromString(next.signed_()) &&
            body.epoch() != request.body.epoch() &&
            body.epoch() <= request.body.epoch() + 1) {
          out.closed = "the consortium moved to roster epoch " +
                       std::to_string(body.epoch()) + " after request " + qid;
        }
        break;
      }
      default:
        break;
    }
  }
  out.progress = tally.progress();
  return out;
}

StatusOr<FetchedRequest> FetchRequest(DaemonClient& client,
                                      const keyceremony::VerifiedRoster& roster,
                                      const quorum::RequestId& id) {
  FetchedRequest out;
  CONCLAVE_ASSIGN_OR_RETURN(out.info, client.GetRequest(id));
  StatusOr<quorum::VerifiedRequest> v =
      quorum::VerifyRequest(roster, out.info.request());
  if (!v.ok() && NamesOtherRoster(out.info.request(), roster)) {
    // Say which roster it names (the claim is unverified: it only explains
    // the refusal).
    v1::RequestBody body;
    (void)body.ParseFromString(out.info.request().signed_());
    return FailedPreconditionError(
        "request " + quorum::RequestIdHex(id) +
        " was made under another roster (it names epoch " +
        std::to_string(body.epoch()) + ") than the one in use (epoch " +
        std::to_string(roster.body.epoch()) +
        "): it cannot be verified, voted on or released under it (" +
        UserMessage(v.status()) + ")");
  }
  if (!v.ok()) {
    return v.status().Annotate("request " + quorum::RequestIdHex(id) +
                               " as the daemon holds it");
  }
  out.request = std::move(v).value();
  return out;
}

std::string DescribeRequest(const keyceremony::VerifiedRoster& roster,
                            const FetchedRequest& r,
                            const quorum::QuorumProgress* progress) {
  const v1::RosterBody& body = roster.body;
  const quorum::VerifiedRequest& q = r.request;
  const uint64_t now = NowUnix();
  std::string expiry = FormatTime(q.body.expires_unix());
  if (q.body.expires_unix() > now) {
    expiry += " (in " + FormatDuration(q.body.expires_unix() - now) + ")";
  } else {
    expiry += " (passed)";
  }
  std::string s;
  s += "Request     " + quorum::RequestIdHex(q.id) + "\n";
  s += "  requester   " +
       quorum::EditorLabel(body, q.body.org_id(), q.body.editor_index()) + "\n";
  s += "  reason      " + q.body.reason() + "\n";
  s += "  submission  " + q.submission.id + "\n";
  s += "  excluded    " + OrgList(body, q.submission.excluded_orgs) + "\n";
  s += "  created     " + FormatTime(q.body.created_unix()) + "\n";
  s += "  expires     " + expiry + "\n";
  s += "  state       " + StateName(r.info.state()) + " (leaf " +
       std::to_string(r.info.leaf_index()) + ")\n";
  if (progress != nullptr) {
    s += "  progress    " + progress->Describe(body) + "\n";
  }
  return s;
}

json RequestJson(const keyceremony::VerifiedRoster& roster,
                 const quorum::VerifiedRequest& q) {
  json j;
  j["request_id"] = quorum::RequestIdHex(q.id);
  j["requester"] = {{"org_id", q.body.org_id()},
                    {"editor_index", q.body.editor_index()},
                    {"label", quorum::EditorLabel(roster.body, q.body.org_id(),
                                                  q.body.editor_index())}};
  j["reason"] = q.body.reason();
  j["submission_id"] = q.submission.id;
  j["excluded_orgs"] = q.submission.excluded_orgs;
  j["created_unix"] = q.body.created_unix();
  j["expires_unix"] = q.body.expires_unix();
  j["epoch"] = q.body.epoch();
  return j;
}

bool IsMyApproval(const keyceremony::VerifiedRoster& roster,
                  const v1::Approval& approval, const quorum::RequestId& id,
                  const quorum::EditorKeys& me) {
  StatusOr<v1::ApprovalBody> body =
      quorum::VerifyApprovalStatement(roster, approval);
  return body.ok() && quorum::SameBytes(body->request_id(), id) &&
         body->org_id() == me.org_id() &&
         body->editor_index() == me.editor_index();
}

// ---- Waiting for a quorum ----

StatusOr<QuorumSeen> SeeQuorum(DaemonClient& client,
                               const keyceremony::VerifiedRoster& roster,
                               const quorum::VerifiedRequest& request,
                               const quorum::EditorKeys& me,
                               const QuorumWait& how) {
  const auto start = std::chrono::steady_clock::now();
  // Even without --wait, the latest votes may need a moment to settle.
  const std::chrono::seconds settle_grace(30);
  std::chrono::milliseconds delay(500);
  std::string last_progress;
  bool first = true;
  for (;;) {
    if (!first) CONCLAVE_RETURN_IF_ERROR(client.Contact().status());
    first = false;
    QuorumSeen seen;
    bool settling_only = false;
    StatusOr<VerifiedEvidence> ev = client.GetVerifiedEvidence(request.id);
    if (ev.ok()) {
      seen.tally = TallyEvidence(roster, request, ev->view, me);
      if (seen.tally.closed) {
        return FailedPreconditionError(*seen.tally.closed);
      }
      const bool complete = seen.tally.progress.complete();
      const bool mine = seen.tally.mine.has_value() &&
                        *seen.tally.mine == v1::DECISION_APPROVE;
      if (complete && (mine || !how.need_my_vote)) {
        seen.ready = true;
        seen.evidence = std::move(ev).value();
        return seen;
      }
      if (!complete) {
        seen.why_not = "no quorum yet in the settled log: " +
                       seen.tally.progress.Describe(roster.body);
      } else {
        seen.why_not =
            "the quorum is complete, but your vote is not in a settled "
            "checkpoint yet";
        settling_only = true;
      }
    } else if (ev.status().code() == StatusCode::kFailedPrecondition &&
               ev.status().message().find("settled") != std::string::npos) {
      // No settled checkpoint covers the request yet (the daemon's words,
      // or the evidence's checkpoint is not settled): wait for witnesses.
      seen.why_not = UserMessage(ev.status());
      settling_only = true;
    } else {
      return ev.status();
    }
    const auto elapsed = std::chrono::steady_clock::now() - start;
    const bool keep_waiting =
        (how.wait && (how.timeout.count() == 0 || elapsed < how.timeout)) ||
        (settling_only && elapsed < settle_grace);
    if (!keep_waiting) return seen;
    if (how.on_progress && seen.why_not != last_progress) {
      how.on_progress(seen.why_not);
      last_progress = seen.why_not;
    }
    std::this_thread::sleep_for(delay);
    delay = std::min<std::chrono::milliseconds>(delay * 2,
                                                std::chrono::seconds(10));
  }
}

}  // namespace conclave::cli::online
