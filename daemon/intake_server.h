// The intake page's HTTP server (brief §8; issue 8; docs/operations.md
// "Intake page"): plain HTTP, meant for loopback behind a Tor onion
// service. It serves the embedded page (web/intake_assets.h) and a small
// JSON API for anonymous people:
//
//   GET  /api/v1/consortium             recipient, members, limits, log key
//   POST /api/v1/uploads                {"size":N} → an upload id
//   PUT  /api/v1/uploads/ID?offset=K    one chunk (raw bytes)
//   GET  /api/v1/uploads/ID             how much the server holds
//   POST /api/v1/uploads/ID/finish      validate, store, log → acceptance
//   POST /api/v1/contact/challenge      a single-use challenge
//   POST /api/v1/contact/status         the thread, for a signed challenge
//
// Uploads are held as ciphertext under DIR (the data directory's uploads/),
// resumable at the offset the server reports, expire when abandoned, are
// capped in number and size, and are deleted once finished, accepted or
// not. Anonymous writes share one token bucket: behind Tor every peer looks
// the same. Validation is the daemon's (Daemon::SubmitUpload), the same as
// gRPC Submit. Every response carries the security headers
// (kIntakeSecurityHeaders); errors are JSON {"error": sentence, "code": …}.
#ifndef CONCLAVE_DAEMON_INTAKE_SERVER_H_
#define CONCLAVE_DAEMON_INTAKE_SERVER_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "daemon/service.h"
#include "keyceremony/roster.h"

namespace conclave::daemon {

// (name, value) pairs on every response.
extern const std::vector<std::pair<std::string, std::string>>
    kIntakeSecurityHeaders;

struct IntakeServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port (IntakeServer::port() tells)
  std::filesystem::path upload_dir;
  uint64_t max_upload_bytes = uint64_t{1} << 30;
  size_t chunk_bytes = size_t{1} << 20;
  uint32_t max_concurrent_uploads = 64;
  uint32_t upload_expiry_seconds = 86400;
  // Anonymous writes (new uploads, finishes, challenges, status checks)
  // per minute, one bucket for everyone; 0: no limit (tests).
  uint32_t writes_per_minute = 120;
  // The roster the consortium endpoint describes (the daemon's current).
  std::function<const keyceremony::VerifiedRoster&()> roster;
  // Unix seconds; tests move it.
  std::function<uint64_t()> clock;
};

class IntakeServer {
 public:
  // Clears DIR of uploads a previous run left (their state was in memory),
  // binds and starts serving on its own threads. UNAVAILABLE if it cannot
  // listen.
  static StatusOr<std::unique_ptr<IntakeServer>> Start(
      Daemon& daemon, IntakeServerOptions options);
  ~IntakeServer();
  IntakeServer(const IntakeServer&) = delete;
  IntakeServer& operator=(const IntakeServer&) = delete;

  int port() const;
  // Uploads currently held.
  size_t uploads() const;
  // Stops accepting and waits for the server threads. Idempotent.
  void Stop();

 private:
  struct Impl;
  explicit IntakeServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace conclave::daemon

#endif  // CONCLAVE_DAEMON_INTAKE_SERVER_H_
