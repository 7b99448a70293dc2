// Quorum decryption (brief §5, issue 6; docs/performance.md):
//   (a) release on one editor's machine, the sealed identity and share
//       already opened (scrypt is a one-off per session and not counted):
//       - BM_ReleasePartial: everything ReleasePartial does — the checks
//         (roster, request and sender proof, log evidence: checkpoint and
//         cosignatures, Merkle proofs, every vote) and then the crypto — in
//         the 5-organisation consortium of brief §5 (and, Large, in the
//         13 × 2-of-2 one below);
//       - BM_CheckRelease: the checks alone;
//       - BM_ReleaseCrypto: the crypto alone — D = y·R with its DLEQ proof,
//         HPKE seal to the reply key, Ed25519 signature of the clear part —
//         and its three pieces. Target: < 1 ms.
//   (b) BM_CombineApprovals: the requester's combine over 26 approvals (each
//       signature, HPKE open and DLEQ proof verified, nested Lagrange, the
//       verification-share check). Two consortia with 26 approvals needed:
//       13 organisations × 2-of-2 editors, t = 13 (both Lagrange levels),
//       and 26 organisations × 1-of-1, t = 26. Target: < 50 ms.
//   (c) BM_DecryptSubmissionToFile: a 64 MiB submission opened with the
//       combined file key into a file (header check, MAC, STREAM, fsync,
//       rename), in $CONCLAVE_BENCH_DIR (or the temp dir) and in /dev/shm.
//
// The consortia come from tests/quorum_fixture (a simulated ceremony), so
// this benchmark is built only with the tests (CONCLAVE_BUILD_TESTS).
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/hash.h"
#include "crypto/random.h"
#include "quorum/approval.h"
#include "quorum/combine.h"
#include "quorum/release.h"
#include "tests/quorum_fixture.h"

namespace conclave::testing {
namespace {

namespace fs = std::filesystem;

constexpr size_t kDecryptSize = 64 << 20;

// A consortium with one request voted through by a quorum and released by
// every voter: what each benchmark starts from.
struct Scene {
  std::unique_ptr<Consortium> consortium;
  std::unique_ptr<Operator> op;
  Submission submission;
  QuorumRun run;
  std::vector<EditorRef> voters;
  std::vector<v1::Approval> approvals;
};

StatusOr<std::unique_ptr<Scene>> MakeScene(const ConsortiumOptions& options,
                                           std::vector<uint32_t> quorum_orgs,
                                           size_t plaintext_size) {
  auto scene = std::make_unique<Scene>();
  CONCLAVE_ASSIGN_OR_RETURN(scene->consortium, Consortium::Create(options));
  const Consortium& c = *scene->consortium;
  CONCLAVE_ASSIGN_OR_RETURN(scene->op, Operator::Create(c));
  Bytes plaintext(plaintext_size);
  FillRandom(plaintext);
  CONCLAVE_ASSIGN_OR_RETURN(scene->submission, c.Submit(plaintext));
  scene->voters = c.QuorumOf(quorum_orgs);
  CONCLAVE_ASSIGN_OR_RETURN(scene->run,
                            RequestAndVote(c, *scene->op, scene->voters.front(),
                                           scene->submission, scene->voters));
  CONCLAVE_ASSIGN_OR_RETURN(scene->approvals,
                            ReleaseAll(c, scene->run, scene->voters));
  return scene;
}

// Brief §5's example consortium: 5 organisations, t = 3, organisations 1
// and 2 with 3 editors of whom 2 are needed. Quorum: organisations 1, 3, 4.
const StatusOr<std::unique_ptr<Scene>>& FiveOrgScene() {
  static const auto* scene = new StatusOr<std::unique_ptr<Scene>>(
      MakeScene(ConsortiumOptions{}, {1, 3, 4}, 1000));
  return *scene;
}

// 26 approvals needed: shape 0 = 13 organisations × 2-of-2 editors, t = 13;
// shape 1 = 26 organisations × 1-of-1, t = 26.
const StatusOr<std::unique_ptr<Scene>>& TwentySixScene(int shape) {
  static StatusOr<std::unique_ptr<Scene>>* scenes[2] = {nullptr, nullptr};
  if (scenes[shape] == nullptr) {
    ConsortiumOptions options;
    options.orgs = shape == 0 ? 13 : 26;
    options.threshold = options.orgs;
    options.editors = shape == 0 ? "2:2" : "1:1";
    options.drill_files = 0;
    std::vector<uint32_t> all;
    for (uint32_t o = 1; o <= options.orgs; ++o) all.push_back(o);
    scenes[shape] =
        new StatusOr<std::unique_ptr<Scene>>(MakeScene(options, all, 1000));
  }
  return *scenes[shape];
}

// The release input of editor `who` in the scene.
quorum::ReleaseInput ReleaseInputFor(const Scene& s, EditorRef who) {
  const ConsortiumEditor* e = s.consortium->FindEditor(who);
  quorum::ReleaseInput input;
  input.roster = &s.consortium->roster();
  input.releaser = &e->keys();
  input.share = &e->share();
  input.request = &s.run.request.statement;
  input.evidence = &s.run.evidence;
  input.now_unix = kFixtureNow;
  return input;
}

#define BENCH_SCENE_OR_SKIP(var, expr)                         \
  const auto& var##_or = (expr);                               \
  if (!var##_or.ok()) {                                        \
    state.SkipWithError(var##_or.status().ToString().c_str()); \
    return;                                                    \
  }                                                            \
  const Scene& var = **var##_or

void BM_ReleasePartial(benchmark::State& state) {
  BENCH_SCENE_OR_SKIP(s, FiveOrgScene());
  const quorum::ReleaseInput input = ReleaseInputFor(s, {3, 1});
  for (auto _ : state) {
    StatusOr<quorum::Release> r = quorum::ReleasePartial(input);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(r->approval);
  }
  state.SetLabel("5 orgs t=3, 4 votes, 5 cosignatures");
}
BENCHMARK(BM_ReleasePartial)->Unit(benchmark::kMicrosecond);

// The same in the 13 × 2-of-2 consortium: the checks grow with the votes
// (26) and cosignatures (13) in the evidence.
void BM_ReleasePartialLarge(benchmark::State& state) {
  BENCH_SCENE_OR_SKIP(s, TwentySixScene(0));
  const quorum::ReleaseInput input = ReleaseInputFor(s, {1, 1});
  for (auto _ : state) {
    StatusOr<quorum::Release> r = quorum::ReleasePartial(input);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(r->approval);
  }
  state.SetLabel("13 orgs x 2-of-2 t=13, 26 votes, 13 cosignatures");
}
BENCHMARK(BM_ReleasePartialLarge)->Unit(benchmark::kMicrosecond);

void BM_CheckRelease(benchmark::State& state) {
  BENCH_SCENE_OR_SKIP(s, FiveOrgScene());
  const quorum::ReleaseInput input = ReleaseInputFor(s, {3, 1});
  for (auto _ : state) {
    StatusOr<quorum::ReleaseCheck> r = quorum::CheckRelease(input);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(r->checkpoint_size);
  }
}
BENCHMARK(BM_CheckRelease)->Unit(benchmark::kMicrosecond);

// What the release does after its checks, on already-decoded inputs.
struct CryptoInputs {
  Scalar y;
  Point y_oj = Point::Infinity();
  Point r = Point::Infinity();
  Point reply_pk = Point::Infinity();
  quorum::ApprovalAddress address;
  const quorum::EditorKeys* keys = nullptr;
  std::string header_hash;
};

StatusOr<CryptoInputs> MakeCryptoInputs(const Scene& s, EditorRef who) {
  const ConsortiumEditor* e = s.consortium->FindEditor(who);
  CryptoInputs in;
  CONCLAVE_ASSIGN_OR_RETURN(in.y,
                            Scalar::FromBytes(AsBytes(e->share().share())));
  CONCLAVE_ASSIGN_OR_RETURN(
      in.y_oj,
      Point::DecodeCompressed(AsBytes(e->share().verification_share())));
  const quorum::VerifiedRequest& req = s.run.verified;
  CONCLAVE_ASSIGN_OR_RETURN(
      in.r, Point::DecodeUncompressed(req.submission.p256tag.enc));
  in.reply_pk = req.reply_key;
  in.address.request_id = req.id;
  in.address.org_id = who.org_id;
  in.address.editor_index = who.editor_index;
  in.address.epoch = req.body.epoch();
  in.keys = &e->keys();
  in.header_hash = AsString(req.submission.header_hash);
  return in;
}

#define CRYPTO_INPUTS_OR_SKIP(var)                                   \
  BENCH_SCENE_OR_SKIP(scene, FiveOrgScene());                        \
  StatusOr<CryptoInputs> var##_or = MakeCryptoInputs(scene, {3, 1}); \
  if (!var##_or.ok()) {                                              \
    state.SkipWithError(var##_or.status().ToString().c_str());       \
    return;                                                          \
  }                                                                  \
  const CryptoInputs& var = *var##_or

// The clear part, signed, as ReleasePartial makes it.
v1::SignedStatement SignApproval(const CryptoInputs& in,
                                 const Bytes& ciphertext) {
  v1::ApprovalBody body;
  body.set_request_id(AsString(in.address.request_id));
  body.set_header_hash(in.header_hash);
  body.set_org_id(in.address.org_id);
  body.set_editor_index(in.address.editor_index);
  body.set_epoch(in.address.epoch);
  body.set_ciphertext_hash(AsString(Sha256(ciphertext)));
  body.set_created_unix(kFixtureNow);
  return quorum::SignStatement(quorum::kApprovalStatementDst,
                               ToBytes(body.SerializeAsString()), *in.keys);
}

void BM_ReleaseCrypto(benchmark::State& state) {
  CRYPTO_INPUTS_OR_SKIP(in);
  for (auto _ : state) {
    StatusOr<quorum::PartialDecryption> partial =
        quorum::ComputePartialDecryption(in.y, in.y_oj, in.r);
    if (!partial.ok()) {
      state.SkipWithError(partial.status().ToString().c_str());
      return;
    }
    StatusOr<Bytes> sealed =
        quorum::SealPartial(*partial, in.reply_pk, in.address);
    if (!sealed.ok()) {
      state.SkipWithError(sealed.status().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(SignApproval(in, *sealed));
  }
}
BENCHMARK(BM_ReleaseCrypto)->Unit(benchmark::kMicrosecond);

void BM_ComputePartialDecryption(benchmark::State& state) {
  CRYPTO_INPUTS_OR_SKIP(in);
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        quorum::ComputePartialDecryption(in.y, in.y_oj, in.r));
  }
}
BENCHMARK(BM_ComputePartialDecryption)->Unit(benchmark::kMicrosecond);

void BM_SealPartial(benchmark::State& state) {
  CRYPTO_INPUTS_OR_SKIP(in);
  StatusOr<quorum::PartialDecryption> partial =
      quorum::ComputePartialDecryption(in.y, in.y_oj, in.r);
  if (!partial.ok()) {
    state.SkipWithError(partial.status().ToString().c_str());
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        quorum::SealPartial(*partial, in.reply_pk, in.address));
  }
}
BENCHMARK(BM_SealPartial)->Unit(benchmark::kMicrosecond);

void BM_SignApproval(benchmark::State& state) {
  CRYPTO_INPUTS_OR_SKIP(in);
  const Bytes ciphertext(quorum::kApprovalCiphertextSize, 7);
  for (auto _ : state) {
    benchmark::DoNotOptimize(SignApproval(in, ciphertext));
  }
}
BENCHMARK(BM_SignApproval)->Unit(benchmark::kMicrosecond);

void BM_CombineApprovals(benchmark::State& state) {
  const int shape = static_cast<int>(state.range(0));
  BENCH_SCENE_OR_SKIP(s, TwentySixScene(shape));
  const ConsortiumEditor* requester =
      s.consortium->FindEditor(s.voters.front());
  for (auto _ : state) {
    StatusOr<quorum::Combined> combined = quorum::CombineApprovals(
        s.consortium->roster(), requester->keys(), s.run.verified, s.approvals);
    if (!combined.ok()) {
      state.SkipWithError(combined.status().ToString().c_str());
      return;
    }
    if (combined->report.used.size() != 26) {
      state.SkipWithError("combine did not use 26 approvals");
      return;
    }
    benchmark::DoNotOptimize(combined->file_key);
  }
  state.SetLabel(shape == 0 ? "26 approvals: 13 orgs x 2-of-2, t=13"
                            : "26 approvals: 26 orgs x 1-of-1, t=26");
  state.counters["approvals"] = static_cast<double>(s.approvals.size());
}
BENCHMARK(BM_CombineApprovals)
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The 64 MiB submission, its request and the combined file key.
struct DecryptScene {
  std::unique_ptr<Scene> scene;
  quorum::Combined combined;
};

const StatusOr<std::unique_ptr<DecryptScene>>& BigScene() {
  static const auto* d = new StatusOr<std::unique_ptr<DecryptScene>>(
      []() -> StatusOr<std::unique_ptr<DecryptScene>> {
        auto out = std::make_unique<DecryptScene>();
        CONCLAVE_ASSIGN_OR_RETURN(
            out->scene,
            MakeScene(ConsortiumOptions{}, {3, 4, 5}, kDecryptSize));
        const Scene& s = *out->scene;
        CONCLAVE_ASSIGN_OR_RETURN(
            out->combined, s.consortium->Combine(s.voters.front(),
                                                 s.run.verified, s.approvals));
        return out;
      }());
  return *d;
}

fs::path BenchDir(int where) {
  if (where == 1) return "/dev/shm";
  const char* env = getenv("CONCLAVE_BENCH_DIR");
  if (env != nullptr && *env != '\0') return env;
  return fs::temp_directory_path();
}

void BM_DecryptSubmissionToFile(benchmark::State& state) {
  const int where = static_cast<int>(state.range(0));
  const auto& d = BigScene();
  if (!d.ok()) {
    state.SkipWithError(d.status().ToString().c_str());
    return;
  }
  const Scene& s = *(*d)->scene;
  const fs::path dir = BenchDir(where);
  if (!fs::is_directory(dir)) {
    state.SkipWithError(("no directory " + dir.string()).c_str());
    return;
  }
  const fs::path in = dir / "quorum-bench-64MiB.age";
  const fs::path out = dir / "quorum-bench-64MiB.out";
  if (Status st = s.submission.WriteTo(in); !st.ok()) {
    state.SkipWithError(st.ToString().c_str());
    return;
  }
  for (auto _ : state) {
    Status st = quorum::DecryptSubmissionToFile(
        s.run.verified, (*d)->combined.file_key, in, out);
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      break;
    }
  }
  std::error_code ec;
  if (fs::file_size(out, ec) != kDecryptSize || ec) {
    state.SkipWithError("the decrypted file is missing or the wrong size");
  }
  fs::remove(in, ec);
  fs::remove(out, ec);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(kDecryptSize));
  state.SetLabel(where == 1 ? "/dev/shm" : dir.string());
}
BENCHMARK(BM_DecryptSubmissionToFile)
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace conclave::testing

BENCHMARK_MAIN();
