// Micro-benchmarks of the cryptographic primitives Conclave's protocol costs
// are made of (docs/performance.md reads these numbers).
#include <benchmark/benchmark.h>

#include <vector>

#include "crypto/aead.h"
#include "crypto/dleq.h"
#include "crypto/ed25519.h"
#include "crypto/hash_to_field.h"
#include "crypto/p256.h"
#include "crypto/random.h"
#include "crypto/sender_proof.h"

namespace conclave {
namespace {

void BM_PointBaseMul(benchmark::State& state) {
  const Scalar k = Scalar::Random();
  for (auto _ : state) benchmark::DoNotOptimize(Point::BaseMul(k));
}
BENCHMARK(BM_PointBaseMul);

void BM_PointMul(benchmark::State& state) {
  const Scalar k = Scalar::Random();
  const Point p = Point::BaseMul(Scalar::Random());
  for (auto _ : state) benchmark::DoNotOptimize(p.Mul(k));
}
BENCHMARK(BM_PointMul);

void BM_PointMulAddPublic(benchmark::State& state) {
  const Scalar a = Scalar::Random();
  const Scalar b = Scalar::Random();
  const Point p = Point::BaseMul(Scalar::Random());
  for (auto _ : state) benchmark::DoNotOptimize(Point::MulAddPublic(a, p, b));
}
BENCHMARK(BM_PointMulAddPublic);

void BM_ScalarMul(benchmark::State& state) {
  const Scalar a = Scalar::Random();
  const Scalar b = Scalar::Random();
  for (auto _ : state) benchmark::DoNotOptimize(a * b);
}
BENCHMARK(BM_ScalarMul);

void BM_ScalarInverse(benchmark::State& state) {
  const Scalar a = Scalar::Random();
  for (auto _ : state) benchmark::DoNotOptimize(a.Inverse());
}
BENCHMARK(BM_ScalarInverse);

void BM_HashToScalar(benchmark::State& state) {
  const Bytes msg(state.range(0), 0xab);
  for (auto _ : state) {
    benchmark::DoNotOptimize(HashToScalar(msg, AsBytes("conclave/v1/bench")));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_HashToScalar)->Arg(64)->Arg(1024);

// One partial decryption: D = y·R, proven against Y_oj = y·G.
struct DleqFixture {
  Scalar y = Scalar::Random();
  Point y_pub = Point::BaseMul(y);
  std::vector<Point> c{Point::BaseMul(Scalar::Random())};
  std::vector<Point> d{c[0].Mul(y)};
};

void BM_DleqProve(benchmark::State& state) {
  DleqFixture f;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        GenerateDleqProof(AsBytes(kPartialDecryptionContext), f.y,
                          Point::Generator(), f.y_pub, f.c, f.d));
  }
}
BENCHMARK(BM_DleqProve);

void BM_DleqVerify(benchmark::State& state) {
  DleqFixture f;
  const DleqProof proof =
      *GenerateDleqProof(AsBytes(kPartialDecryptionContext), f.y,
                         Point::Generator(), f.y_pub, f.c, f.d);
  for (auto _ : state) {
    Status s = VerifyDleqProof(AsBytes(kPartialDecryptionContext),
                               Point::Generator(), f.y_pub, f.c, f.d, proof);
    if (!s.ok()) state.SkipWithError("DLEQ proof did not verify");
  }
}
BENCHMARK(BM_DleqVerify);

struct SenderFixture {
  Scalar r = Scalar::Random();
  UncompressedPoint enc = Point::BaseMul(r).EncodeUncompressed();
  Point y = Point::BaseMul(Scalar::Random());
  Bytes tag = Bytes(kP256TagSize, 0x01);
  Bytes body = Bytes(kP256TagBodySize, 0x02);
  std::vector<uint32_t> orgs{2, 5};
};

void BM_SenderProofProve(benchmark::State& state) {
  SenderFixture f;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ProveSender(SenderProofKind::kSender, f.r, f.enc,
                                         f.y, f.tag, f.body, f.orgs));
  }
}
BENCHMARK(BM_SenderProofProve);

void BM_SenderProofVerify(benchmark::State& state) {
  SenderFixture f;
  const SenderProof proof = *ProveSender(SenderProofKind::kSender, f.r, f.enc,
                                         f.y, f.tag, f.body, f.orgs);
  for (auto _ : state) {
    Status s = VerifySenderProof(SenderProofKind::kSender, f.enc, f.y, f.tag,
                                 f.body, f.orgs, proof);
    if (!s.ok()) state.SkipWithError("sender proof did not verify");
  }
}
BENCHMARK(BM_SenderProofVerify);

void BM_Ed25519Sign(benchmark::State& state) {
  const Ed25519PrivateKey key = Ed25519PrivateKey::Generate();
  const Bytes msg(256, 0x33);
  for (auto _ : state) benchmark::DoNotOptimize(key.Sign(msg));
}
BENCHMARK(BM_Ed25519Sign);

void BM_Ed25519Verify(benchmark::State& state) {
  const Ed25519PrivateKey key = Ed25519PrivateKey::Generate();
  const Bytes msg(256, 0x33);
  const Ed25519Signature sig = key.Sign(msg);
  for (auto _ : state) {
    Status s = Ed25519Verify(key.public_key(), msg, sig);
    if (!s.ok()) state.SkipWithError("signature did not verify");
  }
}
BENCHMARK(BM_Ed25519Verify);

void BM_ChaCha20Poly1305Seal64KiB(benchmark::State& state) {
  const SecretBytes key = RandomBytes(32);
  const Bytes nonce(kAeadNonceSize, 0);
  const Bytes plaintext(64 * 1024, 0x5a);
  std::vector<uint8_t> out(plaintext.size() + kAeadTagSize);
  for (auto _ : state) {
    Status s = AeadSealTo(AeadAlgorithm::kChaCha20Poly1305, key.span(), nonce,
                          {}, plaintext, out);
    if (!s.ok()) state.SkipWithError("seal failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * plaintext.size());
}
BENCHMARK(BM_ChaCha20Poly1305Seal64KiB);

}  // namespace
}  // namespace conclave
