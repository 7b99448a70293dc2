// Unit tests for keyceremony/roster: a roster built here independently of
// simulate (trusted dealer, Feldman editor splits) verifies, and every class
// of tampering — re-signed by all editors, so that only the relation checks
// can catch it — fails VerifyRoster with a message naming the defect.
#include "keyceremony/roster.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "audit/note.h"
#include "base/bytes.h"
#include "crypto/ed25519.h"
#include "crypto/p256.h"
#include "keyceremony/simulate.h"
#include "shares/shamir.h"

namespace conclave::keyceremony {
namespace {

// Whether `message` contains `needle`, showing both when it does not.
::testing::AssertionResult Contains(const std::string& message,
                                    const std::string& needle) {
  if (message.find(needle) != std::string::npos) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "\"" << message << "\" does not contain \"" << needle << "\"";
}

std::string Enc(const Point& p) {
  const CompressedPoint c = p.EncodeCompressed();
  return std::string(c.begin(), c.end());
}

std::string RandomPointBytes() { return Enc(Point::BaseMul(Scalar::Random())); }

struct Split {
  uint32_t n, k;
};

// A valid epoch-1 roster: 4 organisations, t = 2, editor splits 2:2, 3:2,
// 1:1, 1:1, with every editor's signing key and share kept for the tests.
class RosterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::vector<Split> splits = {{2, 2}, {3, 2}, {1, 1}, {1, 1}};
    const uint32_t m = 4, t = 2;
    std::vector<uint32_t> ids = {1, 2, 3, 4};
    StatusOr<Dealing> consortium = DealShares(Scalar::Random(), t, ids);
    ASSERT_TRUE(consortium.ok());
    body_.set_epoch(1);
    body_.set_threshold(t);
    body_.set_consortium_key(Enc(consortium->commitments[0]));
    for (const Point& c : consortium->commitments) {
      body_.add_consortium_commitments(Enc(c));
    }
    body_.set_key_generation(v1::KEY_GENERATION_TRUSTED_DEALER);
    body_.set_log_vkey(
        audit::EncodeVerifierKey("log.example", audit::kSigTypeEd25519,
                                 Ed25519PrivateKey::Generate().public_key()));
    body_.add_drill_submission_ids(std::string(64, 'a'));
    body_.mutable_policy()->set_max_request_lifetime_seconds(3600);
    keys_.resize(m);
    for (uint32_t o = 1; o <= m; ++o) {
      v1::RosterOrganisation* org = body_.add_organisations();
      org->set_id(o);
      org->set_name("Org " + std::to_string(o));
      org->set_witness_vkey(audit::EncodeVerifierKey(
          "witness-org" + std::to_string(o), audit::kSigTypeCosignatureV1,
          Ed25519PrivateKey::Generate().public_key()));
      const Split s = splits[o - 1];
      org->set_editor_threshold(s.k);
      org->set_editor_count(s.n);
      const Share& x_o = consortium->shares[o - 1];
      org->set_verification_share(
          Enc(consortium->verification_shares[o - 1].point));
      std::vector<uint32_t> idx;
      for (uint32_t j = 1; j <= s.n; ++j) idx.push_back(j);
      StatusOr<Dealing> editors = DealShares(x_o.value, s.k, idx);
      ASSERT_TRUE(editors.ok());
      for (const Point& c : editors->commitments) {
        org->add_editor_commitments(Enc(c));
      }
      for (uint32_t j = 1; j <= s.n; ++j) {
        keys_[o - 1].push_back(Ed25519PrivateKey::Generate());
        v1::RosterEditor* e = org->add_editors();
        e->set_index(j);
        e->set_name("Editor " + std::to_string(j));
        const Ed25519PublicKey& pk = keys_[o - 1].back().public_key();
        e->set_ed25519_public_key(std::string(pk.begin(), pk.end()));
        e->set_p256_public_key(RandomPointBytes());
        e->set_verification_share(
            Enc(editors->verification_shares[j - 1].point));
        v1::EditorShare share;
        share.set_consortium_key(body_.consortium_key());
        share.set_epoch(1);
        share.set_org_id(o);
        share.set_editor_index(j);
        SecretBytes y = editors->shares[j - 1].value.ToBytes();
        share.set_share(std::string(y.span().begin(), y.span().end()));
        share.set_verification_share(e->verification_share());
        shares_.push_back(share);
      }
    }
  }

  // Signs `body` with every editor's key, as a colluding set of signers
  // would: the relation checks must still catch the defect.
  v1::Roster SignAll(const v1::RosterBody& body) {
    std::vector<RosterSigner> signers;
    for (uint32_t o = 1; o <= keys_.size(); ++o) {
      for (uint32_t j = 1; j <= keys_[o - 1].size(); ++j) {
        signers.push_back({o, j, &keys_[o - 1][j - 1]});
      }
    }
    StatusOr<v1::Roster> r = SignRoster(body, signers);
    EXPECT_TRUE(r.ok());
    return *r;
  }

  // Verifying the re-signed body fails with `code` and a message holding
  // `needle`.
  void ExpectDefect(const v1::RosterBody& body, StatusCode code,
                    const std::string& needle) {
    StatusOr<VerifiedRoster> v = VerifyRoster(SignAll(body));
    ASSERT_FALSE(v.ok()) << "expected: " << needle;
    EXPECT_EQ(v.status().code(), code) << v.status().ToString();
    EXPECT_TRUE(Contains(v.status().message(), needle));
  }

  v1::RosterBody body_;
  std::vector<std::vector<Ed25519PrivateKey>> keys_;
  std::vector<v1::EditorShare> shares_;
};

TEST(DomainSeparationTest, KnownAnswer) {
  EXPECT_EQ(HexEncode(DomainSeparatedMessage(kRosterDst, AsBytes("ab"))),
            "00000012" + HexEncode(AsBytes("conclave/v1/roster")) + "6162");
  EXPECT_EQ(kRosterDst, "conclave/v1/roster");
  EXPECT_EQ(kEditorCardDst, "conclave/v1/editor-card");
}

TEST_F(RosterTest, ValidRosterVerifies) {
  const v1::Roster roster = SignAll(body_);
  StatusOr<VerifiedRoster> v = VerifyRoster(roster);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->fingerprint, Sha256(AsBytes(roster.signed_())));
  EXPECT_EQ(Enc(v->consortium_key), body_.consortium_key());
  // And through the encoded form.
  std::string encoded;
  roster.SerializeToString(&encoded);
  EXPECT_TRUE(VerifyEncodedRoster(AsBytes(encoded)).ok());
  EXPECT_EQ(VerifyEncodedRoster(AsBytes("\xff\xff garbage")).status().code(),
            StatusCode::kInvalidArgument);
}

// ---- Signatures ----

TEST_F(RosterTest, TamperedBytesFailEverySignature) {
  v1::Roster roster = SignAll(body_);
  v1::RosterBody changed = body_;
  changed.set_threshold(3);
  changed.SerializeToString(roster.mutable_signed_());
  StatusOr<VerifiedRoster> v = VerifyRoster(roster);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(Contains(v.status().message(),
                       "the signature of organisation 1 editor 1"));
  EXPECT_TRUE(Contains(v.status().message(), "does not verify"));
}

TEST_F(RosterTest, RemovedSignature) {
  v1::Roster roster = SignAll(body_);
  // Signatures are in (org, editor) order: index 3 is organisation 2 editor 2.
  roster.mutable_signatures()->DeleteSubrange(3, 1);
  StatusOr<VerifiedRoster> v = VerifyRoster(roster);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(Contains(v.status().message(),
                       "organisation 2 editor 2 (Editor 2) has not signed"));
}

TEST_F(RosterTest, SignatureByNonEditor) {
  v1::Roster roster = SignAll(body_);
  const Ed25519PrivateKey outsider = Ed25519PrivateKey::Generate();
  *roster.add_signatures() =
      SignRosterBody(AsBytes(roster.signed_()), 9, 1, outsider);
  StatusOr<VerifiedRoster> v = VerifyRoster(roster);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(Contains(v.status().message(),
                       "organisation 9 editor 1, who is not an editor"));
}

TEST_F(RosterTest, SignatureByWrongKeyForListedEditor) {
  v1::Roster roster = SignAll(body_);
  const Ed25519PrivateKey outsider = Ed25519PrivateKey::Generate();
  *roster.mutable_signatures(0) =
      SignRosterBody(AsBytes(roster.signed_()), 1, 1, outsider);
  StatusOr<VerifiedRoster> v = VerifyRoster(roster);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(Contains(v.status().message(),
                       "the signature of organisation 1 editor 1 (Editor 1) "
                       "does not verify"));
}

TEST_F(RosterTest, DuplicateSignature) {
  v1::Roster roster = SignAll(body_);
  *roster.add_signatures() = roster.signatures(0);
  StatusOr<VerifiedRoster> v = VerifyRoster(roster);
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(Contains(v.status().message(),
                       "organisation 1 editor 1 signed more than once"));
}

TEST_F(RosterTest, SignatureFloodRefused) {
  v1::Roster roster = SignAll(body_);
  for (int i = 0; i < 17; ++i) *roster.add_signatures() = roster.signatures(0);
  StatusOr<VerifiedRoster> v = VerifyRoster(roster);
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(Contains(v.status().message(), "24 signatures for 7 editors"));
}

TEST_F(RosterTest, TooManyOrganisationsRefused) {
  v1::RosterBody b = body_;
  for (uint32_t o = 5; o <= kMaxRosterOrganisations + 1; ++o) {
    v1::RosterOrganisation* org = b.add_organisations();
    org->set_id(o);
  }
  StatusOr<VerifiedRoster> v = VerifyRoster(SignAll(b));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(v.status().message(), "more than 1000"));
}

TEST_F(RosterTest, SignatureWithoutDomainSeparationFails) {
  v1::Roster roster = SignAll(body_);
  // A signature over the bare body bytes (no DST) must not verify.
  const Ed25519Signature bare = keys_[0][0].Sign(AsBytes(roster.signed_()));
  roster.mutable_signatures(0)->set_signature(
      std::string(bare.begin(), bare.end()));
  EXPECT_EQ(VerifyRoster(roster).status().code(), StatusCode::kUnauthenticated);
}

// ---- Structure ----

TEST_F(RosterTest, DuplicateOrganisationId) {
  v1::RosterBody b = body_;
  b.mutable_organisations(2)->set_id(2);
  // The signer list follows the body's ids, so sign by hand.
  std::vector<RosterSigner> signers;
  for (int o = 0; o < b.organisations_size(); ++o) {
    for (int j = 0; j < b.organisations(o).editors_size(); ++j) {
      signers.push_back({b.organisations(o).id(), static_cast<uint32_t>(j + 1),
                         &keys_[o][j]});
    }
  }
  StatusOr<VerifiedRoster> v = VerifyRoster(*SignRoster(b, signers));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(v.status().message(), "duplicate organisation id 2"));
}

TEST_F(RosterTest, OrganisationIdZero) {
  v1::RosterBody b = body_;
  b.mutable_organisations(0)->set_id(0);
  StatusOr<VerifiedRoster> v = VerifyRoster(SignAll(b));
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(Contains(v.status().message(), "id 0"));
}

TEST_F(RosterTest, EditorIndexOutOfOrder) {
  v1::RosterBody b = body_;
  b.mutable_organisations(1)->mutable_editors(1)->set_index(5);
  ExpectDefect(b, StatusCode::kInvalidArgument,
               "organisation 2: editor at position 2 has index 5");
}

TEST_F(RosterTest, EditorThresholdAboveEditorCount) {
  v1::RosterBody b = body_;
  b.mutable_organisations(0)->set_editor_threshold(3);
  ExpectDefect(b, StatusCode::kInvalidArgument,
               "organisation 1: editor threshold k_o = 3 is not between 1 "
               "and n_o = 2");
  b.mutable_organisations(0)->set_editor_threshold(0);
  ExpectDefect(b, StatusCode::kInvalidArgument, "k_o = 0");
}

TEST_F(RosterTest, EditorCountMismatch) {
  v1::RosterBody b = body_;
  b.mutable_organisations(1)->set_editor_count(4);
  ExpectDefect(b, StatusCode::kInvalidArgument,
               "organisation 2: n_o = 4 but 3 editors are listed");
}

TEST_F(RosterTest, ThresholdOutOfRange) {
  v1::RosterBody b = body_;
  b.set_threshold(5);
  ExpectDefect(b, StatusCode::kInvalidArgument,
               "threshold t = 5 is not between 1 and the 4 organisations");
  b.set_threshold(0);
  ExpectDefect(b, StatusCode::kInvalidArgument, "threshold t = 0");
}

TEST_F(RosterTest, EpochZero) {
  v1::RosterBody b = body_;
  b.set_epoch(0);
  ExpectDefect(b, StatusCode::kInvalidArgument, "epoch is 0");
}

// ---- Commitments and shares ----

TEST_F(RosterTest, ChangedConsortiumCommitment) {
  v1::RosterBody b = body_;
  b.set_consortium_commitments(1, RandomPointBytes());
  ExpectDefect(b, StatusCode::kInvalidArgument,
               "organisation 1: verification share X_o does not match the "
               "consortium commitments");
}

TEST_F(RosterTest, ConsortiumCommitmentsLongerThanT) {
  v1::RosterBody b = body_;
  b.add_consortium_commitments(RandomPointBytes());
  ExpectDefect(b, StatusCode::kInvalidArgument,
               "consortium commitments: 3 points, expected t = 2");
}

TEST_F(RosterTest, ChangedEditorCommitment) {
  v1::RosterBody b = body_;
  b.mutable_organisations(1)->set_editor_commitments(1, RandomPointBytes());
  ExpectDefect(b, StatusCode::kInvalidArgument,
               "organisation 2 editor 1: verification share Y_oj does not "
               "match the organisation's editor commitments");
}

TEST_F(RosterTest, EditorConstantCommitmentIsNotXo) {
  v1::RosterBody b = body_;
  b.mutable_organisations(0)->set_editor_commitments(0, RandomPointBytes());
  ExpectDefect(b, StatusCode::kInvalidArgument,
               "organisation 1: editor commitment C^o_0 is not the "
               "organisation's verification share X_o");
}

TEST_F(RosterTest, EditorCommitmentsLongerThanKo) {
  v1::RosterBody b = body_;
  b.mutable_organisations(2)->add_editor_commitments(RandomPointBytes());
  ExpectDefect(b, StatusCode::kInvalidArgument,
               "organisation 3: 2 editor commitments, expected k_o = 1");
}

TEST_F(RosterTest, ChangedXo) {
  v1::RosterBody b = body_;
  b.mutable_organisations(1)->set_verification_share(RandomPointBytes());
  ExpectDefect(b, StatusCode::kInvalidArgument,
               "organisation 2: verification share X_o does not match the "
               "consortium commitments");
  ExpectDefect(b, StatusCode::kInvalidArgument,
               "organisation 2: editor commitment C^o_0 is not");
}

// X_4 replaced, with a consistent editor split for it and no consortium
// commitment check to lean on: only the interpolation check catches it.
TEST_F(RosterTest, XoOffThePolynomial) {
  v1::RosterBody b = body_;
  const Scalar x = Scalar::Random();
  const Point x_point = Point::BaseMul(x);
  v1::RosterOrganisation* org = b.mutable_organisations(3);
  org->set_verification_share(Enc(x_point));
  org->set_editor_commitments(0, Enc(x_point));
  org->mutable_editors(0)->set_verification_share(Enc(x_point));
  ExpectDefect(b, StatusCode::kInvalidArgument,
               "organisation 4: verification share X_o does not lie on the "
               "polynomial");
}

TEST_F(RosterTest, ChangedYoj) {
  v1::RosterBody b = body_;
  b.mutable_organisations(1)->mutable_editors(2)->set_verification_share(
      RandomPointBytes());
  ExpectDefect(b, StatusCode::kInvalidArgument,
               "organisation 2 editor 3: verification share Y_oj does not "
               "match");
}

TEST_F(RosterTest, ChangedConsortiumKey) {
  v1::RosterBody b = body_;
  b.set_consortium_key(RandomPointBytes());
  ExpectDefect(b, StatusCode::kInvalidArgument,
               "consortium commitment C_0 is not the consortium key Y");
  ExpectDefect(b, StatusCode::kInvalidArgument,
               "the verification shares of organisations 1,2 do not "
               "interpolate to the consortium key Y");
}

TEST_F(RosterTest, InfinityAndHybridPointsRefused) {
  v1::RosterBody b = body_;
  b.mutable_organisations(0)->set_verification_share(std::string(1, '\0'));
  ExpectDefect(b, StatusCode::kInvalidArgument,
               "organisation 1: verification share X_o is not a valid point");
  b = body_;
  // The hybrid encoding (0x06/0x07 ‖ X ‖ Y) of a valid point.
  const UncompressedPoint u =
      Point::BaseMul(Scalar::Random()).EncodeUncompressed();
  std::string hybrid(u.begin(), u.end());
  hybrid[0] = static_cast<char>(0x06 | (u[64] & 1));
  b.set_consortium_key(hybrid);
  ExpectDefect(b, StatusCode::kInvalidArgument,
               "consortium key Y is not a valid point");
}

// ---- Keys, ids, policy ----

TEST_F(RosterTest, BadWitnessVkey) {
  v1::RosterBody b = body_;
  b.mutable_organisations(2)->set_witness_vkey("not a vkey");
  ExpectDefect(b, StatusCode::kInvalidArgument,
               "organisation 3: witness vkey does not parse");
  // A note (type 0x01) key is not a cosignature key.
  b.mutable_organisations(2)->set_witness_vkey(body_.log_vkey());
  ExpectDefect(b, StatusCode::kInvalidArgument,
               "organisation 3: witness vkey does not parse");
}

TEST_F(RosterTest, SharedWitnessVkey) {
  v1::RosterBody b = body_;
  b.mutable_organisations(3)->set_witness_vkey(
      body_.organisations(0).witness_vkey());
  ExpectDefect(b, StatusCode::kInvalidArgument,
               "organisation 4: witness vkey is also another organisation's");
}

TEST_F(RosterTest, BadLogVkey) {
  v1::RosterBody b = body_;
  b.set_log_vkey(body_.organisations(0).witness_vkey());
  ExpectDefect(b, StatusCode::kInvalidArgument, "the log vkey does not parse");
}

TEST_F(RosterTest, BadDrillIds) {
  v1::RosterBody b = body_;
  b.add_drill_submission_ids(std::string(64, 'A'));
  ExpectDefect(b, StatusCode::kInvalidArgument,
               "is not 64 lowercase hex digits");
  b = body_;
  b.add_drill_submission_ids(std::string(63, 'a'));
  ExpectDefect(b, StatusCode::kInvalidArgument,
               "is not 64 lowercase hex digits");
  b = body_;
  b.add_drill_submission_ids(std::string(64, 'a'));
  ExpectDefect(b, StatusCode::kInvalidArgument, "is listed twice");
}

TEST_F(RosterTest, PolicyAndKeyGeneration) {
  v1::RosterBody b = body_;
  b.mutable_policy()->set_max_request_lifetime_seconds(0);
  ExpectDefect(b, StatusCode::kInvalidArgument,
               "maximum request lifetime is not set");
  b = body_;
  b.set_transcript_hash(std::string(32, 'x'));
  ExpectDefect(b, StatusCode::kInvalidArgument,
               "a trusted-dealer roster has a transcript hash");
  b = body_;
  b.set_key_generation(v1::KEY_GENERATION_COCKTAIL_DKG);
  ExpectDefect(b, StatusCode::kInvalidArgument, "transcript hash is not 32");
  ExpectDefect(b, StatusCode::kInvalidArgument,
               "organisation 1: COCKTAIL position 0 differs from its id");
  b.set_key_generation(v1::KEY_GENERATION_UNSPECIFIED);
  ExpectDefect(b, StatusCode::kInvalidArgument,
               "key generation method is not recorded");
}

TEST_F(RosterTest, SharedEditorKey) {
  v1::RosterBody b = body_;
  b.mutable_organisations(1)->mutable_editors(0)->set_p256_public_key(
      body_.organisations(0).editors(0).p256_public_key());
  ExpectDefect(b, StatusCode::kInvalidArgument,
               "organisation 2 editor 1: P-256 key is also another editor's");
}

// ---- Editor shares against the roster ----

TEST_F(RosterTest, EditorShareChecks) {
  StatusOr<VerifiedRoster> v = VerifyRoster(SignAll(body_));
  ASSERT_TRUE(v.ok());
  for (const v1::EditorShare& s : shares_) {
    EXPECT_TRUE(CheckEditorShare(s, *v).ok())
        << s.org_id() << "/" << s.editor_index();
  }
  v1::EditorShare s = shares_[0];
  s.set_epoch(2);
  EXPECT_EQ(CheckEditorShare(s, *v).code(), StatusCode::kFailedPrecondition);
  s = shares_[0];
  s.set_org_id(7);
  EXPECT_EQ(CheckEditorShare(s, *v).code(), StatusCode::kFailedPrecondition);
  s = shares_[0];
  s.set_consortium_key(RandomPointBytes());
  EXPECT_EQ(CheckEditorShare(s, *v).code(), StatusCode::kFailedPrecondition);
  // Another editor's share under this editor's name.
  s = shares_[0];
  s.set_share(shares_[1].share());
  const Status st = CheckEditorShare(s, *v);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(st.message(), "organisation 1 editor 1"));
  EXPECT_TRUE(Contains(st.message(), "does not match its verification share"));
  // Non-canonical scalar (>= n).
  s = shares_[0];
  s.set_share(std::string(32, '\xff'));
  EXPECT_EQ(CheckEditorShare(s, *v).code(), StatusCode::kInvalidArgument);
}

// ---- Public cards ----

TEST(PublicCardTest, SignVerifyTamper) {
  const Ed25519PrivateKey key = Ed25519PrivateKey::Generate();
  v1::PublicCardBody body;
  body.set_org_id(3);
  body.set_name("Ana");
  body.set_ed25519_public_key(
      std::string(key.public_key().begin(), key.public_key().end()));
  body.set_p256_public_key(RandomPointBytes());
  StatusOr<v1::PublicCard> card = MakePublicCard(body, key);
  ASSERT_TRUE(card.ok());
  StatusOr<v1::PublicCardBody> back = VerifyPublicCard(*card);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->name(), "Ana");

  v1::PublicCard tampered = *card;
  tampered.mutable_signed_()->back() ^= 1;
  EXPECT_NE(VerifyPublicCard(tampered).status().code(), StatusCode::kOk);
  tampered = *card;
  tampered.mutable_signature()->front() ^= 1;
  EXPECT_EQ(VerifyPublicCard(tampered).status().code(),
            StatusCode::kUnauthenticated);
  // Signed by a key that is not the card's.
  EXPECT_EQ(MakePublicCard(body, Ed25519PrivateKey::Generate()).status().code(),
            StatusCode::kInvalidArgument);
}

// ---- Editor lists ----

TEST(EditorListTest, Parses) {
  StatusOr<std::vector<EditorSplit>> all = ParseEditorList("3:2", 4);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[3].editors, 3u);
  EXPECT_EQ((*all)[3].threshold, 2u);
  StatusOr<std::vector<EditorSplit>> each =
      ParseEditorList("3:2,3:2,1:1,1:1,1:1", 5);
  ASSERT_TRUE(each.ok());
  EXPECT_EQ((*each)[0].threshold, 2u);
  EXPECT_EQ((*each)[4].editors, 1u);
}

TEST(EditorListTest, Refuses) {
  for (const char* bad : {"", "3", "2:3", "0:0", "1:0", "a:b", "3:2,", "01:1",
                          "-1:1", "3:2,1:1"}) {
    EXPECT_FALSE(ParseEditorList(bad, 3).ok()) << bad;
  }
}

}  // namespace
}  // namespace conclave::keyceremony
