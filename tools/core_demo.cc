// conclave-core-demo: the cryptographic core of Conclave in one process.
//
// It plays every part of the protocol with the pieces that exist so far:
// a 3-of-5 consortium key split among organisations and their editors, a
// submission encrypted to it (by the real `conclave encrypt` when --conclave
// is given), validation, DLEQ-proven partial decryptions, and the requester's
// combination, which opens the file without ever rebuilding the private key.
//
// The key here comes from an in-process trusted dealer, which is a
// demonstration shortcut: the key ceremony (COCKTAIL-DKG among the
// organisations) replaces it. Nothing secret is written to disk.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "age/age.h"
#include "age/io.h"
#include "age/p256tag.h"
#include "age/submission.h"
#include "crypto/dleq.h"
#include "crypto/hash.h"
#include "shares/shamir.h"

extern char** environ;

namespace conclave {
namespace {

namespace fs = std::filesystem;

struct Editor {
  uint32_t org;
  uint32_t index;
  Scalar share;                                  // y_oj
  Point verification_share = Point::Infinity();  // Y_oj
};

struct Organisation {
  uint32_t id;
  std::string name;
  uint32_t k;
  uint32_t n;
};

void Step(const char* title) { std::printf("\n== %s\n", title); }

[[noreturn]] void Die(const std::string& what, const Status& s) {
  std::fprintf(stderr, "core-demo: %s: %s\n", what.c_str(),
               s.ToString().c_str());
  std::exit(1);
}

template <typename T>
T Must(StatusOr<T> v, const std::string& what) {
  if (!v.ok()) Die(what, v.status());
  return *std::move(v);
}

void Must(const Status& s, const std::string& what) {
  if (!s.ok()) Die(what, s);
}

int Run(const std::vector<std::string>& args) {
  std::printf("   $");
  std::vector<char*> argv;
  for (const std::string& a : args) {
    std::printf(" %s", a.c_str());
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  std::printf("\n");
  std::fflush(stdout);
  argv.push_back(nullptr);
  pid_t pid;
  if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
    return -1;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string Short(ByteSpan b) { return HexEncode(b.first(8)) + "…"; }

int Main(int argc, char** argv) {
  fs::path dir = "build/demo";
  std::string conclave_bin;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (a == "--conclave" && i + 1 < argc) {
      conclave_bin = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: conclave-core-demo [--dir DIR] [--conclave BIN]\n"
                   "  DIR  where the demo writes consortium.pub, the leak and "
                   "the submission\n  BIN  the conclave program, to encrypt "
                   "and inspect with the real CLI\n");
      return 2;
    }
  }
  fs::create_directories(dir);

  // ---------------------------------------------------------------- 1
  Step("1. The consortium: 5 member organisations, any 3 decide");
  const uint32_t t = 3;
  const std::vector<Organisation> orgs = {{1, "Daily Ledger", 2, 3},
                                          {2, "Rundfunk Nord", 2, 3},
                                          {3, "Open Archive", 1, 1},
                                          {4, "Field Notes", 1, 1},
                                          {5, "Civic Lab", 1, 1}};
  std::vector<uint32_t> org_ids;
  for (const auto& o : orgs) org_ids.push_back(o.id);

  // Demonstration dealer: the key ceremony (COCKTAIL-DKG) replaces this, so
  // that x never exists anywhere.
  Dealing consortium = Must(DealShares(Scalar::Random(), t, org_ids), "deal");
  const Point y = consortium.commitments[0];
  std::map<std::pair<uint32_t, uint32_t>, Editor> editors;
  OrgThresholds org_thresholds;
  for (size_t i = 0; i < orgs.size(); ++i) {
    const Organisation& o = orgs[i];
    org_thresholds[o.id] = o.k;
    Must(VerifyShare(consortium.commitments, t, consortium.shares[i]),
         "Feldman check of an organisation share");
    std::vector<uint32_t> idx;
    for (uint32_t j = 1; j <= o.n; ++j) idx.push_back(j);
    Dealing split =
        Must(DealShares(consortium.shares[i].value, o.k, idx), "editor split");
    // C^o_0 = X_o: the editors' split commits to the organisation's share.
    if (split.commitments[0] != consortium.verification_shares[i].point) {
      Die("editor split", InternalError("C^o_0 != X_o"));
    }
    for (uint32_t j = 0; j < o.n; ++j) {
      Must(VerifyShare(split.commitments, o.k, split.shares[j]),
           "Feldman check of an editor share");
      editors.emplace(std::make_pair(o.id, j + 1),
                      Editor{o.id, j + 1, split.shares[j].value,
                             split.verification_shares[j].point});
    }
    std::printf(
        "   org %u %-14s  %u of %u editors   X_o = %s\n", o.id, o.name.c_str(),
        o.k, o.n,
        Short(consortium.verification_shares[i].point.EncodeCompressed())
            .c_str());
  }
  consortium.shares.clear();  // the dealer forgets everything
  const std::string recipient = age::EncodeP256TagRecipient(y);
  const fs::path pub = dir / "consortium.pub";
  std::ofstream(pub) << recipient << "\n";
  std::printf("   consortium key Y: %s\n   written to %s\n", recipient.c_str(),
              pub.c_str());

  // ---------------------------------------------------------------- 2
  Step("2. A whistleblower encrypts a leak, excluding org 5");
  const fs::path leak = dir / "leak.txt";
  const fs::path submission = dir / "submission.age";
  {
    std::ofstream out(leak);
    out << "Internal memo, 3 March: the safety report was rewritten "
           "before the audit.\n";
    for (int i = 0; i < 2000; ++i) out << "appendix line " << i << "\n";
  }
  fs::remove(submission);
  if (!conclave_bin.empty()) {
    if (Run({conclave_bin, "encrypt", "--to", pub.string(), "--exclude", "5",
             "-o", submission.string(), leak.string()}) != 0) {
      Die("conclave encrypt", InternalError("failed"));
    }
    Run({conclave_bin, "inspect", submission.string(), "--to", pub.string()});
  } else {
    auto r = Must(age::SubmissionRecipient::Create(y, {5}), "recipient");
    const age::Recipient* rs[] = {&r};
    int in_fd = ::open(leak.c_str(), O_RDONLY | O_CLOEXEC);
    int out_fd = ::open(submission.c_str(),
                        O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    age::FdReader in(in_fd);
    age::FdWriter out(out_fd);
    Must(age::Encrypt(rs, in, out), "encrypt");
    ::close(in_fd);
    ::close(out_fd);
  }
  std::printf("   %s: %ju bytes\n", submission.c_str(),
              static_cast<uintmax_t>(fs::file_size(submission)));

  // ---------------------------------------------------------------- 3
  Step("3. Intake validates it (sender proof, tag, exclusions <= m - t)");
  age::Header header;
  {
    int fd = ::open(submission.c_str(), O_RDONLY | O_CLOEXEC);
    age::FdReader in(fd);
    header = Must(age::ReadAgeFileHeader(in), "read header");
    ::close(fd);
  }
  const age::SubmissionInfo info =
      Must(age::ValidateSubmission(header, y, {.max_exclusions = 5 - t}),
           "validate");
  std::printf("   submission id %s\n   excluded organisations:",
              info.id.c_str());
  for (uint32_t o : info.excluded_orgs) std::printf(" %u", o);
  std::printf("\n   sender proof verifies: yes\n");
  const Point enc =
      Must(Point::DecodeUncompressed(info.p256tag.enc), "decode enc");

  // ---------------------------------------------------------------- 4
  Step("4. Editors release DLEQ-proven partial decryptions D = y_oj * enc");
  struct Partial {
    uint32_t org, editor;
    Point d = Point::Infinity();
    DleqProof proof{};
  };
  const std::vector<std::pair<uint32_t, uint32_t>> releasing = {
      {1, 1}, {1, 3}, {2, 2}, {2, 3}, {3, 1}, {4, 1}, {5, 1}};
  std::vector<Partial> partials;
  for (auto [o, j] : releasing) {
    const Editor& e = editors.at({o, j});
    Partial p{o, j, enc.Mul(e.share)};
    if (o == 3) {
      // Org 3's editor has a corrupted share file: D is wrong, and so is
      // any proof it can make.
      p.d = enc.Mul(e.share + Scalar::FromUint64(1));
    }
    const Point cs[] = {enc}, ds[] = {enc.Mul(e.share)};
    p.proof = Must(
        GenerateDleqProof(AsBytes(kPartialDecryptionContext), e.share,
                          Point::Generator(), e.verification_share, cs, ds),
        "DLEQ proof");
    partials.push_back(p);
    std::printf("   org %u editor %u released D = %s with its proof%s\n", o, j,
                Short(p.d.EncodeCompressed()).c_str(),
                o == 3 ? "  (from a corrupted share file)" : "");
  }

  // ---------------------------------------------------------------- 5
  Step("5. The requester verifies every partial and combines a quorum");
  std::vector<NestedPoint> good_d, good_y;
  for (const Partial& p : partials) {
    if (std::find(info.excluded_orgs.begin(), info.excluded_orgs.end(),
                  p.org) != info.excluded_orgs.end()) {
      std::printf(
          "   org %u editor %u: refused, organisation excluded by "
          "the whistleblower\n",
          p.org, p.editor);
      continue;
    }
    const Editor& e = editors.at({p.org, p.editor});
    const Point cs[] = {enc}, ds[] = {p.d};
    Status s =
        VerifyDleqProof(AsBytes(kPartialDecryptionContext), Point::Generator(),
                        e.verification_share, cs, ds, p.proof);
    if (!s.ok()) {
      std::printf("   org %u editor %u: BAD PARTIAL, dropped (%s)\n", p.org,
                  p.editor, s.message().c_str());
      continue;
    }
    std::printf("   org %u editor %u: partial verified\n", p.org, p.editor);
    good_d.push_back({p.org, p.editor, p.d});
    good_y.push_back({p.org, p.editor, e.verification_share});
  }
  // Orgs 1, 2, 4 with k_o editors each form the quorum.
  const Point y_check =
      Must(NestedInterpolatePointsAtZero(good_y, t, org_thresholds), "quorum");
  if (y_check != y)
    Die("combine", InternalError("coefficients do not map to Y"));
  const Point s =
      Must(NestedInterpolatePointsAtZero(good_d, t, org_thresholds), "combine");
  const SecretBytes file_key = Must(
      age::UnwrapP256TagWithDhPoint(info.p256tag, y, s), "unwrap file key");
  const fs::path out_path = dir / "leak.decrypted";
  const fs::path tmp_path = dir / ".leak.decrypted.partial";
  {
    int in_fd = ::open(submission.c_str(), O_RDONLY | O_CLOEXEC);
    int out_fd = ::open(tmp_path.c_str(),
                        O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    age::FdReader in(in_fd);
    age::FdWriter out(out_fd);
    Status st = age::DecryptWithFileKey(in, out, file_key);
    ::fsync(out_fd);
    ::close(in_fd);
    ::close(out_fd);
    if (!st.ok()) {
      fs::remove(tmp_path);
      Die("decrypt", st);
    }
    fs::rename(tmp_path, out_path);  // only after the last chunk verified
  }
  std::ifstream a(leak, std::ios::binary), b(out_path, std::ios::binary);
  const bool same = std::equal(std::istreambuf_iterator<char>(a), {},
                               std::istreambuf_iterator<char>(b), {});
  std::printf("   orgs 1, 2, 4 opened it: %s (%s the original)\n",
              out_path.c_str(), same ? "identical to" : "DIFFERENT FROM");
  if (!same) return 1;

  // ---------------------------------------------------------------- 6
  Step("6. Two organisations alone cannot");
  std::vector<NestedPoint> two;
  for (const NestedPoint& p : good_d) {
    if (p.org_id != 4) two.push_back(p);
  }
  auto refused = NestedInterpolatePointsAtZero(two, t, org_thresholds);
  std::printf("   combine with orgs 1, 2: %s\n",
              refused.ok() ? "accepted?!" : refused.status().message().c_str());
  const Point wrong = Must(NestedInterpolatePointsAtZero(two), "interpolate");
  auto opened = age::UnwrapP256TagWithDhPoint(info.p256tag, y, wrong);
  std::printf("   forcing it anyway: %s\n",
              opened.ok() ? "OPENED?!" : opened.status().message().c_str());
  if (refused.ok() || opened.ok()) return 1;

  std::printf(
      "\nThe consortium private key was never rebuilt. Coming next: the key\n"
      "ceremony, signed requests and votes, and the audit log (see the "
      "issues).\n");
  return 0;
}

}  // namespace
}  // namespace conclave

int main(int argc, char** argv) { return conclave::Main(argc, argv); }
