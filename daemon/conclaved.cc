// conclaved: the consortium's online coordinator and log operator (brief §1,
// §6, §7; issue 7). Reads its configuration, opens the sealed log key, opens
// the data directory (daemon/service.h) and serves the gRPC API
// (daemon/grpc_service.h) until SIGINT/SIGTERM or a fatal storage error.
#include <arpa/inet.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <cxxopts.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "base/hardening.h"
#include "conclave/v1/daemon.pb.h"
#include "daemon/daemon_log.h"
#include "daemon/grpc_service.h"
#include "daemon/intake_server.h"
#include "daemon/service.h"
#include "daemon/service_impl.h"
#include "daemon/witness_client.h"
#include "sealed/passphrase.h"
#include "sealed/sealed_file.h"

namespace {

using namespace conclave;
using namespace conclave::daemon;
namespace fs = std::filesystem;

constexpr int kExitOk = 0;
constexpr int kExitUsage = 1;
constexpr int kExitRefused = 2;
constexpr int kExitIo = 3;
constexpr int kExitStorage = 4;

// In-flight calls get this long to finish after a stop signal.
constexpr auto kShutdownGrace = std::chrono::seconds(10);

constexpr char kHelpFooter[] = R"help(
conclaved is the consortium's meeting point and audit-log operator. It holds
no share and never sees plaintext; its one secret is the log key, which signs
the log's checkpoints. Each organisation's witness (conclave-witness) cosigns
them; a checkpoint is settled once enough organisations' witnesses have.

First start (DIR is created 0700 and initialised with the roster):
  conclaved --data /var/lib/conclave/data --roster consortium.roster \
      --log-key log.age --listen 127.0.0.1:7300 \
      --witness 1=http://127.0.0.1:7381 --witness 2=https://w.org2.example \
      --witness 3=https://w.org3.example ...
Serve other machines over TLS (the certificate's names must match the
address clients dial; add --tls-client-ca to require client certificates
signed by that CA):
  conclaved --config /etc/conclave/conclaved.conf \
      --listen 0.0.0.0:7300 --tls-cert server.pem --tls-key server.key
A unix socket (for a local TLS-terminating proxy):
  conclaved --config conclaved.conf --listen unix:/run/conclave/api.sock

--listen: without TLS only a loopback address (127.0.0.0/8, [::1],
localhost) or unix:PATH is accepted; anything else needs --tls-cert and
--tls-key. Port 0 picks a free port; the line
  conclaved: listening on HOST:PORT (log size N, settled size S)
on stderr names it once the server is up. It is printed last: every
listener (the intake page too) is then ready.

--config FILE is a protobuf text-format DaemonConfig
(packaging/conclaved.conf.example), e.g.
  data_dir: "/var/lib/conclave/data"
  roster: "consortium.roster"
  log_key: "log.age"
  listen: "127.0.0.1:7300"
  witnesses: "1=http://127.0.0.1:7381"
Relative paths in the file are taken relative to the file's directory.
A flag given on the command line replaces the file's setting (--witness
flags replace the file's whole list).

The log key's passphrase comes from --passphrase-file (first line) or a
prompt on the terminal; never from the command line. The log key must be the
one the roster pins, and a data directory keeps the roster it was started
with: a different roster is refused. One process per data directory.

--intake HOST:PORT serves the whistleblowers' intake page and its JSON API
over plain HTTP (docs/operations.md "Intake page"). Keep it on loopback and
publish it as a Tor onion service (HiddenServicePort 80 127.0.0.1:PORT);
any other address is accepted but logged as a warning, since the page then
travels unencrypted. Uploads are held under DIR/uploads (ciphertext only):
--max-upload-bytes (default 1 GiB; also caps accepted submissions),
--max-concurrent-uploads (64), --upload-expiry (seconds, 86400) and
--intake-writes-per-minute (120, one bucket for every anonymous writer:
behind Tor all peers look alike). The line
  conclaved: intake page on http://HOST:PORT/
on stderr names the port once it is up.

Operations (TLS, backup and restore, upgrade, the systemd unit):
docs/operations.md.

SIGINT or SIGTERM stops it gracefully: no new calls, in-flight calls get
10 seconds, the checkpointer finishes its round, exit 0.

Exit codes:
  0  stopped by SIGINT/SIGTERM
  1  usage: unknown option, missing or malformed setting (flags or file)
  2  refused at startup: plain listen on a non-loopback address, wrong
     passphrase, log key not the roster's, roster not the data
     directory's, data directory in use by another conclaved
  3  I/O: cannot read a file, cannot listen on the address
  4  storage: a write or fsync failed while running (the daemon stops at
     once: the state on disk is known only after a restart), or the
     database is corrupt at start
)help";

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "conclaved: %s\n", message.c_str());
  return code;
}

// I/O problems are 3, anything else the configuration's fault (2).
int CodeFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kUnavailable:
    case StatusCode::kNotFound:
      return kExitIo;
    case StatusCode::kDataLoss:
      return kExitStorage;
    default:
      return kExitRefused;
  }
}

StatusOr<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    const std::string why =
        "cannot read " + path.string() + ": " + std::strerror(err);
    return Status(
        err == ENOENT ? StatusCode::kNotFound : StatusCode::kUnavailable, why);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    return Status(StatusCode::kUnavailable, "cannot read " + path.string());
  }
  return ss.str();
}

// ---- --listen ----

struct ListenAddress {
  bool unix_socket = false;
  std::string host;  // without brackets
  int port = 0;
  std::string grpc;  // what grpc::ServerBuilder takes

  std::string WithPort(int p) const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(p);
  }
};

std::optional<ListenAddress> ParseListen(const std::string& s,
                                         std::string* why) {
  ListenAddress l;
  if (s.starts_with("unix:")) {
    if (s.size() == 5) {
      *why = "unix: needs a path, e.g. unix:/run/conclave/api.sock";
      return std::nullopt;
    }
    l.unix_socket = true;
    l.grpc = s;
    return l;
  }
  size_t colon;
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
    if (colon == std::string::npos || colon == 0) {
      *why = "expected HOST:PORT or unix:PATH";
      return std::nullopt;
    }
    l.host = s.substr(0, colon);
    if (l.host.find(':') != std::string::npos) {
      *why = "write an IPv6 address in brackets: [ADDR]:PORT";
      return std::nullopt;
    }
  }
  const std::string port = s.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) > 65535) {
    *why = "bad port \"" + port + "\"";
    return std::nullopt;
  }
  l.port = std::stoi(port);
  l.grpc = l.WithPort(l.port);
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

// ---- Configuration: the file, then the flags over it ----

fs::path Resolve(const fs::path& base, const std::string& p) {
  if (p.empty() || base.empty()) return p;
  const fs::path path(p);
  return path.is_absolute() ? path : base / path;
}

// Loads --config FILE, with its relative paths made relative to its
// directory.
int LoadConfigFile(const std::string& file, v1::DaemonConfig* config) {
  auto text = ReadFile(file);
  if (!text.ok()) return Fail(kExitIo, "--config: " + text.status().message());

  class Collector : public google::protobuf::io::ErrorCollector {
   public:
    void AddError(int line, int column, const std::string& message) override {
      if (first.empty()) {
        first = "line " + std::to_string(line + 1) + " column " +
                std::to_string(column + 1) + ": " + message;
      }
    }
    std::string first;
  } errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(*text, config)) {
    return Fail(kExitUsage, "--config " + file + ": " +
                                (errors.first.empty() ? "not a DaemonConfig"
                                                      : errors.first) +
                                " (see packaging/conclaved.conf.example)");
  }
  const fs::path base = fs::absolute(file).parent_path();
  config->set_data_dir(Resolve(base, config->data_dir()).string());
  config->set_roster(Resolve(base, config->roster()).string());
  config->set_log_key(Resolve(base, config->log_key()).string());
  config->set_passphrase_file(
      Resolve(base, config->passphrase_file()).string());
  config->set_tls_cert(Resolve(base, config->tls_cert()).string());
  config->set_tls_key(Resolve(base, config->tls_key()).string());
  return kExitOk;
}

void Override(const cxxopts::ParseResult& args, const char* flag,
              std::string* field) {
  if (args.count(flag)) *field = args[flag].as<std::string>();
}

// ---- Shutdown ----

std::atomic<bool> g_fatal{false};

}  // namespace

int main(int argc, char** argv) {
  const HardeningReport hardening = conclave::HardenProcess();

  // Every thread (the daemon's, gRPC's) inherits this mask; main waits for
  // the signals synchronously.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  cxxopts::Options options("conclaved",
                           "the consortium's coordinator and audit-log "
                           "operator");
  options.custom_help(
      "--data DIR --roster ROSTER --log-key KEY.age --listen ADDR "
      "[--passphrase-file F] [--witness ORG=URL]... "
      "[--tls-cert F --tls-key F [--tls-client-ca F]] [--config FILE]");
  // clang-format off
  options.add_options()
    ("config", "protobuf text-format DaemonConfig; flags override it",
     cxxopts::value<std::string>())
    ("data", "data directory (database, blobs, settled checkpoint); "
     "created 0700", cxxopts::value<std::string>())
    ("roster", "the consortium roster (consortium.roster)",
     cxxopts::value<std::string>())
    ("log-key", "the sealed log key (log.age from the ceremony)",
     cxxopts::value<std::string>())
    ("passphrase-file", "read the log key's passphrase from this file's "
     "first line (default: prompt)", cxxopts::value<std::string>())
    ("listen", "HOST:PORT or unix:PATH (plain: loopback only)",
     cxxopts::value<std::string>())
    ("witness", "ORG=URL of an organisation's witness (repeatable)",
     cxxopts::value<std::vector<std::string>>())
    ("tls-cert", "PEM server certificate chain", cxxopts::value<std::string>())
    ("tls-key", "PEM server private key", cxxopts::value<std::string>())
    ("tls-client-ca", "PEM CA bundle: require client certificates it signed",
     cxxopts::value<std::string>())
    ("max-submission-bytes", "largest submission accepted (default 1 GiB)",
     cxxopts::value<uint64_t>())
    ("replay-window", "seconds a signed call stays valid (default 300)",
     cxxopts::value<uint32_t>())
    ("submissions-per-minute", "anonymous submissions per peer address "
     "(default 60)", cxxopts::value<uint32_t>())
    ("intake", "HOST:PORT: serve the intake page (plain HTTP; keep it on "
     "loopback behind a Tor onion service)", cxxopts::value<std::string>())
    ("max-upload-bytes", "largest intake upload (default 1 GiB)",
     cxxopts::value<uint64_t>())
    ("max-concurrent-uploads", "intake uploads held at once (default 64)",
     cxxopts::value<uint32_t>())
    ("upload-expiry", "seconds before an abandoned upload is deleted "
     "(default 86400)", cxxopts::value<uint32_t>())
    ("intake-writes-per-minute", "anonymous intake writes per minute, all "
     "peers together (default 120)", cxxopts::value<uint32_t>())
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

  v1::DaemonConfig config;
  std::string tls_client_ca;
  if (args.count("config")) {
    if (int rc = LoadConfigFile(args["config"].as<std::string>(), &config);
        rc != kExitOk) {
      return rc;
    }
  }
  Override(args, "data", config.mutable_data_dir());
  Override(args, "roster", config.mutable_roster());
  Override(args, "log-key", config.mutable_log_key());
  Override(args, "passphrase-file", config.mutable_passphrase_file());
  Override(args, "listen", config.mutable_listen());
  Override(args, "tls-cert", config.mutable_tls_cert());
  Override(args, "tls-key", config.mutable_tls_key());
  Override(args, "intake", config.mutable_intake());
  Override(args, "tls-client-ca", &tls_client_ca);
  if (args.count("witness")) {
    config.clear_witnesses();
    for (const std::string& w : args["witness"].as<std::vector<std::string>>())
      config.add_witnesses(w);
  }
  if (args.count("max-submission-bytes")) {
    config.set_max_submission_bytes(
        args["max-submission-bytes"].as<uint64_t>());
  }
  if (args.count("replay-window")) {
    config.set_replay_window_seconds(args["replay-window"].as<uint32_t>());
  }
  if (args.count("max-upload-bytes")) {
    config.set_max_upload_bytes(args["max-upload-bytes"].as<uint64_t>());
  }
  if (args.count("max-concurrent-uploads")) {
    config.set_max_concurrent_uploads(
        args["max-concurrent-uploads"].as<uint32_t>());
  }
  if (args.count("upload-expiry")) {
    config.set_upload_expiry_seconds(args["upload-expiry"].as<uint32_t>());
  }
  if (args.count("intake-writes-per-minute")) {
    config.set_intake_writes_per_minute(
        args["intake-writes-per-minute"].as<uint32_t>());
  }
  if (args.count("submissions-per-minute")) {
    config.set_submissions_per_minute(
        args["submissions-per-minute"].as<uint32_t>());
  }

  // ---- Check the settings before touching anything ----
  struct Required {
    const std::string& value;
    const char* flag;
  };
  for (const Required& r : {Required{config.data_dir(), "--data"},
                            Required{config.roster(), "--roster"},
                            Required{config.log_key(), "--log-key"},
                            Required{config.listen(), "--listen"}}) {
    if (r.value.empty()) {
      return Fail(kExitUsage, std::string("missing ") + r.flag +
                                  " (or its setting in --config; see --help)");
    }
  }
  std::string why;
  std::optional<ListenAddress> intake;
  if (!config.intake().empty()) {
    intake = ParseListen(config.intake(), &why);
    if (!intake || intake->unix_socket) {
      return Fail(kExitUsage, "--intake " + config.intake() + ": " +
                                  (intake ? "a HOST:PORT address" : why));
    }
  }
  const std::optional<ListenAddress> listen =
      ParseListen(config.listen(), &why);
  if (!listen)
    return Fail(kExitUsage, "--listen " + config.listen() + ": " + why);
  if (config.tls_cert().empty() != config.tls_key().empty()) {
    return Fail(kExitUsage, "--tls-cert and --tls-key go together");
  }
  const bool tls = !config.tls_cert().empty();
  if (!tls && !tls_client_ca.empty()) {
    return Fail(kExitUsage, "--tls-client-ca needs --tls-cert and --tls-key");
  }
  if (!tls && !listen->unix_socket && !IsLoopback(listen->host)) {
    return Fail(kExitRefused,
                "--listen " + config.listen() +
                    " is not a loopback address: without TLS conclaved only "
                    "listens on loopback (127.0.0.0/8, [::1], localhost) or "
                    "a unix socket (unix:PATH), since editors' calls and "
                    "checkpoints would cross the network in clear. Give "
                    "--tls-cert and --tls-key (PEM) to serve it over TLS");
  }
  std::vector<WitnessEndpoint> witnesses;
  for (const std::string& w : config.witnesses()) {
    auto endpoint = ParseWitnessEndpoint(w);
    if (!endpoint.ok()) return Fail(kExitUsage, endpoint.status().message());
    witnesses.push_back(std::move(endpoint).value());
  }

  // ---- Files ----
  auto roster = ReadFile(config.roster());
  if (!roster.ok()) {
    return Fail(kExitIo, "--roster: " + roster.status().message());
  }
  std::string tls_cert, tls_key, tls_ca;
  if (tls) {
    auto cert = ReadFile(config.tls_cert());
    if (!cert.ok())
      return Fail(kExitIo, "--tls-cert: " + cert.status().message());
    auto key = ReadFile(config.tls_key());
    if (!key.ok()) return Fail(kExitIo, "--tls-key: " + key.status().message());
    tls_cert = std::move(cert).value();
    tls_key = std::move(key).value();
    if (!tls_client_ca.empty()) {
      auto ca = ReadFile(tls_client_ca);
      if (!ca.ok()) {
        return Fail(kExitIo, "--tls-client-ca: " + ca.status().message());
      }
      tls_ca = std::move(ca).value();
    }
  }

  // ---- The log key ----
  std::optional<std::string> pass_file;
  if (!config.passphrase_file().empty()) pass_file = config.passphrase_file();
  auto pass =
      GetPassphrase(pass_file, "Passphrase for " + config.log_key() + ": ",
                    /*confirm=*/false);
  if (!pass.ok()) {
    return Fail(pass.status().code() == StatusCode::kFailedPrecondition
                    ? kExitUsage
                    : CodeFor(pass.status()),
                pass.status().message());
  }
  DaemonOptions dopts;
  {
    auto opened = ReadSealedFile(config.log_key(), *pass);
    if (!opened.ok()) {
      return Fail(CodeFor(opened.status()),
                  config.log_key() + ": " + opened.status().message());
    }
    if (!opened->message().has_log_key()) {
      return Fail(kExitRefused, config.log_key() + " does not hold a log key");
    }
    const v1::LogKey& lk = opened->message().log_key();
    dopts.log_key_origin = lk.origin();
    dopts.log_key_seed = SecretBytes::CopyFrom(AsBytes(lk.ed25519_seed()));
  }  // the opened message is wiped here
  dopts.data_dir = config.data_dir();
  dopts.roster = ToBytes(*roster);
  dopts.witnesses = std::move(witnesses);
  if (config.max_submission_bytes() != 0) {
    dopts.max_submission_bytes = config.max_submission_bytes();
  }
  if (config.replay_window_seconds() != 0) {
    dopts.replay_window_seconds = config.replay_window_seconds();
  }
  if (config.submissions_per_minute() != 0) {
    dopts.submissions_per_minute = config.submissions_per_minute();
  }
  // An intake upload becomes a submission: the smaller limit holds.
  const uint64_t max_upload = config.max_upload_bytes() != 0
                                  ? config.max_upload_bytes()
                                  : uint64_t{1} << 30;
  const uint64_t max_submission = dopts.max_submission_bytes;
  const size_t witness_count = dopts.witnesses.size();

  if (!hardening.core_dumps_disabled) {
    LogLine("warning: could not disable core dumps");
  }

  // ---- The daemon ----
  auto opened = DaemonImpl::Create(std::move(dopts));
  if (!opened.ok()) {
    return Fail(CodeFor(opened.status()), opened.status().message());
  }
  std::unique_ptr<DaemonImpl> daemon = std::move(opened).value();
  daemon->SetFatalHandler([](const Status&) { g_fatal.store(true); });
  {
    // W = ⌈(m + t) / 2⌉ organisations must cosign (brief §6).
    const uint64_t m = daemon->roster().body.organisations_size();
    const uint64_t t = daemon->roster().body.threshold();
    const uint64_t w = (m + t + 1) / 2;
    if (witness_count < w) {
      LogLine("warning: " + std::to_string(witness_count) +
              " witness URL(s) configured but " + std::to_string(w) +
              " organisations must cosign: no checkpoint will settle, so no "
              "request can be released (give --witness ORG=URL)");
    }
  }

  // ---- The server ----
  GrpcService service(*daemon, max_submission);
  grpc::ServerBuilder builder;
  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (tls) {
    grpc::SslServerCredentialsOptions ssl(
        tls_ca.empty()
            ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_root_certs = tls_ca;
    ssl.pem_key_cert_pairs.push_back({tls_key, tls_cert});
    credentials = grpc::SslServerCredentials(ssl);
    OPENSSL_cleanse(ssl.pem_key_cert_pairs[0].private_key.data(),
                    ssl.pem_key_cert_pairs[0].private_key.size());
    OPENSSL_cleanse(tls_key.data(), tls_key.size());
  } else {
    credentials = grpc::InsecureServerCredentials();
  }
  int selected_port = 0;
  builder.AddListeningPort(listen->grpc, credentials, &selected_port);
  builder.SetMaxReceiveMessageSize(kMaxGrpcMessageBytes);
  builder.SetMaxSendMessageSize(kMaxGrpcMessageBytes);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || selected_port == 0) {
    if (server) server->Shutdown();
    daemon->Shutdown();
    return Fail(kExitIo, "cannot listen on " + config.listen() +
                             (tls ? " (or the TLS certificate or key is not "
                                    "valid PEM)"
                                  : ""));
  }
  const std::string where =
      listen->unix_socket ? config.listen() : listen->WithPort(selected_port);
  const CheckpointState state = daemon->Checkpoints();
  LogLine(tls ? (tls_ca.empty() ? "TLS: server certificate"
                                : "TLS: server certificate, client "
                                  "certificates required")
              : "no TLS: loopback or unix socket only");

  // ---- The intake page ----
  std::unique_ptr<IntakeServer> intake_server;
  if (intake) {
    if (!IsLoopback(intake->host)) {
      LogLine("warning: --intake " + config.intake() +
              " is not a loopback address: the intake page is plain HTTP; "
              "publish a loopback address as a Tor onion service instead");
    }
    IntakeServerOptions iopts;
    iopts.host = intake->host;
    iopts.port = intake->port;
    iopts.upload_dir = fs::path(config.data_dir()) / "uploads";
    iopts.max_upload_bytes = std::min(max_upload, max_submission);
    if (config.max_concurrent_uploads() != 0) {
      iopts.max_concurrent_uploads = config.max_concurrent_uploads();
    }
    if (config.upload_expiry_seconds() != 0) {
      iopts.upload_expiry_seconds = config.upload_expiry_seconds();
    }
    if (config.intake_writes_per_minute() != 0) {
      iopts.writes_per_minute = config.intake_writes_per_minute();
    }
    DaemonImpl* d = daemon.get();
    iopts.roster = [d]() -> const keyceremony::VerifiedRoster& {
      return d->roster();
    };
    auto started = IntakeServer::Start(*daemon, std::move(iopts));
    if (!started.ok()) {
      server->Shutdown();
      daemon->Shutdown();
      return Fail(kExitIo, "--intake: " + started.status().message());
    }
    intake_server = std::move(started).value();
    std::fprintf(stderr, "conclaved: intake page on http://%s/\n",
                 intake->WithPort(intake_server->port()).c_str());
    std::fflush(stderr);
  }

  // Last, so that whoever waits for this line finds every listener ready
  // (the intake page's line comes before it).
  std::fprintf(stderr,
               "conclaved: listening on %s (log size %llu, settled size "
               "%llu)\n",
               where.c_str(),
               static_cast<unsigned long long>(daemon->LogSize()),
               static_cast<unsigned long long>(state.settled_size));
  std::fflush(stderr);

  // ---- Wait for a stop signal or a fatal storage error ----
  int exit_code = kExitOk;
  for (;;) {
    const timespec tick = {0, 200 * 1000 * 1000};
    const int sig = sigtimedwait(&stop_signals, nullptr, &tick);
    if (sig == SIGINT || sig == SIGTERM) {
      LogLine(std::string("received ") +
              (sig == SIGINT ? "SIGINT" : "SIGTERM") + ": stopping");
      break;
    }
    // The handler fires when a call meets the error; polling also catches
    // one met by the checkpointer alone.
    if (g_fatal.load() || !daemon->Fatal().ok()) {
      LogLine(
          "stopping after a fatal storage error: " + daemon->Fatal().message() +
          " (restart to recover; the database is checked on open)");
      exit_code = kExitStorage;
      break;
    }
  }
  if (intake_server) intake_server->Stop();
  server->Shutdown(
      std::chrono::system_clock::now() +
      (exit_code == kExitOk ? kShutdownGrace : std::chrono::seconds(1)));
  server->Wait();
  server.reset();
  daemon->Shutdown();
  daemon.reset();
  LogLine(exit_code == kExitOk ? "stopped" : "stopped (fatal storage error)");
  return exit_code;
}
