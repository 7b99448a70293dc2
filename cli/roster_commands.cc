#include "cli/roster_commands.h"

#include <cstdio>
#include <string>
#include <vector>

#include "base/file_util.h"
#include "cli/online_common.h"
#include "keyceremony/reshare.h"

namespace conclave::cli {
namespace {

using online::CommonArgs;

std::string Str(uint64_t v) { return std::to_string(v); }

constexpr char kPushFooter[] = R"(
Sends the next roster epoch (brief §9) to the daemon. The daemon accepts it
only as the successor of its current roster: epoch + 1, the previous
roster's fingerprint, signed by every editor of the new roster and by the
dealers (the agreed old quorum) with their previous keys, the same
consortium key. In one logged step it appends the roster to its chain,
writes a `roster` leaf and expires every open request; from then on it
accepts only the new roster's editors and epoch (old-epoch shares are
refused). This command checks the successor here first, against --roster
(the roster in force now, which also signs the call).

A roster that would strand stored submissions (their excluded
organisations leave fewer than t' organisations of the new roster) is
refused, listing them, unless --force.

Configure the new organisations' witnesses on the daemon first
(conclaved --witness ID=URL, then restart): a checkpoint past the roster
leaf settles only with the new roster's witnesses.

Example:
  conclave --server 127.0.0.1:7443 roster push epoch2.roster \
      --roster consortium.roster --identity identity.age
)";

constexpr char kShowFooter[] = R"(
Fetches the daemon's roster chain and verifies it (epoch 1 self-signed by
its editors, each later epoch the successor of the one before). With
--roster R, R must be in the chain (e.g. the roster you checked at the
ceremony). --save-latest FILE writes the latest epoch's roster.

Example:
  conclave --server 127.0.0.1:7443 roster show --roster consortium.roster
)";

const char* KindName(v1::MembershipChangeKind k) {
  switch (k) {
    case v1::MEMBERSHIP_CHANGE_RESHARE:
      return "reshare";
    case v1::MEMBERSHIP_CHANGE_REFRESH:
      return "refresh";
    case v1::MEMBERSHIP_CHANGE_REKEY:
      return "rekey";
    default:
      return "unspecified";
  }
}

std::string OrgIds(const v1::RosterBody& body) {
  std::string s;
  for (const v1::RosterOrganisation& o : body.organisations()) {
    s += (s.empty() ? "" : ",") + Str(o.id());
  }
  return s;
}

int RunPush(const CommonArgs& args, const std::string& path, bool force) {
  const std::string name = "roster push";
  StatusOr<Bytes> bytes = ReadFileBytes(path, keyceremony::kMaxRosterSize);
  if (!bytes.ok()) return online::Fail(name, bytes.status().Annotate(path));
  v1::Roster next;
  if (!next.ParseFromArray(bytes->data(), static_cast<int>(bytes->size()))) {
    return online::Fail(name, InvalidArgumentError(path + " is not a roster"));
  }
  StatusOr<online::Editor> editor = online::LoadEditor(args, false);
  if (!editor.ok()) return online::Fail(name, editor.status());
  StatusOr<keyceremony::VerifiedRoster> verified =
      keyceremony::VerifyRosterSuccessor(editor->roster, next);
  if (!verified.ok()) {
    return online::Fail(
        name, verified.status().Annotate(
                  path + " is not the successor of " + *args.roster +
                  " (epoch " + Str(editor->roster.body.epoch()) + ")"));
  }
  StatusOr<std::unique_ptr<DaemonClient>> client =
      online::ConnectEditor(args, *editor);
  if (!client.ok()) return online::Fail(name, client.status());
  v1::RosterPush push;
  push.set_roster(AsString(*bytes));
  push.set_force(force);
  StatusOr<v1::RosterPushReply> reply = (*client)->PushRoster(push);
  if (!reply.ok()) return online::Fail(name, reply.status());
  if (args.json) {
    online::json j;
    j["epoch"] = reply->epoch();
    j["fingerprint"] = HexEncode(verified->fingerprint);
    j["leaf_index"] = reply->leaf_index();
    j["expired_requests"] = reply->expired_requests();
    j["stranded_submissions"] =
        std::vector<std::string>(reply->stranded_submissions().begin(),
                                 reply->stranded_submissions().end());
    online::PrintJson(j);
    return 0;
  }
  std::printf(
      "roster epoch %llu in force (fingerprint %s), logged at leaf "
      "%llu\n",
      static_cast<unsigned long long>(reply->epoch()),
      HexEncode(verified->fingerprint).c_str(),
      static_cast<unsigned long long>(reply->leaf_index()));
  std::printf("%llu open request(s) expired\n",
              static_cast<unsigned long long>(reply->expired_requests()));
  if (reply->stranded_submissions_size() > 0) {
    std::printf("FORCED: %d submission(s) can no longer be opened\n",
                reply->stranded_submissions_size());
  }
  std::printf("%s\n", reply->status().c_str());
  return 0;
}

int RunShow(const CommonArgs& args, const std::optional<std::string>& save) {
  const std::string name = "roster show";
  StatusOr<std::unique_ptr<DaemonClient>> client =
      DaemonClient::ConnectAnonymous(args.server);
  if (!client.ok()) return online::Fail(name, client.status());
  StatusOr<v1::RosterChain> chain = (*client)->GetRosters();
  if (!chain.ok()) return online::Fail(name, chain.status());
  std::vector<v1::Roster> rosters;
  for (const std::string& b : chain->rosters()) {
    v1::Roster r;
    if (!r.ParseFromString(b)) {
      return online::Fail(
          name, InvalidArgumentError("the daemon's chain holds a roster that "
                                     "does not parse"));
    }
    rosters.push_back(std::move(r));
  }
  StatusOr<std::vector<keyceremony::VerifiedRoster>> verified =
      keyceremony::VerifyRosterChain(rosters);
  if (!verified.ok()) {
    return online::Fail(
        name, verified.status().Annotate("the daemon's roster chain"));
  }
  if (args.roster) {
    StatusOr<keyceremony::VerifiedRoster> mine =
        keyceremony::ReadRosterFile(*args.roster);
    if (!mine.ok())
      return online::Fail(name, mine.status().Annotate(*args.roster));
    bool found = false;
    for (const auto& v : *verified)
      found = found || v.fingerprint == mine->fingerprint;
    if (!found) {
      return online::Fail(
          name, FailedPreconditionError(
                    *args.roster + " (epoch " + Str(mine->body.epoch()) +
                    ") is not in the daemon's roster chain: this is not "
                    "your consortium's daemon, or its history was changed"));
    }
  }
  if (save) {
    Status s =
        WriteFileAtomically(*save, AsBytes(chain->rosters().rbegin()[0]));
    if (!s.ok()) return online::Fail(name, s.Annotate(*save));
  }
  if (args.json) {
    online::json arr = online::json::array();
    for (const auto& v : *verified) {
      online::json j;
      j["epoch"] = v.body.epoch();
      j["fingerprint"] = HexEncode(v.fingerprint);
      j["change"] =
          v.body.has_change() ? KindName(v.body.change().kind()) : "initial";
      j["threshold"] = v.body.threshold();
      j["organisations"] = OrgIds(v.body);
      arr.push_back(j);
    }
    online::PrintJson(arr);
    return 0;
  }
  for (const auto& v : *verified) {
    std::string change = "initial ceremony";
    if (v.body.has_change()) {
      change = KindName(v.body.change().kind());
      if (v.body.change().dealers_size() > 0) {
        std::string dealers;
        for (const v1::ReshareDealer& d : v.body.change().dealers()) {
          dealers += (dealers.empty() ? "" : ",") + Str(d.org_id()) + "/" +
                     Str(d.editor_index());
        }
        change += " by dealers " + dealers;
      }
    }
    std::printf("epoch %llu  %s  t=%u of %d organisations [%s]  %s\n",
                static_cast<unsigned long long>(v.body.epoch()),
                HexEncode(v.fingerprint).c_str(), v.body.threshold(),
                v.body.organisations_size(), OrgIds(v.body).c_str(),
                change.c_str());
  }
  return 0;
}

}  // namespace

int RosterPushMain(int argc, char** argv) {
  cxxopts::Options options("conclave roster push",
                           "Push the next roster epoch to the daemon.");
  options.custom_help("ROSTER --roster CURRENT --identity ID [--force]");
  online::AddServerOptions(options);
  online::AddEditorOptions(options, false);
  options.add_options()("force",
                        "accept stranding stored submissions (see below)")(
      "json", "machine-readable output")(
      "new-roster", "the new roster", cxxopts::value<std::string>(), "ROSTER");
  options.parse_positional({"new-roster"});
  return online::RunCommand(
      "roster push", options, argc, argv, kPushFooter,
      [&](const cxxopts::ParseResult& r) {
        StatusOr<CommonArgs> args = online::ReadEditorArgs(r);
        if (!args.ok()) {
          return online::Usage("roster push", args.status().message());
        }
        if (!r.count("new-roster")) {
          return online::Usage("roster push",
                               "the new ROSTER file is required");
        }
        return RunPush(*args, r["new-roster"].as<std::string>(),
                       r.count("force") > 0);
      });
}

int RosterShowMain(int argc, char** argv) {
  cxxopts::Options options("conclave roster show",
                           "Show and verify the daemon's roster chain.");
  options.custom_help("[--roster R] [--save-latest FILE] [--json]");
  online::AddServerOptions(options);
  options.add_options()("roster", "a roster that must be in the chain",
                        cxxopts::value<std::string>(), "R")(
      "save-latest", "write the latest roster here",
      cxxopts::value<std::string>(), "FILE")("json", "machine-readable output");
  return online::RunCommand("roster show", options, argc, argv, kShowFooter,
                            [&](const cxxopts::ParseResult& r) {
                              CommonArgs args;
                              Status s = online::ReadCommonArgs(r, &args);
                              if (!s.ok())
                                return online::Usage("roster show",
                                                     s.message());
                              std::optional<std::string> save;
                              if (r.count("save-latest"))
                                save = r["save-latest"].as<std::string>();
                              return RunShow(args, save);
                            });
}

}  // namespace conclave::cli
