#include "audit/client_state.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include "base/file_util.h"
#include "crypto/hash.h"

namespace conclave::audit {
namespace {

constexpr std::string_view kEvidenceHeader = "conclave fork evidence v1";
constexpr size_t kMaxProofHashes = 64;

Status Malformed(std::string_view why) {
  return InvalidArgumentError("malformed fork evidence: " + std::string(why));
}

// Reads "<prefix><value>\n" from *in.
StatusOr<std::string_view> ReadField(std::string_view* in,
                                     std::string_view prefix) {
  const size_t eol = in->find('\n');
  if (eol == std::string_view::npos) return Malformed("truncated");
  std::string_view line = in->substr(0, eol);
  if (!line.starts_with(prefix)) {
    return Malformed("expected \"" + std::string(prefix) + "\"");
  }
  in->remove_prefix(eol + 1);
  return line.substr(prefix.size());
}

StatusOr<std::string> ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return NotFoundError("cannot open " + path.string());
  std::stringstream ss;
  ss << f.rdbuf();
  if (f.bad()) return DataLossError("cannot read " + path.string());
  return ss.str();
}

std::string OneLine(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  return s;
}

}  // namespace

std::string EncodeForkEvidence(const ForkEvidence& e) {
  std::string out = std::string(kEvidenceHeader) + "\n";
  out += "origin " + OneLine(e.origin) + "\n";
  out += "reason " + OneLine(e.reason) + "\n";
  out += "proof " + std::to_string(e.proof.size()) + "\n";
  for (const Hash& h : e.proof) out += NoteBase64Encode(h) + "\n";
  out += "note " + std::to_string(e.note_a.size()) + "\n" + e.note_a;
  out += "note " + std::to_string(e.note_b.size()) + "\n" + e.note_b;
  return out;
}

StatusOr<ForkEvidence> ParseForkEvidence(std::string_view in) {
  ForkEvidence e;
  CONCLAVE_ASSIGN_OR_RETURN(std::string_view header, ReadField(&in, ""));
  if (header != kEvidenceHeader) return Malformed("unknown header");
  CONCLAVE_ASSIGN_OR_RETURN(std::string_view origin, ReadField(&in, "origin "));
  if (origin.empty()) return Malformed("empty origin");
  e.origin = std::string(origin);
  CONCLAVE_ASSIGN_OR_RETURN(std::string_view reason, ReadField(&in, "reason "));
  e.reason = std::string(reason);
  CONCLAVE_ASSIGN_OR_RETURN(std::string_view count, ReadField(&in, "proof "));
  auto n = ParseDecimalU64(count);
  if (!n.ok() || *n > kMaxProofHashes) return Malformed("bad proof length");
  for (uint64_t i = 0; i < *n; ++i) {
    CONCLAVE_ASSIGN_OR_RETURN(std::string_view line, ReadField(&in, ""));
    auto h = NoteBase64Decode(line);
    if (!h.ok() || h->size() != kHashSize) return Malformed("bad proof hash");
    Hash hash;
    std::copy(h->begin(), h->end(), hash.begin());
    e.proof.push_back(hash);
  }
  for (std::string* note : {&e.note_a, &e.note_b}) {
    CONCLAVE_ASSIGN_OR_RETURN(std::string_view len, ReadField(&in, "note "));
    auto l = ParseDecimalU64(len);
    if (!l.ok() || *l > kMaxNoteSize || *l > in.size()) {
      return Malformed("bad note length");
    }
    *note = std::string(in.substr(0, *l));
    in.remove_prefix(*l);
  }
  if (!in.empty()) return Malformed("trailing data");
  return e;
}

Status VerifyForkEvidence(const ForkEvidence& e, const NoteVerifier& log_key) {
  NoteVerifierSet keys;
  CONCLAVE_RETURN_IF_ERROR(keys.Add(&log_key));
  Checkpoint cps[2];
  const std::string* notes[2] = {&e.note_a, &e.note_b};
  for (int i = 0; i < 2; ++i) {
    const std::string which = i == 0 ? "note A" : "note B";
    auto opened = OpenNote(*notes[i], keys);
    if (!opened.ok()) return opened.status().Annotate(which);
    auto cp = ParseCheckpoint(opened->text);
    if (!cp.ok()) return cp.status().Annotate(which);
    if (cp->origin != e.origin) {
      return InvalidArgumentError(which + " is from another log");
    }
    cps[i] = std::move(*cp);
  }
  Status s = CheckConsistent(cps[0], cps[1], e.proof);
  if (s.ok()) {
    return FailedPreconditionError(
        "the two checkpoints are consistent: not "
        "evidence of a fork");
  }
  if (s.code() != StatusCode::kUnauthenticated) return s;
  return OkStatus();
}

StatusOr<ClientState> ClientState::Open(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return InternalError("cannot create state directory " + dir.string() +
                         ": " + ec.message());
  }
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  if (!std::filesystem::is_directory(dir)) {
    return InvalidArgumentError(dir.string() + " is not a directory");
  }
  return ClientState(dir);
}

std::filesystem::path ClientState::PathFor(std::string_view origin,
                                           std::string_view ext) const {
  // Origins are arbitrary text; hashing gives a safe, fixed-length name.
  return dir_ / (HexEncode(Sha256(AsBytes(origin))) + std::string(ext));
}

std::filesystem::path ClientState::ForkPath(std::string_view origin) const {
  return PathFor(origin, ".fork");
}

StatusOr<StoredCheckpoint> ClientState::Latest(std::string_view origin) const {
  const std::filesystem::path path = PathFor(origin, ".checkpoint");
  if (!std::filesystem::exists(path)) {
    return NotFoundError("no checkpoint stored for " + std::string(origin));
  }
  auto contents = ReadWholeFile(path);
  if (!contents.ok()) return DataLossError(contents.status().message());
  auto note = ParseNote(*contents);
  if (!note.ok()) {
    return DataLossError("stored checkpoint " + path.string() +
                         " is corrupt: " + note.status().message());
  }
  auto cp = ParseCheckpoint(note->text);
  if (!cp.ok() || cp->origin != origin) {
    return DataLossError("stored checkpoint " + path.string() +
                         " is corrupt or for another log");
  }
  return StoredCheckpoint{std::move(*contents), std::move(*cp)};
}

StatusOr<std::optional<ForkEvidence>> ClientState::Fork(
    std::string_view origin) const {
  const std::filesystem::path path = ForkPath(origin);
  if (!std::filesystem::exists(path)) return std::optional<ForkEvidence>();
  auto contents = ReadWholeFile(path);
  if (!contents.ok()) return DataLossError(contents.status().message());
  auto e = ParseForkEvidence(*contents);
  if (!e.ok()) return DataLossError(e.status().message());
  return std::optional<ForkEvidence>(std::move(*e));
}

StatusOr<ClientState::UpdateResult> ClientState::Update(
    const SettledCheckpoint& seen, std::span<const Hash> proof) {
  const std::string& origin = seen.checkpoint().origin;
  if (std::filesystem::exists(ForkPath(origin))) {
    return FailedPreconditionError("fork evidence is on record for " + origin +
                                   " (" + ForkPath(origin).string() +
                                   "); refusing to advance");
  }
  auto stored = Latest(origin);
  if (!stored.ok()) {
    if (stored.status().code() != StatusCode::kNotFound) {
      return stored.status();
    }
    CONCLAVE_RETURN_IF_ERROR(WriteFileAtomically(PathFor(origin, ".checkpoint"),
                                                 AsBytes(seen.note())));
    return UpdateResult::kStoredFirst;
  }
  const bool grows = seen.checkpoint().size > stored->checkpoint.size;
  const Checkpoint& older = grows ? stored->checkpoint : seen.checkpoint();
  const Checkpoint& newer = grows ? seen.checkpoint() : stored->checkpoint;
  Status s = CheckConsistent(older, newer, proof);
  if (s.code() == StatusCode::kUnauthenticated) {
    ForkEvidence e;
    e.origin = origin;
    e.reason = s.message();
    e.proof.assign(proof.begin(), proof.end());
    e.note_a = grows ? stored->note : seen.note();
    e.note_b = grows ? seen.note() : stored->note;
    CONCLAVE_RETURN_IF_ERROR(
        WriteFileAtomically(ForkPath(origin), AsBytes(EncodeForkEvidence(e))));
    return Status(StatusCode::kAborted,
                  "log fork detected for " + origin + ": " + s.message() +
                      "; evidence written to " + ForkPath(origin).string());
  }
  CONCLAVE_RETURN_IF_ERROR(s);
  if (!grows) return UpdateResult::kUnchanged;
  CONCLAVE_RETURN_IF_ERROR(WriteFileAtomically(PathFor(origin, ".checkpoint"),
                                               AsBytes(seen.note())));
  return UpdateResult::kAdvanced;
}

}  // namespace conclave::audit
