// Log evidence for releasers (brief §5.3, §6): the compact-range additions
// to audit/merkle.h, the roster's log keys, and BuildLogEvidence /
// VerifyLogEvidence over a real ceremony's roster (5 organisations, t = 3,
// so W = 4), its log key and its organisations' witness keys.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "audit/checkpoint.h"
#include "audit/cosignature.h"
#include "audit/log.h"
#include "audit/log_storage.h"
#include "audit/merkle.h"
#include "audit/note.h"
#include "base/bytes.h"
#include "base/secret_bytes.h"
#include "keyceremony/roster.h"
#include "keyceremony/simulate.h"
#include "quorum/evidence.h"
#include "sealed/sealed_file.h"

namespace conclave::quorum {
namespace {

namespace fs = std::filesystem;
using audit::Hash;

constexpr uint32_t kOrgs = 5;
constexpr uint32_t kThreshold = 3;
constexpr uint32_t kSettle = 4;  // W = ceil((5 + 3) / 2)
constexpr uint64_t kCosignTime = 1700000000;
constexpr uint64_t kLeafCount = 37;
// The log signs a checkpoint at each of these sizes.
const std::vector<uint64_t> kSignedSizes = {1, 2, 3, 8, 16, 17, 32, 37};

std::string LeafText(uint64_t i) {
  // Different lengths, so a swapped or shifted leaf changes the hashes.
  return "leaf " + std::to_string(i) + std::string(i % 5, '.');
}

Hash LeafOfTree(uint64_t i) { return audit::HashLeaf(AsBytes(LeafText(i))); }

// ---- CompactRange::FromPeaks, peaks(), LeftPeaks ----

TEST(MerkleFromPeaksTest, RequiresOnePeakPerSetBit) {
  const Hash h = LeafOfTree(0);
  EXPECT_EQ(audit::CompactRange::FromPeaks(5, {h}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(audit::CompactRange::FromPeaks(5, {h, h, h}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(audit::CompactRange::FromPeaks(0, {h}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(audit::CompactRange::FromPeaks(8, {}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(audit::CompactRange::FromPeaks(5, {h, h}).ok());
  auto empty = audit::CompactRange::FromPeaks(0, {});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->size(), 0u);
  EXPECT_EQ(empty->Root(), audit::EmptyRootHash());
}

TEST(MerkleFromPeaksTest, SinglePeakIsTheRoot) {
  const Hash h = LeafOfTree(3);
  auto range = audit::CompactRange::FromPeaks(uint64_t{1} << 40, {h});
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->Root(), h);
  EXPECT_EQ(range->peaks(), std::vector<Hash>{h});
  // One more leaf: RFC 6962 §2.1 MTH = HASH(0x01 || left || right).
  range->AppendLeafHash(LeafOfTree(4));
  EXPECT_EQ(range->size(), (uint64_t{1} << 40) + 1);
  EXPECT_EQ(range->Root(), audit::HashChildren(h, LeafOfTree(4)));
}

TEST(MerkleFromPeaksTest, LeftPeaksContinueEveryPrefix) {
  constexpr uint64_t kN = 70;
  audit::MemoryLogStorage tree;
  for (uint64_t i = 0; i < kN; ++i) {
    ASSERT_TRUE(tree.Append(AsBytes(LeafText(i))).ok());
  }
  ASSERT_TRUE(tree.Commit().ok());
  std::vector<Hash> roots(kN + 1);
  for (uint64_t s = 0; s <= kN; ++s) {
    auto r = audit::RootHash(tree, s);
    ASSERT_TRUE(r.ok());
    roots[s] = *r;
  }

  audit::CompactRange from_scratch;
  for (uint64_t r = 0; r <= kN; ++r) {
    auto peaks = audit::LeftPeaks(tree, r);
    ASSERT_TRUE(peaks.ok()) << peaks.status().ToString();
    ASSERT_EQ(peaks->size(), static_cast<size_t>(std::popcount(r)));
    // The same peaks a streaming range over leaves 0..r-1 holds.
    EXPECT_EQ(*peaks, from_scratch.peaks()) << "r = " << r;

    auto range = audit::CompactRange::FromPeaks(r, *peaks);
    ASSERT_TRUE(range.ok());
    EXPECT_EQ(range->Root(), roots[r]) << "r = " << r;
    for (uint64_t i = r; i < kN; ++i) {
      range->AppendLeaf(AsBytes(LeafText(i)));
      ASSERT_EQ(range->Root(), roots[i + 1]) << "r = " << r << " i = " << i;
    }
    from_scratch.AppendLeaf(AsBytes(LeafText(r)));
  }
  EXPECT_EQ(audit::LeftPeaks(tree, kN + 1).status().code(),
            StatusCode::kOutOfRange);
}

// ---- The consortium: a ceremony's roster, log key and witness keys ----

struct Consortium {
  fs::path tmp;
  keyceremony::VerifiedRoster roster;
  Bytes log_seed;  // test key material, not a real secret
  std::string origin;
  std::string log_vkey;
  // witnesses[o - 1]: organisation o's witness signer.
  std::vector<std::unique_ptr<audit::CosignatureV1Signer>> witnesses;
};

Consortium* g_consortium = nullptr;

class QuorumEvidenceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto c = std::make_unique<Consortium>();
    std::string tmpl =
        (fs::temp_directory_path() / "quorum_evidence_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    c->tmp = tmpl;
    const fs::path dir = c->tmp / "ceremony";
    const SecretBytes pass =
        SecretBytes::CopyFrom(AsBytes("evidence test passphrase"));
    keyceremony::CeremonyOptions options;
    options.orgs = kOrgs;
    options.threshold = kThreshold;
    options.editors.assign(kOrgs, keyceremony::EditorSplit{1, 1});
    options.work_factor = 10;
    auto ceremony = keyceremony::RunCeremony(options, dir, pass);
    ASSERT_TRUE(ceremony.ok()) << ceremony.status().ToString();

    auto roster = keyceremony::ReadRosterFile(dir / "consortium.roster");
    ASSERT_TRUE(roster.ok()) << roster.status().ToString();
    c->roster = std::move(*roster);

    auto log_key = ReadSealedFile(dir / "log.age", pass);
    ASSERT_TRUE(log_key.ok()) << log_key.status().ToString();
    ASSERT_TRUE(log_key->message().has_log_key());
    const std::string& seed = log_key->message().log_key().ed25519_seed();
    c->log_seed = ToBytes(seed);
    c->origin = log_key->message().log_key().origin();

    for (uint32_t org = 1; org <= kOrgs; ++org) {
      auto opened = ReadSealedFile(
          dir / ("org" + std::to_string(org)) / "witness.age", pass);
      ASSERT_TRUE(opened.ok()) << opened.status().ToString();
      ASSERT_TRUE(opened->message().has_witness_key());
      const v1::WitnessKey& wk = opened->message().witness_key();
      ASSERT_EQ(wk.org_id(), org);
      auto key = Ed25519PrivateKey::FromSeed(AsBytes(wk.ed25519_seed()));
      ASSERT_TRUE(key.ok());
      auto signer = audit::CosignatureV1Signer::Create(
          wk.name(), std::move(*key), [] { return kCosignTime; });
      ASSERT_TRUE(signer.ok());
      c->witnesses.push_back(std::move(*signer));
    }
    g_consortium = c.release();
  }

  static void TearDownTestSuite() {
    if (g_consortium == nullptr) return;
    std::error_code ec;
    fs::remove_all(g_consortium->tmp, ec);
    delete g_consortium;
    g_consortium = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(g_consortium, nullptr) << "ceremony setup failed";
    c_ = g_consortium;
    auto log = MakeLog(c_->log_seed, kLeafCount, "", &notes_);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    log_ = std::move(*log);
  }

  // A log with `count` leaves (LeafText, or `variant` + index when set),
  // committed one at a time; the notes it signs at kSignedSizes.
  StatusOr<std::unique_ptr<audit::Log>> MakeLog(
      ByteSpan seed, uint64_t count, const std::string& variant,
      std::map<uint64_t, std::string>* notes) {
    CONCLAVE_ASSIGN_OR_RETURN(Ed25519PrivateKey key,
                              Ed25519PrivateKey::FromSeed(seed));
    CONCLAVE_ASSIGN_OR_RETURN(
        std::unique_ptr<audit::Log> log,
        audit::Log::Create(std::make_unique<audit::MemoryLogStorage>(),
                           c_->origin, std::move(key)));
    for (uint64_t i = 0; i < count; ++i) {
      const std::string leaf =
          variant.empty() ? LeafText(i) : variant + std::to_string(i);
      CONCLAVE_RETURN_IF_ERROR(log->Append(AsBytes(leaf)).status());
      CONCLAVE_RETURN_IF_ERROR(log->Commit());
      if (std::count(kSignedSizes.begin(), kSignedSizes.end(), i + 1)) {
        CONCLAVE_ASSIGN_OR_RETURN((*notes)[i + 1], log->SignCheckpoint());
      }
    }
    return log;
  }

  static std::string NoteText(std::string_view note) {
    auto parsed = audit::ParseNote(note);
    EXPECT_TRUE(parsed.ok());
    return parsed.ok() ? parsed->text : std::string();
  }

  // A cosignature line by organisation `org`'s witness over `text`.
  std::string CosignLine(uint32_t org, std::string_view text) {
    const audit::CosignatureV1Signer& w = *c_->witnesses[org - 1];
    auto sig = w.SignAt(text, kCosignTime);
    EXPECT_TRUE(sig.ok()) << sig.status().ToString();
    audit::NoteSignature line;
    line.name = w.name();
    line.key_id = w.key_id();
    line.signature = sig.ok() ? *sig : Bytes();
    return line.ToLine();
  }

  // `note` with cosignatures by the witnesses of `orgs`.
  std::string Cosign(std::string_view note, const std::vector<uint32_t>& orgs) {
    const std::string text = NoteText(note);
    std::string lines;
    for (uint32_t org : orgs) lines += CosignLine(org, text);
    if (lines.empty()) return std::string(note);
    auto out = audit::AppendSignatureLines(note, lines);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? *out : std::string();
  }

  std::string Settled(uint64_t size) {
    return Cosign(notes_.at(size), {1, 2, 3, 4});
  }

  v1::LogEvidence Evidence(uint64_t first, uint64_t size) {
    auto ev = BuildLogEvidence(*log_, Settled(size), first);
    EXPECT_TRUE(ev.ok()) << ev.status().ToString();
    return ev.ok() ? *ev : v1::LogEvidence();
  }

  StatusCode VerifyCode(const v1::LogEvidence& ev) {
    auto view = VerifyLogEvidence(ev, c_->roster);
    return view.status().code();
  }

  Hash LogRoot(uint64_t size) {
    auto r = audit::RootHash(log_->storage(), size);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : Hash{};
  }

  Consortium* c_ = nullptr;
  std::unique_ptr<audit::Log> log_;
  std::map<uint64_t, std::string> notes_;
};

TEST_F(QuorumEvidenceTest, LogKeysFromRoster) {
  auto keys = LogKeysFromRoster(c_->roster);
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_EQ(keys->origin, c_->origin);
  EXPECT_EQ(keys->log_key->vkey(), c_->roster.body.log_vkey());
  EXPECT_EQ(keys->log_key->vkey(), log_->vkey());
  EXPECT_EQ(keys->witnesses.m(), kOrgs);
  EXPECT_EQ(keys->witnesses.t(), kThreshold);
  EXPECT_EQ(keys->witnesses.settle_threshold(), kSettle);
  for (uint32_t org = 1; org <= kOrgs; ++org) {
    const auto& w = *c_->witnesses[org - 1];
    auto found = keys->witnesses.Find(w.name(), w.key_id());
    ASSERT_TRUE(found.has_value()) << "org " << org;
    EXPECT_EQ(found->org_id, org);
  }

  keyceremony::VerifiedRoster bad = c_->roster;
  bad.body.set_log_vkey("not a vkey");
  EXPECT_EQ(LogKeysFromRoster(bad).status().code(),
            StatusCode::kInvalidArgument);
  bad = c_->roster;
  // A witness vkey that is a note (type 0x01) key, not a cosignature key.
  bad.body.mutable_organisations(2)->set_witness_vkey(
      c_->roster.body.log_vkey());
  EXPECT_EQ(LogKeysFromRoster(bad).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(QuorumEvidenceTest, RoundTripAtManySizes) {
  const std::vector<std::pair<uint64_t, uint64_t>> cases = {
      {0, 1},   {0, 2},   {1, 2},   {1, 3},   {2, 3},   {0, 8},
      {4, 8},   {7, 8},   {0, 16},  {8, 16},  {15, 16}, {16, 17},
      {0, 17},  {0, 32},  {16, 32}, {31, 32}, {1, 37},  {5, 37},
      {13, 37}, {32, 37}, {36, 37}, {0, 37}};
  for (const auto& [first, size] : cases) {
    SCOPED_TRACE("first_index " + std::to_string(first) + ", size " +
                 std::to_string(size));
    const std::string note = Settled(size);
    auto ev = BuildLogEvidence(*log_, note, first);
    ASSERT_TRUE(ev.ok()) << ev.status().ToString();
    EXPECT_EQ(ev->checkpoint(), note);
    EXPECT_EQ(ev->first_index(), first);
    EXPECT_EQ(ev->left_peaks_size(), std::popcount(first));
    ASSERT_EQ(static_cast<uint64_t>(ev->leaves_size()), size - first);

    auto view = VerifyLogEvidence(*ev, c_->roster);
    ASSERT_TRUE(view.ok()) << view.status().ToString();
    EXPECT_EQ(view->first_index(), first);
    EXPECT_EQ(view->size(), size);
    EXPECT_EQ(view->settled().checkpoint().root_hash, LogRoot(size));
    EXPECT_EQ(view->settled().settling_orgs(),
              (std::vector<uint32_t>{1, 2, 3, 4}));
    EXPECT_EQ(view->settled().note(), note);
    for (uint64_t i = first; i < size; ++i) {
      EXPECT_EQ(AsStringView(view->leaf(i)), LeafText(i)) << "leaf " << i;
    }
    EXPECT_TRUE(view->leaf(size).empty());
    if (first > 0) {
      EXPECT_TRUE(view->leaf(first - 1).empty());
    }
    // Every root a vote could name, and nothing outside (first, size].
    for (uint64_t s = first + 1; s <= size; ++s) {
      auto root = view->RootAt(s);
      ASSERT_TRUE(root.has_value()) << "size " << s;
      EXPECT_EQ(*root, LogRoot(s)) << "size " << s;
    }
    EXPECT_FALSE(view->RootAt(first).has_value());
    EXPECT_FALSE(view->RootAt(size + 1).has_value());
    EXPECT_FALSE(view->RootAt(0).has_value());
  }
}

TEST_F(QuorumEvidenceTest, AllWitnessesAndAnyWOfThem) {
  auto all =
      BuildLogEvidence(*log_, Cosign(notes_.at(37), {5, 4, 3, 2, 1}), 10);
  ASSERT_TRUE(all.ok());
  auto view = VerifyLogEvidence(*all, c_->roster);
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  EXPECT_EQ(view->settled().settling_orgs(),
            (std::vector<uint32_t>{1, 2, 3, 4, 5}));

  auto other_four =
      BuildLogEvidence(*log_, Cosign(notes_.at(37), {2, 3, 4, 5}), 10);
  ASSERT_TRUE(other_four.ok());
  EXPECT_TRUE(VerifyLogEvidence(*other_four, c_->roster).ok());
}

TEST_F(QuorumEvidenceTest, NotSettledWithFewerThanW) {
  for (const std::vector<uint32_t>& orgs :
       std::vector<std::vector<uint32_t>>{{}, {1}, {1, 2, 3}, {3, 4, 5}}) {
    auto ev = BuildLogEvidence(*log_, Cosign(notes_.at(17), orgs), 3);
    ASSERT_TRUE(ev.ok()) << ev.status().ToString();
    auto view = VerifyLogEvidence(*ev, c_->roster);
    EXPECT_EQ(view.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(view.status().message().find(
                  "not settled: " + std::to_string(orgs.size()) + " of 4"),
              std::string::npos)
        << view.status().message();
  }
}

TEST_F(QuorumEvidenceTest, OneOrganisationCountsOnce) {
  // Organisation 3's witness cosigning twice (two timestamps) is one org.
  const std::string note = Cosign(notes_.at(17), {1, 2, 3});
  const std::string text = NoteText(note);
  const audit::CosignatureV1Signer& w = *c_->witnesses[2];
  auto sig = w.SignAt(text, kCosignTime + 60);
  ASSERT_TRUE(sig.ok());
  audit::NoteSignature line;
  line.name = w.name();
  line.key_id = w.key_id();
  line.signature = *sig;
  auto twice = audit::AppendSignatureLines(note, line.ToLine());
  ASSERT_TRUE(twice.ok()) << twice.status().ToString();
  auto ev = BuildLogEvidence(*log_, *twice, 3);
  ASSERT_TRUE(ev.ok());
  auto view = VerifyLogEvidence(*ev, c_->roster);
  EXPECT_EQ(view.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(view.status().message().find("not settled: 3 of 4"),
            std::string::npos)
      << view.status().message();
}

TEST_F(QuorumEvidenceTest, NonRosterWitnessIsNotCounted) {
  const std::string note = Cosign(notes_.at(37), {1, 2, 3});
  const std::string text = NoteText(note);
  // An outsider, once under its own name and once under organisation 4's
  // witness name (a different key, hence a different key ID).
  for (const std::string& name :
       {std::string("witness.outsider.example"), c_->witnesses[3]->name()}) {
    SCOPED_TRACE(name);
    auto outsider = audit::CosignatureV1Signer::Create(
        name, Ed25519PrivateKey::Generate(), [] { return kCosignTime; });
    ASSERT_TRUE(outsider.ok());
    auto sig = (*outsider)->Sign(text);
    ASSERT_TRUE(sig.ok());
    audit::NoteSignature line;
    line.name = (*outsider)->name();
    line.key_id = (*outsider)->key_id();
    line.signature = *sig;
    auto with_outsider = audit::AppendSignatureLines(note, line.ToLine());
    ASSERT_TRUE(with_outsider.ok());
    auto ev = BuildLogEvidence(*log_, *with_outsider, 20);
    ASSERT_TRUE(ev.ok()) << ev.status().ToString();
    auto view = VerifyLogEvidence(*ev, c_->roster);
    EXPECT_EQ(view.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(view.status().message().find("not settled: 3 of 4"),
              std::string::npos)
        << view.status().message();
  }
}

TEST_F(QuorumEvidenceTest, BadRosterCosignatureIsRefused) {
  // Organisation 4's witness key, but over another checkpoint's text.
  std::string note = Cosign(notes_.at(37), {1, 2, 3});
  auto bad =
      audit::AppendSignatureLines(note, CosignLine(4, NoteText(notes_.at(32))));
  ASSERT_TRUE(bad.ok());
  auto ev = BuildLogEvidence(*log_, *bad, 20);
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(VerifyCode(*ev), StatusCode::kUnauthenticated);
}

TEST_F(QuorumEvidenceTest, CheckpointOfAnotherLogKey) {
  // Same origin and leaves, another key: the roster's log key did not sign.
  std::map<uint64_t, std::string> notes;
  const Ed25519PrivateKey other = Ed25519PrivateKey::Generate();
  auto log = MakeLog(other.seed().span(), kLeafCount, "", &notes);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  auto ev = BuildLogEvidence(**log, Cosign(notes.at(37), {1, 2, 3, 4, 5}), 5);
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  EXPECT_EQ(VerifyCode(*ev), StatusCode::kUnauthenticated);
  // This log's evidence builder refuses the other log's note.
  EXPECT_EQ(BuildLogEvidence(*log_, notes.at(37), 5).status().code(),
            StatusCode::kFailedPrecondition);
  // Swapping the other log's checkpoint into valid evidence: same root (same
  // leaves), but not signed by the roster's log.
  v1::LogEvidence swapped = Evidence(5, 37);
  swapped.set_checkpoint(Cosign(notes.at(37), {1, 2, 3, 4}));
  EXPECT_EQ(VerifyCode(swapped), StatusCode::kUnauthenticated);
}

TEST_F(QuorumEvidenceTest, TamperedLeafIsRefused) {
  const v1::LogEvidence good = Evidence(5, 37);
  ASSERT_TRUE(VerifyLogEvidence(good, c_->roster).ok());
  for (int i = 0; i < good.leaves_size(); ++i) {
    v1::LogEvidence ev = good;
    (*ev.mutable_leaves(i))[0] ^= 1;
    auto view = VerifyLogEvidence(ev, c_->roster);
    EXPECT_EQ(view.status().code(), StatusCode::kUnauthenticated)
        << "leaf " << i;
    EXPECT_NE(view.status().message().find("does not match the checkpoint"),
              std::string::npos);
  }
  // A leaf one byte longer or shorter.
  v1::LogEvidence longer = good;
  *longer.mutable_leaves(3) += "x";
  EXPECT_EQ(VerifyCode(longer), StatusCode::kUnauthenticated);
  v1::LogEvidence shorter = good;
  shorter.mutable_leaves(3)->pop_back();
  EXPECT_EQ(VerifyCode(shorter), StatusCode::kUnauthenticated);
}

TEST_F(QuorumEvidenceTest, ReorderedLeavesAreRefused) {
  v1::LogEvidence ev = Evidence(5, 37);
  ev.mutable_leaves()->SwapElements(2, 3);
  EXPECT_EQ(VerifyCode(ev), StatusCode::kUnauthenticated);
}

TEST_F(QuorumEvidenceTest, DroppedLeafIsRefused) {
  const v1::LogEvidence good = Evidence(5, 37);
  for (int drop : {0, 7, good.leaves_size() - 1}) {
    v1::LogEvidence ev = good;
    ev.mutable_leaves()->erase(ev.mutable_leaves()->begin() + drop);
    EXPECT_EQ(VerifyCode(ev), StatusCode::kInvalidArgument) << "drop " << drop;
  }
  // Dropping the first leaf and claiming the next index instead: the peaks
  // no longer fit (popcount 5 = 2, popcount 6 = 2, so the count passes and
  // only the root catches it).
  v1::LogEvidence shifted = good;
  shifted.mutable_leaves()->erase(shifted.mutable_leaves()->begin());
  shifted.set_first_index(6);
  EXPECT_EQ(VerifyCode(shifted), StatusCode::kUnauthenticated);
  // All leaves dropped.
  v1::LogEvidence none = good;
  none.clear_leaves();
  EXPECT_EQ(VerifyCode(none), StatusCode::kInvalidArgument);
}

TEST_F(QuorumEvidenceTest, ExtraLeafIsRefused) {
  v1::LogEvidence ev = Evidence(5, 32);
  ev.add_leaves(LeafText(32));  // the log's real next leaf
  EXPECT_EQ(VerifyCode(ev), StatusCode::kInvalidArgument);
}

TEST_F(QuorumEvidenceTest, WrongPeakIsRefused) {
  const v1::LogEvidence good = Evidence(13, 37);  // 13 = 8 + 4 + 1
  ASSERT_EQ(good.left_peaks_size(), 3);
  ASSERT_TRUE(VerifyLogEvidence(good, c_->roster).ok());
  for (int i = 0; i < good.left_peaks_size(); ++i) {
    v1::LogEvidence ev = good;
    (*ev.mutable_left_peaks(i))[31] ^= 0x80;
    EXPECT_EQ(VerifyCode(ev), StatusCode::kUnauthenticated) << "peak " << i;
  }
  // Peaks in the wrong order.
  v1::LogEvidence swapped = good;
  swapped.mutable_left_peaks()->SwapElements(0, 2);
  EXPECT_EQ(VerifyCode(swapped), StatusCode::kUnauthenticated);
}

TEST_F(QuorumEvidenceTest, WrongPeakShapeIsRefused) {
  const v1::LogEvidence good = Evidence(13, 37);
  v1::LogEvidence missing = good;
  missing.mutable_left_peaks()->RemoveLast();
  EXPECT_EQ(VerifyCode(missing), StatusCode::kInvalidArgument);
  v1::LogEvidence extra = good;
  extra.add_left_peaks(good.left_peaks(0));
  EXPECT_EQ(VerifyCode(extra), StatusCode::kInvalidArgument);
  v1::LogEvidence short_peak = good;
  short_peak.mutable_left_peaks(1)->pop_back();
  EXPECT_EQ(VerifyCode(short_peak), StatusCode::kInvalidArgument);
  v1::LogEvidence long_peak = good;
  *long_peak.mutable_left_peaks(1) += '\0';
  EXPECT_EQ(VerifyCode(long_peak), StatusCode::kInvalidArgument);
  // Index 0 takes no peak at all.
  v1::LogEvidence from_zero = Evidence(0, 16);
  from_zero.add_left_peaks(std::string(32, '\0'));
  EXPECT_EQ(VerifyCode(from_zero), StatusCode::kInvalidArgument);
}

TEST_F(QuorumEvidenceTest, FirstIndexNotBelowSizeIsRefused) {
  // first_index == size with no leaves, and beyond the checkpoint.
  for (uint64_t first : {uint64_t{32}, uint64_t{33}, uint64_t{40}}) {
    v1::LogEvidence ev;
    ev.set_checkpoint(Settled(32));
    ev.set_first_index(first);
    // Give the right number of peaks so only the index is wrong.
    for (int i = 0; i < std::popcount(first); ++i) {
      ev.add_left_peaks(std::string(32, static_cast<char>(i)));
    }
    EXPECT_EQ(VerifyCode(ev), StatusCode::kInvalidArgument) << first;
  }
  EXPECT_EQ(BuildLogEvidence(*log_, Settled(32), 32).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(BuildLogEvidence(*log_, Settled(32), 36).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(QuorumEvidenceTest, BoundsAreEnforcedBeforeHashing) {
  const v1::LogEvidence good = Evidence(30, 37);
  // Exactly the bound passes the shape check (and then fails the root).
  v1::LogEvidence at_bound = good;
  at_bound.set_leaves(2, std::string(kMaxEvidenceLeafSize, 'a'));
  EXPECT_EQ(VerifyCode(at_bound), StatusCode::kUnauthenticated);
  v1::LogEvidence over = good;
  over.set_leaves(2, std::string(kMaxEvidenceLeafSize + 1, 'a'));
  EXPECT_EQ(VerifyCode(over), StatusCode::kInvalidArgument);

  v1::LogEvidence many = good;
  while (static_cast<uint64_t>(many.leaves_size()) <= kMaxEvidenceLeaves) {
    many.add_leaves("");
  }
  auto view = VerifyLogEvidence(many, c_->roster);
  EXPECT_EQ(view.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(view.status().message().find("1000001 leaves"), std::string::npos)
      << view.status().message();
}

TEST_F(QuorumEvidenceTest, MalformedCheckpointIsRefused) {
  v1::LogEvidence ev = Evidence(5, 16);
  ev.set_checkpoint("");
  EXPECT_FALSE(VerifyLogEvidence(ev, c_->roster).ok());
  ev.set_checkpoint("conclave.example/log\n16\n");
  EXPECT_FALSE(VerifyLogEvidence(ev, c_->roster).ok());
}

TEST_F(QuorumEvidenceTest, BuildRefusesNotesThatDoNotMatchTheLog) {
  // A note of size 37 from this key, but a log holding only 20 leaves.
  std::map<uint64_t, std::string> notes;
  auto small = MakeLog(c_->log_seed, 20, "", &notes);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(BuildLogEvidence(**small, Settled(37), 3).status().code(),
            StatusCode::kFailedPrecondition);
  // Same key and size, other leaves: the root does not match (a split view
  // the operator's own tooling refuses to package).
  auto forked = MakeLog(c_->log_seed, kLeafCount, "fork ", &notes);
  ASSERT_TRUE(forked.ok());
  EXPECT_EQ(BuildLogEvidence(**forked, Settled(37), 3).status().code(),
            StatusCode::kFailedPrecondition);
  // The forked log's own note builds, and verifies on its own: evidence is
  // about one checkpoint; a vote naming the other history shows up as a
  // RootAt mismatch.
  auto ev = BuildLogEvidence(**forked, Cosign(notes.at(37), {1, 2, 3, 4}), 3);
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  auto view = VerifyLogEvidence(*ev, c_->roster);
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  EXPECT_NE(*view->RootAt(17), LogRoot(17));
  // A note that is not a note.
  EXPECT_EQ(BuildLogEvidence(*log_, "garbage", 0).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(QuorumEvidenceTest, UncommittedLeavesAreNotCovered) {
  // Leaves staged after the note do not change what the evidence holds.
  ASSERT_TRUE(log_->Append(AsBytes("staged")).ok());
  auto ev = BuildLogEvidence(*log_, Settled(37), 30);
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  EXPECT_EQ(ev->leaves_size(), 7);
  EXPECT_TRUE(VerifyLogEvidence(*ev, c_->roster).ok());
}

}  // namespace
}  // namespace conclave::quorum
