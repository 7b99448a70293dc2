// Membership change (brief §9, keyceremony/reshare.h): a simulated 5/3
// consortium (editors 3:2,3:2,1:1,1:1,1:1) reshares to 6/4 with organisation
// 2 leaving; the key stays, every 4-subset of new organisations recombines
// it (with nested editor Lagrange) and no 3-subset does, old and new shares
// do not mix; a refresh keeps Y and the committee; every negative case of
// the issue is refused with the right code, naming the dealer at fault; the
// successor-roster checks refuse each broken chain link.
#include "keyceremony/reshare.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "audit/cosignature.h"
#include "audit/note.h"
#include "crypto/hpke.h"
#include "keyceremony/roster.h"
#include "keyceremony/simulate.h"
#include "sealed/sealed_file.h"
#include "shares/shamir.h"

namespace conclave::keyceremony {
namespace {

namespace fs = std::filesystem;
using Key = std::pair<uint32_t, uint32_t>;

#define RS_ASSERT_OK(expr)                                \
  do {                                                    \
    const auto& rs_v_ = (expr);                           \
    ASSERT_TRUE(rs_v_.ok()) << rs_v_.status().ToString(); \
  } while (0)
#define RS_ASSERT_OK_STATUS(expr)                \
  do {                                           \
    const Status rs_s_ = (expr);                 \
    ASSERT_TRUE(rs_s_.ok()) << rs_s_.ToString(); \
  } while (0)

std::string Pb(const Point& p) {
  const CompressedPoint c = p.EncodeCompressed();
  return std::string(c.begin(), c.end());
}

// The keys of one editor, in memory.
struct Keys {
  std::shared_ptr<Ed25519PrivateKey> signing;
  Scalar receiving;
};

// A simulated epoch-1 consortium, made once for the suite.
struct Consortium {
  VerifiedRoster roster;
  std::map<Key, Keys> keys;
  std::map<Key, v1::EditorShare> shares;
  Scalar x;  // the key, reconstructed (tests only)
};

Consortium* g_old = nullptr;

class ReshareTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (g_old != nullptr) return;
    const fs::path dir = fs::temp_directory_path() /
                         ("reshare_test_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    const SecretBytes pass = SecretBytes::CopyFrom(AsBytes("test passphrase"));
    CeremonyOptions opts;
    opts.orgs = 5;
    opts.threshold = 3;
    opts.editors = {{3, 2}, {3, 2}, {1, 1}, {1, 1}, {1, 1}};
    opts.work_factor = 10;
    StatusOr<CeremonyResult> r = RunCeremony(opts, dir, pass);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto c = std::make_unique<Consortium>();
    StatusOr<VerifiedRoster> roster = ReadRosterFile(dir / "consortium.roster");
    ASSERT_TRUE(roster.ok());
    c->roster = *roster;
    for (const v1::RosterOrganisation& o : c->roster.body.organisations()) {
      for (const v1::RosterEditor& e : o.editors()) {
        const fs::path ed = dir / ("org" + std::to_string(o.id())) /
                            ("editor" + std::to_string(e.index()));
        StatusOr<OpenedSecret> id = ReadSealedFile(ed / "identity.age", pass);
        StatusOr<OpenedSecret> sh = ReadSealedFile(ed / "share.age", pass);
        ASSERT_TRUE(id.ok() && sh.ok());
        const v1::EditorIdentity& ident = id->message().editor_identity();
        Keys k;
        k.signing = std::make_shared<Ed25519PrivateKey>(
            *Ed25519PrivateKey::FromSeed(AsBytes(ident.ed25519_seed())));
        k.receiving = *Scalar::FromBytes(AsBytes(ident.p256_private_key()));
        c->keys[{o.id(), e.index()}] = k;
        c->shares[{o.id(), e.index()}] = sh->message().editor_share();
      }
    }
    fs::remove_all(dir);
    std::vector<NestedShare> q;
    for (uint32_t o = 1; o <= 3; ++o) {
      for (uint32_t j = 1; j <= (o <= 2 ? 2u : 1u); ++j) {
        q.push_back(
            {o, j, *Scalar::FromBytes(AsBytes(c->shares[{o, j}].share()))});
      }
    }
    c->x = *NestedInterpolateScalarsAtZero(q);
    ASSERT_EQ(Point::BaseMul(c->x), c->roster.consortium_key);
    g_old = c.release();
  }

  const Consortium& old() { return *g_old; }
};

// The 6/4 committee: organisations 1,3,4,5 continue (2 leaves), 6 and 7
// are new (1:1). New editors' keys go into `keys`.
ResharePlanInput SixFourInput(const Consortium& c, std::map<Key, Keys>& keys) {
  ResharePlanInput in;
  in.kind = v1::MEMBERSHIP_CHANGE_RESHARE;
  in.threshold = 4;
  for (const v1::RosterOrganisation& o : c.roster.body.organisations()) {
    if (o.id() == 2) continue;
    for (const v1::RosterEditor& e : o.editors()) {
      keys[{o.id(), e.index()}] = c.keys.at({o.id(), e.index()});
    }
    in.organisations.push_back(PlanEntry(o));
  }
  for (uint32_t id : {6u, 7u}) {
    v1::RosterOrganisation n;
    n.set_id(id);
    n.set_name("Organisation " + std::to_string(id));
    n.set_witness_vkey(audit::EncodeVerifierKey(
        DefaultWitnessName(id), audit::kSigTypeCosignatureV1,
        Ed25519PrivateKey::Generate().public_key()));
    n.set_editor_threshold(1);
    n.set_editor_count(1);
    Keys k;
    k.signing =
        std::make_shared<Ed25519PrivateKey>(Ed25519PrivateKey::Generate());
    k.receiving = Scalar::Random();
    v1::RosterEditor* e = n.add_editors();
    e->set_index(1);
    e->set_name("New editor " + std::to_string(id));
    e->set_ed25519_public_key(std::string(k.signing->public_key().begin(),
                                          k.signing->public_key().end()));
    e->set_p256_public_key(Pb(Point::BaseMul(k.receiving)));
    keys[{id, 1}] = k;
    in.organisations.push_back(n);
  }
  in.dealers = DefaultDealers(c.roster.body, std::vector<uint32_t>{2});
  return in;
}

// Every dealer of the plan deals with their share and key.
std::vector<v1::ReshareDealing> DealAll(
    const CheckedResharePlan& plan, const VerifiedRoster& prev,
    const std::map<Key, Keys>& keys, const std::map<Key, v1::EditorShare>& s) {
  std::vector<v1::ReshareDealing> out;
  for (const v1::ReshareDealer& d : plan.body.dealers()) {
    const Key k{d.org_id(), d.editor_index()};
    StatusOr<v1::ReshareDealing> dealing =
        MakeReshareDealing(plan, prev, s.at(k), *keys.at(k).signing);
    EXPECT_TRUE(dealing.ok()) << dealing.status().ToString();
    out.push_back(*dealing);
  }
  return out;
}

// Re-signs a dealing after `mutate` changed its body (a dealer cheating).
template <typename F>
v1::ReshareDealing Tamper(const v1::ReshareDealing& d,
                          const Ed25519PrivateKey& key, F mutate) {
  v1::ReshareDealingBody body;
  EXPECT_TRUE(body.ParseFromString(d.signed_()));
  mutate(body);
  v1::ReshareDealing out;
  body.SerializeToString(out.mutable_signed_());
  const Ed25519Signature sig = key.Sign(
      DomainSeparatedMessage(kReshareDealingDst, AsBytes(out.signed_())));
  out.set_signature(std::string(sig.begin(), sig.end()));
  return out;
}

struct Epoch {
  CheckedResharePlan plan;
  std::vector<v1::ReshareDealing> dealings;
  std::map<Key, Keys> keys;  // new committee
  std::map<Key, v1::EditorShare> shares;
  v1::Roster roster;
  VerifiedRoster verified;
  v1::ReshareRecord record;
};

// Runs a whole change in memory and signs the roster and record.
void RunChange(const Consortium& c, const ResharePlanInput& in,
               std::map<Key, Keys> keys, Epoch* e) {
  e->keys = std::move(keys);
  StatusOr<v1::ResharePlan> plan = MakeResharePlan(c.roster, in);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  StatusOr<CheckedResharePlan> checked = CheckResharePlan(*plan, c.roster);
  ASSERT_TRUE(checked.ok()) << checked.status().ToString();
  e->plan = *checked;
  e->dealings = DealAll(e->plan, c.roster, c.keys, c.shares);
  for (const auto& [who, k] : e->keys) {
    const v1::EditorShare* old = e->plan.refresh ? &c.shares.at(who) : nullptr;
    StatusOr<ReceivedShare> got =
        ReceiveReshare(e->plan, c.roster, e->dealings, who.first, who.second,
                       k.receiving, old);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    e->shares[who] = MakeEditorShare(c.roster.consortium_key,
                                     e->plan.body.epoch(), who.first, *got);
  }
  StatusOr<ReshareOutcome> outcome =
      CombineReshareDealings(e->plan, c.roster, e->dealings);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  StatusOr<SuccessorDraft> draft =
      AssembleSuccessor(e->plan, c.roster, *outcome);
  ASSERT_TRUE(draft.ok()) << draft.status().ToString();
  std::vector<RosterSigner> signers;
  for (const auto& [who, k] : e->keys) {
    signers.push_back({who.first, who.second, k.signing.get()});
  }
  StatusOr<v1::Roster> roster = SignRoster(draft->body, signers);
  ASSERT_TRUE(roster.ok());
  e->roster = *roster;
  e->record = draft->record;
  for (const v1::ReshareDealer& d : e->plan.body.dealers()) {
    const Ed25519PrivateKey& k =
        *c.keys.at({d.org_id(), d.editor_index()}).signing;
    *e->roster.add_dealer_signatures() =
        SignRosterAsDealer(e->roster, d.org_id(), d.editor_index(), k);
    SignReshareRecord(&e->record, true, d.org_id(), d.editor_index(), k);
  }
  for (const auto& [who, k] : e->keys) {
    SignReshareRecord(&e->record, false, who.first, who.second, *k.signing);
  }
  StatusOr<VerifiedRoster> v = VerifyRosterSuccessor(c.roster, e->roster);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  e->verified = *v;
  RS_ASSERT_OK_STATUS(CheckReshareRecord(e->record, c.roster, e->verified));
}

Scalar ShareValue(const v1::EditorShare& s) {
  return *Scalar::FromBytes(AsBytes(s.share()));
}

// Σ λ_o μ_oj y_oj over the first k_o editors of each listed organisation.
StatusOr<Scalar> Recombine(const v1::RosterBody& body,
                           const std::map<Key, v1::EditorShare>& shares,
                           const std::vector<uint32_t>& orgs) {
  std::vector<NestedShare> q;
  for (uint32_t o : orgs) {
    const v1::RosterOrganisation* org = FindOrganisation(body, o);
    for (uint32_t j = 1; j <= org->editor_threshold(); ++j) {
      q.push_back({o, j, ShareValue(shares.at({o, j}))});
    }
  }
  return NestedInterpolateScalarsAtZero(q);
}

std::vector<std::vector<uint32_t>> Subsets(const std::vector<uint32_t>& items,
                                           size_t k) {
  std::vector<std::vector<uint32_t>> out;
  std::vector<bool> pick(items.size(), false);
  std::fill(pick.begin(), pick.begin() + static_cast<long>(k), true);
  do {
    std::vector<uint32_t> s;
    for (size_t i = 0; i < items.size(); ++i) {
      if (pick[i]) s.push_back(items[i]);
    }
    out.push_back(s);
  } while (std::prev_permutation(pick.begin(), pick.end()));
  return out;
}

void ExpectError(const Status& s, StatusCode code, const std::string& names) {
  EXPECT_EQ(s.code(), code) << s.ToString();
  EXPECT_NE(s.message().find(names), std::string::npos) << s.ToString();
}

TEST_F(ReshareTest, FiveThreeToSixFourKeepsTheKey) {
  std::map<Key, Keys> keys;
  const ResharePlanInput in = SixFourInput(old(), keys);
  Epoch e;
  RunChange(old(), in, keys, &e);
  if (HasFatalFailure()) return;
  const v1::RosterBody& b = e.verified.body;
  EXPECT_EQ(e.verified.consortium_key, old().roster.consortium_key);
  EXPECT_EQ(b.epoch(), 2u);
  EXPECT_EQ(b.threshold(), 4u);
  EXPECT_EQ(b.next_organisation_id(), 8u);
  EXPECT_EQ(b.change().kind(), v1::MEMBERSHIP_CHANGE_RESHARE);
  // Dealers: the first t = 3 organisations other than 2, k_o editors each.
  ASSERT_EQ(b.change().dealers_size(), 4);
  EXPECT_EQ(b.change().dealers(0).org_id(), 1u);
  EXPECT_EQ(b.change().dealers(2).org_id(), 3u);
  EXPECT_EQ(b.change().dealers(3).org_id(), 4u);
  // Every share checks against the new roster.
  for (const auto& [who, s] : e.shares) {
    EXPECT_TRUE(CheckEditorShare(s, e.verified).ok());
  }
  const std::vector<uint32_t> ids = {1, 3, 4, 5, 6, 7};
  for (const auto& set : Subsets(ids, 4)) {
    StatusOr<Scalar> x = Recombine(b, e.shares, set);
    ASSERT_TRUE(x.ok());
    EXPECT_TRUE(x->Equals(old().x));
  }
  for (const auto& set : Subsets(ids, 3)) {
    StatusOr<Scalar> x = Recombine(b, e.shares, set);
    ASSERT_TRUE(x.ok());
    EXPECT_FALSE(x->Equals(old().x));
  }
  // Partial decryptions D = y'·R of a point made before the reshare
  // combine to r·Y.
  const Scalar r = Scalar::Random();
  const Point big_r = Point::BaseMul(r);
  std::vector<NestedPoint> partials;
  for (uint32_t o : {3u, 5u, 6u, 1u}) {
    const v1::RosterOrganisation* org = FindOrganisation(b, o);
    for (uint32_t j = 1; j <= org->editor_threshold(); ++j) {
      partials.push_back({o, j, big_r.Mul(ShareValue(e.shares.at({o, j})))});
    }
  }
  StatusOr<Point> combined = NestedInterpolatePointsAtZero(partials);
  ASSERT_TRUE(combined.ok());
  EXPECT_EQ(*combined, old().roster.consortium_key.Mul(r));
  EXPECT_TRUE(VerifyRosterSuccessor(old().roster, e.roster).ok());
  // Stranding: a submission excluding 1, 3 and 4 leaves 3 < 4 organisations.
  const std::vector<SubmissionExclusions> subs = {
      {"a", {1, 3, 4}}, {"b", {1, 3}}, {"c", {}}};
  EXPECT_EQ(StrandedSubmissions(b, subs), std::vector<std::string>{"a"});
}

TEST_F(ReshareTest, OldAndNewSharesDoNotMix) {
  std::map<Key, Keys> keys;
  const ResharePlanInput in = SixFourInput(old(), keys);
  Epoch e;
  RunChange(old(), in, keys, &e);
  if (HasFatalFailure()) return;
  // New threshold 4: two new organisations with two old ones.
  std::map<Key, v1::EditorShare> mixed = e.shares;
  for (const Key& k : {Key{4, 1}, Key{5, 1}}) mixed[k] = old().shares.at(k);
  StatusOr<Scalar> x = Recombine(e.verified.body, mixed, {3, 4, 5, 6});
  ASSERT_TRUE(x.ok());
  EXPECT_FALSE(x->Equals(old().x));
  // Old threshold 3: two old organisations with one new share.
  std::map<Key, v1::EditorShare> mixed_old = old().shares;
  mixed_old[{3, 1}] = e.shares.at({3, 1});
  x = Recombine(old().roster.body, mixed_old, {1, 3, 4});
  ASSERT_TRUE(x.ok());
  EXPECT_FALSE(x->Equals(old().x));
  // Within an organisation: one old and one new editor share.
  mixed = e.shares;
  mixed[{1, 2}] = old().shares.at({1, 2});
  x = Recombine(e.verified.body, mixed, {1, 3, 4, 5});
  ASSERT_TRUE(x.ok());
  EXPECT_FALSE(x->Equals(old().x));
  // An old-epoch share is refused against the new roster.
  EXPECT_EQ(CheckEditorShare(old().shares.at({1, 1}), e.verified).code(),
            StatusCode::kFailedPrecondition);
}

ResharePlanInput RefreshInput(const Consortium& c, std::map<Key, Keys>& keys) {
  ResharePlanInput in;
  in.kind = v1::MEMBERSHIP_CHANGE_REFRESH;
  in.threshold = c.roster.body.threshold();
  for (const v1::RosterOrganisation& o : c.roster.body.organisations()) {
    v1::RosterOrganisation n = o;
    n.clear_verification_share();
    n.clear_editor_commitments();
    for (v1::RosterEditor& e : *n.mutable_editors()) {
      e.clear_verification_share();
      keys[{o.id(), e.index()}] = c.keys.at({o.id(), e.index()});
    }
    in.organisations.push_back(n);
  }
  return in;
}

TEST_F(ReshareTest, RefreshKeepsKeyAndCommittee) {
  std::map<Key, Keys> keys;
  const ResharePlanInput in = RefreshInput(old(), keys);
  Epoch e;
  RunChange(old(), in, keys, &e);
  if (HasFatalFailure()) return;
  const v1::RosterBody& b = e.verified.body;
  EXPECT_EQ(e.verified.consortium_key, old().roster.consortium_key);
  EXPECT_EQ(b.change().kind(), v1::MEMBERSHIP_CHANGE_REFRESH);
  // A zero refresh at consortium level moves every X_o (brief §9); each
  // editor share changes.
  for (int i = 0; i < b.organisations_size(); ++i) {
    EXPECT_NE(b.organisations(i).verification_share(),
              old().roster.body.organisations(i).verification_share());
  }
  for (const auto& [who, s] : e.shares) {
    EXPECT_NE(s.share(), old().shares.at(who).share());
  }
  const std::vector<uint32_t> ids = {1, 2, 3, 4, 5};
  for (const auto& set : Subsets(ids, 3)) {
    StatusOr<Scalar> x = Recombine(b, e.shares, set);
    ASSERT_TRUE(x.ok());
    EXPECT_TRUE(x->Equals(old().x));
  }
  for (const auto& set : Subsets(ids, 2)) {
    EXPECT_FALSE(Recombine(b, e.shares, set)->Equals(old().x));
  }
  std::map<Key, v1::EditorShare> mixed = e.shares;
  mixed[{3, 1}] = old().shares.at({3, 1});
  EXPECT_FALSE(Recombine(b, mixed, {1, 3, 5})->Equals(old().x));
  mixed = e.shares;
  mixed[{2, 1}] = old().shares.at({2, 1});
  EXPECT_FALSE(Recombine(b, mixed, {1, 2, 5})->Equals(old().x));
}

class ReshareNegativeTest : public ReshareTest {
 protected:
  void SetUp() override {
    std::map<Key, Keys> keys;
    in_ = SixFourInput(old(), keys);
    keys_ = keys;
    StatusOr<v1::ResharePlan> plan = MakeResharePlan(old().roster, in_);
    ASSERT_TRUE(plan.ok());
    plan_ = *CheckResharePlan(*plan, old().roster);
    dealings_ = DealAll(plan_, old().roster, old().keys, old().shares);
  }
  const Ed25519PrivateKey& Key11() { return *old().keys.at({1, 1}).signing; }
  Status Combine(const std::vector<v1::ReshareDealing>& d) {
    return CombineReshareDealings(plan_, old().roster, d).status();
  }
  Status Receive(const std::vector<v1::ReshareDealing>& d, Key who) {
    return ReceiveReshare(plan_, old().roster, d, who.first, who.second,
                          keys_.at(who).receiving)
        .status();
  }
  ResharePlanInput in_;
  std::map<Key, Keys> keys_;
  CheckedResharePlan plan_;
  std::vector<v1::ReshareDealing> dealings_;
};

TEST_F(ReshareNegativeTest, HonestDealingsCombine) {
  EXPECT_TRUE(Combine(dealings_).ok());
  EXPECT_TRUE(Receive(dealings_, {6, 1}).ok());
}

TEST_F(ReshareNegativeTest, ConstantTermNotVerificationShare) {
  std::vector<v1::ReshareDealing> d = dealings_;
  d[0] = Tamper(d[0], Key11(), [](v1::ReshareDealingBody& b) {
    b.mutable_commitments()->set_consortium_commitments(
        0, Pb(Point::BaseMul(Scalar::Random())));
  });
  ExpectError(Combine(d), StatusCode::kInvalidArgument,
              "dealer organisation 1 editor 1: the constant-term commitment "
              "F_oj[0]");
  EXPECT_EQ(Receive(d, {6, 1}).code(), StatusCode::kInvalidArgument);
}

TEST_F(ReshareNegativeTest, QuorumDiffersFromPlan) {
  // Missing dealer.
  std::vector<v1::ReshareDealing> d(dealings_.begin(), dealings_.end() - 1);
  ExpectError(Combine(d), StatusCode::kFailedPrecondition,
              "dealer organisation 4 editor 1 of the agreed quorum has not "
              "dealt");
  // Duplicate dealer.
  d = dealings_;
  d.push_back(dealings_[1]);
  ExpectError(Combine(d), StatusCode::kInvalidArgument,
              "dealer organisation 1 editor 2 dealt more than once");
  // Extra dealer: organisation 5's editor deals although not in the quorum.
  d = dealings_;
  d.push_back(Tamper(dealings_[3], *old().keys.at({5, 1}).signing,
                     [](v1::ReshareDealingBody& b) {
                       b.mutable_commitments()->set_org_id(5);
                     }));
  ExpectError(Combine(d), StatusCode::kInvalidArgument,
              "dealer organisation 5 editor 1 is not in the agreed quorum");
  // A dealing signed by someone else than the dealer it names.
  d = dealings_;
  d[2] = Tamper(dealings_[2], Key11(), [](v1::ReshareDealingBody&) {});
  ExpectError(Combine(d), StatusCode::kUnauthenticated,
              "dealer organisation 3 editor 1");
  // A plan whose dealers are not a quorum of the previous roster.
  ResharePlanInput in = in_;
  in.dealers.pop_back();
  ExpectError(MakeResharePlan(old().roster, in).status(),
              StatusCode::kInvalidArgument, "exactly t = 3");
  in = in_;
  in.dealers.erase(in.dealers.begin() + 1);  // organisation 1 with 1 of k=2
  ExpectError(MakeResharePlan(old().roster, in).status(),
              StatusCode::kInvalidArgument, "exactly k_o = 2");
}

TEST_F(ReshareNegativeTest, SecondLevelConstantTermNotFp) {
  std::vector<v1::ReshareDealing> d = dealings_;
  d[2] = Tamper(
      d[2], *old().keys.at({3, 1}).signing, [](v1::ReshareDealingBody& b) {
        b.mutable_commitments()->mutable_organisations(4)->set_commitments(
            0, Pb(Point::BaseMul(Scalar::Random())));
      });
  ExpectError(Combine(d), StatusCode::kInvalidArgument,
              "dealer organisation 3 editor 1: the constant-term commitment "
              "G_{oj,p}[0] for organisation 6 is not F_oj(6)");
}

TEST_F(ReshareNegativeTest, WrongEvaluationFailsFeldman) {
  // Dealer (4, 1) seals a wrong value for new editor (6, 1).
  const Key who{6, 1};
  const Point pk = Point::BaseMul(keys_.at(who).receiving);
  const UncompressedPoint pk_r = pk.EncodeUncompressed();
  Bytes info = DomainSeparatedMessage(kReshareShareDst, plan_.fingerprint);
  for (uint32_t v : {4u, 1u, 6u, 1u}) {
    info.insert(info.end(), {0, 0, 0, static_cast<uint8_t>(v)});
  }
  const SecretBytes wrong = Scalar::Random().ToBytes();
  StatusOr<HpkeSealed> sealed =
      HpkeSealBase(HpkeAead::kChaCha20Poly1305, pk_r, info, {}, wrong.span());
  ASSERT_TRUE(sealed.ok());
  std::vector<v1::ReshareDealing> d = dealings_;
  d[3] = Tamper(
      d[3], *old().keys.at({4, 1}).signing, [&](v1::ReshareDealingBody& b) {
        for (v1::ReshareSealedShare& s : *b.mutable_shares()) {
          if (s.org_id() == 6) {
            s.set_enc(std::string(sealed->enc.begin(), sealed->enc.end()));
            s.set_ciphertext(std::string(sealed->ciphertext.begin(),
                                         sealed->ciphertext.end()));
          }
        }
      });
  EXPECT_TRUE(Combine(d).ok());  // public data is still consistent
  ExpectError(Receive(d, who), StatusCode::kInvalidArgument,
              "dealer organisation 4 editor 1: the share for organisation 6 "
              "editor 1 fails the Feldman check");
  EXPECT_TRUE(Receive(d, {7, 1}).ok());
  // A ciphertext for another editor does not open.
  d = dealings_;
  d[3] = Tamper(
      d[3], *old().keys.at({4, 1}).signing, [](v1::ReshareDealingBody& b) {
        *b.mutable_shares(b.shares_size() - 1) = b.shares(b.shares_size() - 2);
        b.mutable_shares(b.shares_size() - 1)->set_org_id(7);
      });
  ExpectError(Receive(d, {7, 1}), StatusCode::kUnauthenticated,
              "dealer organisation 4 editor 1: the sealed share for "
              "organisation 7 editor 1 does not open");
}

TEST_F(ReshareNegativeTest, WrongVectorLengths) {
  std::vector<v1::ReshareDealing> d = dealings_;
  d[0] = Tamper(d[0], Key11(), [](v1::ReshareDealingBody& b) {
    b.mutable_commitments()->mutable_consortium_commitments()->RemoveLast();
  });
  ExpectError(Combine(d), StatusCode::kInvalidArgument,
              "dealer organisation 1 editor 1: 3 consortium-level commitments "
              "F_oj, expected t' = 4");
  d = dealings_;
  d[0] = Tamper(d[0], Key11(), [](v1::ReshareDealingBody& b) {
    b.mutable_commitments()->add_consortium_commitments(Pb(Point::Generator()));
  });
  ExpectError(Combine(d), StatusCode::kInvalidArgument, "expected t' = 4");
  d = dealings_;
  d[0] = Tamper(d[0], Key11(), [](v1::ReshareDealingBody& b) {
    b.mutable_commitments()->mutable_organisations(0)->add_commitments(
        Pb(Point::Generator()));
  });
  ExpectError(Combine(d), StatusCode::kInvalidArgument,
              "dealer organisation 1 editor 1: 3 commitments G_{oj,p} for "
              "organisation 1, expected k'_p = 2");
  d = dealings_;
  d[0] = Tamper(d[0], Key11(), [](v1::ReshareDealingBody& b) {
    b.mutable_shares()->RemoveLast();
  });
  ExpectError(Combine(d), StatusCode::kInvalidArgument,
              "dealer organisation 1 editor 1: the sealed shares");
}

TEST_F(ReshareTest, RefreshWithNonZeroConstantIsRefused) {
  std::map<Key, Keys> keys;
  const ResharePlanInput in = RefreshInput(old(), keys);
  StatusOr<v1::ResharePlan> plan = MakeResharePlan(old().roster, in);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  const CheckedResharePlan checked = *CheckResharePlan(*plan, old().roster);
  std::vector<v1::ReshareDealing> d =
      DealAll(checked, old().roster, old().keys, old().shares);
  ASSERT_TRUE(CombineReshareDealings(checked, old().roster, d).ok());
  d[2] = Tamper(d[2], *old().keys.at({2, 1}).signing,
                [&](v1::ReshareDealingBody& b) {
                  // Its own Y_oj: a "refresh" that re-deals the share.
                  b.mutable_commitments()->set_consortium_commitments(
                      0, old().shares.at({2, 1}).verification_share());
                });
  ExpectError(CombineReshareDealings(checked, old().roster, d).status(),
              StatusCode::kInvalidArgument,
              "dealer organisation 2 editor 1: refresh with a non-zero "
              "constant term");
  // A refresh may not change the committee.
  ResharePlanInput bad = in;
  bad.organisations.pop_back();
  EXPECT_EQ(MakeResharePlan(old().roster, bad).status().code(),
            StatusCode::kInvalidArgument);
}

// ---- Successor roster ----

class SuccessorTest : public ReshareTest {
 protected:
  void SetUp() override {
    std::map<Key, Keys> keys;
    const ResharePlanInput in = SixFourInput(old(), keys);
    RunChange(old(), in, keys, &e_);
  }
  // Re-signs `body` by every new editor and every dealer.
  v1::Roster Resign(const v1::RosterBody& body) {
    std::vector<RosterSigner> signers;
    for (const auto& [who, k] : e_.keys) {
      signers.push_back({who.first, who.second, k.signing.get()});
    }
    v1::Roster r = *SignRoster(body, signers);
    for (const v1::ReshareDealer& d : body.change().dealers()) {
      *r.add_dealer_signatures() = SignRosterAsDealer(
          r, d.org_id(), d.editor_index(),
          *old().keys.at({d.org_id(), d.editor_index()}).signing);
    }
    return r;
  }
  v1::RosterBody Body() {
    v1::RosterBody b;
    b.ParseFromString(e_.roster.signed_());
    return b;
  }
  Status Verify(const v1::Roster& r) {
    return VerifyRosterSuccessor(old().roster, r).status();
  }
  Epoch e_;
};

TEST_F(SuccessorTest, GoodSuccessorAndChain) {
  EXPECT_TRUE(Verify(e_.roster).ok());
  EXPECT_TRUE(Verify(Resign(Body())).ok());
  // Alone, VerifyRoster accepts the later epoch too (without the chain).
  EXPECT_TRUE(VerifyRoster(e_.roster).ok());
  // A chain must start at epoch 1.
  std::vector<v1::Roster> chain = {e_.roster};
  EXPECT_EQ(VerifyRosterChain(chain).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(SuccessorTest, ReusedDepartedId) {
  // Organisation 2 left at epoch 2; an epoch-3 roster (or plan) that gives
  // id 2 to a newcomer is refused.
  auto rename = [](auto* orgs) {
    for (auto& o : *orgs) {
      if (o.id() == 6) o.set_id(2);
    }
    std::sort(orgs->begin(), orgs->end(),
              [](const auto& x, const auto& y) { return x.id() < y.id(); });
  };
  v1::RosterBody b = Body();
  b.set_epoch(3);
  b.set_previous_roster_fingerprint(std::string(e_.verified.fingerprint.begin(),
                                                e_.verified.fingerprint.end()));
  rename(b.mutable_organisations());
  ExpectError(VerifyRosterSuccessor(e_.verified, Resign(b)).status(),
              StatusCode::kInvalidArgument,
              "organisation 2: a departed organisation's id reappears");
  ResharePlanInput in;
  in.threshold = 4;
  for (const v1::RosterOrganisation& o : e_.verified.body.organisations()) {
    in.organisations.push_back(o);
  }
  google::protobuf::RepeatedPtrField<v1::RosterOrganisation> orgs(
      in.organisations.begin(), in.organisations.end());
  rename(&orgs);
  in.organisations.assign(orgs.begin(), orgs.end());
  ExpectError(MakeResharePlan(e_.verified, in).status(),
              StatusCode::kInvalidArgument,
              "organisation 2: this id was used before and has left");
  // Without the rename the same plan is fine.
  in.organisations.assign(e_.verified.body.organisations().begin(),
                          e_.verified.body.organisations().end());
  EXPECT_TRUE(MakeResharePlan(e_.verified, in).ok());
}

TEST_F(SuccessorTest, ChangedKeyWithoutRekey) {
  v1::RosterBody b = Body();
  b.set_consortium_key(Pb(Point::BaseMul(Scalar::Random())));
  ExpectError(Verify(Resign(b)), StatusCode::kInvalidArgument,
              "the consortium key Y changed");
}

TEST_F(SuccessorTest, MissingDealerSignature) {
  v1::Roster r = e_.roster;
  r.mutable_dealer_signatures()->RemoveLast();
  ExpectError(Verify(r), StatusCode::kUnauthenticated,
              "dealer organisation 4 editor 1 has not signed");
  // A dealer signature that does not verify.
  r = e_.roster;
  r.mutable_dealer_signatures(0)->set_editor_index(2);
  r.mutable_dealer_signatures(1)->set_editor_index(1);
  EXPECT_EQ(Verify(r).code(), StatusCode::kUnauthenticated);
}

TEST_F(SuccessorTest, DealersNotAQuorum) {
  v1::RosterBody b = Body();
  b.mutable_change()->mutable_dealers()->RemoveLast();
  ExpectError(Verify(Resign(b)), StatusCode::kInvalidArgument,
              "not a quorum of the previous roster");
}

TEST_F(SuccessorTest, WrongPreviousFingerprintOrEpoch) {
  v1::RosterBody b = Body();
  b.set_previous_roster_fingerprint(std::string(32, 'x'));
  ExpectError(Verify(Resign(b)), StatusCode::kInvalidArgument,
              "previous-roster fingerprint");
  b = Body();
  b.set_epoch(3);
  ExpectError(Verify(Resign(b)), StatusCode::kInvalidArgument,
              "epoch 3 does not follow epoch 1");
  // The record of another transcript is refused.
  v1::ReshareRecord rec = e_.record;
  rec.mutable_editor_signatures()->RemoveLast();
  EXPECT_EQ(CheckReshareRecord(rec, old().roster, e_.verified).code(),
            StatusCode::kUnauthenticated);
  rec = e_.record;
  rec.set_transcript(rec.transcript() + "x");
  EXPECT_EQ(CheckReshareRecord(rec, old().roster, e_.verified).code(),
            StatusCode::kInvalidArgument);
}

TEST_F(SuccessorTest, EpochOneRosterStillVerifiesAndRefusesChangeFields) {
  // Existing epoch-1 rosters verify as before; an epoch-1 body naming a
  // change is refused.
  EXPECT_EQ(old().roster.body.epoch(), 1u);
  v1::RosterBody b = Body();
  b.set_epoch(1);
  EXPECT_EQ(VerifyRoster(Resign(b)).status().code(),
            StatusCode::kUnauthenticated);  // epoch 1 has no dealer signatures
  std::vector<RosterSigner> signers;
  for (const auto& [who, k] : e_.keys) {
    signers.push_back({who.first, who.second, k.signing.get()});
  }
  ExpectError(VerifyRoster(*SignRoster(b, signers)).status(),
              StatusCode::kInvalidArgument,
              "an epoch-1 roster names a previous roster");
}

// ---- Rekey (reshare.h "Rekey") ----

// Signs `body` by every editor of `keys`.
v1::Roster SignByAll(const v1::RosterBody& body,
                     const std::map<Key, Keys>& keys) {
  std::vector<RosterSigner> signers;
  for (const auto& [who, k] : keys) {
    signers.push_back({who.first, who.second, k.signing.get()});
  }
  StatusOr<v1::Roster> r = SignRoster(body, signers);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : v1::Roster();
}

StatusOr<RekeyOutput> Rekey(const VerifiedRoster& prev,
                            const std::map<Key, Keys>& keys) {
  std::vector<RekeyEditor> editors;
  for (const auto& [who, k] : keys) {
    editors.push_back({who.first, who.second, k.signing.get(), &k.receiving});
  }
  return RunRekeyInProcess(prev, editors);
}

// After organisation 2 left (ids 1,3,4,5,6,7), a rekey's DKG evaluates at
// positions 1..6 and is re-dealt to the ids.
class RekeyTest : public ReshareTest {
 protected:
  void SetUp() override {
    std::map<Key, Keys> keys;
    const ResharePlanInput in = SixFourInput(old(), keys);  // fills keys
    RunChange(old(), in, keys, &e_);
    if (HasFatalFailure()) return;
    StatusOr<RekeyOutput> r = Rekey(e_.verified, e_.keys);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    out_ = std::move(r).value();
    roster_ = SignByAll(out_.body, e_.keys);
    StatusOr<VerifiedRoster> v = VerifyRosterSuccessor(e_.verified, roster_);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    next_ = *v;
  }
  Epoch e_;
  RekeyOutput out_;
  v1::Roster roster_;
  VerifiedRoster next_;
};

TEST_F(RekeyTest, AfterADepartureTheDkgIsRedealtToTheIds) {
  RS_ASSERT_OK_STATUS(CheckRekeyRecord(out_.record, e_.verified, next_));
  ASSERT_TRUE(out_.record.has_dkg_roster() && out_.record.has_redeal());
  // The first 4 positions deal: k = 2 editors of organisation 1, then one.
  EXPECT_EQ(out_.dealers, 5u);
  EXPECT_NE(next_.consortium_key, e_.verified.consortium_key);
  EXPECT_EQ(next_.consortium_key, out_.y);
  EXPECT_EQ(next_.body.change().kind(), v1::MEMBERSHIP_CHANGE_REKEY);
  EXPECT_EQ(next_.body.epoch(), 3u);
  const std::vector<uint32_t> ids = {1, 3, 4, 5, 6, 7};
  for (int i = 0; i < next_.body.organisations_size(); ++i) {
    EXPECT_EQ(next_.body.organisations(i).id(), ids[static_cast<size_t>(i)]);
    EXPECT_EQ(next_.body.organisations(i).cocktail_position(),
              static_cast<uint32_t>(i + 1));
  }
  // Every new share checks against the roster; every 4-subset recombines
  // Y' and no 3-subset does.
  std::map<Key, v1::EditorShare> shares;
  for (const auto& [who, got] : out_.shares) {
    shares[who] = MakeEditorShare(out_.y, 3, who.first, got);
    RS_ASSERT_OK_STATUS(CheckEditorShare(shares[who], next_));
  }
  for (size_t k : {3u, 4u}) {
    for (const std::vector<uint32_t>& q : Subsets(ids, k)) {
      StatusOr<Scalar> x = Recombine(next_.body, shares, q);
      ASSERT_TRUE(x.ok());
      EXPECT_EQ(Point::BaseMul(*x) == next_.consortium_key, k == 4);
    }
  }
  // Old-key shares do not mix with new ones.
  std::map<Key, v1::EditorShare> mixed = shares;
  mixed[{1, 1}] = e_.shares.at({1, 1});
  mixed[{1, 2}] = e_.shares.at({1, 2});
  StatusOr<Scalar> x = Recombine(next_.body, mixed, {1, 3, 4, 5});
  ASSERT_TRUE(x.ok());
  EXPECT_NE(Point::BaseMul(*x), next_.consortium_key);
  EXPECT_NE(Point::BaseMul(*x), e_.verified.consortium_key);
  // The DKG's roster is never a successor: it does not keep the ids.
  ExpectError(
      VerifyRosterSuccessor(e_.verified, out_.record.dkg_roster()).status(),
      StatusCode::kInvalidArgument, "a rekey keeps every organisation");
}

TEST_F(RekeyTest, RecordNegatives) {
  v1::RekeyRecord rec = out_.record;
  rec.clear_redeal();
  ExpectError(CheckRekeyRecord(rec, e_.verified, next_),
              StatusCode::kInvalidArgument, "needs the DKG's roster");
  // A second rekey of the same roster: its parts do not fit this one.
  StatusOr<RekeyOutput> other = Rekey(e_.verified, e_.keys);
  ASSERT_TRUE(other.ok());
  rec = out_.record;
  *rec.mutable_redeal() = other->record.redeal();
  ExpectError(CheckRekeyRecord(rec, e_.verified, next_),
              StatusCode::kInvalidArgument, "transcript hash");
  rec = out_.record;
  *rec.mutable_cocktail() = other->record.cocktail();
  ExpectError(CheckRekeyRecord(rec, e_.verified, next_),
              StatusCode::kInvalidArgument, "DKG roster");
  rec = out_.record;
  *rec.mutable_dkg_roster() = other->record.dkg_roster();
  EXPECT_FALSE(CheckRekeyRecord(rec, e_.verified, next_).ok());
  rec = out_.record;
  rec.mutable_dkg_roster()->mutable_signatures()->RemoveLast();
  ExpectError(CheckRekeyRecord(rec, e_.verified, next_),
              StatusCode::kUnauthenticated, "DKG roster");
  rec = out_.record;
  rec.mutable_redeal()->mutable_dealer_signatures()->RemoveLast();
  ExpectError(CheckRekeyRecord(rec, e_.verified, next_),
              StatusCode::kUnauthenticated, "has not signed");
  // The DKG roster does not continue epoch 1.
  StatusOr<VerifiedRoster> dkg = VerifyRoster(out_.record.dkg_roster());
  ASSERT_TRUE(dkg.ok());
  ExpectError(CheckRekeyDkgRoster(*dkg, old().roster),
              StatusCode::kInvalidArgument, "does not continue epoch 1");
}

TEST_F(RekeyTest, RedealPlanNegatives) {
  StatusOr<VerifiedRoster> dkg = VerifyRoster(out_.record.dkg_roster());
  ASSERT_TRUE(dkg.ok());
  StatusOr<v1::ResharePlan> plan = MakeRedealPlan(*dkg, e_.verified);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  RS_ASSERT_OK(CheckResharePlan(*plan, *dkg));
  // A re-deal plan continues a DKG roster, not an ordinary one.
  v1::ResharePlanBody b;
  ASSERT_TRUE(b.ParseFromString(plan->body()));
  b.set_previous_roster_fingerprint(std::string(e_.verified.fingerprint.begin(),
                                                e_.verified.fingerprint.end()));
  b.set_epoch(e_.verified.body.epoch());
  v1::ResharePlan p2;
  b.SerializeToString(p2.mutable_body());
  ExpectError(CheckResharePlan(p2, e_.verified).status(),
              StatusCode::kInvalidArgument, "continues a rekey's DKG roster");
  // Positions swapped: organisation 3 would receive position 1's share.
  ASSERT_TRUE(b.ParseFromString(plan->body()));
  b.mutable_organisations(0)->set_cocktail_position(2);
  b.mutable_organisations(1)->set_cocktail_position(1);
  b.SerializeToString(p2.mutable_body());
  ExpectError(CheckResharePlan(p2, *dkg).status(), StatusCode::kInvalidArgument,
              "a re-deal gives position 1");
  // The dealers must be a quorum of the DKG roster.
  std::vector<v1::ReshareDealer> three = DefaultDealers(dkg->body);
  three.pop_back();
  EXPECT_EQ(MakeRedealPlan(*dkg, e_.verified, three).status().code(),
            StatusCode::kInvalidArgument);
  // A DKG roster of another rekey is refused before any plan.
  EXPECT_EQ(MakeRedealPlan(*dkg, old().roster).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(RekeyTest, PositionsMustBeThePlacesInIdOrder) {
  v1::RosterBody b = out_.body;
  b.mutable_organisations(0)->set_cocktail_position(2);
  b.mutable_organisations(1)->set_cocktail_position(1);
  ExpectError(
      VerifyRosterSuccessor(e_.verified, SignByAll(b, e_.keys)).status(),
      StatusCode::kInvalidArgument, "is not its place 1");
}

TEST_F(ReshareTest, RekeyWithIdsOneToMNeedsNoRedeal) {
  StatusOr<RekeyOutput> r = Rekey(old().roster, old().keys);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->record.has_dkg_roster() || r->record.has_redeal());
  EXPECT_EQ(r->dealers, 0u);
  StatusOr<VerifiedRoster> next =
      VerifyRosterSuccessor(old().roster, SignByAll(r->body, old().keys));
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  RS_ASSERT_OK_STATUS(CheckRekeyRecord(r->record, old().roster, *next));
  std::map<Key, v1::EditorShare> shares;
  for (const auto& [who, got] : r->shares) {
    shares[who] = MakeEditorShare(r->y, 2, who.first, got);
  }
  StatusOr<Scalar> x = Recombine(next->body, shares, {2, 4, 5});
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(Point::BaseMul(*x), next->consortium_key);
  // A record claiming a re-deal where none is needed is refused.
  v1::RekeyRecord rec = r->record;
  rec.mutable_redeal()->set_transcript("x");
  ExpectError(CheckRekeyRecord(rec, old().roster, *next),
              StatusCode::kInvalidArgument, "there is no re-deal");
}

}  // namespace
}  // namespace conclave::keyceremony
