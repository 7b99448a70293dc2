#include "audit/export.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <utility>

#include "audit/client_state.h"
#include "audit/log.h"
#include "audit/log_storage.h"
#include "audit/note.h"
#include "base/file_util.h"

namespace conclave::audit {

namespace {

constexpr std::string_view kTagPrefix = "[export:";

struct ProblemInfo {
  ExportProblem problem;
  std::string_view name;
  StatusCode code;
};

constexpr ProblemInfo kProblems[] = {
    {ExportProblem::kMalformed, "malformed", StatusCode::kInvalidArgument},
    {ExportProblem::kLeafChanged, "leaf-changed", StatusCode::kUnauthenticated},
    {ExportProblem::kLeavesDropped, "leaves-dropped",
     StatusCode::kUnauthenticated},
    {ExportProblem::kExtraLeaves, "extra-leaves", StatusCode::kUnauthenticated},
    {ExportProblem::kWrongLog, "wrong-log", StatusCode::kUnauthenticated},
    {ExportProblem::kBadLogSignature, "bad-log-signature",
     StatusCode::kUnauthenticated},
    {ExportProblem::kBadCosignature, "bad-cosignature",
     StatusCode::kUnauthenticated},
    {ExportProblem::kNotSettled, "not-settled",
     StatusCode::kFailedPrecondition},
    {ExportProblem::kHistoryRewritten, "history-rewritten",
     StatusCode::kUnauthenticated},
    {ExportProblem::kOlderThanState, "older-than-state",
     StatusCode::kFailedPrecondition},
    {ExportProblem::kForkOnRecord, "fork-on-record",
     StatusCode::kFailedPrecondition},
    {ExportProblem::kIo, "io", StatusCode::kUnavailable},
};

Status Problem(ExportProblem problem, const std::string& message) {
  for (const ProblemInfo& p : kProblems) {
    if (p.problem == problem) {
      return Status(p.code, std::string(kTagPrefix) + std::string(p.name) +
                                "] " + message);
    }
  }
  return InternalError("unknown export problem");
}

// Keeps an I/O class as I/O, anything else as `problem`.
Status Reclassify(const Status& s, ExportProblem problem,
                  const std::string& context) {
  if (s.code() == StatusCode::kUnavailable) {
    return Problem(ExportProblem::kIo, context + ": " + s.message());
  }
  return Problem(problem, context + ": " + s.message());
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' ||
                        s.back() == ' ' || s.back() == '\t')) {
    s.pop_back();
  }
  return s;
}

StatusOr<std::string> ReadSmallFile(const std::filesystem::path& path) {
  auto bytes = ReadFileBytes(path, kMaxNoteSize);
  if (!bytes.ok()) {
    if (bytes.status().code() == StatusCode::kNotFound) {
      return Problem(
          ExportProblem::kMalformed,
          "missing " + path.string() + " (not an export directory?)");
    }
    return Reclassify(bytes.status(), ExportProblem::kMalformed,
                      "reading " + path.string());
  }
  return std::string(bytes->begin(), bytes->end());
}

// A TreeHashSource that records which perfect subtrees a proof reads (phase
// one) or serves them from what was captured while streaming (phase two).
class CapturedTree : public TreeHashSource {
 public:
  explicit CapturedTree(uint64_t size) : size_(size) {}
  uint64_t Size() const override { return size_; }
  StatusOr<Hash> SubtreeHash(int level, uint64_t index) const override {
    auto it = nodes_.find({level, index});
    if (it != nodes_.end() && it->second) return *it->second;
    if (recording_) {
      nodes_[{level, index}] = std::nullopt;
      return Hash{};
    }
    return InternalError("export: a proof node was not captured");
  }
  void StopRecording() { recording_ = false; }
  std::map<std::pair<int, uint64_t>, std::optional<Hash>>& nodes() {
    return nodes_;
  }

 private:
  uint64_t size_;
  bool recording_ = true;
  mutable std::map<std::pair<int, uint64_t>, std::optional<Hash>> nodes_;
};

// Computes the hashes of chosen perfect subtrees while leaves stream by.
class NodeCapture {
 public:
  void Want(int level, uint64_t index) {
    Slot s;
    s.level = level;
    s.index = index;
    s.start = index << level;
    s.end = (index + 1) << level;
    slots_.push_back(std::move(s));
  }
  void Add(uint64_t i, const Hash& leaf_hash) {
    for (Slot& s : slots_) {
      if (i < s.start || i >= s.end) continue;
      s.range.AppendLeafHash(leaf_hash);
      if (s.range.size() == s.end - s.start) s.done = s.range.Root();
    }
  }
  void Export(CapturedTree* tree) const {
    for (const Slot& s : slots_) {
      if (s.done) tree->nodes()[{s.level, s.index}] = *s.done;
    }
  }
  bool empty() const { return slots_.empty(); }

 private:
  struct Slot {
    int level = 0;
    uint64_t index = 0, start = 0, end = 0;
    CompactRange range;
    std::optional<Hash> done;
  };
  std::vector<Slot> slots_;
};

std::string B64(const Hash& h) { return NoteBase64Encode(h); }

}  // namespace

std::string_view ExportProblemName(ExportProblem problem) {
  if (problem == ExportProblem::kNone) return "none";
  for (const ProblemInfo& p : kProblems) {
    if (p.problem == problem) return p.name;
  }
  return "unknown";
}

ExportProblem ExportProblemOf(const Status& status) {
  if (status.ok()) return ExportProblem::kNone;
  const std::string& m = status.message();
  if (m.rfind(kTagPrefix, 0) != 0) return ExportProblem::kMalformed;
  const size_t end = m.find(']');
  if (end == std::string::npos) return ExportProblem::kMalformed;
  const std::string_view name(m.data() + kTagPrefix.size(),
                              end - kTagPrefix.size());
  for (const ProblemInfo& p : kProblems) {
    if (p.name == name) return p.problem;
  }
  return ExportProblem::kMalformed;
}

std::string_view StateOutcomeName(ExportVerifyResult::StateOutcome outcome) {
  using O = ExportVerifyResult::StateOutcome;
  switch (outcome) {
    case O::kNotUsed:
      return "not-used";
    case O::kStoredFirst:
      return "stored-first";
    case O::kAdvanced:
      return "advanced";
    case O::kUnchanged:
      return "unchanged";
    case O::kCheckedOnly:
      return "checked-only";
  }
  return "unknown";
}

Status ReadExportLeaves(const std::filesystem::path& leaves_file,
                        const std::function<Status(ByteSpan)>& leaf) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(leaves_file.c_str(), "rb"),
                                          &std::fclose);
  if (!f) {
    if (errno == ENOENT) {
      return Problem(ExportProblem::kMalformed,
                     "missing " + leaves_file.string());
    }
    return Problem(ExportProblem::kIo, "cannot open " + leaves_file.string() +
                                           ": " + std::strerror(errno));
  }
  std::setvbuf(f.get(), nullptr, _IOFBF, 1 << 20);
  Bytes buf;
  for (uint64_t i = 0;; ++i) {
    uint8_t len[4];
    const size_t got = std::fread(len, 1, 4, f.get());
    if (got == 0 && std::feof(f.get())) return OkStatus();
    if (got != 4) {
      if (std::ferror(f.get())) {
        return Problem(ExportProblem::kIo,
                       "cannot read " + leaves_file.string());
      }
      return Problem(ExportProblem::kMalformed,
                     "leaves file is truncated in the length of leaf " +
                         std::to_string(i));
    }
    const uint32_t n = (uint32_t{len[0]} << 24) | (uint32_t{len[1]} << 16) |
                       (uint32_t{len[2]} << 8) | uint32_t{len[3]};
    if (n > kMaxLeafSize) {
      return Problem(ExportProblem::kMalformed,
                     "leaf " + std::to_string(i) + " claims " +
                         std::to_string(n) + " bytes, more than the limit");
    }
    buf.resize(n);
    if (n > 0 && std::fread(buf.data(), 1, n, f.get()) != n) {
      if (std::ferror(f.get())) {
        return Problem(ExportProblem::kIo,
                       "cannot read " + leaves_file.string());
      }
      return Problem(
          ExportProblem::kMalformed,
          "leaves file is truncated inside leaf " + std::to_string(i));
    }
    CONCLAVE_RETURN_IF_ERROR(leaf(buf));
  }
}

StatusOr<ExportVerifyResult> VerifyExport(const std::filesystem::path& dir,
                                          const ExportVerifyOptions& options) {
  ExportVerifyResult result;

  // The log key: pinned, or taken from the export (and said so).
  std::string vkey;
  if (options.log_vkey) {
    vkey = Trim(*options.log_vkey);
    auto in_export = ReadSmallFile(dir / kExportVkeyFile);
    if (in_export.ok() && Trim(*in_export) != vkey) {
      result.notes.push_back(
          "DIR/log.vkey differs from the pinned log key; it was ignored");
    }
  } else {
    CONCLAVE_ASSIGN_OR_RETURN(vkey, ReadSmallFile(dir / kExportVkeyFile));
    vkey = Trim(vkey);
    result.trusted_export_vkey = true;
    result.notes.push_back(
        "the log key was taken from DIR/log.vkey itself: this checks that the "
        "export is internally consistent, not that it comes from your "
        "consortium's log (pin the key with --log-vkey, or use a roster)");
  }
  auto log_key = Ed25519NoteVerifier::FromVerifierKey(vkey);
  if (!log_key.ok()) {
    return Problem(ExportProblem::kMalformed,
                   "log vkey: " + log_key.status().message());
  }
  result.log_vkey = vkey;
  const NoteVerifier& log_verifier = **log_key;

  // The checkpoint: parse first so that a checkpoint from another log is
  // named as such, then verify the log's signature.
  CONCLAVE_ASSIGN_OR_RETURN(std::string note,
                            ReadSmallFile(dir / kExportCheckpointFile));
  auto parsed = ParseNote(note);
  if (!parsed.ok()) {
    return Problem(ExportProblem::kMalformed,
                   "checkpoint: " + parsed.status().message());
  }
  auto cp = ParseCheckpoint(parsed->text);
  if (!cp.ok()) {
    return Problem(ExportProblem::kMalformed,
                   "checkpoint: " + cp.status().message());
  }
  result.checkpoint = *cp;
  if (cp->origin != log_verifier.name()) {
    return Problem(ExportProblem::kWrongLog,
                   "checkpoint is from another log: origin \"" + cp->origin +
                       "\", but the log key is for \"" + log_verifier.name() +
                       "\"");
  }
  bool has_key_line = false;
  for (const NoteSignature& sig : parsed->signatures) {
    if (sig.name == log_verifier.name() &&
        sig.key_id == log_verifier.key_id()) {
      has_key_line = true;
    }
  }
  if (!has_key_line) {
    return Problem(ExportProblem::kWrongLog,
                   "checkpoint is not signed by the log key " + vkey +
                       " (unknown key: another log, or a key you do not "
                       "trust)");
  }
  NoteVerifierSet log_keys;
  CONCLAVE_RETURN_IF_ERROR(log_keys.Add(&log_verifier));
  auto opened = OpenNote(note, log_keys);
  if (!opened.ok()) {
    return Problem(ExportProblem::kBadLogSignature,
                   "the log's signature on the checkpoint does not verify: " +
                       opened.status().message());
  }

  // Witness cosignatures (stand-in roster: --witness, --members,
  // --threshold).
  std::optional<WitnessRoster> roster;
  std::optional<CosignedCheckpoint> cosigned;
  if (!options.witnesses.empty()) {
    std::vector<WitnessEntry> entries;
    for (const ExportWitness& w : options.witnesses) {
      entries.push_back({w.org_id, w.vkey});
    }
    auto r = WitnessRoster::Create(options.members, options.threshold, entries);
    if (!r.ok()) {
      return Problem(ExportProblem::kMalformed,
                     "witnesses: " + r.status().message());
    }
    roster.emplace(std::move(r).value());
    auto c = VerifyCosignedCheckpoint(note, cp->origin, log_verifier, *roster);
    if (!c.ok()) {
      return Problem(ExportProblem::kBadCosignature, c.status().message());
    }
    cosigned.emplace(std::move(c).value());
    result.witnesses_checked = true;
    result.settle_threshold = roster->settle_threshold();
    for (const auto& [org, ts] : cosigned->cosigners) {
      result.cosigning_orgs.push_back(org);
    }
  } else {
    result.notes.push_back(
        "witness cosignatures were not checked (no --witness keys): the "
        "checkpoint may not be settled");
  }

  // The pinned state, if any.
  std::optional<ClientState> state;
  std::optional<StoredCheckpoint> pinned;
  if (options.state_dir) {
    auto s = ClientState::Open(*options.state_dir);
    if (!s.ok()) return Reclassify(s.status(), ExportProblem::kIo, "state");
    state.emplace(std::move(s).value());
    auto fork = state->Fork(cp->origin);
    if (!fork.ok())
      return Reclassify(fork.status(), ExportProblem::kIo, "state");
    if (fork->has_value()) {
      return Problem(ExportProblem::kForkOnRecord,
                     "fork evidence for this log is on record in " +
                         state->ForkPath(cp->origin).string() +
                         "; the state does not move until it is resolved");
    }
    auto latest = state->Latest(cp->origin);
    if (latest.ok()) {
      pinned = std::move(latest).value();
    } else if (latest.status().code() != StatusCode::kNotFound) {
      return Reclassify(latest.status(), ExportProblem::kIo, "state");
    }
    if (pinned && pinned->checkpoint.size > cp->size) {
      return Problem(ExportProblem::kOlderThanState,
                     "the export's checkpoint (size " +
                         std::to_string(cp->size) +
                         ") is older than the one pinned in the state (size " +
                         std::to_string(pinned->checkpoint.size) +
                         "): a log never shrinks; it cannot be checked here");
    }
  }

  // Which perfect subtrees the consistency proof from the pinned size needs.
  const uint64_t pinned_size = pinned ? pinned->checkpoint.size : 0;
  CapturedTree captured(cp->size);
  NodeCapture capture;
  const bool need_proof = pinned && pinned_size > 0 && pinned_size < cp->size;
  if (need_proof) {
    (void)ConsistencyProof(captured, pinned_size, cp->size);
    captured.StopRecording();
    for (const auto& [node, hash] : captured.nodes()) {
      capture.Want(node.first, node.second);
    }
  }

  // Stream the leaves.
  CompactRange range;
  std::optional<Hash> root_at_pinned;
  if (pinned && pinned_size == 0) root_at_pinned = EmptyRootHash();
  const uint64_t want = cp->size;
  Status s = ReadExportLeaves(dir / kExportLeavesFile, [&](ByteSpan leaf) {
    const uint64_t i = range.size();
    if (i >= want) {
      return Problem(ExportProblem::kExtraLeaves,
                     "the export has more leaves than the checkpoint's size " +
                         std::to_string(want));
    }
    const Hash h = HashLeaf(leaf);
    range.AppendLeafHash(h);
    if (!capture.empty()) capture.Add(i, h);
    result.leaf_bytes += leaf.size();
    if (pinned && range.size() == pinned_size) root_at_pinned = range.Root();
    if (options.progress && (range.size() & 0xFFFF) == 0) {
      options.progress(range.size());
    }
    return OkStatus();
  });
  CONCLAVE_RETURN_IF_ERROR(s);
  result.leaf_count = range.size();
  if (range.size() < want) {
    return Problem(
        ExportProblem::kLeavesDropped,
        "leaves are missing: the export has " + std::to_string(range.size()) +
            " leaves but the checkpoint covers " + std::to_string(want));
  }
  const Hash root = range.Root();
  if (root != cp->root_hash) {
    return Problem(ExportProblem::kLeafChanged,
                   "the leaves do not match the checkpoint: their root is " +
                       B64(root) + ", the signed root is " +
                       B64(cp->root_hash) +
                       " (a leaf was changed, reordered or replaced)");
  }

  // Settled?
  std::optional<SettledCheckpoint> settled;
  if (roster) {
    auto st = Settle(*cosigned, {}, *roster);
    if (!st.ok()) {
      return Problem(ExportProblem::kNotSettled,
                     "the checkpoint is " + st.status().message() +
                         " (W = ceil((m + t) / 2))");
    }
    settled.emplace(std::move(st).value());
    result.settled = true;
  }

  // Against the pinned state.
  if (!state) return result;
  result.pinned_size =
      pinned ? std::optional<uint64_t>(pinned_size) : std::nullopt;
  std::vector<Hash> proof;
  if (need_proof) {
    capture.Export(&captured);
    auto p = ConsistencyProof(captured, pinned_size, cp->size);
    if (!p.ok()) return p.status();
    proof = std::move(p).value();
  }
  const bool rewritten = pinned && root_at_pinned &&
                         *root_at_pinned != pinned->checkpoint.root_hash;
  if (rewritten) {
    const std::string what =
        "history rewritten: the log signed this checkpoint (size " +
        std::to_string(cp->size) + "), whose first " +
        std::to_string(pinned_size) + " leaves have root " +
        B64(*root_at_pinned) +
        ", but the checkpoint pinned in your state "
        "has root " +
        B64(pinned->checkpoint.root_hash) +
        " for that size: two inconsistent log-signed histories";
    std::string where;
    if (settled) {
      // ClientState keeps both notes and the proof as fork evidence.
      auto u = state->Update(*settled, proof);
      if (u.ok())
        return InternalError("state accepted an inconsistent history");
    } else {
      ForkEvidence ev;
      ev.origin = cp->origin;
      ev.reason = "export rewrites the history pinned in the client state";
      ev.proof = proof;
      ev.note_a = pinned->note;
      ev.note_b = note;
      (void)CreateFileAtomically(state->ForkPath(cp->origin),
                                 AsBytes(EncodeForkEvidence(ev)));
    }
    auto fork = state->Fork(cp->origin);
    if (fork.ok() && fork->has_value()) {
      where = "; evidence kept in " + state->ForkPath(cp->origin).string();
    }
    return Problem(ExportProblem::kHistoryRewritten, what + where);
  }
  if (!settled) {
    result.state = ExportVerifyResult::StateOutcome::kCheckedOnly;
    result.notes.push_back(
        pinned ? "consistent with the pinned checkpoint; the state was not "
                 "advanced because the checkpoint is not shown settled"
               : "nothing is pinned for this log and the checkpoint is not "
                 "shown settled: the state was not written");
    return result;
  }
  auto u = state->Update(*settled, proof);
  if (!u.ok()) {
    if (u.status().code() == StatusCode::kAborted) {
      return Problem(ExportProblem::kHistoryRewritten, u.status().message());
    }
    return Reclassify(u.status(), ExportProblem::kIo, "state");
  }
  switch (*u) {
    case ClientState::UpdateResult::kStoredFirst:
      result.state = ExportVerifyResult::StateOutcome::kStoredFirst;
      break;
    case ClientState::UpdateResult::kAdvanced:
      result.state = ExportVerifyResult::StateOutcome::kAdvanced;
      break;
    case ClientState::UpdateResult::kUnchanged:
      result.state = ExportVerifyResult::StateOutcome::kUnchanged;
      break;
  }
  return result;
}

}  // namespace conclave::audit
