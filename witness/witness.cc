#include "witness/witness.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "audit/checkpoint.h"
#include "base/file_util.h"
#include "crypto/hash.h"

namespace conclave::witness {

namespace {

using audit::Checkpoint;
using audit::Hash;
using audit::NoteSignature;

constexpr std::string_view kStateMagic = "conclave-witness state v1\n";
constexpr size_t kMaxStateSize = size_t{64} << 20;

HttpReply Reply(int status, std::string body) {
  HttpReply r;
  r.status = status;
  r.body = std::move(body);
  if (!r.body.empty() && r.body.back() != '\n') r.body += '\n';
  return r;
}

AddCheckpointOutcome Refuse(int status, std::string body) {
  AddCheckpointOutcome o;
  o.reply = Reply(status, std::move(body));
  return o;
}

// Splits off one '\n'-terminated line; false if there is no newline.
bool NextLine(std::string_view* rest, std::string_view* line) {
  const size_t nl = rest->find('\n');
  if (nl == std::string_view::npos) return false;
  *line = rest->substr(0, nl);
  rest->remove_prefix(nl + 1);
  return true;
}

Status Corrupt(const std::string& what) {
  return DataLossError("corrupt witness state: " + what);
}

}  // namespace

Status WitnessConfig::AddLogVkey(std::string_view vkey) {
  CONCLAVE_ASSIGN_OR_RETURN(auto key,
                            audit::Ed25519NoteVerifier::FromVerifierKey(vkey));
  auto& keys = logs[key->name()];
  for (const auto& k : keys) {
    if (k->key_id() == key->key_id()) {
      return AlreadyExistsError("log key " + std::string(vkey) +
                                " given twice");
    }
  }
  keys.push_back(std::move(key));
  return OkStatus();
}

std::string EncodeWitnessState(const WitnessState& state) {
  std::string out(kStateMagic);
  out += "witness " + state.witness_vkey + "\n";
  out += "logs " + std::to_string(state.logs.size()) + "\n";
  for (const auto& [origin, rec] : state.logs) {
    out += "log " + HexEncode(AsBytes(origin)) + " " +
           std::to_string(rec.size) + " " + audit::NoteBase64Encode(rec.root) +
           " " + std::to_string(rec.note.size()) + "\n";
    out += rec.note;
  }
  return out;
}

StatusOr<WitnessState> ParseWitnessState(std::string_view text) {
  if (text.substr(0, kStateMagic.size()) != kStateMagic) {
    return Corrupt("missing header");
  }
  std::string_view rest = text.substr(kStateMagic.size());
  std::string_view line;
  WitnessState st;
  if (!NextLine(&rest, &line) || line.substr(0, 8) != "witness ") {
    return Corrupt("missing witness line");
  }
  st.witness_vkey = std::string(line.substr(8));
  if (!audit::ParseVerifierKey(st.witness_vkey).ok()) {
    return Corrupt("bad witness vkey");
  }
  if (!NextLine(&rest, &line) || line.substr(0, 5) != "logs ") {
    return Corrupt("missing logs line");
  }
  auto count = audit::ParseDecimalU64(line.substr(5));
  if (!count.ok()) return Corrupt("bad log count");
  for (uint64_t i = 0; i < *count; ++i) {
    if (!NextLine(&rest, &line) || line.substr(0, 4) != "log ") {
      return Corrupt("missing log line " + std::to_string(i));
    }
    std::vector<std::string_view> f;
    std::string_view l = line.substr(4);
    for (size_t sp; (sp = l.find(' ')) != std::string_view::npos;) {
      f.push_back(l.substr(0, sp));
      l.remove_prefix(sp + 1);
    }
    f.push_back(l);
    if (f.size() != 4) return Corrupt("bad log line " + std::to_string(i));
    auto origin = HexDecode(f[0]);
    auto size = audit::ParseDecimalU64(f[1]);
    auto root_bytes = audit::NoteBase64Decode(f[2]);
    auto note_len = audit::ParseDecimalU64(f[3]);
    if (!origin.ok() || origin->empty() || !size.ok() || !root_bytes.ok() ||
        !note_len.ok() || *note_len > rest.size()) {
      return Corrupt("bad log line " + std::to_string(i));
    }
    auto root = audit::HashFromBytes(*root_bytes);
    if (!root.ok()) return Corrupt("bad root in log line " + std::to_string(i));
    LogRecord rec;
    rec.size = *size;
    rec.root = *root;
    rec.note = std::string(rest.substr(0, *note_len));
    rest.remove_prefix(*note_len);
    std::string o(origin->begin(), origin->end());
    if (!st.logs.emplace(std::move(o), std::move(rec)).second) {
      return Corrupt("a log appears twice");
    }
  }
  if (!rest.empty()) return Corrupt("trailing bytes");
  return st;
}

AddCheckpointOutcome ProcessAddCheckpoint(const WitnessConfig& config,
                                          const WitnessState& state,
                                          std::string_view body) {
  // Body: "old N\n", proof lines, "\n", checkpoint note.
  if (body.size() > kMaxRequestBody) return Refuse(400, "request too large");
  std::string_view rest = body;
  std::string_view line;
  if (!NextLine(&rest, &line) || line.substr(0, 4) != "old ") {
    return Refuse(400, "malformed request: expected \"old <size>\" line");
  }
  auto old_size = audit::ParseDecimalU64(line.substr(4));
  if (!old_size.ok()) {
    return Refuse(400, "malformed request: bad old size");
  }
  std::vector<Hash> proof;
  for (;;) {
    if (!NextLine(&rest, &line)) {
      return Refuse(400, "malformed request: missing empty line");
    }
    if (line.empty()) break;
    if (proof.size() == kMaxProofLines) {
      return Refuse(400, "malformed request: more than 63 proof lines");
    }
    auto bytes = audit::NoteBase64Decode(line);
    if (!bytes.ok()) return Refuse(400, "malformed request: bad proof line");
    auto h = audit::HashFromBytes(*bytes);
    if (!h.ok()) return Refuse(400, "malformed request: proof hash length");
    proof.push_back(*h);
  }
  auto note = audit::ParseNote(rest);
  if (!note.ok()) {
    return Refuse(400, "malformed checkpoint note: " + note.status().message());
  }
  auto cp = audit::ParseCheckpoint(note->text);
  if (!cp.ok()) return Refuse(400, cp.status().message());

  // 404 unknown origin; 403 unless a trusted key's signature verifies.
  auto keys = config.logs.find(cp->origin);
  if (keys == config.logs.end()) return Refuse(404, "unknown log origin");
  audit::NoteVerifierSet trusted;
  for (const auto& k : keys->second) {
    if (!trusted.Add(k.get()).ok()) return Refuse(500, "duplicate log key");
  }
  auto opened = audit::OpenNote(rest, trusted);
  if (!opened.ok()) {
    return Refuse(403, "checkpoint not signed by a trusted log key: " +
                           opened.status().message());
  }

  if (*old_size > cp->size) {
    return Refuse(400, "old size is larger than the checkpoint size");
  }
  const auto it = state.logs.find(cp->origin);
  const uint64_t latest = it == state.logs.end() ? 0 : it->second.size;
  if (*old_size != latest) {
    AddCheckpointOutcome o;
    o.reply.status = 409;
    o.reply.content_type = kTlogSizeContentType;
    o.reply.body = std::to_string(latest) + "\n";
    return o;
  }
  if (cp->size == 0 && cp->root_hash != audit::EmptyRootHash()) {
    return Refuse(422, "a size-0 checkpoint must have the empty-tree root");
  }
  if (*old_size == 0) {
    if (!proof.empty()) {
      return Refuse(422, "old size 0 takes no consistency proof");
    }
  } else {
    Status s = audit::VerifyConsistency(*old_size, cp->size, proof,
                                        it->second.root, cp->root_hash);
    if (!s.ok()) {
      return Refuse(
          422,
          "not consistent with the latest cosigned checkpoint: " + s.message());
    }
  }

  // Cosign.
  auto sig = config.clock ? config.signer->SignAt(opened->text, config.clock())
                          : config.signer->Sign(opened->text);
  if (!sig.ok()) return Refuse(500, "cannot cosign");
  NoteSignature line_sig;
  line_sig.name = config.signer->name();
  line_sig.key_id = config.signer->key_id();
  line_sig.signature = std::move(sig).value();
  const std::string cosig_line = line_sig.ToLine();

  audit::Note stored;
  stored.text = opened->text;
  for (const auto& v : opened->verified)
    stored.signatures.push_back(v.signature);
  stored.signatures.push_back(line_sig);
  auto stored_note = audit::FormatNote(stored);
  if (!stored_note.ok()) return Refuse(500, "cannot format checkpoint");

  AddCheckpointOutcome o;
  o.reply.status = 200;
  o.reply.body = cosig_line;
  LogRecord rec;
  rec.size = cp->size;
  rec.root = cp->root_hash;
  rec.note = std::move(stored_note).value();
  o.update.emplace(cp->origin, std::move(rec));
  return o;
}

HttpReply ProcessGetCheckpoint(const WitnessState& state,
                               std::string_view origin_hash_hex) {
  for (const auto& [origin, rec] : state.logs) {
    if (HexEncode(Sha256(AsBytes(origin))) == origin_hash_hex) {
      HttpReply r;
      r.status = 200;
      r.body = rec.note;
      return r;
    }
  }
  return Reply(404, "no checkpoint cosigned for this log");
}

StatusOr<std::unique_ptr<Witness>> Witness::Open(
    WitnessConfig config, const std::filesystem::path& state_dir) {
  if (!config.signer) return InvalidArgumentError("witness: no key");
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) {
    return Status(StatusCode::kUnavailable,
                  "cannot create " + state_dir.string() + ": " + ec.message());
  }
  ::chmod(state_dir.c_str(), 0700);
  const std::filesystem::path lock_path = state_dir / "lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status(
        StatusCode::kUnavailable,
        "cannot open " + lock_path.string() + ": " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return FailedPreconditionError(
          "another conclave-witness is running with the state directory " +
          state_dir.string() + " (it holds " + lock_path.string() +
          "); one key, one state, one process");
    }
    return Status(
        StatusCode::kUnavailable,
        "cannot lock " + lock_path.string() + ": " + std::strerror(err));
  }
  std::unique_ptr<Witness> w(new Witness(std::move(config), state_dir, fd));
  const std::string vkey = w->vkey();
  auto bytes = ReadFileBytes(state_dir / "state", kMaxStateSize);
  if (bytes.ok()) {
    CONCLAVE_ASSIGN_OR_RETURN(
        w->state_,
        ParseWitnessState(std::string_view(
            reinterpret_cast<const char*>(bytes->data()), bytes->size())));
    if (w->state_.witness_vkey != vkey) {
      return FailedPreconditionError(
          "the state directory " + state_dir.string() +
          " belongs to the witness key " + w->state_.witness_vkey +
          ", not to " + vkey + ": refusing to mix two witnesses' states");
    }
  } else if (bytes.status().code() == StatusCode::kNotFound) {
    // A new state records its key at once, so no other key can adopt it.
    w->state_.witness_vkey = vkey;
    const std::string text = EncodeWitnessState(w->state_);
    CONCLAVE_RETURN_IF_ERROR(
        WriteFileAtomically(state_dir / "state", AsBytes(text)));
  } else {
    return bytes.status();
  }
  return w;
}

Witness::~Witness() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

std::string Witness::vkey() const { return config_.signer->Verifier()->vkey(); }

WitnessState Witness::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

HttpReply Witness::AddCheckpoint(std::string_view body) {
  std::lock_guard<std::mutex> lock(mu_);
  AddCheckpointOutcome o = ProcessAddCheckpoint(config_, state_, body);
  if (!o.update) return o.reply;
  WitnessState next = state_;
  next.logs[o.update->first] = std::move(o.update->second);
  const std::string text = EncodeWitnessState(next);
  // Persist before answering: a cosignature never exists for a state that a
  // crash could lose (tlog-witness "MUST persist ... before responding").
  Status s = WriteFileAtomically(dir_ / "state", AsBytes(text));
  if (!s.ok()) return Reply(500, "cannot persist the witness state");
  state_ = std::move(next);
  return o.reply;
}

HttpReply Witness::GetCheckpoint(std::string_view origin_hash_hex) {
  std::lock_guard<std::mutex> lock(mu_);
  return ProcessGetCheckpoint(state_, origin_hash_hex);
}

}  // namespace conclave::witness
