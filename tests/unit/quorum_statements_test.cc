// Signed statements and vote counting (quorum/statements.h, progress.h):
// signatures bind the DST, the signer and the exact bytes; bodies are
// parsed only after verification and only in canonical form; the tally
// counts organisations, not editors.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "age/age.h"
#include "age/submission.h"
#include "crypto/random.h"
#include "keyceremony/simulate.h"
#include "quorum/progress.h"
#include "quorum/statements.h"
#include "sealed/sealed_file.h"

namespace conclave::quorum {
namespace {

namespace fs = std::filesystem;

// 4 organisations, t = 2; organisation 1 has 3 editors, k = 2.
class QuorumStatementsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ =
        new fs::path(fs::temp_directory_path() /
                     ("quorum-statements-" + HexEncode(RandomBytes(6).span())));
    keyceremony::CeremonyOptions options;
    options.orgs = 4;
    options.threshold = 2;
    options.editors = *keyceremony::ParseEditorList("3:2,1:1,1:1,1:1", 4);
    options.work_factor = 10;
    const SecretBytes passphrase = SecretBytes::CopyFrom(AsBytes("pw"));
    ASSERT_TRUE(keyceremony::RunCeremony(options, *dir_, passphrase).ok());
    auto roster = keyceremony::ReadRosterFile(*dir_ / "consortium.roster");
    ASSERT_TRUE(roster.ok()) << roster.status().ToString();
    roster_ = new keyceremony::VerifiedRoster(std::move(*roster));
    identities_ =
        new std::map<std::pair<uint32_t, uint32_t>, v1::EditorIdentity>();
    for (const auto& org : roster_->body.organisations()) {
      for (const auto& e : org.editors()) {
        auto opened = ReadSealedFile(
            *dir_ / ("org" + std::to_string(org.id())) /
                ("editor" + std::to_string(e.index())) / "identity.age",
            passphrase);
        ASSERT_TRUE(opened.ok()) << opened.status().ToString();
        (*identities_)[{org.id(), e.index()}] =
            opened->message().editor_identity();
      }
    }
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    delete roster_;
    delete identities_;
  }

  static EditorKeys Keys(uint32_t org, uint32_t editor) {
    auto keys =
        EditorKeys::FromIdentity(identities_->at({org, editor}), *roster_);
    EXPECT_TRUE(keys.ok()) << keys.status().ToString();
    return std::move(*keys);
  }

  static Bytes Submission(std::vector<uint32_t> excluded) {
    auto recipient = age::SubmissionRecipient::Create(roster_->consortium_key,
                                                      std::move(excluded));
    EXPECT_TRUE(recipient.ok());
    const age::Recipient* r = &*recipient;
    auto file = age::EncryptToMemory({&r, 1}, AsBytes("leak"));
    EXPECT_TRUE(file.ok());
    return *file;
  }

  static RequestOptions Options() {
    RequestOptions o;
    o.reason = "the story on the port authority";
    o.now_unix = 1'800'000'000;
    return o;
  }

  static VerifiedRequest Request(uint32_t org, uint32_t editor,
                                 std::vector<uint32_t> excluded = {}) {
    auto made = MakeRequest(*roster_, Keys(org, editor), Submission(excluded),
                            Options());
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    auto verified = VerifyRequest(*roster_, made->statement);
    EXPECT_TRUE(verified.ok()) << verified.status().ToString();
    EXPECT_EQ(verified->id, made->id);
    return std::move(*verified);
  }

  static VoteOptions Approve() {
    VoteOptions o;
    o.checkpoint_size = 1;
    o.checkpoint_root = Bytes(32, 7);
    o.now_unix = 1'800'000'100;
    return o;
  }

  static fs::path* dir_;
  static keyceremony::VerifiedRoster* roster_;
  static std::map<std::pair<uint32_t, uint32_t>, v1::EditorIdentity>*
      identities_;
};

fs::path* QuorumStatementsTest::dir_;
keyceremony::VerifiedRoster* QuorumStatementsTest::roster_;
std::map<std::pair<uint32_t, uint32_t>, v1::EditorIdentity>*
    QuorumStatementsTest::identities_;

TEST_F(QuorumStatementsTest, RequestRoundTripAndReplyKey) {
  EditorKeys requester = Keys(2, 1);
  auto made = MakeRequest(*roster_, requester, Submission({}), Options());
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(made->id, Sha256(AsBytes(made->statement.signed_())));
  auto v = VerifyRequest(*roster_, made->statement);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_FALSE(v->drill);
  EXPECT_EQ(v->body.expires_unix() - v->body.created_unix(),
            roster_->body.policy().max_request_lifetime_seconds());
  // The requester re-derives the reply key from the identity and the salt.
  auto sk = requester.ReplyKey(AsBytes(v->body.reply_salt()));
  ASSERT_TRUE(sk.ok());
  EXPECT_TRUE(Point::BaseMul(*sk) == v->reply_key);
  // Another editor derives another key from the same salt.
  auto other = Keys(3, 1).ReplyKey(AsBytes(v->body.reply_salt()));
  EXPECT_FALSE(Point::BaseMul(*other) == v->reply_key);
  EXPECT_EQ(CheckNotExpired(*v, v->body.expires_unix() - 1), OkStatus());
  EXPECT_EQ(CheckNotExpired(*v, v->body.expires_unix()).code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(QuorumStatementsTest, RequestRefusals) {
  RequestOptions o = Options();
  o.reason.clear();
  EXPECT_EQ(
      MakeRequest(*roster_, Keys(2, 1), Submission({}), o).status().code(),
      StatusCode::kInvalidArgument);
  o = Options();
  o.lifetime_seconds =
      roster_->body.policy().max_request_lifetime_seconds() + 1;
  EXPECT_EQ(
      MakeRequest(*roster_, Keys(2, 1), Submission({}), o).status().code(),
      StatusCode::kInvalidArgument);
  // An excluded organisation cannot request.
  auto excluded = MakeRequest(*roster_, Keys(2, 1), Submission({2}), Options());
  EXPECT_EQ(excluded.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(excluded.status().message().find("excluded"), std::string::npos);
  // Not a submission at all.
  EXPECT_FALSE(
      MakeRequest(*roster_, Keys(2, 1), AsBytes("not age"), Options()).ok());
}

TEST_F(QuorumStatementsTest, TamperedOrMisattributedRequestsFail) {
  auto made = MakeRequest(*roster_, Keys(2, 1), Submission({}), Options());
  ASSERT_TRUE(made.ok());
  v1::SignedStatement s = made->statement;
  s.mutable_signed_()->back() ^= 1;
  EXPECT_EQ(VerifyRequest(*roster_, s).status().code(),
            StatusCode::kUnauthenticated);
  s = made->statement;
  s.set_org_id(3);  // claims another signer
  EXPECT_EQ(VerifyRequest(*roster_, s).status().code(),
            StatusCode::kUnauthenticated);
  s = made->statement;
  s.set_org_id(9);  // not a member at all
  EXPECT_EQ(VerifyRequest(*roster_, s).status().code(),
            StatusCode::kPermissionDenied);
  // A vote's signature does not make a valid request (domain separation).
  v1::SignedStatement as_vote =
      SignStatement(kVoteDst, ToBytes(made->statement.signed_()), Keys(2, 1));
  EXPECT_EQ(VerifyRequest(*roster_, as_vote).status().code(),
            StatusCode::kUnauthenticated);
}

TEST_F(QuorumStatementsTest, BodyMustNameItsSignerAndBeCanonical) {
  auto made = MakeRequest(*roster_, Keys(2, 1), Submission({}), Options());
  ASSERT_TRUE(made.ok());
  v1::RequestBody body;
  ASSERT_TRUE(body.ParseFromString(made->statement.signed_()));
  // Signed by editor (3, 1) but the body says (2, 1).
  auto wrong = VerifyRequest(
      *roster_, SignStatement(kRequestDst, ToBytes(made->statement.signed_()),
                              Keys(3, 1)));
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
  // The same body with an unknown field appended, validly signed.
  Bytes extended = ToBytes(made->statement.signed_());
  for (uint8_t b : {0xf8, 0x01, 0x01}) extended.push_back(b);  // field 31
  auto nc =
      VerifyRequest(*roster_, SignStatement(kRequestDst, extended, Keys(2, 1)));
  EXPECT_EQ(nc.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(nc.status().message().find("canonical"), std::string::npos);
}

TEST_F(QuorumStatementsTest, SubmissionIdMustMatchTheHeader) {
  auto made = MakeRequest(*roster_, Keys(2, 1), Submission({}), Options());
  ASSERT_TRUE(made.ok());
  v1::RequestBody body;
  ASSERT_TRUE(body.ParseFromString(made->statement.signed_()));
  body.set_submission_id(std::string(64, 'a'));
  auto v = VerifyRequest(
      *roster_, SignStatement(kRequestDst, ToBytes(body.SerializeAsString()),
                              Keys(2, 1)));
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(v.status().message().find("SHA-256 of enc"), std::string::npos);
}

TEST_F(QuorumStatementsTest, EditorKeysMustMatchTheRoster) {
  v1::EditorIdentity id = identities_->at({2, 1});
  id.set_org_id(3);  // keys of (2,1) presented as (3,1)
  EXPECT_EQ(EditorKeys::FromIdentity(id, *roster_).status().code(),
            StatusCode::kFailedPrecondition);
  id = identities_->at({2, 1});
  id.set_editor_index(5);
  EXPECT_EQ(EditorKeys::FromIdentity(id, *roster_).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(QuorumStatementsTest, VotesVerifyAndExcludedVotersAreRefused) {
  VerifiedRequest request = Request(2, 1, {3});
  auto vote = MakeVote(*roster_, Keys(1, 2), request, Approve());
  ASSERT_TRUE(vote.ok()) << vote.status().ToString();
  auto body = VerifyVote(*roster_, *vote);
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(body->decision(), v1::DECISION_APPROVE);
  EXPECT_EQ(MakeVote(*roster_, Keys(3, 1), request, Approve()).status().code(),
            StatusCode::kPermissionDenied);
  VoteOptions late = Approve();
  late.now_unix = request.body.expires_unix();
  EXPECT_EQ(MakeVote(*roster_, Keys(1, 2), request, late).status().code(),
            StatusCode::kFailedPrecondition);
  VoteOptions bad_root = Approve();
  bad_root.checkpoint_root.resize(31);
  EXPECT_EQ(MakeVote(*roster_, Keys(1, 2), request, bad_root).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(QuorumStatementsTest, OnlyTheRequesterWithdraws) {
  VerifiedRequest request = Request(2, 1);
  EXPECT_EQ(
      MakeWithdrawal(*roster_, Keys(3, 1), request, "no", 1).status().code(),
      StatusCode::kPermissionDenied);
  auto w = MakeWithdrawal(*roster_, Keys(2, 1), request, "story dropped", 1);
  ASSERT_TRUE(w.ok());
  auto body = VerifyWithdrawal(*roster_, *w);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->reason(), "story dropped");
}

v1::VoteBody VoteFor(const VerifiedRequest& request, uint32_t org,
                     uint32_t editor, v1::Decision d = v1::DECISION_APPROVE) {
  v1::VoteBody v;
  v.set_request_id(AsString(request.id));
  v.set_epoch(request.body.epoch());
  v.set_org_id(org);
  v.set_editor_index(editor);
  v.set_decision(d);
  return v;
}

TEST_F(QuorumStatementsTest, TallyCountsOrganisationsNotEditors) {
  VerifiedRequest request = Request(2, 1);
  QuorumTally tally(*roster_, request);
  // Three editors of organisation 1 (k = 2): one organisation.
  EXPECT_EQ(tally.Add(VoteFor(request, 1, 1)), OkStatus());
  EXPECT_FALSE(tally.progress().orgs[0].satisfied());
  EXPECT_EQ(tally.Add(VoteFor(request, 1, 2)), OkStatus());
  EXPECT_EQ(tally.Add(VoteFor(request, 1, 3)), OkStatus());
  EXPECT_EQ(tally.progress().SatisfiedOrgs(), std::vector<uint32_t>{1});
  EXPECT_FALSE(tally.progress().complete());
  const std::string waiting = tally.progress().Describe(roster_->body);
  EXPECT_NE(waiting.find("1 of 2 organisations have approved"),
            std::string::npos)
      << waiting;
  EXPECT_NE(waiting.find("waiting for one of 2"), std::string::npos) << waiting;
  // A repeat counts once; a refusal is recorded.
  EXPECT_EQ(tally.Add(VoteFor(request, 1, 1)).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(tally.Add(VoteFor(request, 2, 1, v1::DECISION_REFUSE)), OkStatus());
  EXPECT_FALSE(tally.progress().complete());
  EXPECT_EQ(tally.Add(VoteFor(request, 3, 1)), OkStatus());
  EXPECT_TRUE(tally.progress().complete());
}

TEST_F(QuorumStatementsTest, TallyRefusesExcludedOtherAndConflictingVotes) {
  VerifiedRequest request = Request(2, 1, {4});
  QuorumTally tally(*roster_, request);
  EXPECT_EQ(tally.Add(VoteFor(request, 4, 1)).code(),
            StatusCode::kPermissionDenied);
  VerifiedRequest other = Request(2, 1);
  EXPECT_EQ(tally.Add(VoteFor(other, 3, 1)).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(tally.Add(VoteFor(request, 9, 1)).code(),
            StatusCode::kPermissionDenied);
  // Approve then refuse: counted as neither.
  EXPECT_EQ(tally.Add(VoteFor(request, 2, 1)), OkStatus());
  EXPECT_EQ(tally.Add(VoteFor(request, 2, 1, v1::DECISION_REFUSE)).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(tally.Add(VoteFor(request, 3, 1)), OkStatus());
  EXPECT_FALSE(tally.progress().complete());
  EXPECT_NE(tally.progress().Describe(roster_->body).find("excluded"),
            std::string::npos);
}

TEST_F(QuorumStatementsTest, LeavesParseStrictly) {
  v1::LogLeaf leaf;
  leaf.set_time_unix(5);
  leaf.mutable_expiry()->set_request_id(std::string(32, 1));
  const Bytes bytes = EncodeLogLeaf(leaf);
  auto parsed = ParseLogLeaf(bytes);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->expiry().request_id(), std::string(32, 1));
  v1::LogLeaf empty;
  empty.set_time_unix(5);
  EXPECT_FALSE(ParseLogLeaf(EncodeLogLeaf(empty)).ok());
  EXPECT_FALSE(ParseLogLeaf(AsBytes("\xff\xff")).ok());
}

TEST(RequestIdTest, ParsesHexOnly) {
  RequestId id{};
  id[0] = 0xab;
  EXPECT_EQ(*ParseRequestId(RequestIdHex(id)), id);
  EXPECT_FALSE(ParseRequestId("ab").ok());
  EXPECT_FALSE(ParseRequestId(std::string(64, 'g')).ok());
}

}  // namespace
}  // namespace conclave::quorum
