// The intake page's server (daemon/intake_server.h; issue 8) end to end over
// HTTP on loopback: a simulated consortium (tests/quorum_fixture.h: 5
// organisations, t = 3, so at most 2 exclusions), every organisation's
// witness in process, the daemon on a temporary data directory, the intake
// server on an ephemeral port and an httplib client acting as the page.
// C++ code plays the whistleblower's browser (daemon/contact.h).
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "age/age.h"
#include "age/base64.h"
#include "age/p256tag.h"
#include "age/submission.h"
#include "audit/cosignature.h"
#include "audit/note.h"
#include "crypto/random.h"
#include "daemon/call.h"
#include "daemon/contact.h"
#include "daemon/intake_server.h"
#include "daemon/service_impl.h"
#include "quorum/statements.h"
#include "tests/daemon_fixture.h"
#include "tests/quorum_fixture.h"
#include "tests/quorum_fixture_gtest.h"
#include "tests/test_util.h"
#include "witness/witness.h"

namespace conclave::daemon {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::Consortium;
using testing::kFixtureNow;
using testing::Submission;
using testing::TempDir;
using testing::TestWitnesses;

constexpr size_t kChunk = 4096;  // small chunks: many PUTs per file

// The whistleblower's browser: a receipt and what it derives.
struct Whistleblower {
  Bytes receipt;
  ReceiptKeys keys;
  static Whistleblower New() {
    const SecretBytes r = RandomBytes(kReceiptSize);
    Whistleblower w;
    w.receipt = Bytes(r.span().begin(), r.span().end());
    w.keys = std::move(DeriveReceiptKeys(w.receipt)).value();
    return w;
  }
  json Contact() const {
    return {{"lookup_id", HexEncode(keys.lookup_id)},
            {"auth_key", HexEncode(keys.auth_key)},
            {"reply_recipient", keys.reply_recipient}};
  }
};

class IntakeTest : public testing::SharedConsortiumTest<IntakeTest> {
 protected:
  void SetUp() override {
    ASSERT_NE(consortium_, nullptr) << *setup_error_;
    ASSERT_OK_AND_ASSIGN(TempDir work, TempDir::Create("intake"));
    work_.emplace(std::move(work));
    testing::StartTestWitnesses(c(), work_->path(), &witnesses_);
    ASSERT_OK_AND_ASSIGN(DaemonOptions o, testing::ConsortiumDaemonOptions(
                                              c(), data(), witnesses_, [this] {
                                                return clock_.load();
                                              }));
    o.settle_wait_ms = 0;
    o.submissions_per_minute = 0;
    auto d = DaemonImpl::Create(std::move(o));
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    d_ = std::move(d).value();
    StartServer(uint64_t{1} << 20);
  }
  void StartServer(uint64_t max_upload, uint32_t writes_per_minute = 0) {
    server_.reset();
    IntakeServerOptions io;
    io.upload_dir = data() / "uploads";
    io.max_upload_bytes = max_upload;
    io.chunk_bytes = kChunk;
    io.writes_per_minute = writes_per_minute;
    io.clock = [this] { return clock_.load(); };
    DaemonImpl* d = d_.get();
    io.roster = [d]() -> const keyceremony::VerifiedRoster& {
      return d->roster();
    };
    auto s = IntakeServer::Start(*d_, std::move(io));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    http_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    http_->set_read_timeout(60);
  }
  void TearDown() override {
    if (server_) server_->Stop();
    server_.reset();
    if (d_) d_->Shutdown();
    d_.reset();
    witnesses_.clear();
  }

  fs::path data() const { return work_->path() / "data"; }

  // Every response must carry the security headers and no cookie.
  void CheckHeaders(const httplib::Result& r) {
    ASSERT_TRUE(r) << "no response";
    for (const auto& [name, value] : kIntakeSecurityHeaders) {
      EXPECT_EQ(r->get_header_value(name), value)
          << name << " on a " << r->status << " response";
    }
    EXPECT_FALSE(r->has_header("Set-Cookie"));
  }

  json Body(const httplib::Result& r) {
    CheckHeaders(r);
    if (!r) return json();
    json j = json::parse(r->body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r->body;
    if (r->status >= 400) {
      EXPECT_TRUE(j.contains("error") && j["error"].is_string()) << r->body;
      EXPECT_TRUE(j.contains("code") && j["code"].is_string()) << r->body;
    }
    return j;
  }

  httplib::Result PostJson(const std::string& path, const json& body) {
    return http_->Post(path.c_str(), body.dump(), "application/json");
  }

  std::string NewUpload(uint64_t size) {
    auto r = PostJson("/api/v1/uploads", {{"size", size}});
    json j = Body(r);
    EXPECT_EQ(r->status, 201) << r->body;
    EXPECT_EQ(j.value("chunk_bytes", 0u), kChunk);
    EXPECT_EQ(j.value("received", 1u), 0u);
    return j.value("upload_id", "");
  }

  httplib::Result Put(const std::string& id, uint64_t offset, ByteSpan chunk) {
    return http_->Put(
        ("/api/v1/uploads/" + id + "?offset=" + std::to_string(offset)).c_str(),
        reinterpret_cast<const char*>(chunk.data()), chunk.size(),
        "application/octet-stream");
  }

  void UploadAll(const std::string& id, ByteSpan file, uint64_t from = 0) {
    for (uint64_t off = from; off < file.size(); off += kChunk) {
      const size_t n = std::min<size_t>(kChunk, file.size() - off);
      auto r = Put(id, off, file.subspan(off, n));
      json j = Body(r);
      ASSERT_EQ(r->status, 200) << r->body;
      ASSERT_EQ(j["received"].get<uint64_t>(), off + n);
    }
  }

  // Upload + finish; returns (status, body).
  std::pair<int, json> Send(ByteSpan file,
                            const json& finish = json::object()) {
    const std::string id = NewUpload(file.size());
    UploadAll(id, file);
    auto r = PostJson("/api/v1/uploads/" + id + "/finish", finish);
    json j = Body(r);
    return {r ? r->status : 0, j};
  }

  Submission NewSubmission(std::string_view text,
                           std::vector<uint32_t> excluded = {}) {
    auto s = c().Submit(AsBytes(text), std::move(excluded));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *std::move(s) : Submission{};
  }

  // What the store holds: a snapshot to compare after a refusal.
  struct Snapshot {
    uint64_t log_size;
    size_t submissions;
    std::set<std::string> blobs;
    size_t uploads;
    bool operator==(const Snapshot&) const = default;
  };
  Snapshot Take() {
    Snapshot s;
    s.log_size = d_->LogSize();
    s.submissions = d_->store().ListSubmissions().value().size();
    for (const auto& e : fs::recursive_directory_iterator(data() / "blobs")) {
      if (e.is_regular_file()) s.blobs.insert(e.path().string());
    }
    s.uploads = 0;
    for (const auto& e : fs::directory_iterator(data() / "uploads")) {
      (void)e;
      ++s.uploads;
    }
    return s;
  }

  std::string Challenge(const Whistleblower& w) {
    auto r = PostJson("/api/v1/contact/challenge",
                      {{"lookup_id", HexEncode(w.keys.lookup_id)}});
    json j = Body(r);
    EXPECT_EQ(r->status, 200) << r->body;
    return j.value("challenge", "");
  }
  json Proof(const Whistleblower& w, const std::string& challenge) {
    const Bytes ch = testing::Hex(challenge);
    return {{"lookup_id", HexEncode(w.keys.lookup_id)},
            {"challenge", challenge},
            {"signature", HexEncode(SignContactAuth(w.keys, ch))}};
  }

  std::optional<TempDir> work_;
  TestWitnesses witnesses_;
  std::unique_ptr<DaemonImpl> d_;
  std::unique_ptr<IntakeServer> server_;
  std::unique_ptr<httplib::Client> http_;
  // Read by the server's handler threads while the test moves it.
  std::atomic<uint64_t> clock_{kFixtureNow};
};

TEST_F(IntakeTest, ConsortiumDescribesTheRosterAndAssetsAreServed) {
  auto r = http_->Get("/api/v1/consortium");
  json j = Body(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(j["recipient"], age::EncodeP256TagRecipient(c().consortium_key()));
  EXPECT_EQ(j["threshold"], 3);
  EXPECT_EQ(j["max_exclusions"], 2);
  EXPECT_EQ(j["organisations"].size(), 5u);
  EXPECT_EQ(j["organisations"][0]["id"], 1);
  EXPECT_EQ(j["chunk_bytes"], kChunk);
  EXPECT_EQ(j["log_vkey"], c().roster().body.log_vkey());
  EXPECT_EQ(j["log_origin"], c().log_key().origin());

  auto page = http_->Get("/");
  CheckHeaders(page);
  ASSERT_EQ(page->status, 200);
  EXPECT_NE(page->get_header_value("Content-Type").find("text/html"),
            std::string::npos);
  auto missing = http_->Get("/nothing-here");
  EXPECT_EQ(Body(missing)["code"], "not_found");
  EXPECT_EQ(missing->status, 404);
}

TEST_F(IntakeTest, ChunkedUploadIsAcceptedAndTheAcceptanceVerifies) {
  std::string text(20000, 'x');  // several chunks
  const Submission s = NewSubmission(text, {4});
  auto [status, j] = Send(s.file);
  ASSERT_EQ(status, 200) << j.dump();
  EXPECT_EQ(j["submission_id"], s.id);
  const uint64_t leaf = j["leaf_index"];
  EXPECT_FALSE(j.contains("linked_to"));
  // The acceptance is the log key's signed note over the id and leaf.
  auto verifier =
      audit::Ed25519NoteVerifier::FromVerifierKey(c().roster().body.log_vkey());
  ASSERT_TRUE(verifier.ok());
  audit::NoteVerifierSet known;
  ASSERT_OK(known.Add(verifier->get()));
  auto opened = audit::OpenNote(j["acceptance"].get<std::string>(), known);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_NE(opened->text.find("\n" + s.id + "\n" + std::to_string(leaf) + "\n"),
            std::string::npos);
  // Stored byte for byte, and the upload is gone.
  ASSERT_OK_AND_ASSIGN(SubmissionRecord rec, d_->store().GetSubmission(s.id));
  EXPECT_EQ(rec.excluded_orgs, std::vector<uint32_t>{4});
  ASSERT_OK_AND_ASSIGN(Bytes blob,
                       d_->store().blobs().Get(rec.file_hash, 1 << 20));
  EXPECT_EQ(blob, s.file);
  EXPECT_EQ(server_->uploads(), 0u);
  EXPECT_TRUE(fs::is_empty(data() / "uploads"));
  // An acceptance with a tampered id does not verify.
  std::string forged = j["acceptance"];
  forged[forged.find(s.id)] ^= 1;
  EXPECT_FALSE(audit::OpenNote(forged, known).ok());
}

TEST_F(IntakeTest, ResumeAfterOffsetMismatch) {
  const Submission s = NewSubmission(std::string(10000, 'r'));
  const std::string id = NewUpload(s.file.size());
  const ByteSpan file(s.file);
  ASSERT_EQ(Put(id, 0, file.subspan(0, kChunk))->status, 200);
  // The page lost track and resends from 0: 409 with what the server holds.
  auto again = Put(id, 0, file.subspan(0, kChunk));
  json j = Body(again);
  EXPECT_EQ(again->status, 409);
  EXPECT_EQ(j["code"], "offset_mismatch");
  EXPECT_EQ(j["received"], kChunk);
  // A chunk past the held offset is refused too.
  EXPECT_EQ(Put(id, 2 * kChunk, file.subspan(0, 10))->status, 409);
  // The status call agrees; the page resumes from there.
  auto st = http_->Get(("/api/v1/uploads/" + id).c_str());
  json sj = Body(st);
  EXPECT_EQ(sj["received"], kChunk);
  EXPECT_EQ(sj["size"], s.file.size());
  UploadAll(id, file, kChunk);
  // Beyond the declared size: 400.
  auto beyond = Put(id, s.file.size(), AsBytes("extra"));
  EXPECT_EQ(beyond->status, 400);
  auto fin = PostJson("/api/v1/uploads/" + id + "/finish", json::object());
  json fj = Body(fin);
  ASSERT_EQ(fin->status, 200) << fin->body;
  EXPECT_EQ(fj["submission_id"], s.id);
}

TEST_F(IntakeTest, UnknownUploadIs404) {
  for (const std::string path :
       {"/api/v1/uploads/00112233445566778899aabbccddeeff",
        "/api/v1/uploads/not-an-id"}) {
    auto r = http_->Get(path.c_str());
    EXPECT_EQ(Body(r)["code"], "unknown_upload") << path;
    EXPECT_EQ(r->status, 404);
  }
  auto put = Put("00112233445566778899aabbccddeeff", 0, AsBytes("x"));
  EXPECT_EQ(Body(put)["code"], "unknown_upload");
  auto fin = PostJson("/api/v1/uploads/00112233445566778899aabbccddeeff/finish",
                      json::object());
  EXPECT_EQ(Body(fin)["code"], "unknown_upload");
  EXPECT_EQ(fin->status, 404);
}

TEST_F(IntakeTest, AbandonedUploadsExpire) {
  const std::string id = NewUpload(100);
  ASSERT_EQ(Put(id, 0, Bytes(10, 1))->status, 200);
  EXPECT_EQ(server_->uploads(), 1u);
  clock_ += 86400;
  auto r = http_->Get(("/api/v1/uploads/" + id).c_str());
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(server_->uploads(), 0u);
  EXPECT_TRUE(fs::is_empty(data() / "uploads"));
}

TEST_F(IntakeTest, OversizedIs413AndNothingStored) {
  const Snapshot before = Take();
  auto r = PostJson("/api/v1/uploads", {{"size", (1 << 20) + 1}});
  json j = Body(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(j["code"], "too_large");
  EXPECT_NE(j["error"].get<std::string>().find("1 MiB"), std::string::npos);
  // A chunk larger than chunk_bytes is refused as well.
  const std::string id = NewUpload(3 * kChunk);
  auto big = Put(id, 0, Bytes(kChunk + 1, 0));
  EXPECT_EQ(big->status, 400);
  EXPECT_EQ(Take().log_size, before.log_size);
  EXPECT_EQ(Take().blobs, before.blobs);
}

TEST_F(IntakeTest, MalformedUploadsAreRefusedWithTheirCodeAndNothingStored) {
  const Submission good = NewSubmission("good");
  // A plain p256tag file, as stock age writes it.
  auto plain_r = age::P256TagRecipient::Create(c().consortium_key());
  ASSERT_TRUE(plain_r.ok());
  const age::Recipient* plain_rs[] = {&*plain_r};
  ASSERT_OK_AND_ASSIGN(Bytes plain,
                       age::EncryptToMemory(plain_rs, AsBytes("plain")));
  // A submission to another key.
  const Point other = Point::BaseMul(Scalar::Random());
  ASSERT_OK_AND_ASSIGN(Submission wrong,
                       testing::MakeSubmission(other, AsBytes("wrong"), {}));
  // The proof stanza's body altered.
  Bytes bad_proof = good.file;
  {
    const std::string text = AsString(bad_proof);
    const size_t line = text.find("-> conclave-pok");
    ASSERT_NE(line, std::string::npos);
    const size_t body = text.find('\n', line) + 1;
    bad_proof[body] = bad_proof[body] == 'A' ? 'B' : 'A';
  }
  // Cut inside the header; the header without a payload.
  const Bytes cut(good.file.begin(), good.file.begin() + 40);
  const Bytes header_only = good.header;
  const Submission excluded3 = NewSubmission("three", {1, 2, 3});
  ASSERT_OK_AND_ASSIGN(Submission drill, c().DrillSubmission(1));

  struct Case {
    const char* name;
    Bytes file;
    int status;
    const char* code;
  };
  const std::vector<Case> cases = {
      {"not age", ToBytes("hello, this is not an age file at all"), 400,
       "not_age"},
      {"armored", ToBytes("-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n"), 400,
       "not_age"},
      {"plain p256tag", plain, 400, "plain_p256tag"},
      {"wrong recipient", wrong.file, 400, "wrong_recipient"},
      {"bad proof", bad_proof, 400, "bad_proof"},
      {"truncated in header", cut, 400, "truncated"},
      {"header only", header_only, 400, "truncated"},
      {"too many exclusions", excluded3.file, 400, "too_many_exclusions"},
      {"drill file", drill.file, 400, "drill_file"},
  };
  for (const Case& k : cases) {
    const Snapshot before = Take();
    auto [status, j] = Send(k.file);
    EXPECT_EQ(status, k.status) << k.name << ": " << j.dump();
    EXPECT_EQ(j["code"], k.code) << k.name << ": " << j.dump();
    EXPECT_FALSE(j.value("error", "").empty()) << k.name;
    EXPECT_TRUE(Take() == before) << k.name << ": the store changed";
  }
  // A duplicate: the first is accepted, the second refused, nothing added.
  ASSERT_EQ(Send(good.file).first, 200);
  const Snapshot before = Take();
  auto [status, j] = Send(good.file);
  EXPECT_EQ(status, 409);
  EXPECT_EQ(j["code"], "duplicate");
  EXPECT_TRUE(Take() == before);
}

TEST_F(IntakeTest, ContactStatusRightAndWrongReceipts) {
  const Whistleblower w = Whistleblower::New();
  const Submission s = NewSubmission("with a contact");
  auto [status, j] = Send(s.file, {{"contact", w.Contact()}});
  ASSERT_EQ(status, 200) << j.dump();

  // The right receipt: the thread, received, no replies yet.
  const std::string ch = Challenge(w);
  ASSERT_EQ(ch.size(), 64u);
  auto r = PostJson("/api/v1/contact/status", Proof(w, ch));
  json sj = Body(r);
  ASSERT_EQ(r->status, 200) << r->body;
  ASSERT_EQ(sj["submissions"].size(), 1u);
  EXPECT_EQ(sj["submissions"][0]["submission_id"], s.id);
  EXPECT_EQ(sj["submissions"][0]["state"], "received");
  EXPECT_EQ(sj["submissions"][0]["organisations_approved"], 0);
  EXPECT_EQ(sj["submissions"][0]["received_at"], kFixtureNow);
  EXPECT_TRUE(sj["replies"].empty());

  // Every wrong case gets the same 403 body.
  std::vector<std::string> bodies;
  auto refused = [&](const json& proof, const char* what) {
    auto rr = PostJson("/api/v1/contact/status", proof);
    CheckHeaders(rr);
    EXPECT_EQ(rr->status, 403) << what;
    bodies.push_back(rr->body);
  };
  refused(Proof(w, ch), "reused challenge");
  const Whistleblower stranger = Whistleblower::New();
  refused(Proof(stranger, Challenge(stranger)), "unknown lookup id");
  {
    json p = Proof(w, Challenge(w));
    std::string sig = p["signature"];
    sig[10] = sig[10] == '0' ? '1' : '0';
    p["signature"] = sig;
    refused(p, "bad signature");
  }
  refused(Proof(w, std::string(64, 'a')), "unknown challenge");
  {
    // A challenge issued for another lookup id.
    json p = Proof(w, Challenge(stranger));
    refused(p, "challenge of another lookup id");
  }
  {
    // An expired challenge (5 minutes).
    const std::string old = Challenge(w);
    clock_ += kContactChallengeSeconds;
    refused(Proof(w, old), "expired challenge");
    clock_ = kFixtureNow;
  }
  refused({{"lookup_id", "zz"}}, "malformed");
  const json want = {
      {"error",
       "That receipt was not recognised. Check that you typed it exactly as "
       "it was shown."},
      {"code", "not_recognised"}};
  for (const std::string& b : bodies) EXPECT_EQ(json::parse(b), want) << b;

  // A challenge works once; a malformed lookup id gets no challenge.
  auto bad = PostJson("/api/v1/contact/challenge", {{"lookup_id", "00"}});
  EXPECT_EQ(bad->status, 400);
}

TEST_F(IntakeTest, FollowUpIsLinkedToTheFirstSubmission) {
  const Whistleblower w = Whistleblower::New();
  const Submission first = NewSubmission("first");
  auto [s1, j1] = Send(first.file, {{"contact", w.Contact()}});
  ASSERT_EQ(s1, 200) << j1.dump();
  const uint64_t first_leaf = j1["leaf_index"];

  const Submission more = NewSubmission("more documents", {2});
  auto [s2, j2] = Send(more.file, {{"follow_up", Proof(w, Challenge(w))}});
  ASSERT_EQ(s2, 200) << j2.dump();
  EXPECT_EQ(j2["linked_to"], first.id);
  const uint64_t leaf = j2["leaf_index"];
  ASSERT_OK_AND_ASSIGN(Bytes raw, d_->store().LogLeaf(leaf));
  ASSERT_OK_AND_ASSIGN(v1::LogLeaf parsed, quorum::ParseLogLeaf(raw));
  EXPECT_EQ(parsed.submission().submission_id(), more.id);
  EXPECT_EQ(parsed.submission().linked_to_leaf(), first_leaf + 1);
  ASSERT_OK_AND_ASSIGN(SubmissionRecord rec,
                       d_->store().GetSubmission(more.id));
  ASSERT_TRUE(rec.linked_to_leaf.has_value());
  EXPECT_EQ(*rec.linked_to_leaf, first_leaf);

  // The status lists both.
  auto r = PostJson("/api/v1/contact/status", Proof(w, Challenge(w)));
  json sj = Body(r);
  ASSERT_EQ(sj["submissions"].size(), 2u);
  EXPECT_EQ(sj["submissions"][1]["submission_id"], more.id);

  // A follow-up with a wrong proof: 403, nothing stored.
  const Snapshot before = Take();
  const Submission third = NewSubmission("third");
  json proof = Proof(w, Challenge(w));
  proof["signature"] = std::string(128, '1');
  auto [s3, j3] = Send(third.file, {{"follow_up", proof}});
  EXPECT_EQ(s3, 403);
  EXPECT_EQ(j3["code"], "not_recognised");
  EXPECT_TRUE(Take() == before);
}

TEST_F(IntakeTest, RepliesReachTheWhistleblower) {
  const Whistleblower w = Whistleblower::New();
  const Submission s = NewSubmission("please reply");
  ASSERT_EQ(Send(s.file, {{"contact", w.Contact()}}).first, 200);
  const Submission silent = NewSubmission("no contact");
  ASSERT_EQ(Send(silent.file).first, 200);

  const testing::ConsortiumEditor* ed = c().FindEditor({2, 1});
  ASSERT_NE(ed, nullptr);
  ReplyOptions ro;
  ro.now_unix = kFixtureNow;
  ASSERT_OK_AND_ASSIGN(NewReply reply, MakeReply(c().roster(), ed->keys(), s.id,
                                                 w.keys.reply_recipient,
                                                 "Can you call us?", ro));
  v1::ReplyPost post;
  *post.mutable_statement() = reply.statement;
  post.set_ciphertext(AsString(reply.ciphertext));
  ASSERT_OK_AND_ASSIGN(v1::PostReply posted,
                       d_->PostReply(SignCall(ed->keys(), c().roster(),
                                              "PostReply", post, kFixtureNow)));
  // The leaf holds the statement, never the text or ciphertext.
  ASSERT_OK_AND_ASSIGN(Bytes raw, d_->store().LogLeaf(posted.leaf_index()));
  EXPECT_EQ(AsString(raw).find("Can you call us?"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(v1::LogLeaf leaf, quorum::ParseLogLeaf(raw));
  ASSERT_TRUE(leaf.has_reply());
  ASSERT_OK(VerifyReply(c().roster(), leaf.reply(), reply.ciphertext).status());

  auto r = PostJson("/api/v1/contact/status", Proof(w, Challenge(w)));
  json sj = Body(r);
  ASSERT_EQ(sj["replies"].size(), 1u);
  Bytes ct;
  ASSERT_OK(age::Base64DecodePaddedAppend(
      sj["replies"][0]["message"].get<std::string>(), &ct));
  ASSERT_OK_AND_ASSIGN(std::string text, DecryptReply(w.keys, ct));
  EXPECT_EQ(text, "Can you call us?");

  // No contact: refused with a clear message.
  ASSERT_OK_AND_ASSIGN(NewReply r2,
                       MakeReply(c().roster(), ed->keys(), silent.id,
                                 w.keys.reply_recipient, "hello?", ro));
  v1::ReplyPost post2;
  *post2.mutable_statement() = r2.statement;
  post2.set_ciphertext(AsString(r2.ciphertext));
  auto refused = d_->PostReply(
      SignCall(ed->keys(), c().roster(), "PostReply", post2, kFixtureNow));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("no contact key"),
            std::string::npos);
  // A tampered ciphertext does not match the signed hash.
  v1::ReplyPost tampered = post;
  std::string ctext = tampered.ciphertext();
  ctext.back() ^= 1;
  tampered.set_ciphertext(ctext);
  auto bad = d_->PostReply(
      SignCall(ed->keys(), c().roster(), "PostReply", tampered, kFixtureNow));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kUnauthenticated);

  // ListMessages shows the thread.
  v1::MessagesQuery q;
  ASSERT_OK_AND_ASSIGN(
      v1::MessageThreads threads,
      d_->ListMessages(
          SignCall(ed->keys(), c().roster(), "ListMessages", q, kFixtureNow)));
  ASSERT_EQ(threads.threads_size(), 1);
  EXPECT_EQ(threads.threads(0).first().submission_id(), s.id);
  EXPECT_TRUE(threads.threads(0).has_contact());
  EXPECT_EQ(threads.threads(0).reply_recipient(), w.keys.reply_recipient);
  ASSERT_EQ(threads.threads(0).replies_size(), 1);
}

TEST_F(IntakeTest, AnonymousWritesAreRateLimited) {
  StartServer(uint64_t{1} << 20, /*writes_per_minute=*/3);
  int limited = 0;
  for (int i = 0; i < 5; ++i) {
    auto r = PostJson("/api/v1/uploads", {{"size", 10}});
    json j = Body(r);
    if (r->status == 429) {
      EXPECT_EQ(j["code"], "rate_limited");
      ++limited;
    }
  }
  EXPECT_EQ(limited, 2);
  clock_ += 60;  // refilled
  EXPECT_EQ(PostJson("/api/v1/uploads", {{"size", 10}})->status, 201);
}

}  // namespace
}  // namespace conclave::daemon
