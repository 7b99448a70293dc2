// End to end over loopback: the real conclaved, on the roster of one
// `conclave-ceremony simulate` run (5 organisations, t = 3, so W = 4
// witnesses settle a checkpoint; organisation 1 with 2 editors who are both
// needed), with a real conclave-witness process for every organisation.
// The test is the editors' client: a gRPC stub (daemon.grpc.pb.h), calls
// signed with daemon/call.h, requests, votes, releases and the combination
// made with the quorum library.
//
// Also the program's refusals (plain listen on a non-loopback address, a
// wrong passphrase, a data directory in use, --intake, usage), its config
// file, TLS, SIGTERM and a restart on the same data directory.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "audit/checkpoint.h"
#include "audit/note.h"
#include "base/bytes.h"
#include "conclave/v1/daemon.grpc.pb.h"
#include "daemon/call.h"
#include "daemon/grpc_service.h"
#include "keyceremony/roster.h"
#include "quorum/combine.h"
#include "quorum/release.h"
#include "quorum/statements.h"
#include "sealed/sealed_file.h"
#include "tests/e2e/program.h"
#include "tests/quorum_fixture.h"

namespace conclave {
namespace {

namespace fs = std::filesystem;
using testing::Contains;
using testing::ReadAll;
using testing::RunProgram;
using testing::SpawnProgram;
using testing::WriteAll;
using Result = testing::ProgramResult;

constexpr char kPassphrase[] = "correct horse battery staple";

uint64_t Now() { return static_cast<uint64_t>(std::time(nullptr)); }

struct EditorRef {
  uint32_t org = 0;
  uint32_t editor = 1;
  friend auto operator<=>(const EditorRef&, const EditorRef&) = default;
};

struct Editor {
  std::unique_ptr<OpenedSecret> identity, share;
  std::unique_ptr<quorum::EditorKeys> keys;
};

// A running program's pid and output files.
struct Proc {
  pid_t pid = -1;
  fs::path out, err;
};

// How a conclaved start ended: serving on `port`, or exited.
struct Started {
  Proc proc;
  int port = 0;
  int exit_code = -1;  // when it exited
  std::string err;
};

int WaitExit(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -100;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -101;
}

class ConclavedE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/conclaved-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    scratch_ = new fs::path(tmpl);
    WriteAll(*scratch_ / "pass.txt", std::string(kPassphrase) + "\n");
    sim_ = new fs::path(*scratch_ / "ceremony");
    editors_ = new std::map<EditorRef, Editor>();
    const Result r = RunProgram(
        *scratch_, CONCLAVE_CEREMONY_PATH,
        {"simulate", "--orgs", "5", "--threshold", "3", "--editors",
         "2:2,1:1,1:1,1:1,1:1", "--work-factor", "10", "--out", sim_->string(),
         "--passphrase-file", (*scratch_ / "pass.txt").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto roster = keyceremony::ReadRosterFile(*sim_ / "consortium.roster");
    ASSERT_TRUE(roster.ok()) << roster.status().ToString();
    roster_ = new keyceremony::VerifiedRoster(std::move(roster).value());
    const SecretBytes pass =
        SecretBytes::CopyFrom(AsBytes(std::string_view(kPassphrase)));
    for (const EditorRef ref :
         {EditorRef{1, 1}, EditorRef{1, 2}, EditorRef{2, 1}, EditorRef{3, 1},
          EditorRef{4, 1}, EditorRef{5, 1}}) {
      const fs::path dir = *sim_ / ("org" + std::to_string(ref.org)) /
                           ("editor" + std::to_string(ref.editor));
      auto identity = ReadSealedFile(dir / "identity.age", pass);
      ASSERT_TRUE(identity.ok()) << identity.status().ToString();
      auto share = ReadSealedFile(dir / "share.age", pass);
      ASSERT_TRUE(share.ok()) << share.status().ToString();
      auto keys = quorum::EditorKeys::FromIdentity(
          identity->message().editor_identity(), *roster_);
      ASSERT_TRUE(keys.ok()) << keys.status().ToString();
      Editor e;
      e.identity = std::make_unique<OpenedSecret>(std::move(identity).value());
      e.share = std::make_unique<OpenedSecret>(std::move(share).value());
      e.keys = std::make_unique<quorum::EditorKeys>(std::move(keys).value());
      editors_->emplace(ref, std::move(e));
    }
  }
  static void TearDownTestSuite() {
    if (scratch_) fs::remove_all(*scratch_);
    delete scratch_;
    delete sim_;
    delete roster_;
    delete editors_;
    scratch_ = sim_ = nullptr;
    roster_ = nullptr;
    editors_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(roster_, nullptr) << "the ceremony failed";
    char tmpl[] = "/tmp/conclaved-e2e-case-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (Proc& p : procs_) {
      if (p.pid > 0) {
        kill(p.pid, SIGKILL);
        WaitExit(p.pid);
      }
    }
    fs::remove_all(dir_);
  }

  static std::string Roster() { return (*sim_ / "consortium.roster").string(); }
  static std::string LogKey() { return (*sim_ / "log.age").string(); }
  static std::string PassFile() { return (*scratch_ / "pass.txt").string(); }
  static const quorum::EditorKeys& Keys(EditorRef ref) {
    return *editors_->at(ref).keys;
  }
  static const v1::EditorShare& Share(EditorRef ref) {
    return editors_->at(ref).share->message().editor_share();
  }

  // Starts every organisation's witness; fills witness_flags_.
  void StartWitnesses() {
    for (int org = 1; org <= 5; ++org) {
      const std::string n = std::to_string(org);
      Proc p;
      p.out = dir_ / ("witness" + n + ".out");
      p.err = dir_ / ("witness" + n + ".err");
      p.pid = SpawnProgram(
          CONCLAVE_WITNESS_PATH,
          {"--key", (*sim_ / ("org" + n) / "witness.age").string(), "--state",
           (dir_ / ("witness-state" + n)).string(), "--listen", "127.0.0.1:0",
           "--roster", Roster(), "--passphrase-file", PassFile()},
          p.out, p.err);
      ASSERT_GT(p.pid, 0);
      procs_.push_back(p);
      const std::string marker = "listening on http://127.0.0.1:";
      int port = 0;
      for (int i = 0; i < 3000 && port == 0; ++i) {
        const std::string e = ReadAll(p.err);
        const size_t at = e.find(marker);
        if (at != std::string::npos &&
            e.find(" as ", at) != std::string::npos) {
          port = std::stoi(e.substr(at + marker.size()));
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      ASSERT_GT(port, 0) << "witness " << org
                         << " did not start: " << ReadAll(p.err);
      witness_flags_.push_back("--witness");
      witness_flags_.push_back(n + "=http://127.0.0.1:" + std::to_string(port));
    }
  }

  // The usual flags for a daemon on `data` (ephemeral loopback port).
  std::vector<std::string> DaemonArgs(const fs::path& data) {
    std::vector<std::string> args = {
        "--data", data.string(),       "--roster", Roster(),   "--log-key",
        LogKey(), "--passphrase-file", PassFile(), "--listen", "127.0.0.1:0"};
    args.insert(args.end(), witness_flags_.begin(), witness_flags_.end());
    return args;
  }

  // Spawns conclaved and waits until it serves or exits.
  Started StartDaemon(const std::vector<std::string>& args,
                      std::string marker = "listening on 127.0.0.1:") {
    Started s;
    const std::string n = std::to_string(procs_.size());
    s.proc.out = dir_ / ("conclaved" + n + ".out");
    s.proc.err = dir_ / ("conclaved" + n + ".err");
    s.proc.pid = SpawnProgram(CONCLAVED_PATH, args, s.proc.out, s.proc.err);
    if (s.proc.pid <= 0) return s;
    for (int i = 0; i < 6000; ++i) {
      const std::string e = ReadAll(s.proc.err);
      const size_t at = e.find(marker);
      if (at != std::string::npos && e.find(")\n", at) != std::string::npos) {
        const size_t digits = at + marker.size();
        // A unix socket has no port: 1 says "serving".
        s.port = std::isdigit(static_cast<unsigned char>(e[digits]))
                     ? std::stoi(e.substr(digits))
                     : 1;
        s.err = e;
        procs_.push_back(s.proc);
        return s;
      }
      int status = 0;
      if (waitpid(s.proc.pid, &status, WNOHANG) == s.proc.pid) {
        s.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        s.err = ReadAll(s.proc.err);
        s.proc.pid = -1;
        return s;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "conclaved neither served nor exited: "
                  << ReadAll(s.proc.err);
    procs_.push_back(s.proc);
    return s;
  }

  // SIGTERM, then the exit code; the process is forgotten. Drop the test's
  // stubs first: an idle gRPC client reads the server's GOAWAY only at its
  // 5-second backup poll, and the server's graceful Shutdown waits for it.
  int Stop(Started* s, int sig = SIGTERM) {
    kill(s->proc.pid, sig);
    const int code = WaitExit(s->proc.pid);
    for (Proc& p : procs_) {
      if (p.pid == s->proc.pid) p.pid = -1;
    }
    s->err = ReadAll(s->proc.err);
    s->proc.pid = -1;
    return code;
  }

  static std::unique_ptr<v1::Conclave::Stub> Connect(
      int port, std::shared_ptr<grpc::ChannelCredentials> creds = nullptr,
      const std::string& tls_name = "") {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(daemon::kMaxGrpcMessageBytes);
    args.SetMaxSendMessageSize(daemon::kMaxGrpcMessageBytes);
    if (!tls_name.empty()) args.SetSslTargetNameOverride(tls_name);
    return v1::Conclave::NewStub(grpc::CreateCustomChannel(
        "127.0.0.1:" + std::to_string(port),
        creds ? creds : grpc::InsecureChannelCredentials(), args));
  }

  static std::unique_ptr<grpc::ClientContext> Ctx() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(30));
    return ctx;
  }

  static v1::SignedStatement Call(EditorRef who, std::string_view method,
                                  const google::protobuf::MessageLite& m) {
    return daemon::SignCall(Keys(who), *roster_, method, m, Now());
  }

  // Streams `file` in chunks of `chunk` bytes; *sent (optional) is how
  // many bytes the stream took before the server closed it.
  static grpc::Status Submit(v1::Conclave::Stub& stub, ByteSpan file,
                             v1::SubmitReply* reply, size_t chunk = 1000,
                             size_t* sent = nullptr) {
    auto ctx = Ctx();
    auto writer = stub.Submit(ctx.get(), reply);
    size_t at = 0;
    for (; at < file.size(); at += chunk) {
      v1::SubmitChunk c;
      const size_t n = std::min(chunk, file.size() - at);
      c.set_data(file.data() + at, n);
      if (!writer->Write(c)) break;  // the server has answered already
    }
    if (sent) *sent = std::min(at, file.size());
    writer->WritesDone();
    return writer->Finish();
  }

  // The settled checkpoint the daemon serves (size 0 if none).
  static audit::Checkpoint Settled(v1::Conclave::Stub& stub,
                                   std::string* note = nullptr) {
    v1::CheckpointReply reply;
    auto ctx = Ctx();
    const grpc::Status s = stub.GetCheckpoint(
        ctx.get(), Call({3, 1}, "GetCheckpoint", v1::CheckpointQuery()),
        &reply);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (!s.ok() || reply.checkpoint().empty()) return {};
    if (note) *note = reply.checkpoint();
    auto parsed = audit::ParseNote(reply.checkpoint());
    EXPECT_TRUE(parsed.ok());
    if (!parsed.ok()) return {};
    auto cp = audit::ParseCheckpoint(parsed->text);
    EXPECT_TRUE(cp.ok());
    return cp.ok() ? *cp : audit::Checkpoint{};
  }

  // Polls until a settled checkpoint has more than `leaf` leaves.
  static audit::Checkpoint SettledPast(v1::Conclave::Stub& stub,
                                       uint64_t leaf) {
    audit::Checkpoint cp;
    for (int i = 0; i < 300; ++i) {
      cp = Settled(stub);
      if (cp.size > leaf) return cp;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "no settled checkpoint covers leaf " << leaf
                  << " (settled size " << cp.size << ")";
    return cp;
  }

  static grpc::Status GetRequest(v1::Conclave::Stub& stub,
                                 const quorum::RequestId& id,
                                 v1::RequestInfo* info) {
    v1::RequestQuery q;
    q.set_request_id(id.data(), id.size());
    auto ctx = Ctx();
    return stub.GetRequest(ctx.get(), Call({5, 1}, "GetRequest", q), info);
  }

  static uint64_t LeafCount(v1::Conclave::Stub& stub, uint64_t end) {
    v1::LeavesQuery q;
    q.set_start(0);
    q.set_end(end);
    v1::LeavesReply reply;
    auto ctx = Ctx();
    const grpc::Status s =
        stub.GetLeaves(ctx.get(), Call({2, 1}, "GetLeaves", q), &reply);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return reply.leaves_size();
  }

  static testing::Submission NewSubmission(std::string_view plaintext) {
    auto s =
        testing::MakeSubmission(roster_->consortium_key, AsBytes(plaintext));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : testing::Submission{};
  }

  static fs::path* scratch_;
  static fs::path* sim_;
  static keyceremony::VerifiedRoster* roster_;
  static std::map<EditorRef, Editor>* editors_;

  fs::path dir_;
  std::vector<Proc> procs_;
  std::vector<std::string> witness_flags_;
};

fs::path* ConclavedE2eTest::scratch_ = nullptr;
fs::path* ConclavedE2eTest::sim_ = nullptr;
keyceremony::VerifiedRoster* ConclavedE2eTest::roster_ = nullptr;
std::map<EditorRef, Editor>* ConclavedE2eTest::editors_ = nullptr;

// ---- The adapter's conversions (no process needed) ----

TEST(GrpcAdapterTest, PeerWithoutPort) {
  EXPECT_EQ(daemon::PeerWithoutPort("ipv4:127.0.0.1:4000"), "ipv4:127.0.0.1");
  EXPECT_EQ(daemon::PeerWithoutPort("ipv6:[::1]:4000"), "ipv6:[::1]");
  EXPECT_EQ(daemon::PeerWithoutPort("ipv6:[2001:db8::7]:443"),
            "ipv6:[2001:db8::7]");
  EXPECT_EQ(daemon::PeerWithoutPort("unix:/run/conclave/api.sock"),
            "unix:/run/conclave/api.sock");
  EXPECT_EQ(daemon::PeerWithoutPort("unix:"), "unix:");
  EXPECT_EQ(daemon::PeerWithoutPort("ipv4:"), "ipv4:");
}

TEST(GrpcAdapterTest, StatusCodesAndMessagesRoundTrip) {
  const std::pair<StatusCode, grpc::StatusCode> pairs[] = {
      {StatusCode::kInvalidArgument, grpc::StatusCode::INVALID_ARGUMENT},
      {StatusCode::kNotFound, grpc::StatusCode::NOT_FOUND},
      {StatusCode::kAlreadyExists, grpc::StatusCode::ALREADY_EXISTS},
      {StatusCode::kPermissionDenied, grpc::StatusCode::PERMISSION_DENIED},
      {StatusCode::kFailedPrecondition, grpc::StatusCode::FAILED_PRECONDITION},
      {StatusCode::kOutOfRange, grpc::StatusCode::OUT_OF_RANGE},
      {StatusCode::kUnauthenticated, grpc::StatusCode::UNAUTHENTICATED},
      {StatusCode::kDataLoss, grpc::StatusCode::DATA_LOSS},
      {StatusCode::kResourceExhausted, grpc::StatusCode::RESOURCE_EXHAUSTED},
      {StatusCode::kUnavailable, grpc::StatusCode::UNAVAILABLE},
      {StatusCode::kDeadlineExceeded, grpc::StatusCode::DEADLINE_EXCEEDED},
      {StatusCode::kAborted, grpc::StatusCode::ABORTED},
      {StatusCode::kInternal, grpc::StatusCode::INTERNAL},
  };
  for (const auto& [ours, theirs] : pairs) {
    const grpc::Status g = daemon::ToGrpcStatus(Status(ours, "why: x"));
    EXPECT_EQ(g.error_code(), theirs) << StatusCodeName(ours);
    EXPECT_EQ(g.error_message(), "why: x");
    const Status back = daemon::FromGrpcStatus(g);
    EXPECT_EQ(back.code(), ours) << StatusCodeName(ours);
    EXPECT_EQ(back.message(), "why: x");
  }
  EXPECT_TRUE(daemon::ToGrpcStatus(OkStatus()).ok());
  EXPECT_TRUE(daemon::FromGrpcStatus(grpc::Status::OK).ok());
  EXPECT_EQ(
      daemon::FromGrpcStatus(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, ""))
          .code(),
      StatusCode::kInternal);
}

// ---- The whole story over gRPC ----

TEST_F(ConclavedE2eTest, WholeStoryThenSigtermAndRestart) {
  StartWitnesses();
  const fs::path data = dir_ / "data";
  Started d = StartDaemon(DaemonArgs(data));
  ASSERT_GT(d.port, 0) << d.err;
  // The roster and a daemon_started leaf.
  EXPECT_TRUE(Contains(d.err, "(log size 2, settled size ")) << d.err;
  auto stub = Connect(d.port);

  // The public roster chain is the roster the daemon was given.
  {
    v1::RosterChain chain;
    auto ctx = Ctx();
    ASSERT_TRUE(stub->GetRosters(ctx.get(), v1::Empty(), &chain).ok());
    ASSERT_EQ(chain.rosters_size(), 1);
    EXPECT_EQ(chain.rosters(0), ReadAll(Roster()));
  }

  // A whistleblower's submission, streamed in chunks; the acceptance is a
  // note signed by the roster's log key.
  const testing::Submission sub = NewSubmission("the leaked memo\n");
  v1::SubmitReply accepted;
  grpc::Status gs = Submit(*stub, sub.file, &accepted);
  ASSERT_TRUE(gs.ok()) << gs.error_code() << " " << gs.error_message();
  EXPECT_EQ(accepted.submission_id(), sub.id);
  {
    auto log_key =
        audit::Ed25519NoteVerifier::FromVerifierKey(roster_->body.log_vkey());
    ASSERT_TRUE(log_key.ok());
    audit::NoteVerifierSet keys;
    ASSERT_TRUE(keys.Add(log_key->get()).ok());
    auto opened = audit::OpenNote(accepted.acceptance(), keys);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    EXPECT_TRUE(
        Contains(opened->text,
                 sub.id + "\n" + std::to_string(accepted.leaf_index()) + "\n"))
        << opened->text;
  }
  // The same file again: ALREADY_EXISTS, code and message through gRPC.
  {
    v1::SubmitReply again;
    gs = Submit(*stub, sub.file, &again);
    EXPECT_EQ(gs.error_code(), grpc::StatusCode::ALREADY_EXISTS)
        << gs.error_message();
    EXPECT_TRUE(Contains(gs.error_message(), "already")) << gs.error_message();
  }
  // An unsigned call: refused, the daemon's code carried over.
  {
    v1::SignedStatement bogus =
        Call({1, 1}, "ListSubmissions", v1::ListQuery());
    bogus.set_signature(std::string(64, '\0'));
    v1::SubmissionList list;
    auto ctx = Ctx();
    gs = stub->ListSubmissions(ctx.get(), bogus, &list);
    EXPECT_EQ(gs.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << gs.error_code() << " " << gs.error_message();
    // The same call signed for another method.
    auto ctx2 = Ctx();
    gs = stub->ListSubmissions(
        ctx2.get(), Call({1, 1}, "ListRequests", v1::ListQuery()), &list);
    EXPECT_EQ(gs.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
        << gs.error_message();
  }
  {
    v1::SubmissionList list;
    auto ctx = Ctx();
    gs = stub->ListSubmissions(
        ctx.get(), Call({4, 1}, "ListSubmissions", v1::ListQuery()), &list);
    ASSERT_TRUE(gs.ok()) << gs.error_message();
    ASSERT_EQ(list.submissions_size(), 1);
    EXPECT_EQ(list.submissions(0).submission_id(), sub.id);
    EXPECT_EQ(list.submissions(0).size(), sub.file.size());
  }

  // The request, by organisation 1's first editor.
  quorum::RequestOptions ropts;
  ropts.reason = "verify the memo's authenticity";
  ropts.now_unix = Now();
  auto made = quorum::MakeRequest(*roster_, Keys({1, 1}), sub.header, ropts);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  auto verified = quorum::VerifyRequest(*roster_, made->statement);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  v1::PostReply posted;
  {
    auto ctx = Ctx();
    gs = stub->PostRequest(
        ctx.get(), Call({1, 1}, "PostRequest", made->statement), &posted);
    ASSERT_TRUE(gs.ok()) << gs.error_message();
  }

  // Votes: organisation 1 (both editors), 2 and 3, each naming the settled
  // checkpoint that shows the request.
  const audit::Checkpoint seen = SettledPast(*stub, posted.leaf_index());
  const std::vector<EditorRef> voters = {{1, 1}, {1, 2}, {2, 1}, {3, 1}};
  uint64_t last_vote_leaf = 0;
  for (size_t i = 0; i < voters.size(); ++i) {
    quorum::VoteOptions vo;
    vo.checkpoint_size = seen.size;
    vo.checkpoint_root = ToBytes(seen.root_hash);
    vo.comment = "approve";
    vo.now_unix = Now();
    auto vote = quorum::MakeVote(*roster_, Keys(voters[i]), *verified, vo);
    ASSERT_TRUE(vote.ok()) << vote.status().ToString();
    v1::PostReply r;
    auto ctx = Ctx();
    gs = stub->PostVote(ctx.get(), Call(voters[i], "PostVote", *vote), &r);
    ASSERT_TRUE(gs.ok()) << gs.error_message();
    EXPECT_FALSE(r.duplicate());
    if (i + 1 == voters.size()) {
      EXPECT_TRUE(Contains(r.status(), "quorum complete")) << r.status();
    } else {
      EXPECT_FALSE(Contains(r.status(), "quorum complete")) << r.status();
    }
    last_vote_leaf = r.leaf_index();
  }

  // Each voter fetches the evidence, checks it on their side and releases.
  SettledPast(*stub, last_vote_leaf);
  v1::LogEvidence evidence;
  {
    v1::RequestQuery q;
    q.set_request_id(made->id.data(), made->id.size());
    auto ctx = Ctx();
    gs =
        stub->GetEvidence(ctx.get(), Call({2, 1}, "GetEvidence", q), &evidence);
    ASSERT_TRUE(gs.ok()) << gs.error_message();
  }
  std::string last_status;
  for (const EditorRef& v : voters) {
    quorum::ReleaseInput in;
    in.roster = roster_;
    in.releaser = &Keys(v);
    in.share = &Share(v);
    in.request = &made->statement;
    in.evidence = &evidence;
    in.now_unix = Now();
    auto release = quorum::ReleasePartial(in);
    ASSERT_TRUE(release.ok()) << release.status().ToString();
    v1::PostReply r;
    auto ctx = Ctx();
    gs = stub->PostApproval(ctx.get(),
                            Call(v, "PostApproval", release->approval), &r);
    ASSERT_TRUE(gs.ok()) << gs.error_message();
    last_status = r.status();
  }
  EXPECT_TRUE(Contains(last_status, "released")) << last_status;

  // GetRequest shows the votes and approvals; the requester downloads the
  // file, combines and opens it.
  v1::RequestInfo info;
  gs = GetRequest(*stub, made->id, &info);
  ASSERT_TRUE(gs.ok()) << gs.error_message();
  EXPECT_EQ(info.state(), v1::REQUEST_STATE_RELEASED);
  EXPECT_EQ(info.votes_size(), 4);
  ASSERT_EQ(info.approvals_size(), 4);
  Bytes downloaded;
  {
    v1::SubmissionQuery q;
    q.set_submission_id(sub.id);
    auto ctx = Ctx();
    auto reader = stub->GetSubmissionFile(ctx.get(),
                                          Call({1, 1}, "GetSubmissionFile", q));
    v1::FileChunk chunk;
    while (reader->Read(&chunk)) {
      downloaded.insert(downloaded.end(), chunk.data().begin(),
                        chunk.data().end());
    }
    gs = reader->Finish();
    ASSERT_TRUE(gs.ok()) << gs.error_message();
  }
  EXPECT_EQ(downloaded, sub.file);
  std::vector<v1::Approval> approvals(info.approvals().begin(),
                                      info.approvals().end());
  auto combined =
      quorum::CombineApprovals(*roster_, Keys({1, 1}), *verified, approvals);
  ASSERT_TRUE(combined.ok()) << combined.status().ToString();
  WriteAll(dir_ / "downloaded.age", AsStringView(downloaded));
  ASSERT_TRUE(quorum::DecryptSubmissionToFile(*verified, combined->file_key,
                                              dir_ / "downloaded.age",
                                              dir_ / "opened.txt")
                  .ok());
  EXPECT_EQ(ReadAll(dir_ / "opened.txt"), "the leaked memo\n");

  // A vote after release is refused.
  {
    quorum::VoteOptions vo;
    vo.checkpoint_size = seen.size;
    vo.checkpoint_root = ToBytes(seen.root_hash);
    vo.now_unix = Now();
    auto vote = quorum::MakeVote(*roster_, Keys({4, 1}), *verified, vo);
    ASSERT_TRUE(vote.ok());
    v1::PostReply r;
    auto ctx = Ctx();
    gs = stub->PostVote(ctx.get(), Call({4, 1}, "PostVote", *vote), &r);
    EXPECT_EQ(gs.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
        << gs.error_message();
  }

  // SIGTERM: a clean stop.
  const audit::Checkpoint before = Settled(*stub);
  stub.reset();
  EXPECT_EQ(Stop(&d), 0) << d.err;
  EXPECT_TRUE(Contains(d.err, "received SIGTERM")) << d.err;
  EXPECT_TRUE(Contains(d.err, "stopped")) << d.err;

  // Restart on the same directory: the log is kept (and one daemon_started
  // leaf longer), the request is still released.
  Started again = StartDaemon(DaemonArgs(data));
  ASSERT_GT(again.port, 0) << again.err;
  auto stub2 = Connect(again.port);
  const audit::Checkpoint after = SettledPast(*stub2, before.size);
  EXPECT_GT(after.size, before.size);
  EXPECT_EQ(LeafCount(*stub2, after.size), after.size);
  v1::RequestInfo info2;
  gs = GetRequest(*stub2, made->id, &info2);
  ASSERT_TRUE(gs.ok()) << gs.error_message();
  EXPECT_EQ(info2.state(), v1::REQUEST_STATE_RELEASED);
  EXPECT_EQ(info2.approvals_size(), 4);
  EXPECT_TRUE(Contains(again.err, "opened ")) << again.err;
  stub2.reset();
  EXPECT_EQ(Stop(&again, SIGINT), 0) << again.err;
  EXPECT_TRUE(Contains(again.err, "received SIGINT")) << again.err;
}

// ---- Submissions past the limit ----

TEST_F(ConclavedE2eTest, OversizedSubmissionRefusedEarly) {
  std::vector<std::string> args = DaemonArgs(dir_ / "data");
  args.insert(args.end(), {"--max-submission-bytes", "4096"});
  Started d = StartDaemon(args);
  ASSERT_GT(d.port, 0) << d.err;
  auto stub = Connect(d.port);
  // 8 MiB sent in 1 KiB chunks: the server stops reading after 4 KiB, so
  // the stream is closed long before the client has written it all.
  const testing::Submission big = NewSubmission(std::string(8 << 20, 'x'));
  v1::SubmitReply reply;
  size_t sent = 0;
  const grpc::Status gs = Submit(*stub, big.file, &reply, 1024, &sent);
  EXPECT_EQ(gs.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << gs.error_message();
  EXPECT_TRUE(Contains(gs.error_message(), "limit of 4096 bytes"))
      << gs.error_message();
  EXPECT_LT(sent, big.file.size() / 2);
  // A small one still goes through (nothing settles without witnesses,
  // which the submission does not wait for).
  const testing::Submission small = NewSubmission("short");
  ASSERT_LE(small.file.size(), 4096u);
  const grpc::Status ok = Submit(*stub, small.file, &reply);
  EXPECT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_TRUE(Contains(ReadAll(d.proc.err), "no checkpoint will settle"));
  stub.reset();
  EXPECT_EQ(Stop(&d), 0);
}

// ---- Refusals at startup ----

TEST_F(ConclavedE2eTest, PlainListenOnNonLoopbackIsRefused) {
  for (const std::string addr :
       {"0.0.0.0:0", "192.0.2.7:7300", "[::]:0", "example.org:7300"}) {
    std::vector<std::string> args = DaemonArgs(dir_ / "data");
    args[9] = addr;  // --listen's value
    Started d = StartDaemon(args);
    EXPECT_EQ(d.port, 0) << addr;
    EXPECT_EQ(d.exit_code, 2) << addr << ": " << d.err;
    EXPECT_TRUE(Contains(d.err, "is not a loopback address")) << d.err;
    EXPECT_TRUE(Contains(d.err, "--tls-cert and --tls-key")) << d.err;
    EXPECT_FALSE(fs::exists(dir_ / "data")) << addr;
  }
  // Loopback forms are accepted: [::1] and a unix socket.
  {
    std::vector<std::string> args = DaemonArgs(dir_ / "data");
    args[9] = "[::1]:0";
    Started d = StartDaemon(args, "listening on [::1]:");
    ASSERT_GT(d.port, 0) << d.err;
    EXPECT_EQ(Stop(&d), 0);
  }
  {
    std::vector<std::string> args = DaemonArgs(dir_ / "data");
    const std::string sock = (dir_ / "api.sock").string();
    args[9] = "unix:" + sock;
    Started d = StartDaemon(args, "listening on unix:");
    ASSERT_EQ(d.port, 1) << d.err;
    auto stub = v1::Conclave::NewStub(grpc::CreateChannel(
        "unix:" + sock, grpc::InsecureChannelCredentials()));
    v1::RosterChain chain;
    auto ctx = Ctx();
    const grpc::Status gs = stub->GetRosters(ctx.get(), v1::Empty(), &chain);
    EXPECT_TRUE(gs.ok()) << gs.error_message();
    EXPECT_EQ(chain.rosters_size(), 1);
    ctx.reset();
    stub.reset();
    EXPECT_EQ(Stop(&d), 0);
  }
}

TEST_F(ConclavedE2eTest, WrongPassphraseIsRefused) {
  WriteAll(dir_ / "wrong.txt", "not the passphrase\n");
  std::vector<std::string> args = DaemonArgs(dir_ / "data");
  args[7] = (dir_ / "wrong.txt").string();  // --passphrase-file's value
  Started d = StartDaemon(args);
  EXPECT_EQ(d.exit_code, 2) << d.err;
  EXPECT_TRUE(Contains(d.err, "passphrase")) << d.err;
  EXPECT_FALSE(fs::exists(dir_ / "data"));
}

TEST_F(ConclavedE2eTest, LogKeyThatIsNotTheRostersIsRefused) {
  // A log key with the roster's origin but another key.
  v1::SealedSecret secret;
  secret.mutable_log_key()->set_origin("conclave.example/log");
  secret.mutable_log_key()->set_ed25519_seed(std::string(32, '\x07'));
  ASSERT_TRUE(WriteSealedFile(
                  dir_ / "other-log.age", secret,
                  SecretBytes::CopyFrom(AsBytes(std::string_view(kPassphrase))),
                  /*work_factor=*/10)
                  .ok());
  std::vector<std::string> args = DaemonArgs(dir_ / "data");
  args[5] = (dir_ / "other-log.age").string();  // --log-key's value
  Started d = StartDaemon(args);
  EXPECT_EQ(d.exit_code, 2) << d.err;
  EXPECT_TRUE(Contains(d.err, "the log key is not the roster's log key"))
      << d.err;
  // A sealed file of the right passphrase that holds no log key.
  args[5] = (*sim_ / "org1" / "witness.age").string();
  d = StartDaemon(args);
  EXPECT_EQ(d.exit_code, 2) << d.err;
  EXPECT_TRUE(Contains(d.err, "does not hold a log key")) << d.err;
}

TEST_F(ConclavedE2eTest, AnotherRosterOnTheSameDataIsRefused) {
  Started d = StartDaemon(DaemonArgs(dir_ / "data"));
  ASSERT_GT(d.port, 0) << d.err;
  EXPECT_EQ(Stop(&d), 0);
  // The roster of another consortium (a second ceremony) with its own log
  // key: the data directory keeps the first roster.
  const Result r = RunProgram(
      dir_, CONCLAVE_CEREMONY_PATH,
      {"simulate", "--orgs", "3", "--threshold", "2", "--work-factor", "10",
       "--out", (dir_ / "other").string(), "--passphrase-file", PassFile()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> args = DaemonArgs(dir_ / "data");
  args[3] = (dir_ / "other" / "consortium.roster").string();
  args[5] = (dir_ / "other" / "log.age").string();
  d = StartDaemon(args);
  EXPECT_EQ(d.exit_code, 2) << d.err;
  EXPECT_TRUE(Contains(d.err, "is not the one this data directory holds"))
      << d.err;
}

TEST_F(ConclavedE2eTest, SecondDaemonOnTheSameDataIsRefused) {
  Started first = StartDaemon(DaemonArgs(dir_ / "data"));
  ASSERT_GT(first.port, 0) << first.err;
  Started second = StartDaemon(DaemonArgs(dir_ / "data"));
  EXPECT_EQ(second.port, 0);
  EXPECT_EQ(second.exit_code, 2) << second.err;
  EXPECT_TRUE(Contains(second.err, "already open in another process"))
      << second.err;
  // The first one still serves.
  auto stub = Connect(first.port);
  v1::RosterChain chain;
  auto ctx = Ctx();
  EXPECT_TRUE(stub->GetRosters(ctx.get(), v1::Empty(), &chain).ok());
  ctx.reset();
  stub.reset();
  EXPECT_EQ(Stop(&first), 0);
}

TEST_F(ConclavedE2eTest, UsageErrorsAndIntake) {
  Result r = RunProgram(dir_, CONCLAVED_PATH, {"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(Contains(r.out, "Exit codes:")) << r.out;
  EXPECT_TRUE(Contains(r.out, "--tls-cert")) << r.out;

  r = RunProgram(
      dir_, CONCLAVED_PATH,
      {"--roster", Roster(), "--log-key", LogKey(), "--listen", "127.0.0.1:0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "missing --data")) << r.err;

  r = RunProgram(dir_, CONCLAVED_PATH, {"--bogus"});
  EXPECT_EQ(r.exit_code, 1) << r.err;

  std::vector<std::string> args = DaemonArgs(dir_ / "data");
  args.insert(args.end(), {"--witness", "nine=http://127.0.0.1:1"});
  r = RunProgram(dir_, CONCLAVED_PATH, args);
  EXPECT_EQ(r.exit_code, 1) << r.err;

  // The intake page needs a HOST:PORT (its serving is tested in
  // intake_e2e_test and the browser test).
  args = DaemonArgs(dir_ / "data");
  args.insert(args.end(), {"--intake", "unix:/tmp/intake.sock"});
  r = RunProgram(dir_, CONCLAVED_PATH, args);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(Contains(r.err, "--intake unix:/tmp/intake.sock: a HOST:PORT"))
      << r.err;

  args = DaemonArgs(dir_ / "data");
  args.insert(args.end(), {"--tls-cert", "/nonexistent.pem"});
  r = RunProgram(dir_, CONCLAVED_PATH, args);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(Contains(r.err, "--tls-cert and --tls-key go together"));

  args = DaemonArgs(dir_ / "data");
  args[3] = "/nonexistent.roster";  // --roster's value
  r = RunProgram(dir_, CONCLAVED_PATH, args);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "data"));
}

// ---- The config file ----

TEST_F(ConclavedE2eTest, ConfigFileWithFlagsOverIt) {
  // Relative paths are relative to the file's directory.
  fs::create_directories(dir_ / "etc");
  fs::copy_file(Roster(), dir_ / "etc" / "consortium.roster");
  WriteAll(dir_ / "etc" / "conclaved.conf",
           "# conclaved configuration\n"
           "data_dir: \"../data\"\n"
           "roster: \"consortium.roster\"\n"
           "log_key: \"" +
               LogKey() +
               "\"\n"
               "passphrase_file: \"" +
               PassFile() +
               "\"\n"
               "listen: \"192.0.2.1:7300\"\n"
               "replay_window_seconds: 120\n");
  // The file's listen address (not loopback, no TLS) is refused...
  Result r =
      RunProgram(dir_, CONCLAVED_PATH,
                 {"--config", (dir_ / "etc" / "conclaved.conf").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  // ...and a flag replaces it.
  Started d =
      StartDaemon({"--config", (dir_ / "etc" / "conclaved.conf").string(),
                   "--listen", "127.0.0.1:0"});
  ASSERT_GT(d.port, 0) << d.err;
  EXPECT_TRUE(fs::exists(dir_ / "data" / "conclave.db"));
  EXPECT_EQ(Stop(&d), 0);

  WriteAll(dir_ / "bad.conf", "data_dir: \"x\"\nno_such_field: 1\n");
  r = RunProgram(dir_, CONCLAVED_PATH,
                 {"--config", (dir_ / "bad.conf").string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(Contains(r.err, "line 2")) << r.err;
}

// ---- TLS ----

TEST_F(ConclavedE2eTest, ServesOverTls) {
  if (std::string(CONCLAVE_OPENSSL_BIN).empty()) {
    FAIL() << "no openssl program to make a test certificate "
              "(scripts/install-deps installs it)";
  }
  const fs::path cert = dir_ / "server.pem", key = dir_ / "server.key";
  Result r = RunProgram(
      dir_, CONCLAVE_OPENSSL_BIN,
      {"req", "-x509", "-newkey", "ec", "-pkeyopt",
       "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
       "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
       "-keyout", key.string(), "-out", cert.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> args = DaemonArgs(dir_ / "data");
  args.insert(args.end(),
              {"--tls-cert", cert.string(), "--tls-key", key.string()});
  Started d = StartDaemon(args);
  ASSERT_GT(d.port, 0) << d.err;
  EXPECT_TRUE(Contains(d.err, "TLS: server certificate")) << d.err;

  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadAll(cert);
  auto stub = Connect(d.port, grpc::SslCredentials(ssl), "localhost");
  v1::RosterChain chain;
  auto ctx = Ctx();
  grpc::Status gs = stub->GetRosters(ctx.get(), v1::Empty(), &chain);
  EXPECT_TRUE(gs.ok()) << gs.error_code() << " " << gs.error_message();
  EXPECT_EQ(chain.rosters_size(), 1);

  // A plaintext client gets nothing.
  auto plain = Connect(d.port);
  auto ctx2 = std::make_unique<grpc::ClientContext>();
  ctx2->set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(3));
  gs = plain->GetRosters(ctx2.get(), v1::Empty(), &chain);
  EXPECT_FALSE(gs.ok());
  ctx.reset();
  ctx2.reset();
  stub.reset();
  plain.reset();
  EXPECT_EQ(Stop(&d), 0);
}

TEST_F(ConclavedE2eTest, TlsClientCaRequiresClientCertificates) {
  if (std::string(CONCLAVE_OPENSSL_BIN).empty()) {
    FAIL() << "no openssl program to make test certificates "
              "(scripts/install-deps installs it)";
  }
  // Self-signed server and client certificates; the client's doubles as the
  // CA the daemon requires.
  auto make_cert = [&](const std::string& name, const std::string& san) {
    const Result r =
        RunProgram(dir_, CONCLAVE_OPENSSL_BIN,
                   {"req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                    "-subj", "/CN=" + name, "-addext", "subjectAltName=" + san,
                    "-keyout", (dir_ / (name + ".key")).string(), "-out",
                    (dir_ / (name + ".pem")).string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
  };
  make_cert("localhost", "DNS:localhost");
  make_cert("editor", "DNS:editor.example");
  std::vector<std::string> args = DaemonArgs(dir_ / "data");
  args.insert(args.end(), {"--tls-cert", (dir_ / "localhost.pem").string(),
                           "--tls-key", (dir_ / "localhost.key").string(),
                           "--tls-client-ca", (dir_ / "editor.pem").string()});
  Started d = StartDaemon(args);
  ASSERT_GT(d.port, 0) << d.err;
  EXPECT_TRUE(Contains(d.err, "client certificates required")) << d.err;

  grpc::SslCredentialsOptions anonymous;
  anonymous.pem_root_certs = ReadAll(dir_ / "localhost.pem");
  grpc::SslCredentialsOptions editor = anonymous;
  editor.pem_private_key = ReadAll(dir_ / "editor.key");
  editor.pem_cert_chain = ReadAll(dir_ / "editor.pem");
  v1::RosterChain chain;
  {
    auto stub = Connect(d.port, grpc::SslCredentials(anonymous), "localhost");
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(5));
    const grpc::Status gs = stub->GetRosters(ctx.get(), v1::Empty(), &chain);
    EXPECT_EQ(gs.error_code(), grpc::StatusCode::UNAVAILABLE)
        << gs.error_message();
  }
  {
    auto stub = Connect(d.port, grpc::SslCredentials(editor), "localhost");
    auto ctx = Ctx();
    const grpc::Status gs = stub->GetRosters(ctx.get(), v1::Empty(), &chain);
    EXPECT_TRUE(gs.ok()) << gs.error_code() << " " << gs.error_message();
    EXPECT_EQ(chain.rosters_size(), 1);
  }
  EXPECT_EQ(Stop(&d), 0);
}

}  // namespace
}  // namespace conclave
