// A whole consortium in one process, for tests of quorum decryption (brief
// §5, §6), the interop test and the benchmark: a simulated key ceremony
// (COCKTAIL-DKG) in a temporary directory, every editor's opened identity
// and share, the log operator with every organisation's witness, and
// submissions.
//
// Nothing here asserts: every call returns Status / StatusOr, so the same
// code serves GoogleTest and a benchmark. The helpers run the protocol the
// way honest parties do (request → votes → release → combine); attack tests
// use the lower-level pieces (HandSignedVote, DraftRequestBody, SignBody,
// the Operator's raw Append) to build what an honest client would refuse.
#ifndef CONCLAVE_TESTS_QUORUM_FIXTURE_H_
#define CONCLAVE_TESTS_QUORUM_FIXTURE_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "audit/checkpoint.h"
#include "audit/cosignature.h"
#include "audit/log.h"
#include "base/bytes.h"
#include "base/secret_bytes.h"
#include "base/status.h"
#include "conclave/v1/ceremony.pb.h"
#include "conclave/v1/quorum.pb.h"
#include "conclave/v1/sealed.pb.h"
#include "crypto/p256.h"
#include "keyceremony/roster.h"
#include "keyceremony/simulate.h"
#include "quorum/combine.h"
#include "quorum/release.h"
#include "quorum/statements.h"
#include "sealed/sealed_file.h"

namespace conclave::testing {

// A fixed clock for the protocol (requests, votes, leaves): tests move it
// explicitly instead of depending on the wall clock.
inline constexpr uint64_t kFixtureNow = 1'760'000'000;

// A fresh directory under the system temp dir, removed with everything in
// it when the object goes away.
class TempDir {
 public:
  static StatusOr<TempDir> Create(std::string_view prefix = "conclave-test");
  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) {
    other.path_.clear();
  }
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  explicit TempDir(std::filesystem::path p) : path_(std::move(p)) {}
  std::filesystem::path path_;
};

Status WriteBytesToFile(const std::filesystem::path& path, ByteSpan bytes);
StatusOr<Bytes> ReadBytesFromFile(const std::filesystem::path& path);

// (organisation id, editor index).
struct EditorRef {
  uint32_t org_id = 0;
  uint32_t editor_index = 1;
  friend auto operator<=>(const EditorRef&, const EditorRef&) = default;
};

struct ConsortiumOptions {
  uint32_t orgs = 5;
  uint32_t threshold = 3;
  // keyceremony::ParseEditorList: "E:K" per organisation, or one entry for
  // all. The default: organisations 1 and 2 with 3 editors, 2 needed.
  std::string editors = "3:2,3:2,1:1,1:1,1:1";
  uint32_t drill_files = 1;
  int work_factor = 10;  // scrypt log2 N of the sealed files (minimum 10)
  keyceremony::KeyGenerationMode mode =
      keyceremony::KeyGenerationMode::kCocktailDkg;
  std::string log_origin = "conclave.example/log";
  uint64_t max_request_lifetime_seconds = 7 * 24 * 3600;
  std::string passphrase = "correct horse battery staple";
};

// One editor with their opened sealed files (identity.age, share.age) and
// the keys checked against the roster.
class ConsortiumEditor {
 public:
  EditorRef ref() const { return {org_id_, editor_index_}; }
  uint32_t org_id() const { return org_id_; }
  uint32_t editor_index() const { return editor_index_; }
  const v1::EditorIdentity& identity() const {
    return identity_.message().editor_identity();
  }
  const v1::EditorShare& share() const {
    return share_.message().editor_share();
  }
  const quorum::EditorKeys& keys() const { return *keys_; }

 private:
  friend class Consortium;
  ConsortiumEditor(uint32_t org, uint32_t editor, OpenedSecret identity,
                   OpenedSecret share, quorum::EditorKeys keys)
      : org_id_(org),
        editor_index_(editor),
        identity_(std::move(identity)),
        share_(std::move(share)),
        keys_(std::make_unique<quorum::EditorKeys>(std::move(keys))) {}
  uint32_t org_id_;
  uint32_t editor_index_;
  OpenedSecret identity_;
  OpenedSecret share_;
  std::unique_ptr<quorum::EditorKeys> keys_;
};

// A submission: the whole age file and its header.
struct Submission {
  Bytes file;
  Bytes header;    // through the newline ending the MAC line
  std::string id;  // hex SHA-256(enc)
  std::vector<uint32_t> excluded_orgs;

  Status WriteTo(const std::filesystem::path& path) const {
    return WriteBytesToFile(path, file);
  }
};

// A submission to `consortium_key` made as the browser makes it
// (age::SubmissionRecipient, STREAM payload). `drill` makes a drill-proof
// file (which only the roster's listed drill ids may use).
StatusOr<Submission> MakeSubmission(const Point& consortium_key,
                                    ByteSpan plaintext,
                                    std::vector<uint32_t> excluded_orgs = {},
                                    bool drill = false);
// Reads an age file (binary or armored) and splits off its header.
StatusOr<Submission> ReadSubmission(const std::filesystem::path& path);
// The header and id of a file held in memory.
StatusOr<Submission> SubmissionFromBytes(Bytes file);

class Consortium {
 public:
  // Runs the ceremony into a fresh temporary directory and opens everything.
  static StatusOr<std::unique_ptr<Consortium>> Create(
      const ConsortiumOptions& options = {});

  const ConsortiumOptions& options() const { return options_; }
  const std::filesystem::path& dir() const { return dir_.path(); }
  const keyceremony::CeremonyResult& ceremony() const { return ceremony_; }
  const keyceremony::VerifiedRoster& roster() const { return roster_; }
  const Point& consortium_key() const { return roster_.consortium_key; }
  uint32_t threshold() const { return roster_.body.threshold(); }
  std::vector<uint32_t> org_ids() const;
  // k_o and n_o.
  uint32_t editor_threshold(uint32_t org_id) const;
  uint32_t editor_count(uint32_t org_id) const;
  // The first k_o editors of the organisation: enough to make it count.
  std::vector<EditorRef> QuorumOf(uint32_t org_id) const;
  // QuorumOf each organisation, concatenated.
  std::vector<EditorRef> QuorumOf(std::span<const uint32_t> org_ids) const;

  // nullptr if there is no such editor.
  const ConsortiumEditor* FindEditor(EditorRef ref) const;
  // Like FindEditor, NOT_FOUND for an unknown editor.
  StatusOr<const ConsortiumEditor*> Editor(EditorRef ref) const;
  std::vector<const ConsortiumEditor*> editors() const;

  const v1::LogKey& log_key() const { return log_key_.message().log_key(); }
  // The witness key of organisation `org_id` (nullptr if absent).
  const v1::WitnessKey* witness_key(uint32_t org_id) const;

  std::filesystem::path drill_path(uint32_t n = 1) const;
  StatusOr<Submission> DrillSubmission(uint32_t n = 1) const;
  // Plaintext of drill file n (keyceremony::MakeDrillFiles).
  static std::string DrillPlaintext(uint32_t n = 1);

  // A submission to this consortium.
  StatusOr<Submission> Submit(ByteSpan plaintext,
                              std::vector<uint32_t> excluded_orgs = {},
                              bool drill = false) const {
    return MakeSubmission(consortium_key(), plaintext, std::move(excluded_orgs),
                          drill);
  }

  // The roster with `edit` applied to its body, re-signed by every editor
  // (we hold every identity) and verified. Another roster of the same keys:
  // a different fingerprint, for drill-listing and wrong-roster tests.
  StatusOr<keyceremony::VerifiedRoster> Resign(
      const std::function<void(v1::RosterBody*)>& edit) const;

  // ---- The protocol, as honest clients run it ----

  StatusOr<quorum::NewRequest> Request(EditorRef requester, ByteSpan age_header,
                                       uint64_t now_unix,
                                       std::string reason = "fixture request",
                                       uint64_t lifetime_seconds = 0) const;
  StatusOr<quorum::VerifiedRequest> VerifyRequest(
      const v1::SignedStatement& request) const;
  // A vote naming `seen` (the checkpoint the voter saw the request in).
  StatusOr<v1::SignedStatement> Vote(
      EditorRef voter, const quorum::VerifiedRequest& request,
      const audit::Checkpoint& seen, uint64_t now_unix,
      v1::Decision decision = v1::DECISION_APPROVE) const;
  // ReleasePartial with this roster and the editor's own share (or
  // `share_override`).
  StatusOr<quorum::Release> Release(
      EditorRef releaser, const v1::SignedStatement* request,
      const v1::LogEvidence* evidence, uint64_t now_unix,
      const v1::EditorShare* share_override = nullptr) const;
  StatusOr<quorum::Combined> Combine(
      EditorRef requester, const quorum::VerifiedRequest& request,
      std::span<const v1::Approval> approvals) const;

  // ---- Pieces for building what honest clients refuse ----

  // Signs `body` (serialized once) under `dst` as `signer`.
  StatusOr<v1::SignedStatement> SignBody(
      std::string_view dst, const google::protobuf::MessageLite& body,
      EditorRef signer) const;
  // A vote body for `request_id`, signed without any check.
  StatusOr<v1::SignedStatement> HandSignedVote(
      EditorRef voter, const quorum::RequestId& request_id,
      const audit::Checkpoint& seen, uint64_t now_unix,
      v1::Decision decision = v1::DECISION_APPROVE) const;
  // A request body filled in as MakeRequest would (roster fingerprint,
  // epoch, requester, id of the header's p256tag enc if it has one, salt,
  // reply key, lifetime = the roster's maximum), unsigned.
  StatusOr<v1::RequestBody> DraftRequestBody(EditorRef requester,
                                             ByteSpan age_header,
                                             uint64_t now_unix) const;

 private:
  Consortium(ConsortiumOptions options, TempDir dir)
      : options_(std::move(options)), dir_(std::move(dir)) {}
  Status Load();

  ConsortiumOptions options_;
  TempDir dir_;
  keyceremony::CeremonyResult ceremony_;
  keyceremony::VerifiedRoster roster_;
  std::map<EditorRef, std::unique_ptr<ConsortiumEditor>> editors_;
  OpenedSecret log_key_{nullptr};
  std::map<uint32_t, OpenedSecret> witness_keys_;
};

// The daemon's side of the log: an audit::Log in memory signed with the
// consortium's log key, and every organisation's witness to cosign.
class Operator {
 public:
  static StatusOr<std::unique_ptr<Operator>> Create(
      const Consortium& consortium);

  audit::Log& log() { return *log_; }
  const audit::Log& log() const { return *log_; }
  uint64_t size() const { return log_->Size(); }
  // The time written into leaves.
  void set_now(uint64_t now_unix) { now_ = now_unix; }
  uint64_t now() const { return now_; }

  // Appends and commits one leaf (quorum::EncodeLogLeaf); its index.
  StatusOr<uint64_t> Append(const v1::LogLeaf& leaf);
  StatusOr<uint64_t> AppendRaw(ByteSpan leaf_bytes);
  StatusOr<uint64_t> AppendRequest(const v1::SignedStatement& request);
  StatusOr<uint64_t> AppendVote(const v1::SignedStatement& vote);
  StatusOr<uint64_t> AppendWithdrawal(const v1::SignedStatement& withdrawal);
  StatusOr<uint64_t> AppendApproval(const v1::Approval& approval);
  StatusOr<uint64_t> AppendExpiry(const quorum::RequestId& request_id);
  StatusOr<uint64_t> AppendSubmission(const Submission& submission);

  // The committed tree's checkpoint (what a vote names).
  StatusOr<audit::Checkpoint> Checkpoint() const;
  // The signed note for the committed tree, with a cosignature line from
  // the witness of each organisation in `cosigners` (all by default).
  StatusOr<std::string> CosignedCheckpoint(
      std::optional<std::set<uint32_t>> cosigners = std::nullopt) const;
  // quorum::BuildLogEvidence from `first_index` up to the committed tree,
  // under CosignedCheckpoint(cosigners).
  StatusOr<v1::LogEvidence> Evidence(
      uint64_t first_index,
      std::optional<std::set<uint32_t>> cosigners = std::nullopt) const;

  // Another operator with the same key holding this log's first `size`
  // leaves: append something else to it and the two logs have forked.
  StatusOr<std::unique_ptr<Operator>> Fork(uint64_t size) const;

 private:
  Operator() = default;
  Status AddWitness(uint32_t org_id, const std::string& name, SecretBytes seed);
  std::unique_ptr<audit::Log> log_;
  std::map<uint32_t, std::unique_ptr<audit::CosignatureV1Signer>> witnesses_;
  // Kept for Fork: the same keys sign the forked log and cosign it.
  SecretBytes log_seed_;
  std::map<uint32_t, std::pair<std::string, SecretBytes>> witness_seeds_;
  std::string origin_;
  uint64_t now_ = kFixtureNow;
};

// ---- The whole flow ----

struct QuorumRun {
  quorum::NewRequest request;
  quorum::VerifiedRequest verified;
  uint64_t request_index = 0;
  audit::Checkpoint seen;  // what the voters named
  std::vector<v1::SignedStatement> votes;
  // Under a checkpoint cosigned by every witness, after the votes.
  v1::LogEvidence evidence;
};

// The request by `requester`, logged; each voter votes naming the committed
// checkpoint that contains it; the votes are logged; the evidence from the
// request to the new tree, cosigned by every witness.
StatusOr<QuorumRun> RequestAndVote(const Consortium& consortium, Operator& op,
                                   EditorRef requester,
                                   const Submission& submission,
                                   std::span<const EditorRef> voters,
                                   uint64_t now_unix = kFixtureNow);

// Each releaser releases on the run's evidence; the first refusal is
// returned (annotated with the releaser).
StatusOr<std::vector<v1::Approval>> ReleaseAll(
    const Consortium& consortium, const QuorumRun& run,
    std::span<const EditorRef> releasers, uint64_t now_unix = kFixtureNow);

// Combine as `requester`, write the submission to `work_dir`, decrypt it to
// a file there and return the plaintext read back.
StatusOr<Bytes> CombineAndOpen(const Consortium& consortium,
                               EditorRef requester,
                               const quorum::VerifiedRequest& request,
                               std::span<const v1::Approval> approvals,
                               const Submission& submission,
                               const std::filesystem::path& work_dir);

// Everything above for one quorum of voters (who are also the releasers).
StatusOr<Bytes> OpenWithQuorum(const Consortium& consortium, Operator& op,
                               EditorRef requester,
                               const Submission& submission,
                               std::span<const EditorRef> voters,
                               const std::filesystem::path& work_dir,
                               uint64_t now_unix = kFixtureNow);

// ---- Hand-made statements for negative tests ----

// An approval made without ReleasePartial's checks: D = y·R with a DLEQ
// proof for y·G (so it verifies only if y is the editor's share), sealed to
// the request's reply key and signed by `who`.
StatusOr<v1::Approval> HandMadeApproval(const Consortium& c, EditorRef who,
                                        const quorum::VerifiedRequest& req,
                                        const Scalar& y);

// ---- Membership change ----

// A REKEY successor of `c`'s roster, as `conclave-ceremony rekey` makes it:
// the key material of `fresh` (another ceremony of the same shape) with the
// organisations, editors' identities, witnesses and log key of `c`, signed
// by every editor of `c`.
StatusOr<v1::Roster> Rekeyed(const Consortium& c, const Consortium& fresh);

}  // namespace conclave::testing

#endif  // CONCLAVE_TESTS_QUORUM_FIXTURE_H_
