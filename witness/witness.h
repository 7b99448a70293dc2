// One organisation's witness (brief §1, §6): C2SP tlog-witness
// add-checkpoint, cosigning with C2SP tlog-cosignature (Ed25519,
// cosignature/v1) only along a consistent history of each log it knows.
//
// The protocol logic is a pure function, ProcessAddCheckpoint(config, state,
// request) -> (HTTP status, body, new state), so every status code is unit
// tested without a server; Witness adds the persistent state (atomic write
// and fsync before answering, an exclusive lock on the state directory) and
// serializes requests.
#ifndef CONCLAVE_WITNESS_WITNESS_H_
#define CONCLAVE_WITNESS_WITNESS_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/cosignature.h"
#include "audit/merkle.h"
#include "audit/note.h"
#include "base/status.h"

namespace conclave::witness {

// tlog-witness: "The client MUST NOT send more than 63 consistency proof
// lines"; a body is an old-size line, the proof and a checkpoint note.
inline constexpr size_t kMaxProofLines = 63;
inline constexpr size_t kMaxRequestBody = 64 * 1024;

// Content type of a 409 body (tlog-witness).
inline constexpr char kTlogSizeContentType[] = "text/x.tlog.size";

// What the witness trusts. Holds the keys; not copyable.
struct WitnessConfig {
  std::unique_ptr<audit::CosignatureV1Signer> signer;
  // origin -> the log keys trusted for it. With vkeys as the stand-in for
  // the roster, a log's origin is its key's name.
  std::map<std::string, std::vector<std::unique_ptr<audit::NoteVerifier>>> logs;
  // POSIX seconds for cosignature timestamps (tests fix it).
  std::function<uint64_t()> clock;

  // Adds a log from its vkey (type 0x01); the origin is the key's name.
  Status AddLogVkey(std::string_view vkey);
};

// The latest checkpoint cosigned for one log.
struct LogRecord {
  uint64_t size = 0;
  audit::Hash root{};
  // The checkpoint note with the log signatures that verified and this
  // witness's cosignature (served by GET <origin hash>/checkpoint).
  std::string note;

  friend bool operator==(const LogRecord&, const LogRecord&) = default;
};

struct WitnessState {
  std::string witness_vkey;               // the key this state belongs to
  std::map<std::string, LogRecord> logs;  // by origin

  friend bool operator==(const WitnessState&, const WitnessState&) = default;
};

// State file text (docs/audit-log.md, "Witnesses"):
//   conclave-witness state v1\n
//   witness <vkey>\n
//   logs <n>\n
//   then per log, by origin:
//   log <hex origin> <size> <base64 root> <note byte length>\n<note>
std::string EncodeWitnessState(const WitnessState& state);
// Strict; DATA_LOSS ("corrupt witness state: ...") on anything else.
StatusOr<WitnessState> ParseWitnessState(std::string_view text);

struct HttpReply {
  int status = 500;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

struct AddCheckpointOutcome {
  HttpReply reply;
  // Set on success: the record to persist BEFORE the reply is sent.
  std::optional<std::pair<std::string, LogRecord>> update;
};

// tlog-witness add-checkpoint over (config, state, request body), in the
// spec's order: 400 malformed body; 404 unknown origin; 403 no verified
// signature from a trusted key (or a trusted key's signature that fails);
// 400 old size > checkpoint size; 409 old size != the latest cosigned size
// (body "<size>\n", text/x.tlog.size); 422 size-0 checkpoint without the
// empty root, proof lines with old size 0, a consistency proof that does not
// verify, or equal sizes with different roots; 200 with the cosignature
// line.
AddCheckpointOutcome ProcessAddCheckpoint(const WitnessConfig& config,
                                          const WitnessState& state,
                                          std::string_view body);

// GET <hex SHA-256(origin)>/checkpoint (monitor retrieval): the latest
// cosigned checkpoint, or 404.
HttpReply ProcessGetCheckpoint(const WitnessState& state,
                               std::string_view origin_hash_hex);

// A witness with its state directory:
//   DIR/lock   held with an exclusive flock while the witness runs
//   DIR/state  EncodeWitnessState, replaced atomically (temp, fsync,
//              rename, fsync dir) before every 200 reply
class Witness {
 public:
  // Locks and loads (or creates) the state. FAILED_PRECONDITION if another
  // process holds the lock or the state belongs to another witness key;
  // DATA_LOSS if the state is corrupt.
  static StatusOr<std::unique_ptr<Witness>> Open(
      WitnessConfig config, const std::filesystem::path& state_dir);
  ~Witness();
  Witness(const Witness&) = delete;
  Witness& operator=(const Witness&) = delete;

  // Thread-safe; the check and the persisted update are one critical
  // section (the race tlog-witness describes cannot happen). A failure to
  // persist answers 500 and cosigns nothing.
  HttpReply AddCheckpoint(std::string_view body);
  HttpReply GetCheckpoint(std::string_view origin_hash_hex);

  std::string vkey() const;
  WitnessState state() const;

 private:
  Witness(WitnessConfig config, std::filesystem::path dir, int lock_fd)
      : config_(std::move(config)), dir_(std::move(dir)), lock_fd_(lock_fd) {}
  WitnessConfig config_;
  std::filesystem::path dir_;
  int lock_fd_;
  mutable std::mutex mu_;
  WitnessState state_;
};

}  // namespace conclave::witness

#endif  // CONCLAVE_WITNESS_WITNESS_H_
