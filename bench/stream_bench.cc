// age STREAM throughput (docs/performance.md):
//   - BM_OpenSslChaChaPoly: one EVP context re-keyed per 64 KiB buffer, the
//     loop `openssl speed -evp chacha20-poly1305 -bytes 65536` runs;
//   - BM_SealChunkLoop: the single-threaded STREAM loop (StreamChunkCipher
//     per 64 KiB chunk, as each worker of the parallel pipeline runs it);
//   - BM_SealChunkFreshContext: the same through SealChunk;
//   - BM_StreamSequential: age/stream.h's EncryptPayload (with its copies);
//   - BM_StreamParallel{Encrypt,Decrypt}/threads: age/parallel_stream.h.
// All over 64 MiB in memory, output discarded.
//
// Also a tool mode for the side-by-side script (bench/age_side_by_side.sh):
//   stream_bench decrypt-x25519 KEYFILE FILE [THREADS]
// decrypts an age file made by the Debian `age` CLI for an X25519 recipient
// (the identity in KEYFILE, as age-keygen writes it) with the parallel STREAM
// decryptor, to stdout — the counterpart of `age -d -i KEYFILE FILE`.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "age/age.h"
#include "age/parallel_stream.h"
#include "age/x25519.h"
#include "crypto/random.h"

namespace conclave::age {
namespace {

constexpr size_t kInputSize = 64 << 20;

class NullWriter : public Writer {
 public:
  Status Write(ByteSpan data) override {
    benchmark::DoNotOptimize(data.data());
    return OkStatus();
  }
};

const Bytes& Input() {
  static const Bytes* b = [] {
    auto* v = new Bytes(kInputSize);
    FillRandom(*v);
    return v;
  }();
  return *b;
}

SecretBytes Key() { return SecretBytes::CopyFrom(Bytes(16, 9)); }

void BM_OpenSslChaChaPoly(benchmark::State& state) {
  Bytes key(32, 1), iv(12, 2), buf(kChunkSize + 16);
  FillRandom(buf);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(ctx, EVP_chacha20_poly1305(), nullptr, key.data(),
                     iv.data());
  for (auto _ : state) {
    int len = 0;
    EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, iv.data());
    EVP_EncryptUpdate(ctx, buf.data(), &len, buf.data(), kChunkSize);
    EVP_EncryptFinal_ex(ctx, buf.data() + kChunkSize, &len);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16,
                        buf.data() + kChunkSize);
    benchmark::DoNotOptimize(buf.data());
  }
  EVP_CIPHER_CTX_free(ctx);
  state.SetBytesProcessed(state.iterations() * kChunkSize);
}
BENCHMARK(BM_OpenSslChaChaPoly)->UseRealTime();

// The STREAM inner loop a worker runs: consecutive 64 KiB chunks sealed in
// place, each with its own nonce, through one reused OpenSSL context.
void BM_SealChunkLoop(benchmark::State& state) {
  auto key = DerivePayloadKey(Key(), Bytes(kPayloadNonceSize, 3));
  if (!key.ok()) std::abort();
  Bytes buf(kEncryptedChunkSize);
  FillRandom(buf);
  uint64_t counter = 0;
  StreamChunkCipher cipher;
  for (auto _ : state) {
    if (!cipher
             .Seal(*key, counter++, false, ByteSpan(buf).first(kChunkSize), buf)
             .ok()) {
      state.SkipWithError("failed");
    }
    benchmark::DoNotOptimize(buf.data());
  }
  state.SetBytesProcessed(state.iterations() * kChunkSize);
}
BENCHMARK(BM_SealChunkLoop)->UseRealTime();

// The same with age/stream.h's SealChunk (a fresh OpenSSL context per
// chunk), for comparison.
void BM_SealChunkFreshContext(benchmark::State& state) {
  auto key = DerivePayloadKey(Key(), Bytes(kPayloadNonceSize, 3));
  if (!key.ok()) std::abort();
  Bytes buf(kEncryptedChunkSize);
  FillRandom(buf);
  uint64_t counter = 0;
  for (auto _ : state) {
    if (!SealChunk(*key, counter++, false, ByteSpan(buf).first(kChunkSize), buf)
             .ok()) {
      state.SkipWithError("failed");
    }
    benchmark::DoNotOptimize(buf.data());
  }
  state.SetBytesProcessed(state.iterations() * kChunkSize);
}
BENCHMARK(BM_SealChunkFreshContext)->UseRealTime();

void BM_StreamSequential(benchmark::State& state) {
  const SecretBytes key = Key();
  for (auto _ : state) {
    MemoryReader in(Input());
    NullWriter out;
    if (!EncryptPayload(key, in, out).ok()) state.SkipWithError("failed");
  }
  state.SetBytesProcessed(state.iterations() * kInputSize);
}
BENCHMARK(BM_StreamSequential)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_StreamParallelEncrypt(benchmark::State& state) {
  const SecretBytes key = Key();
  ParallelStreamOptions o;
  o.threads = static_cast<unsigned>(state.range(0));
  if (state.range(1)) o.chunks_per_batch = state.range(1);
  for (auto _ : state) {
    MemoryReader in(Input());
    NullWriter out;
    if (!EncryptPayloadParallel(key, in, out, o).ok()) {
      state.SkipWithError("failed");
    }
  }
  state.SetBytesProcessed(state.iterations() * kInputSize);
}
BENCHMARK(BM_StreamParallelEncrypt)
    ->Args({1, 0})
    ->Args({2, 0})
    ->Args({2, 2})
    ->Args({2, 4})
    ->Args({2, 16})
    ->Args({2, 32})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_StreamParallelDecrypt(benchmark::State& state) {
  const SecretBytes key = Key();
  MemoryReader pin(Input());
  MemoryWriter sealed;
  if (!EncryptPayload(key, pin, sealed).ok()) std::abort();
  ParallelStreamOptions o;
  o.threads = static_cast<unsigned>(state.range(0));
  for (auto _ : state) {
    MemoryReader in(sealed.bytes());
    NullWriter out;
    if (!DecryptPayloadParallel(key, in, out, o).ok()) {
      state.SkipWithError("failed");
    }
  }
  state.SetBytesProcessed(state.iterations() * kInputSize);
}
BENCHMARK(BM_StreamParallelDecrypt)
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Tool mode: see the top of the file.
int DecryptX25519(const char* key_path, const char* file, unsigned threads) {
  std::ifstream kf(key_path);
  std::string line, secret;
  while (std::getline(kf, line)) {
    if (line.rfind("AGE-SECRET-KEY-1", 0) == 0) secret = line;
  }
  auto id = X25519Identity::Parse(secret);
  if (!id.ok()) {
    std::fprintf(stderr, "no X25519 identity in %s\n", key_path);
    return 1;
  }
  const int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::perror(file);
    return 3;
  }
  FdReader raw(fd);
  BufferedReader in(raw);
  FdWriter out(STDOUT_FILENO);
  const Identity* ids[] = {&*id};
  Status s = [&]() -> Status {
    CONCLAVE_ASSIGN_OR_RETURN(Header header, ReadHeader(in));
    CONCLAVE_ASSIGN_OR_RETURN(SecretBytes file_key, UnwrapHeader(header, ids));
    CONCLAVE_RETURN_IF_ERROR(VerifyHeaderMac(header, file_key));
    ParallelStreamOptions o;
    o.threads = threads;
    return DecryptPayloadParallel(file_key, in, out, o);
  }();
  close(fd);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 2;
  }
  return 0;
}

}  // namespace
}  // namespace conclave::age

int main(int argc, char** argv) {
  if (argc >= 4 && std::strcmp(argv[1], "decrypt-x25519") == 0) {
    const unsigned threads =
        argc >= 5 ? static_cast<unsigned>(std::atoi(argv[4])) : 0;
    return conclave::age::DecryptX25519(argv[2], argv[3], threads);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
