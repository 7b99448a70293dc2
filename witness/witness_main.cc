// conclave-witness: one organisation's C2SP tlog-witness (brief §1, §6).
#include <arpa/inet.h>
#include <httplib.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cxxopts.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/hardening.h"
#include "keyceremony/roster.h"
#include "sealed/passphrase.h"
#include "sealed/sealed_file.h"
#include "witness/witness.h"

namespace {

using namespace conclave;

constexpr int kExitOk = 0;
constexpr int kExitUsage = 1;
constexpr int kExitBadInput = 2;
constexpr int kExitIo = 3;

constexpr char kHelpFooter[] = R"help(
Speaks C2SP tlog-witness: POST /add-checkpoint (body: "old N", the
consistency proof lines, an empty line, the checkpoint note) and
GET /<hex SHA-256(origin)>/checkpoint. It cosigns (C2SP tlog-cosignature,
Ed25519 cosignature/v1) a checkpoint only if a trusted log key signed it and
it is consistent with the last checkpoint it cosigned for that log; the state
is written and fsynced before every answer. DIR/lock keeps a second process
off the same state, and the state records the witness key, so a state
directory cannot be reused with another key.

--listen takes HOST:PORT on a loopback address (127.0.0.0/8, [::1],
localhost); PORT 0 picks a free port, printed on stderr. The witness speaks
plain HTTP: to serve it to other machines, put it behind TLS termination (a
reverse proxy) and pass --allow-remote. Unix sockets are not available with
the cpp-httplib version this build uses.

--roster R (consortium.roster) is verified first; the witness then serves
the roster's log (its log key), and the witness key must be the one the
roster records for its organisation. Without a roster, each --log-vkey names
a log this witness serves; the log's origin is the vkey's key name.

Create a key:
  conclave-witness --generate-key witness.age --name witness.org1.example --org 1
Run:
  conclave-witness --key witness.age --state /var/lib/conclave-witness \
      --listen 127.0.0.1:7380 --roster consortium.roster
  conclave-witness --key witness.age --state /var/lib/conclave-witness \
      --listen 127.0.0.1:7380 --log-vkey "$(cat log.vkey)"

Exit codes: 0 stopped by a signal (or key created), 1 usage error,
2 bad key or state, 3 I/O error (cannot bind, cannot read).
)help";

struct Listen {
  std::string host;
  int port = 0;
};

std::optional<Listen> ParseListen(const std::string& s, std::string* why) {
  size_t colon;
  Listen l;
  if (!s.empty() && s[0] == '[') {
    const size_t close = s.find(']');
    if (close == std::string::npos || close + 1 >= s.size() ||
        s[close + 1] != ':') {
      *why = "expected [IPV6]:PORT";
      return std::nullopt;
    }
    l.host = s.substr(1, close - 1);
    colon = close + 1;
  } else {
    colon = s.rfind(':');
    if (colon == std::string::npos) {
      *why = "expected HOST:PORT";
      return std::nullopt;
    }
    l.host = s.substr(0, colon);
  }
  const std::string port = s.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) > 65535) {
    *why = "bad port";
    return std::nullopt;
  }
  l.port = std::stoi(port);
  return l;
}

bool IsLoopback(const std::string& host) {
  if (host == "localhost") return true;
  in_addr a4;
  if (inet_pton(AF_INET, host.c_str(), &a4) == 1) {
    return (ntohl(a4.s_addr) >> 24) == 127;
  }
  in6_addr a6;
  if (inet_pton(AF_INET6, host.c_str(), &a6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&a6);
  }
  return false;
}

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "conclave-witness: %s\n", message.c_str());
  return code;
}

int CodeFor(const Status& s) {
  return s.code() == StatusCode::kUnavailable ? kExitIo : kExitBadInput;
}

int GenerateKey(const std::string& path, const std::string& name, uint32_t org,
                const std::optional<std::string>& pass_file) {
  if (Status s = audit::ValidateKeyName(name); !s.ok()) {
    return Fail(kExitUsage, "--name: " + s.message());
  }
  if (org == 0) return Fail(kExitUsage, "--org must be 1 or more");
  Ed25519PrivateKey key = Ed25519PrivateKey::Generate();
  v1::SealedSecret secret;
  auto* wk = secret.mutable_witness_key();
  wk->set_org_id(org);
  wk->set_name(name);
  wk->set_ed25519_seed(key.seed().data(), key.seed().size());
  auto pass = GetPassphrase(pass_file, "Passphrase for the new witness key: ",
                            /*confirm=*/true);
  if (!pass.ok()) {
    CleanseMessage(&secret);
    return Fail(kExitUsage, pass.status().message());
  }
  Status s = WriteSealedFile(path, secret, *pass);
  CleanseMessage(&secret);
  if (!s.ok()) return Fail(CodeFor(s), s.message());
  auto signer = audit::CosignatureV1Signer::Create(name, std::move(key));
  if (!signer.ok()) return Fail(kExitBadInput, signer.status().message());
  std::printf("%s\n", (*signer)->Verifier()->vkey().c_str());
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  conclave::HardenProcess();

  cxxopts::Options options("conclave-witness",
                           "one organisation's transparency-log witness");
  options.custom_help(
      "--key KEY.age --state DIR --listen ADDR "
      "(--roster R | --log-vkey V...) [--passphrase-file F]");
  // clang-format off
  options.add_options()
    ("key", "sealed witness key (age scrypt file, WitnessKey)",
     cxxopts::value<std::string>())
    ("state", "state directory (created 0700 if missing)",
     cxxopts::value<std::string>())
    ("listen", "HOST:PORT on loopback (see --allow-remote)",
     cxxopts::value<std::string>())
    ("log-vkey", "a log verifier key this witness serves (repeatable)",
     cxxopts::value<std::vector<std::string>>())
    ("roster", "the consortium roster: serve its log, check the key",
     cxxopts::value<std::string>())
    ("passphrase-file", "read the key's passphrase from this file's first line",
     cxxopts::value<std::string>())
    ("allow-remote", "listen on non-loopback addresses (behind TLS only)")
    ("generate-key", "create a new sealed witness key at this path and print "
     "its vkey", cxxopts::value<std::string>())
    ("name", "with --generate-key: the witness name",
     cxxopts::value<std::string>())
    ("org", "with --generate-key: the organisation id",
     cxxopts::value<uint32_t>())
    ("h,help", "this help");
  // clang-format on
  cxxopts::ParseResult args;
  try {
    args = options.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    return Fail(kExitUsage, std::string(e.what()) + " (see --help)");
  }
  if (args.count("help")) {
    std::printf("%s%s", options.help().c_str(), kHelpFooter);
    return kExitOk;
  }
  if (!args.unmatched().empty()) {
    return Fail(kExitUsage,
                "unexpected argument '" + args.unmatched()[0] + "'");
  }
  std::optional<std::string> pass_file;
  if (args.count("passphrase-file")) {
    pass_file = args["passphrase-file"].as<std::string>();
  }
  if (args.count("generate-key")) {
    if (!args.count("name") || !args.count("org")) {
      return Fail(kExitUsage, "--generate-key needs --name and --org");
    }
    return GenerateKey(args["generate-key"].as<std::string>(),
                       args["name"].as<std::string>(),
                       args["org"].as<uint32_t>(), pass_file);
  }
  if (args.count("roster") && args.count("log-vkey")) {
    return Fail(kExitUsage,
                "--roster and --log-vkey conflict: the roster names the log "
                "this witness serves");
  }
  for (const char* req : {"key", "state", "listen"}) {
    if (!args.count(req)) {
      return Fail(kExitUsage,
                  std::string("missing --") + req + " (see --help)");
    }
  }
  if (!args.count("log-vkey") && !args.count("roster")) {
    return Fail(kExitUsage,
                "give --roster or at least one --log-vkey (see --help)");
  }
  std::string why;
  auto listen = ParseListen(args["listen"].as<std::string>(), &why);
  if (!listen) {
    const std::string l = args["listen"].as<std::string>();
    if (!l.empty() && (l[0] == '/' || l.rfind("unix:", 0) == 0)) {
      return Fail(kExitUsage,
                  "unix sockets are not supported with this cpp-httplib; "
                  "use a loopback HOST:PORT");
    }
    return Fail(kExitUsage, "--listen: " + why);
  }
  if (!IsLoopback(listen->host) && !args.count("allow-remote")) {
    return Fail(kExitUsage,
                "--listen " + listen->host +
                    " is not a loopback address: the witness speaks plain "
                    "HTTP; put it behind TLS termination and pass "
                    "--allow-remote");
  }

  witness::WitnessConfig config;
  std::optional<keyceremony::VerifiedRoster> roster;
  if (args.count("roster")) {
    const std::string path = args["roster"].as<std::string>();
    auto r = keyceremony::ReadRosterFile(path);
    if (!r.ok()) {
      return Fail(CodeFor(r.status()), "roster " + r.status().message());
    }
    roster = std::move(r).value();
    if (Status s = config.AddLogVkey(roster->body.log_vkey()); !s.ok()) {
      return Fail(kExitBadInput,
                  "roster " + path + ": log key: " + s.message());
    }
  } else {
    for (const std::string& v :
         args["log-vkey"].as<std::vector<std::string>>()) {
      if (Status s = config.AddLogVkey(v); !s.ok()) {
        return Fail(kExitUsage, "--log-vkey " + v + ": " + s.message());
      }
    }
  }

  // The key.
  const std::string key_path = args["key"].as<std::string>();
  auto pass = GetPassphrase(pass_file, "Passphrase for " + key_path + ": ",
                            /*confirm=*/false);
  if (!pass.ok()) return Fail(kExitUsage, pass.status().message());
  auto opened = ReadSealedFile(key_path, *pass);
  if (!opened.ok())
    return Fail(CodeFor(opened.status()), opened.status().message());
  if (!opened->message().has_witness_key()) {
    return Fail(kExitBadInput, key_path + " does not hold a witness key");
  }
  const v1::WitnessKey& wk = opened->message().witness_key();
  const std::string& seed = wk.ed25519_seed();
  auto priv = Ed25519PrivateKey::FromSeed(
      ByteSpan(reinterpret_cast<const uint8_t*>(seed.data()), seed.size()));
  if (!priv.ok()) return Fail(kExitBadInput, "witness key: bad seed");
  auto signer =
      audit::CosignatureV1Signer::Create(wk.name(), std::move(priv).value());
  if (!signer.ok()) {
    return Fail(kExitBadInput, "witness key: " + signer.status().message());
  }
  if (roster) {
    // A witness whose key is not in the roster would cosign uselessly:
    // clients count only the roster's witness keys.
    const v1::RosterOrganisation* org =
        keyceremony::FindOrganisation(roster->body, wk.org_id());
    const std::string vkey = (*signer)->Verifier()->vkey();
    if (org == nullptr) {
      return Fail(kExitBadInput, key_path +
                                     " is a witness key for organisation " +
                                     std::to_string(wk.org_id()) +
                                     ", which is not in the roster");
    }
    if (org->witness_vkey() != vkey) {
      return Fail(kExitBadInput,
                  key_path +
                      " is not the witness key the roster records for "
                      "organisation " +
                      std::to_string(org->id()) + " (" + org->name() +
                      "): the roster has " + org->witness_vkey() +
                      ", this key is " + vkey);
    }
  }
  config.signer = std::move(signer).value();
  opened = Status(StatusCode::kInternal, "wiped");  // wipe the seed copy now

  auto w = witness::Witness::Open(std::move(config),
                                  args["state"].as<std::string>());
  if (!w.ok()) return Fail(CodeFor(w.status()), w.status().message());
  witness::Witness& wit = **w;

  // Signals: stop the server from a dedicated thread (a handler may not).
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  httplib::Server svr;
  svr.set_tcp_nodelay(true);  // small replies: no Nagle delay
  svr.set_payload_max_length(witness::kMaxRequestBody + 1);
  svr.Post("/add-checkpoint", [&](const httplib::Request& req,
                                  httplib::Response& res) {
    witness::HttpReply r = wit.AddCheckpoint(req.body);
    res.status = r.status;
    res.set_content(r.body, r.content_type.c_str());
    std::fprintf(stderr, "conclave-witness: add-checkpoint %d\n", r.status);
  });
  svr.Get(R"(/([0-9a-f]{64})/checkpoint)",
          [&](const httplib::Request& req, httplib::Response& res) {
            witness::HttpReply r = wit.GetCheckpoint(req.matches[1].str());
            res.status = r.status;
            res.set_content(r.body, r.content_type.c_str());
          });
  int port = listen->port;
  if (port == 0) {
    port = svr.bind_to_any_port(listen->host);
    if (port < 0) return Fail(kExitIo, "cannot bind " + listen->host);
  } else if (!svr.bind_to_port(listen->host, port)) {
    return Fail(kExitIo, "cannot bind " + args["listen"].as<std::string>());
  }
  const bool v6 = listen->host.find(':') != std::string::npos;
  std::fprintf(stderr,
               "conclave-witness: listening on http://%s%s%s:%d as %s\n",
               v6 ? "[" : "", listen->host.c_str(), v6 ? "]" : "", port,
               wit.vkey().c_str());
  std::fflush(stderr);

  std::thread stopper([&] {
    int sig = 0;
    sigwait(&sigs, &sig);
    svr.stop();
  });
  const bool ok = svr.listen_after_bind();
  kill(getpid(), SIGTERM);  // wakes the stopper if the server failed alone
  stopper.join();
  return ok ? kExitOk : kExitIo;
}
