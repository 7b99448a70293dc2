// The witness protocol (C2SP tlog-witness add-checkpoint) as a pure function
// over (config, state, request), every status code the spec names, and the
// persistent Witness: state file, lock, key binding, restart.
#include "witness/witness.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "audit/checkpoint.h"
#include "audit/cosignature.h"
#include "audit/log.h"
#include "audit/note.h"
#include "base/file_util.h"

namespace conclave::witness {
namespace {

namespace fs = std::filesystem;
using audit::Hash;

constexpr char kOrigin[] = "log.consortium.example";
constexpr uint64_t kNow = 1700000000;

std::unique_ptr<audit::Log> NewLog(const std::string& origin,
                                   Ed25519PrivateKey key) {
  auto log = audit::Log::Create(std::make_unique<audit::MemoryLogStorage>(),
                                origin, std::move(key));
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  return std::move(log).value();
}

void Grow(audit::Log* log, int n, const std::string& tag = "leaf") {
  std::vector<Bytes> leaves;
  for (int i = 0; i < n; ++i) {
    leaves.push_back(ToBytes(tag + " " + std::to_string(log->Size() + i)));
  }
  ASSERT_TRUE(log->AppendBatch(leaves).ok());
}

std::string Body(uint64_t old, const std::vector<Hash>& proof,
                 const std::string& note) {
  std::string b = "old " + std::to_string(old) + "\n";
  for (const Hash& h : proof) b += audit::NoteBase64Encode(h) + "\n";
  return b + "\n" + note;
}

class WitnessProtocolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_key_seed_ = Ed25519PrivateKey::Generate();
    log_ = NewLog(kOrigin, CopyKey(log_key_seed_));
    auto signer = audit::CosignatureV1Signer::Create(
        "witness.org1.example", Ed25519PrivateKey::Generate());
    ASSERT_TRUE(signer.ok());
    verifier_ = (*signer)->Verifier();
    config_.signer = std::move(signer).value();
    config_.clock = [] { return kNow; };
    ASSERT_TRUE(config_.AddLogVkey(log_->vkey()).ok());
    state_.witness_vkey = verifier_->vkey();
  }

  static Ed25519PrivateKey CopyKey(const Ed25519PrivateKey& k) {
    return Ed25519PrivateKey::FromSeed(k.seed().span()).value();
  }

  // Submits and, on 200, applies the update as Witness would.
  HttpReply Submit(const std::string& body) {
    AddCheckpointOutcome o = ProcessAddCheckpoint(config_, state_, body);
    EXPECT_EQ(o.update.has_value(), o.reply.status == 200);
    if (o.update) state_.logs[o.update->first] = o.update->second;
    return o.reply;
  }

  std::string Sign() { return log_->SignCheckpoint().value(); }

  Ed25519PrivateKey log_key_seed_ = Ed25519PrivateKey::Generate();
  std::unique_ptr<audit::Log> log_;
  std::unique_ptr<audit::CosignatureV1Verifier> verifier_;
  WitnessConfig config_;
  WitnessState state_;
};

TEST_F(WitnessProtocolTest, ConsistentGrowthIsCosigned) {
  Grow(log_.get(), 5);
  const std::string note1 = Sign();
  HttpReply r = Submit(Body(0, {}, note1));
  ASSERT_EQ(r.status, 200) << r.body;
  // The reply is one cosignature line that verifies over the checkpoint.
  ASSERT_EQ(r.body.rfind("\xE2\x80\x94 witness.org1.example ", 0), 0u);
  audit::NoteVerifierSet set;
  ASSERT_TRUE(set.Add(verifier_.get()).ok());
  auto opened = audit::OpenNote(note1 + r.body, set);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(
      audit::CosignatureV1Timestamp(opened->verified[0].signature.signature)
          .value(),
      kNow);
  EXPECT_EQ(state_.logs.at(kOrigin).size, 5u);

  for (int step : {1, 7, 64, 3}) {
    const uint64_t old = log_->Size();
    Grow(log_.get(), step);
    auto proof = log_->ConsistencyProof(old, log_->Size()).value();
    r = Submit(Body(old, proof, Sign()));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(state_.logs.at(kOrigin).size, log_->Size());
  }
  // The same checkpoint again (old == size, same root): cosigned again.
  r = Submit(Body(log_->Size(), {}, Sign()));
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(WitnessProtocolTest, StaleOldSizeIs409WithTheCurrentSize) {
  Grow(log_.get(), 4);
  ASSERT_EQ(Submit(Body(0, {}, Sign())).status, 200);
  Grow(log_.get(), 4);
  auto proof = log_->ConsistencyProof(2, 8).value();
  HttpReply r = Submit(Body(2, proof, Sign()));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.content_type, "text/x.tlog.size");
  EXPECT_EQ(r.body, "4\n");
  // A client without information asks with old 0 and learns the size.
  r = Submit(Body(0, {}, Sign()));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body, "4\n");
  EXPECT_EQ(state_.logs.at(kOrigin).size, 4u);
}

TEST_F(WitnessProtocolTest, RollbackIsRefused) {
  Grow(log_.get(), 3);
  const std::string small = Sign();
  Grow(log_.get(), 5);
  ASSERT_EQ(Submit(Body(0, {}, Sign())).status, 200);
  // old (8) > checkpoint size (3): 400; a stale old size: 409.
  EXPECT_EQ(Submit(Body(8, {}, small)).status, 400);
  EXPECT_EQ(Submit(Body(3, {}, small)).status, 409);
  EXPECT_EQ(state_.logs.at(kOrigin).size, 8u);
}

TEST_F(WitnessProtocolTest, ForkIsRefusedWith422) {
  Grow(log_.get(), 6);
  ASSERT_EQ(Submit(Body(0, {}, Sign())).status, 200);
  const Hash cosigned_root = state_.logs.at(kOrigin).root;
  // The same log key signs a different history.
  auto fork = NewLog(kOrigin, CopyKey(log_key_seed_));
  Grow(fork.get(), 6, "other");
  // Same size, other root.
  EXPECT_EQ(Submit(Body(6, {}, fork->SignCheckpoint().value())).status, 422);
  // Larger, with the fork's own (valid for it) consistency proof.
  Grow(fork.get(), 4, "other");
  auto proof = fork->ConsistencyProof(6, 10).value();
  EXPECT_EQ(Submit(Body(6, proof, fork->SignCheckpoint().value())).status, 422);
  EXPECT_EQ(state_.logs.at(kOrigin).size, 6u);
  EXPECT_EQ(state_.logs.at(kOrigin).root, cosigned_root);
}

TEST_F(WitnessProtocolTest, BadProofIs422) {
  Grow(log_.get(), 5);
  ASSERT_EQ(Submit(Body(0, {}, Sign())).status, 200);
  Grow(log_.get(), 6);
  auto proof = log_->ConsistencyProof(5, 11).value();
  ASSERT_FALSE(proof.empty());
  auto bad = proof;
  bad[0][3] ^= 1;
  EXPECT_EQ(Submit(Body(5, bad, Sign())).status, 422);
  auto shorter = proof;
  shorter.pop_back();
  EXPECT_EQ(Submit(Body(5, shorter, Sign())).status, 422);
  EXPECT_EQ(Submit(Body(5, {}, Sign())).status, 422);
  EXPECT_EQ(Submit(Body(5, proof, Sign())).status, 200);
}

TEST_F(WitnessProtocolTest, ProofWithOldSizeZeroIs422) {
  Grow(log_.get(), 5);
  Hash h{};
  EXPECT_EQ(Submit(Body(0, {h}, Sign())).status, 422);
  EXPECT_TRUE(state_.logs.empty());
}

TEST_F(WitnessProtocolTest, EmptyTreeNeedsTheEmptyRoot) {
  auto signer =
      audit::Ed25519NoteSigner::Create(kOrigin, CopyKey(log_key_seed_));
  audit::Checkpoint cp{kOrigin, 0, audit::HashLeaf(AsBytes("x")), {}};
  const audit::NoteSigner* signers[] = {signer->get()};
  auto note = audit::SignNote(audit::FormatCheckpoint(cp).value(), signers);
  EXPECT_EQ(Submit(Body(0, {}, note.value())).status, 422);
  cp.root_hash = audit::EmptyRootHash();
  note = audit::SignNote(audit::FormatCheckpoint(cp).value(), signers);
  EXPECT_EQ(Submit(Body(0, {}, note.value())).status, 200);
}

TEST_F(WitnessProtocolTest, WrongLogKeyIs403UnknownOriginIs404) {
  Grow(log_.get(), 3);
  // Same origin, another key.
  auto impostor = NewLog(kOrigin, Ed25519PrivateKey::Generate());
  Grow(impostor.get(), 3);
  EXPECT_EQ(Submit(Body(0, {}, impostor->SignCheckpoint().value())).status,
            403);
  // Another origin.
  auto other = NewLog("other.example/log", Ed25519PrivateKey::Generate());
  Grow(other.get(), 3);
  EXPECT_EQ(Submit(Body(0, {}, other->SignCheckpoint().value())).status, 404);
  // A trusted key's signature that does not verify: 403.
  std::string note = Sign();
  auto parsed = audit::ParseNote(note).value();
  parsed.signatures[0].signature[10] ^= 0x40;
  EXPECT_EQ(Submit(Body(0, {}, audit::FormatNote(parsed).value())).status, 403);
  // An extra unknown signature is ignored.
  auto extra = audit::Ed25519NoteSigner::Create("someone.else",
                                                Ed25519PrivateKey::Generate());
  const audit::NoteSigner* two[] = {extra->get()};
  auto base = audit::ParseNote(Sign()).value();
  auto cosigned = audit::SignNote(base.text, two, base.signatures);
  EXPECT_EQ(Submit(Body(0, {}, cosigned.value())).status, 200);
  EXPECT_TRUE(state_.logs.count(kOrigin));
}

TEST_F(WitnessProtocolTest, MalformedRequestsAre400) {
  Grow(log_.get(), 2);
  const std::string note = Sign();
  for (const std::string& body : std::vector<std::string>{
           std::string("old 0\n") + note,         // no empty line
           "old 00\n\n" + note,                   // leading zero
           "old -1\n\n" + note,                   // sign
           "old 1 \n\n" + note,                   // trailing space
           "OLD 0\n\n" + note,                    // case
           "old 0\nnot base64!\n\n" + note,       // bad proof line
           "old 0\nAAAA\n\n" + note,              // proof hash too short
           std::string("old 0\n\n"),              // no checkpoint
           std::string("old 0\n\nnot a note\n"),  // not a note
       }) {
    EXPECT_EQ(Submit(body).status, 400) << body;
  }
  std::string many = "old 1\n";
  for (int i = 0; i < 64; ++i) many += audit::NoteBase64Encode(Hash{}) + "\n";
  EXPECT_EQ(Submit(many + "\n" + note).status, 400);
  EXPECT_TRUE(state_.logs.empty());
}

TEST(WitnessStateTest, RoundTripAndCorruption) {
  WitnessState st;
  auto signer = audit::CosignatureV1Signer::Create(
      "w.example", Ed25519PrivateKey::Generate());
  st.witness_vkey = (*signer)->Verifier()->vkey();
  st.logs["a.example/log"] = {3, audit::HashLeaf(AsBytes("a")), "note a\n"};
  st.logs["b log with space"] = {0, audit::EmptyRootHash(), ""};
  const std::string text = EncodeWitnessState(st);
  auto back = ParseWitnessState(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, st);
  for (size_t cut : {size_t{0}, size_t{10}, text.size() - 1}) {
    EXPECT_EQ(ParseWitnessState(text.substr(0, cut)).status().code(),
              StatusCode::kDataLoss);
  }
  EXPECT_EQ(ParseWitnessState(text + "x").status().code(),
            StatusCode::kDataLoss);
}

class WitnessDirTest : public WitnessProtocolTest {
 protected:
  void SetUp() override {
    WitnessProtocolTest::SetUp();
    char tmpl[] = "/tmp/conclave-witness-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    witness_seed_ = Ed25519PrivateKey::Generate();
  }
  void TearDown() override { fs::remove_all(dir_); }

  WitnessConfig Config(const Ed25519PrivateKey& key) {
    WitnessConfig c;
    c.signer =
        audit::CosignatureV1Signer::Create("witness.org1.example", CopyKey(key))
            .value();
    EXPECT_TRUE(c.AddLogVkey(log_->vkey()).ok());
    return c;
  }

  fs::path dir_;
  Ed25519PrivateKey witness_seed_ = Ed25519PrivateKey::Generate();
};

TEST_F(WitnessDirTest, PersistsLocksAndBindsTheKey) {
  Grow(log_.get(), 4);
  {
    auto w = Witness::Open(Config(witness_seed_), dir_);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    // A second process (or instance) on the same directory is refused.
    auto again = Witness::Open(Config(witness_seed_), dir_);
    EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(again.status().message().find("another conclave-witness"),
              std::string::npos);
    EXPECT_EQ((*w)->AddCheckpoint(Body(0, {}, Sign())).status, 200);
  }
  // Reopened: the state survived and still refuses the old size.
  auto w = Witness::Open(Config(witness_seed_), dir_);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ((*w)->state().logs.at(kOrigin).size, 4u);
  Grow(log_.get(), 2);
  HttpReply r = (*w)->AddCheckpoint(Body(0, {}, Sign()));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body, "4\n");
  // The monitoring endpoint serves the cosigned checkpoint.
  r = (*w)->GetCheckpoint(HexEncode(Sha256(AsBytes(kOrigin))));
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("witness.org1.example"), std::string::npos);
  EXPECT_EQ((*w)->GetCheckpoint(std::string(64, '0')).status, 404);
  w = Status(StatusCode::kInternal, "closed");  // releases the lock
  // Another key may not adopt this state directory.
  auto other = Witness::Open(Config(Ed25519PrivateKey::Generate()), dir_);
  EXPECT_EQ(other.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(other.status().message().find("belongs to the witness key"),
            std::string::npos);
}

TEST_F(WitnessDirTest, CorruptStateIsRefused) {
  ASSERT_TRUE(Witness::Open(Config(witness_seed_), dir_).ok());
  ASSERT_TRUE(WriteFileAtomically(dir_ / "state", AsBytes("garbage\n")).ok());
  EXPECT_EQ(Witness::Open(Config(witness_seed_), dir_).status().code(),
            StatusCode::kDataLoss);
}

}  // namespace
}  // namespace conclave::witness
