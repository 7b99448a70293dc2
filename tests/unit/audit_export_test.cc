// audit/log.h (batched appends, signed checkpoints, export writing) and
// audit/export.h (VerifyExport): the happy paths, the settled rule with
// m = 5, t = 3, the pinned client state, and every tampering the issue
// names, each with its typed problem and a message that says what is wrong.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "audit/client_state.h"
#include "audit/cosignature.h"
#include "audit/export.h"
#include "audit/log.h"
#include "audit/note.h"

namespace conclave::audit {
namespace {

namespace fs = std::filesystem;

constexpr char kOrigin[] = "log.consortium.example";

std::string ReadAll(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
void WriteAll(const fs::path& p, std::string_view data) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
}

Ed25519PrivateKey CopyKey(const Ed25519PrivateKey& k) {
  return Ed25519PrivateKey::FromSeed(k.seed().span()).value();
}

class ExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/conclave-export-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    log_ = NewLog(log_key_);
    for (int i = 1; i <= 5; ++i) {
      auto s = CosignatureV1Signer::Create(
          "witness.org" + std::to_string(i) + ".example",
          Ed25519PrivateKey::Generate(), [] { return uint64_t{1700000000}; });
      ASSERT_TRUE(s.ok());
      witnesses_.push_back(std::move(s).value());
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Log> NewLog(const Ed25519PrivateKey& key,
                              const std::string& origin = kOrigin) {
    auto log =
        Log::Create(std::make_unique<MemoryLogStorage>(), origin, CopyKey(key));
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return std::move(log).value();
  }

  static void Grow(Log* log, int n, const std::string& tag = "event") {
    std::vector<Bytes> leaves;
    for (int i = 0; i < n; ++i) {
      leaves.push_back(ToBytes(tag + " #" + std::to_string(log->Size() + i)));
    }
    ASSERT_TRUE(log->AppendBatch(leaves).ok());
  }

  // The log's signed checkpoint cosigned by the witnesses of `orgs`.
  std::string Cosigned(const Log& log, const std::vector<int>& orgs) {
    std::string note = log.SignCheckpoint().value();
    const std::string text = ParseNote(note).value().text;
    for (int org : orgs) {
      NoteSignature sig;
      sig.name = witnesses_[org - 1]->name();
      sig.key_id = witnesses_[org - 1]->key_id();
      sig.signature = witnesses_[org - 1]->Sign(text).value();
      note = AppendSignatureLines(note, sig.ToLine()).value();
    }
    return note;
  }

  fs::path Export(const Log& log, const std::vector<int>& orgs,
                  const std::string& name = "export") {
    const fs::path d = dir_ / name;
    Status s = log.WriteExport(d, Cosigned(log, orgs));
    EXPECT_TRUE(s.ok()) << s.ToString();
    return d;
  }

  ExportVerifyOptions Pinned() {
    ExportVerifyOptions o;
    o.log_vkey = log_->vkey();
    return o;
  }
  ExportVerifyOptions WithWitnesses() {
    ExportVerifyOptions o = Pinned();
    for (int i = 0; i < 5; ++i) {
      o.witnesses.push_back(
          {static_cast<uint32_t>(i + 1), witnesses_[i]->Verifier()->vkey()});
    }
    o.members = 5;
    o.threshold = 3;
    return o;
  }

  static void ExpectProblem(const StatusOr<ExportVerifyResult>& r,
                            ExportProblem want, const std::string& words) {
    ASSERT_FALSE(r.ok()) << "expected " << ExportProblemName(want);
    EXPECT_EQ(ExportProblemOf(r.status()), want) << r.status().ToString();
    EXPECT_NE(r.status().message().find(words), std::string::npos)
        << r.status().ToString();
  }

  fs::path dir_;
  Ed25519PrivateKey log_key_ = Ed25519PrivateKey::Generate();
  std::unique_ptr<Log> log_;
  std::vector<std::unique_ptr<CosignatureV1Signer>> witnesses_;
};

TEST_F(ExportTest, LogRefusesToSignUncommittedLeaves) {
  Grow(log_.get(), 3);
  ASSERT_TRUE(log_->Append(AsBytes("staged")).ok());
  EXPECT_EQ(log_->SignCheckpoint().status().code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(log_->Commit().ok());
  auto cp = ParseCheckpoint(ParseNote(log_->SignCheckpoint().value())->text);
  EXPECT_EQ(cp->size, 4u);
  EXPECT_EQ(cp->origin, kOrigin);
}

TEST_F(ExportTest, WriteExportRefusesAForeignCheckpoint) {
  Grow(log_.get(), 3);
  auto other = NewLog(Ed25519PrivateKey::Generate());
  Grow(other.get(), 3);
  EXPECT_EQ(
      log_->WriteExport(dir_ / "x", other->SignCheckpoint().value()).code(),
      StatusCode::kFailedPrecondition);
  // Same key, other leaves: the root does not match the stored tree.
  auto twin = NewLog(log_key_);
  Grow(twin.get(), 3, "other");
  EXPECT_EQ(
      log_->WriteExport(dir_ / "x", twin->SignCheckpoint().value()).code(),
      StatusCode::kFailedPrecondition);
}

TEST_F(ExportTest, ExportFormatIsAsDocumented) {
  ASSERT_TRUE(
      log_->AppendBatch(std::vector<Bytes>{ToBytes("ab"), Bytes{}}).ok());
  const fs::path d = Export(*log_, {});
  EXPECT_EQ(ReadAll(d / "leaves"), std::string("\0\0\0\x02"
                                               "ab"
                                               "\0\0\0\0",
                                               10));
  EXPECT_EQ(ReadAll(d / "log.vkey"), log_->vkey() + "\n");
  EXPECT_EQ(ReadAll(d / "checkpoint"), log_->SignCheckpoint().value());
}

TEST_F(ExportTest, VerifiesAndSaysWhatItTrusted) {
  Grow(log_.get(), 1000);
  const fs::path d = Export(*log_, {1, 2, 3, 4});
  auto r = VerifyExport(d, Pinned());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->leaf_count, 1000u);
  EXPECT_EQ(r->checkpoint.size, 1000u);
  EXPECT_FALSE(r->trusted_export_vkey);
  EXPECT_FALSE(r->witnesses_checked);

  // Neither roster nor --log-vkey: DIR/log.vkey is trusted, and said so.
  r = VerifyExport(d, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->trusted_export_vkey);
  ASSERT_FALSE(r->notes.empty());
  EXPECT_NE(r->notes[0].find("DIR/log.vkey"), std::string::npos);

  // The empty log exports and verifies too.
  auto empty = NewLog(Ed25519PrivateKey::Generate(), "empty.example");
  const fs::path e = Export(*empty, {}, "empty");
  r = VerifyExport(e, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->leaf_count, 0u);
}

TEST_F(ExportTest, SettledRuleWithFiveMembersThresholdThree) {
  Grow(log_.get(), 10);
  EXPECT_EQ(SettleThreshold(5, 3), 4u);
  auto r = VerifyExport(Export(*log_, {1, 2, 3}, "three"), WithWitnesses());
  ExpectProblem(r, ExportProblem::kNotSettled, "3 of 4");
  r = VerifyExport(Export(*log_, {1, 2, 4, 5}, "four"), WithWitnesses());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->settled);
  EXPECT_EQ(r->cosigning_orgs, (std::vector<uint32_t>{1, 2, 4, 5}));
  EXPECT_EQ(r->settle_threshold, 4u);
  // A cosignature from a key outside the roster does not count.
  auto stranger = CosignatureV1Signer::Create("witness.stranger",
                                              Ed25519PrivateKey::Generate());
  std::string note = Cosigned(*log_, {1, 2, 3});
  NoteSignature sig{(*stranger)->name(), (*stranger)->key_id(),
                    (*stranger)->Sign(ParseNote(note)->text).value()};
  note = AppendSignatureLines(note, sig.ToLine()).value();
  ASSERT_TRUE(log_->WriteExport(dir_ / "stranger", note).ok());
  ExpectProblem(VerifyExport(dir_ / "stranger", WithWitnesses()),
                ExportProblem::kNotSettled, "3 of 4");
}

TEST_F(ExportTest, ChangedLeafIsDetected) {
  Grow(log_.get(), 50);
  const fs::path d = Export(*log_, {});
  std::string leaves = ReadAll(d / "leaves");
  const size_t pos = leaves.find("event #17");
  ASSERT_NE(pos, std::string::npos);
  leaves[pos + 1] = 'V';  // same length, other bytes
  WriteAll(d / "leaves", leaves);
  ExpectProblem(VerifyExport(d, Pinned()), ExportProblem::kLeafChanged,
                "leaves do not match the checkpoint");
}

TEST_F(ExportTest, DroppedAndExtraLeavesAreDetected) {
  Grow(log_.get(), 20);
  const fs::path d = Export(*log_, {});
  const std::string leaves = ReadAll(d / "leaves");
  const size_t rec = 4 + std::string("event #0").size();
  // Drop the first leaf.
  WriteAll(d / "leaves", leaves.substr(rec));
  ExpectProblem(VerifyExport(d, Pinned()), ExportProblem::kLeavesDropped,
                "leaves are missing: the export has 19 leaves but the "
                "checkpoint covers 20");
  // Drop the tail.
  WriteAll(d / "leaves", leaves.substr(0, leaves.size() - 2 * 13));
  ExpectProblem(VerifyExport(d, Pinned()), ExportProblem::kLeavesDropped,
                "has 18 leaves");
  // Cut inside a record.
  WriteAll(d / "leaves", leaves.substr(0, leaves.size() - 3));
  ExpectProblem(VerifyExport(d, Pinned()), ExportProblem::kMalformed,
                "truncated inside leaf 19");
  // One more leaf than the checkpoint covers.
  WriteAll(d / "leaves", leaves + std::string("\0\0\0\x01x", 5));
  ExpectProblem(VerifyExport(d, Pinned()), ExportProblem::kExtraLeaves,
                "more leaves than the checkpoint");
  // A swapped pair keeps the count but not the root.
  std::string swapped = leaves;
  const std::string a = leaves.substr(0, rec), b = leaves.substr(rec, rec);
  swapped.replace(0, rec, b);
  swapped.replace(rec, rec, a);
  WriteAll(d / "leaves", swapped);
  ExpectProblem(VerifyExport(d, Pinned()), ExportProblem::kLeafChanged,
                "do not match");
}

TEST_F(ExportTest, CheckpointFromAnotherLogIsDetected) {
  Grow(log_.get(), 5);
  auto other = NewLog(Ed25519PrivateKey::Generate(), "other.example/log");
  Grow(other.get(), 5);
  const fs::path d = Export(*other, {});
  ExpectProblem(VerifyExport(d, Pinned()), ExportProblem::kWrongLog,
                "checkpoint is from another log: origin \"other.example/log\"");
  // Same origin, a key the verifier does not trust.
  auto impostor = NewLog(Ed25519PrivateKey::Generate());
  Grow(impostor.get(), 5);
  const fs::path d2 = Export(*impostor, {}, "impostor");
  ExpectProblem(VerifyExport(d2, Pinned()), ExportProblem::kWrongLog,
                "not signed by the log key");
  // Trusting DIR/log.vkey, the impostor's export is internally consistent
  // (the reason the report says what it trusted).
  EXPECT_TRUE(VerifyExport(d2, {}).ok());
}

TEST_F(ExportTest, BadSignaturesAreDetected) {
  Grow(log_.get(), 5);
  const fs::path d = Export(*log_, {1, 2, 3, 4});
  const std::string good = ReadAll(d / "checkpoint");
  Note note = ParseNote(good).value();
  // The log's own signature.
  Note bad_log = note;
  bad_log.signatures[0].signature[5] ^= 1;
  WriteAll(d / "checkpoint", FormatNote(bad_log).value());
  ExpectProblem(VerifyExport(d, Pinned()), ExportProblem::kBadLogSignature,
                "log's signature on the checkpoint does not verify");
  // A witness's cosignature (past the 8-byte timestamp).
  Note bad_cosig = note;
  bad_cosig.signatures[3].signature[20] ^= 1;
  WriteAll(d / "checkpoint", FormatNote(bad_cosig).value());
  ExpectProblem(VerifyExport(d, WithWitnesses()),
                ExportProblem::kBadCosignature,
                "cosignature from the witness of organisation 3");
  // Without witness keys the cosignatures are not checked, and said so.
  auto r = VerifyExport(d, Pinned());
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->notes.back().find("not checked"), std::string::npos);
  // A changed checkpoint body breaks every signature: the log's first.
  std::string changed = good;
  changed.replace(changed.find("\n5\n"), 3, "\n6\n");
  WriteAll(d / "checkpoint", changed);
  ExpectProblem(VerifyExport(d, Pinned()), ExportProblem::kBadLogSignature,
                "does not verify");
}

TEST_F(ExportTest, StateAdvancesAlongOneHistory) {
  const fs::path state = dir_ / "state";
  ExportVerifyOptions o = WithWitnesses();
  o.state_dir = state;
  Grow(log_.get(), 7);
  auto r = VerifyExport(Export(*log_, {1, 2, 3, 4}, "e1"), o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->state, ExportVerifyResult::StateOutcome::kStoredFirst);
  for (int grow : {1, 9, 100, 0}) {
    Grow(log_.get(), grow);
    r = VerifyExport(Export(*log_, {2, 3, 4, 5}, "e" + std::to_string(grow)),
                     o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->state, grow ? ExportVerifyResult::StateOutcome::kAdvanced
                             : ExportVerifyResult::StateOutcome::kUnchanged);
  }
  auto cs = ClientState::Open(state).value();
  EXPECT_EQ(cs.Latest(kOrigin)->checkpoint.size, 117u);
}

TEST_F(ExportTest, RewrittenHistoryIsDetectedAndKeptAsEvidence) {
  const fs::path state = dir_ / "state";
  ExportVerifyOptions o = WithWitnesses();
  o.state_dir = state;
  Grow(log_.get(), 10);
  ASSERT_TRUE(VerifyExport(Export(*log_, {1, 2, 3, 4}, "e1"), o).ok());
  // The log key signs a history that replaces leaf 4 and grows it.
  auto rewritten = NewLog(log_key_);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(rewritten
                    ->Append(ToBytes(i == 4 ? std::string("forged")
                                            : "event #" + std::to_string(i)))
                    .ok());
  }
  ASSERT_TRUE(rewritten->Commit().ok());
  Grow(rewritten.get(), 5);
  const fs::path d = Export(*rewritten, {1, 2, 3, 4}, "rewritten");
  // On its own the export is fine: only the pinned state shows the lie.
  ASSERT_TRUE(VerifyExport(d, WithWitnesses()).ok());
  auto r = VerifyExport(d, o);
  ExpectProblem(r, ExportProblem::kHistoryRewritten, "history rewritten");
  EXPECT_NE(r.status().message().find("evidence kept in"), std::string::npos);
  // The evidence is portable: it verifies with the log key alone.
  auto cs = ClientState::Open(state).value();
  auto ev = cs.Fork(kOrigin).value();
  ASSERT_TRUE(ev.has_value());
  EXPECT_TRUE(VerifyForkEvidence(*ev, log_->verifier()).ok());
  // From then on the state refuses to move.
  ExpectProblem(VerifyExport(Export(*log_, {1, 2, 3, 4}, "e2"), o),
                ExportProblem::kForkOnRecord, "fork evidence");
}

TEST_F(ExportTest, RewriteIsDetectedWithoutWitnessesToo) {
  const fs::path state = dir_ / "state";
  // Pin a settled checkpoint first.
  ExportVerifyOptions settle = WithWitnesses();
  settle.state_dir = state;
  Grow(log_.get(), 6);
  ASSERT_TRUE(VerifyExport(Export(*log_, {1, 2, 3, 4}, "e1"), settle).ok());
  // Same size, other root, only the pinned log key given.
  auto twin = NewLog(log_key_);
  Grow(twin.get(), 6, "other");
  ExportVerifyOptions o = Pinned();
  o.state_dir = state;
  auto r = VerifyExport(Export(*twin, {}, "twin"), o);
  ExpectProblem(r, ExportProblem::kHistoryRewritten, "history rewritten");
  auto ev = ClientState::Open(state).value().Fork(kOrigin).value();
  ASSERT_TRUE(ev.has_value());
  EXPECT_TRUE(VerifyForkEvidence(*ev, log_->verifier()).ok());
}

TEST_F(ExportTest, OlderExportThanStateAndUnsettledState) {
  const fs::path state = dir_ / "state";
  Grow(log_.get(), 4);
  const fs::path old = Export(*log_, {1, 2, 3, 4}, "old");
  Grow(log_.get(), 4);
  ExportVerifyOptions o = WithWitnesses();
  o.state_dir = state;
  ASSERT_TRUE(VerifyExport(Export(*log_, {1, 2, 3, 4}, "new"), o).ok());
  ExpectProblem(VerifyExport(old, o), ExportProblem::kOlderThanState,
                "older than the one pinned");
  // Without witnesses a consistent export is checked, not pinned.
  Grow(log_.get(), 4);
  ExportVerifyOptions p = Pinned();
  p.state_dir = state;
  auto r = VerifyExport(Export(*log_, {}, "newer"), p);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->state, ExportVerifyResult::StateOutcome::kCheckedOnly);
  EXPECT_EQ(ClientState::Open(state)->Latest(kOrigin)->checkpoint.size, 8u);
}

TEST_F(ExportTest, MissingFilesAreMalformed) {
  Grow(log_.get(), 2);
  const fs::path d = Export(*log_, {});
  fs::remove(d / "leaves");
  ExpectProblem(VerifyExport(d, Pinned()), ExportProblem::kMalformed,
                "missing");
  ExpectProblem(VerifyExport(dir_ / "nothing-here", {}),
                ExportProblem::kMalformed, "missing");
}

TEST(ExportProblemTest, NamesRoundTrip) {
  EXPECT_EQ(ExportProblemOf(OkStatus()), ExportProblem::kNone);
  EXPECT_EQ(ExportProblemOf(InvalidArgumentError("plain")),
            ExportProblem::kMalformed);
  EXPECT_EQ(ExportProblemName(ExportProblem::kHistoryRewritten),
            "history-rewritten");
}

}  // namespace
}  // namespace conclave::audit
