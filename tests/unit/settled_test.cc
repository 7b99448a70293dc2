// The settled rule (brief §6) with m = 5, t = 3 (W = 4), cosigned
// checkpoints over real Merkle trees, the client state and fork evidence.
#include "audit/settled.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "audit/checkpoint.h"
#include "audit/client_state.h"
#include "audit/cosignature.h"
#include "audit/log_storage.h"
#include "audit/merkle.h"
#include "audit/note.h"

namespace conclave::audit {
namespace {

constexpr char kOrigin[] = "conclave.example/log";

class SettledTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto log =
        Ed25519NoteSigner::Create(kOrigin, Ed25519PrivateKey::Generate());
    ASSERT_TRUE(log.ok());
    log_ = std::move(*log);
    log_verifier_ = log_->Verifier();
    std::vector<WitnessEntry> entries;
    for (uint32_t org = 1; org <= 5; ++org) {
      uint64_t ts = 1700000000 + org;
      auto w = CosignatureV1Signer::Create(
          "witness.org" + std::to_string(org) + ".example",
          Ed25519PrivateKey::Generate(), [ts] { return ts; });
      ASSERT_TRUE(w.ok());
      entries.push_back({org, (*w)->Verifier()->vkey()});
      witnesses_.push_back(std::move(*w));
    }
    auto roster = WitnessRoster::Create(5, 3, entries);
    ASSERT_TRUE(roster.ok()) << roster.status().ToString();
    roster_ = std::make_unique<WitnessRoster>(std::move(*roster));
    Grow(&tree_, "leaf", 40);
  }

  static void Grow(MemoryLogStorage* tree, const std::string& prefix,
                   int count) {
    for (int i = 0; i < count; ++i) {
      const std::string leaf = prefix + std::to_string(tree->Size());
      ASSERT_TRUE(tree->Append(AsBytes(leaf)).ok());
    }
    ASSERT_TRUE(tree->Commit().ok());
  }

  std::string Text(const MemoryLogStorage& tree, uint64_t size,
                   const std::string& origin = kOrigin) {
    Checkpoint cp;
    cp.origin = origin;
    cp.size = size;
    auto root = RootHash(tree, size);
    EXPECT_TRUE(root.ok());
    cp.root_hash = *root;
    auto text = FormatCheckpoint(cp);
    EXPECT_TRUE(text.ok());
    return *text;
  }

  // The checkpoint of `tree` at `size`, signed by the log and cosigned by
  // the witnesses of `orgs` (1-based).
  std::string Note(const MemoryLogStorage& tree, uint64_t size,
                   const std::vector<uint32_t>& orgs) {
    std::vector<const NoteSigner*> signers = {log_.get()};
    for (uint32_t org : orgs) signers.push_back(witnesses_[org - 1].get());
    auto note = SignNote(Text(tree, size), signers);
    EXPECT_TRUE(note.ok()) << note.status().ToString();
    return *note;
  }

  CosignedCheckpoint Verified(const std::string& note) {
    auto c = VerifyCosignedCheckpoint(note, kOrigin, *log_verifier_, *roster_);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : CosignedCheckpoint{};
  }

  std::vector<Hash> Proof(const MemoryLogStorage& tree, uint64_t a,
                          uint64_t b) {
    auto p = ConsistencyProof(tree, a, b);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? *p : std::vector<Hash>{};
  }

  std::unique_ptr<Ed25519NoteSigner> log_;
  std::unique_ptr<Ed25519NoteVerifier> log_verifier_;
  std::vector<std::unique_ptr<CosignatureV1Signer>> witnesses_;
  std::unique_ptr<WitnessRoster> roster_;
  MemoryLogStorage tree_;
};

TEST(SettleThreshold, CeilingOfHalfMPlusT) {
  EXPECT_EQ(SettleThreshold(5, 3), 4u);
  EXPECT_EQ(SettleThreshold(4, 3), 4u);  // ceil(3.5)
  EXPECT_EQ(SettleThreshold(2, 1), 2u);  // ceil(1.5)
  EXPECT_EQ(SettleThreshold(1, 1), 1u);
  EXPECT_EQ(SettleThreshold(50, 26), 38u);
  EXPECT_EQ(SettleThreshold(0xFFFFFFFFu, 0xFFFFFFFFu), 0xFFFFFFFFu);
  // Any two W-sets of m organisations share at least t of them.
  for (uint32_t m = 1; m <= 30; ++m) {
    for (uint32_t t = 1; t <= m; ++t) {
      EXPECT_GE(2 * SettleThreshold(m, t), m + t) << m << " " << t;
      EXPECT_LE(SettleThreshold(m, t), m);
    }
  }
}

TEST_F(SettledTest, ThreeCosignersAreNotEnoughFourAre) {
  auto three = Verified(Note(tree_, 40, {1, 2, 3}));
  EXPECT_EQ(three.cosigners.size(), 3u);
  auto s = Settle(three, {}, *roster_);
  EXPECT_EQ(s.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("3 of 4"), std::string::npos);

  auto four = Verified(Note(tree_, 40, {1, 2, 4, 5}));
  auto settled = Settle(four, {}, *roster_);
  ASSERT_TRUE(settled.ok()) << settled.status().ToString();
  EXPECT_EQ(settled->settling_orgs(), (std::vector<uint32_t>{1, 2, 4, 5}));
  EXPECT_EQ(settled->checkpoint().size, 40u);

  EXPECT_TRUE(
      Settle(Verified(Note(tree_, 40, {1, 2, 3, 4, 5})), {}, *roster_).ok());
}

TEST_F(SettledTest, LaterConsistentCheckpointSettlesAnEarlierOne) {
  auto early = Verified(Note(tree_, 17, {1}));
  auto late = Verified(Note(tree_, 40, {2, 3, 4, 5}));
  const auto proof = Proof(tree_, 17, 40);
  const LaterCheckpoint later[] = {{&late, proof}};
  auto s = Settle(early, later, *roster_);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->settling_orgs(), (std::vector<uint32_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(s->checkpoint().size, 17u);
}

TEST_F(SettledTest, CosignersOfSeveralConsistentCheckpointsAddUp) {
  // {1, 2} on 10, {2, 3} on 25, {4} on 40: four organisations vouch for a
  // history that extends size 10.
  auto c10 = Verified(Note(tree_, 10, {1, 2}));
  auto c25 = Verified(Note(tree_, 25, {2, 3}));
  auto c40 = Verified(Note(tree_, 40, {4}));
  const auto p25 = Proof(tree_, 10, 25);
  const auto p40 = Proof(tree_, 10, 40);
  const LaterCheckpoint only25[] = {{&c25, p25}};
  EXPECT_EQ(Settle(c10, only25, *roster_).status().code(),
            StatusCode::kFailedPrecondition);
  const LaterCheckpoint both[] = {{&c25, p25}, {&c40, p40}};
  auto s = Settle(c10, both, *roster_);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->settling_orgs(), (std::vector<uint32_t>{1, 2, 3, 4}));
}

TEST_F(SettledTest, SameSizeLaterCheckpointCounts) {
  auto a = Verified(Note(tree_, 40, {1, 2}));
  auto b = Verified(Note(tree_, 40, {3, 4}));
  const LaterCheckpoint later[] = {{&b, {}}};
  EXPECT_TRUE(Settle(a, later, *roster_).ok());
}

TEST_F(SettledTest, InconsistentLaterCheckpointIsRefused) {
  MemoryLogStorage fork;
  Grow(&fork, "leaf", 17);
  Grow(&fork, "other", 23);  // same first 17 leaves, then a different history
  auto early = Verified(Note(tree_, 20, {1}));
  auto late = Verified(Note(fork, 40, {2, 3, 4, 5}));
  const auto proof = Proof(fork, 20, 40);
  const LaterCheckpoint later[] = {{&late, proof}};
  auto s = Settle(early, later, *roster_);
  EXPECT_EQ(s.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(s.status().message().find("inconsistent"), std::string::npos);

  // A wrong-length proof, a smaller "later" checkpoint, and a tampered hash.
  auto good_late = Verified(Note(tree_, 40, {2, 3, 4, 5}));
  auto short_proof = Proof(tree_, 20, 40);
  short_proof.pop_back();
  const LaterCheckpoint bad_len[] = {{&good_late, short_proof}};
  EXPECT_EQ(Settle(early, bad_len, *roster_).status().code(),
            StatusCode::kUnauthenticated);
  auto tampered = Proof(tree_, 20, 40);
  tampered[0][0] ^= 1;
  const LaterCheckpoint bad_hash[] = {{&good_late, tampered}};
  EXPECT_EQ(Settle(early, bad_hash, *roster_).status().code(),
            StatusCode::kUnauthenticated);
  auto smaller = Verified(Note(tree_, 10, {2, 3, 4, 5}));
  const LaterCheckpoint backwards[] = {{&smaller, {}}};
  EXPECT_EQ(Settle(early, backwards, *roster_).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(SettledTest, CosignatureFromAKeyOutsideTheRosterIsIgnored) {
  auto outsider = CosignatureV1Signer::Create("witness.outsider.example",
                                              Ed25519PrivateKey::Generate());
  ASSERT_TRUE(outsider.ok());
  // An outsider reusing an organisation's witness name (different key ID).
  auto impostor = CosignatureV1Signer::Create(witnesses_[3]->name(),
                                              Ed25519PrivateKey::Generate());
  ASSERT_TRUE(impostor.ok());
  const NoteSigner* signers[] = {log_.get(),          witnesses_[0].get(),
                                 witnesses_[1].get(), witnesses_[2].get(),
                                 outsider->get(),     impostor->get()};
  auto note = SignNote(Text(tree_, 40), signers);
  ASSERT_TRUE(note.ok());
  auto c = Verified(*note);
  EXPECT_EQ(c.cosigners.size(), 3u);
  EXPECT_EQ(Settle(c, {}, *roster_).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(SettledTest, TwoCosignaturesFromOneOrganisationCountOnce) {
  const std::string text = Text(tree_, 40);
  const NoteSigner* signers[] = {log_.get(), witnesses_[1].get(),
                                 witnesses_[2].get()};
  auto note = SignNote(text, signers);
  ASSERT_TRUE(note.ok());
  std::string msg = *note;
  for (uint64_t ts : {uint64_t{1000}, uint64_t{2000}}) {
    auto sig = witnesses_[0]->SignAt(text, ts);
    ASSERT_TRUE(sig.ok());
    msg += NoteSignature{witnesses_[0]->name(), witnesses_[0]->key_id(), *sig}
               .ToLine();
  }
  auto c = Verified(msg);
  EXPECT_EQ(c.cosigners.size(), 3u);
  EXPECT_EQ(c.cosigners.at(1), 2000u);
  EXPECT_EQ(Settle(c, {}, *roster_).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(SettledTest, BadCosignatureFromARosterWitnessIsReported) {
  const std::string text = Text(tree_, 40);
  const NoteSigner* signers[] = {log_.get(), witnesses_[0].get()};
  auto note = SignNote(text, signers);
  ASSERT_TRUE(note.ok());
  // Org 2's cosignature over a different checkpoint.
  auto sig = witnesses_[1]->SignAt(Text(tree_, 39), 5);
  ASSERT_TRUE(sig.ok());
  std::string msg = *note + NoteSignature{witnesses_[1]->name(),
                                          witnesses_[1]->key_id(), *sig}
                                .ToLine();
  auto c = VerifyCosignedCheckpoint(msg, kOrigin, *log_verifier_, *roster_);
  EXPECT_EQ(c.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(c.status().message().find("organisation 2"), std::string::npos);
}

TEST_F(SettledTest, LogSignatureIsRequired) {
  const NoteSigner* witnesses_only[] = {
      witnesses_[0].get(), witnesses_[1].get(), witnesses_[2].get(),
      witnesses_[3].get()};
  auto note = SignNote(Text(tree_, 40), witnesses_only);
  ASSERT_TRUE(note.ok());
  EXPECT_EQ(VerifyCosignedCheckpoint(*note, kOrigin, *log_verifier_, *roster_)
                .status()
                .code(),
            StatusCode::kUnauthenticated);
  // Another key under the log's name is not the log.
  auto other =
      Ed25519NoteSigner::Create(kOrigin, Ed25519PrivateKey::Generate());
  ASSERT_TRUE(other.ok());
  const NoteSigner* signers[] = {other->get(), witnesses_[0].get()};
  note = SignNote(Text(tree_, 40), signers);
  EXPECT_EQ(VerifyCosignedCheckpoint(*note, kOrigin, *log_verifier_, *roster_)
                .status()
                .code(),
            StatusCode::kUnauthenticated);
}

TEST_F(SettledTest, CheckpointFromAnotherLogIsRefused) {
  const NoteSigner* signers[] = {log_.get(), witnesses_[0].get()};
  auto note = SignNote(Text(tree_, 40, "other.example/log"), signers);
  ASSERT_TRUE(note.ok());
  auto c = VerifyCosignedCheckpoint(*note, kOrigin, *log_verifier_, *roster_);
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("another log"), std::string::npos);
  // A note that is not a checkpoint at all.
  const NoteSigner* log_only[] = {log_.get()};
  note = SignNote("hello\n", log_only);
  EXPECT_EQ(VerifyCosignedCheckpoint(*note, kOrigin, *log_verifier_, *roster_)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST_F(SettledTest, RosterValidation) {
  std::vector<WitnessEntry> e;
  for (uint32_t i = 0; i < 3; ++i) {
    e.push_back({i + 1, witnesses_[i]->Verifier()->vkey()});
  }
  EXPECT_TRUE(WitnessRoster::Create(5, 3, e).ok());
  EXPECT_FALSE(WitnessRoster::Create(5, 6, e).ok());  // t > m
  EXPECT_FALSE(WitnessRoster::Create(5, 0, e).ok());  // t = 0
  EXPECT_FALSE(WitnessRoster::Create(2, 1, e).ok());  // more witnesses than m
  auto dup_org = e;
  dup_org[2].org_id = 1;
  EXPECT_FALSE(WitnessRoster::Create(5, 3, dup_org).ok());
  auto zero = e;
  zero[0].org_id = 0;
  EXPECT_FALSE(WitnessRoster::Create(5, 3, zero).ok());
  // One key for two organisations (even under another name) would count
  // one witness twice.
  auto shared = e;
  shared[2].vkey = EncodeVerifierKey("renamed.example", kSigTypeCosignatureV1,
                                     witnesses_[0]->public_key());
  auto r = WitnessRoster::Create(5, 3, shared);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  // A note key (type 0x01) is not a witness key.
  auto note_key = e;
  note_key[0].vkey = log_verifier_->vkey();
  EXPECT_FALSE(WitnessRoster::Create(5, 3, note_key).ok());
}

TEST_F(SettledTest, CheckConsistentEdgeCases) {
  auto a = ParseCheckpoint(Text(tree_, 0));
  auto b = ParseCheckpoint(Text(tree_, 40));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(CheckConsistent(*a, *b, {}).ok());
  const Hash junk{};
  EXPECT_EQ(CheckConsistent(*a, *b, std::span(&junk, 1)).code(),
            StatusCode::kUnauthenticated);
  Checkpoint bad_empty = *a;
  bad_empty.root_hash[0] ^= 1;
  EXPECT_EQ(CheckConsistent(bad_empty, *b, {}).code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(CheckConsistent(*b, *a, {}).code(), StatusCode::kInvalidArgument);
  Checkpoint other = *b;
  other.origin = "x";
  EXPECT_EQ(CheckConsistent(*b, other, {}).code(),
            StatusCode::kInvalidArgument);
  Checkpoint b2 = *b;
  b2.root_hash[5] ^= 1;
  EXPECT_EQ(CheckConsistent(*b, b2, {}).code(), StatusCode::kUnauthenticated);
}

// --- client state ---

class ClientStateTest : public SettledTest {
 protected:
  void SetUp() override {
    SettledTest::SetUp();
    dir_ =
        std::filesystem::path(::testing::TempDir()) /
        ("client_state_" +
         std::string(
             ::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  SettledCheckpoint SettledAt(const MemoryLogStorage& tree, uint64_t size) {
    auto c = Verified(Note(tree, size, {1, 2, 3, 4}));
    auto s = Settle(c, {}, *roster_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return *s;
  }

  std::filesystem::path dir_;
};

TEST_F(ClientStateTest, AdvancesOnlyWithConsistencyProofs) {
  auto state = ClientState::Open(dir_);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->Latest(kOrigin).status().code(), StatusCode::kNotFound);

  auto first = state->Update(SettledAt(tree_, 10), {});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(*first, ClientState::UpdateResult::kStoredFirst);

  auto adv = state->Update(SettledAt(tree_, 30), Proof(tree_, 10, 30));
  ASSERT_TRUE(adv.ok()) << adv.status().ToString();
  EXPECT_EQ(*adv, ClientState::UpdateResult::kAdvanced);

  // Older and equal checkpoints leave it alone.
  auto older = state->Update(SettledAt(tree_, 20), Proof(tree_, 20, 30));
  ASSERT_TRUE(older.ok()) << older.status().ToString();
  EXPECT_EQ(*older, ClientState::UpdateResult::kUnchanged);
  auto same = state->Update(SettledAt(tree_, 30), {});
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, ClientState::UpdateResult::kUnchanged);

  // It survives reopening, byte for byte.
  const std::string note30 = SettledAt(tree_, 30).note();
  auto reopened = ClientState::Open(dir_);
  ASSERT_TRUE(reopened.ok());
  auto latest = reopened->Latest(kOrigin);
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->checkpoint.size, 30u);
  EXPECT_EQ(latest->checkpoint.root_hash, *RootHash(tree_, 30));
  // No temporary file is left behind.
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    EXPECT_NE(entry.path().extension(), ".tmp") << entry.path();
  }
  auto fork = reopened->Fork(kOrigin);
  ASSERT_TRUE(fork.ok());
  EXPECT_FALSE(fork->has_value());
}

TEST_F(ClientStateTest, ForkIsKeptAsEvidenceAndBlocksTheState) {
  MemoryLogStorage fork;
  Grow(&fork, "leaf", 12);
  Grow(&fork, "rewritten", 28);  // a rewritten history signed with the log key
  auto state = ClientState::Open(dir_);
  ASSERT_TRUE(state.ok());
  ASSERT_TRUE(state->Update(SettledAt(tree_, 20), {}).ok());

  // The forked log can only offer a proof from its own tree.
  auto r = state->Update(SettledAt(fork, 40), Proof(fork, 20, 40));
  EXPECT_EQ(r.status().code(), StatusCode::kAborted);
  EXPECT_NE(r.status().message().find("fork"), std::string::npos);
  auto latest = state->Latest(kOrigin);
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->checkpoint.size, 20u);  // did not move

  // The evidence is portable: parse it back and check it independently.
  auto evidence = state->Fork(kOrigin);
  ASSERT_TRUE(evidence.ok());
  ASSERT_TRUE(evidence->has_value());
  const ForkEvidence& e = **evidence;
  EXPECT_EQ(e.origin, kOrigin);
  EXPECT_EQ(e.note_a, SettledAt(tree_, 20).note());
  EXPECT_EQ(e.note_b, SettledAt(fork, 40).note());
  EXPECT_TRUE(VerifyForkEvidence(e, *log_verifier_).ok());
  auto reparsed = ParseForkEvidence(EncodeForkEvidence(e));
  ASSERT_TRUE(reparsed.ok());
  EXPECT_EQ(reparsed->proof, e.proof);
  EXPECT_EQ(reparsed->note_a, e.note_a);
  EXPECT_EQ(reparsed->note_b, e.note_b);
  // Another log key does not accept it.
  auto other =
      Ed25519NoteSigner::Create(kOrigin, Ed25519PrivateKey::Generate());
  EXPECT_FALSE(VerifyForkEvidence(e, *(*other)->Verifier()).ok());

  // Even a valid extension of the stored checkpoint is now refused.
  auto blocked = state->Update(SettledAt(tree_, 40), Proof(tree_, 20, 40));
  EXPECT_EQ(blocked.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(ClientStateTest, SameSizeDifferentRootIsAFork) {
  MemoryLogStorage fork;
  Grow(&fork, "other", 40);
  auto state = ClientState::Open(dir_);
  ASSERT_TRUE(state.ok());
  ASSERT_TRUE(state->Update(SettledAt(tree_, 40), {}).ok());
  auto r = state->Update(SettledAt(fork, 40), {});
  EXPECT_EQ(r.status().code(), StatusCode::kAborted);
  auto e = state->Fork(kOrigin);
  ASSERT_TRUE(e.ok() && e->has_value());
  EXPECT_TRUE(VerifyForkEvidence(**e, *log_verifier_).ok());
}

TEST_F(ClientStateTest, OlderForkedCheckpointIsEvidenceToo) {
  MemoryLogStorage fork;
  Grow(&fork, "other", 20);
  auto state = ClientState::Open(dir_);
  ASSERT_TRUE(state.ok());
  ASSERT_TRUE(state->Update(SettledAt(tree_, 40), {}).ok());
  auto r = state->Update(SettledAt(fork, 20), Proof(tree_, 20, 40));
  EXPECT_EQ(r.status().code(), StatusCode::kAborted);
  auto e = state->Fork(kOrigin);
  ASSERT_TRUE(e.ok() && e->has_value());
  EXPECT_EQ((*e)->note_a, SettledAt(fork, 20).note());  // smaller first
  EXPECT_TRUE(VerifyForkEvidence(**e, *log_verifier_).ok());
}

TEST_F(ClientStateTest, ConsistentPairIsNotEvidence) {
  ForkEvidence e;
  e.origin = kOrigin;
  e.reason = "made up";
  e.note_a = Note(tree_, 10, {});
  e.note_b = Note(tree_, 40, {1});
  e.proof = Proof(tree_, 10, 40);
  EXPECT_EQ(VerifyForkEvidence(e, *log_verifier_).code(),
            StatusCode::kFailedPrecondition);
  e.origin = "other.example/log";
  EXPECT_FALSE(VerifyForkEvidence(e, *log_verifier_).ok());
}

TEST_F(ClientStateTest, EvidenceParsingIsStrict) {
  ForkEvidence e;
  e.origin = kOrigin;
  e.reason = "r";
  e.note_a = Note(tree_, 10, {});
  e.note_b = Note(tree_, 40, {});
  e.proof = Proof(tree_, 10, 40);
  const std::string good = EncodeForkEvidence(e);
  ASSERT_TRUE(ParseForkEvidence(good).ok());
  EXPECT_FALSE(ParseForkEvidence(good + "x").ok());  // trailing
  EXPECT_FALSE(ParseForkEvidence(good.substr(0, good.size() - 1)).ok());
  std::string bad = good;
  bad.replace(0, 8, "CONCLAVE");
  EXPECT_FALSE(ParseForkEvidence(bad).ok());
  bad = good;
  bad.insert(bad.find("proof ") + 6, "0");  // "proof 0N": leading zero
  EXPECT_FALSE(ParseForkEvidence(bad).ok());
  EXPECT_FALSE(ParseForkEvidence("").ok());
}

TEST_F(ClientStateTest, CorruptStoredCheckpointIsDataLoss) {
  auto state = ClientState::Open(dir_);
  ASSERT_TRUE(state.ok());
  ASSERT_TRUE(state->Update(SettledAt(tree_, 10), {}).ok());
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    std::ofstream(entry.path(), std::ios::trunc) << "garbage";
  }
  EXPECT_EQ(state->Latest(kOrigin).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(
      state->Update(SettledAt(tree_, 20), Proof(tree_, 10, 20)).status().code(),
      StatusCode::kDataLoss);
}

}  // namespace
}  // namespace conclave::audit
