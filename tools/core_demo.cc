// conclave-core-demo: the cryptographic core of Conclave in one process.
//
// It plays every part of the protocol with the pieces that exist so far:
// a 3-of-5 consortium key split among organisations and their editors, a
// submission encrypted to it (by the real `conclave encrypt` when --conclave
// is given), validation, DLEQ-proven partial decryptions, and the requester's
// combination, which opens the file without ever rebuilding the private key.
//
// With --ceremony DIR the consortium is a real one: the output of
// `conclave-ceremony simulate` (COCKTAIL-DKG among the organisations), its
// roster verified and every editor's sealed share opened with the
// passphrase. Without it, an in-process trusted dealer stands in (the ctest
// smoke run). Nothing secret is written to disk by this program.
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
#include "keyceremony/roster.h"
#include "keyceremony/roster_members.h"
#include "sealed/passphrase.h"
#include "sealed/sealed_file.h"
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

struct Consortium {
  uint32_t t = 0;
  std::vector<Organisation> orgs;
  Point y = Point::Infinity();
  std::map<std::pair<uint32_t, uint32_t>, Editor> editors;
  std::optional<fs::path> roster;  // set when it came from a ceremony
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

// Demonstration dealer (no --ceremony): the key ceremony replaces this, so
// that x never exists anywhere.
Consortium DealtConsortium() {
  Step("1. The consortium: 5 member organisations, any 3 decide");
  std::printf(
      "   (a trusted dealer in this process; run `make demo` for the "
      "real key ceremony)\n");
  Consortium c;
  c.t = 3;
  c.orgs = {{1, "Daily Ledger", 2, 3},
            {2, "Rundfunk Nord", 2, 3},
            {3, "Open Archive", 1, 1},
            {4, "Field Notes", 1, 1},
            {5, "Civic Lab", 1, 1}};
  std::vector<uint32_t> org_ids;
  for (const auto& o : c.orgs) org_ids.push_back(o.id);
  Dealing consortium = Must(DealShares(Scalar::Random(), c.t, org_ids), "deal");
  c.y = consortium.commitments[0];
  for (size_t i = 0; i < c.orgs.size(); ++i) {
    const Organisation& o = c.orgs[i];
    std::vector<uint32_t> idx;
    for (uint32_t j = 1; j <= o.n; ++j) idx.push_back(j);
    Dealing split =
        Must(DealShares(consortium.shares[i].value, o.k, idx), "editor split");
    for (uint32_t j = 0; j < o.n; ++j) {
      c.editors.emplace(std::make_pair(o.id, j + 1),
                        Editor{o.id, j + 1, split.shares[j].value,
                               split.verification_shares[j].point});
    }
    std::printf("   org %u %-14s  %u of %u editors\n", o.id, o.name.c_str(),
                o.k, o.n);
  }
  return c;
}

// A real consortium: the roster is verified, then every editor's sealed
// share is opened and checked against it (brief §4: before any use).
Consortium CeremonyConsortium(const fs::path& ceremony,
                              const std::string& passphrase_file) {
  Step("1. The consortium from the key ceremony (COCKTAIL-DKG)");
  const fs::path roster_path = ceremony / "consortium.roster";
  const keyceremony::VerifiedRoster roster =
      Must(keyceremony::ReadRosterFile(roster_path), "roster");
  std::printf(
      "   roster %s verified: every editor signed it\n"
      "   fingerprint %s\n",
      roster_path.c_str(), HexEncode(roster.fingerprint).c_str());
  const SecretBytes passphrase =
      Must(ReadPassphraseFile(passphrase_file), "passphrase");
  Consortium c;
  c.t = roster.body.threshold();
  c.y = roster.consortium_key;
  c.roster = roster_path;
  for (const auto& org : roster.body.organisations()) {
    c.orgs.push_back(
        {org.id(), org.name(), org.editor_threshold(), org.editor_count()});
    for (const auto& editor : org.editors()) {
      const fs::path share_path =
          ceremony / ("org" + std::to_string(org.id())) /
          ("editor" + std::to_string(editor.index())) / "share.age";
      OpenedSecret opened =
          Must(ReadSealedFile(share_path, passphrase), share_path.string());
      const v1::EditorShare& share = opened.message().editor_share();
      Must(keyceremony::CheckEditorShare(share, roster), share_path.string());
      Editor e{org.id(), editor.index(),
               Must(Scalar::FromBytes(AsBytes(share.share())), "share"),
               Must(Point::Decode(AsBytes(share.verification_share())),
                    "verification share")};
      c.editors.emplace(std::make_pair(org.id(), editor.index()), std::move(e));
    }
    std::printf("   org %u %-16s %u of %u editors, shares opened and checked\n",
                org.id(), org.name().c_str(), org.editor_threshold(),
                org.editor_count());
  }
  std::printf("   any %u of %zu organisations decide\n", c.t, c.orgs.size());
  return c;
}

int Main(int argc, char** argv) {
  fs::path dir = "build/demo";
  std::string conclave_bin;
  fs::path ceremony_dir;
  std::string passphrase_file;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (a == "--conclave" && i + 1 < argc) {
      conclave_bin = argv[++i];
    } else if (a == "--ceremony" && i + 1 < argc) {
      ceremony_dir = argv[++i];
    } else if (a == "--passphrase-file" && i + 1 < argc) {
      passphrase_file = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: conclave-core-demo [--dir DIR] [--conclave BIN]\n"
                   "         [--ceremony CDIR --passphrase-file F]\n"
                   "  DIR   where the demo writes consortium.pub, the leak and "
                   "the submission\n  BIN   the conclave program, to encrypt "
                   "and inspect with the real CLI\n  CDIR  the output of "
                   "`conclave-ceremony simulate` (its shares open with F)\n");
      return 2;
    }
  }
  if (ceremony_dir.empty() != passphrase_file.empty()) {
    std::fprintf(stderr,
                 "core-demo: --ceremony and --passphrase-file go together\n");
    return 2;
  }
  fs::create_directories(dir);

  // ---------------------------------------------------------------- 1
  Consortium c = ceremony_dir.empty()
                     ? DealtConsortium()
                     : CeremonyConsortium(ceremony_dir, passphrase_file);
  const uint32_t t = c.t;
  const Point& y = c.y;
  auto& editors = c.editors;
  OrgThresholds org_thresholds;
  for (const auto& o : c.orgs) org_thresholds[o.id] = o.k;
  const uint32_t m = static_cast<uint32_t>(c.orgs.size());
  const std::string recipient = age::EncodeP256TagRecipient(y);
  const fs::path pub = dir / "consortium.pub";
  std::ofstream(pub) << recipient << "\n";
  std::printf("   consortium key Y: %s\n   written to %s\n", recipient.c_str(),
              pub.c_str());

  // ---------------------------------------------------------------- 2
  if (m < 4 || c.t > m - 2) {
    Die("demo", InvalidArgumentError("the demo needs m >= 4 organisations "
                                     "and t <= m - 2 (one excluded, one bad)"));
  }
  const Organisation& excluded = c.orgs.back();
  const uint32_t corrupted_org = c.orgs[2].id;
  std::printf(
      "\n== 2. A whistleblower encrypts a leak, excluding org %u "
      "(%s)\n",
      excluded.id, excluded.name.c_str());
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
    // With a roster the whistleblower's tool checks it, names the
    // organisations and enforces the m - t limit.
    const std::vector<std::string> key_args =
        c.roster ? std::vector<std::string>{"--roster", c.roster->string()}
                 : std::vector<std::string>{"--to", pub.string()};
    std::vector<std::string> encrypt = {conclave_bin, "encrypt"};
    encrypt.insert(encrypt.end(), key_args.begin(), key_args.end());
    encrypt.insert(
        encrypt.end(),
        {"--exclude", c.roster ? excluded.name : std::to_string(excluded.id),
         "-o", submission.string(), leak.string()});
    if (Run(encrypt) != 0) Die("conclave encrypt", InternalError("failed"));
    std::vector<std::string> inspect = {conclave_bin, "inspect",
                                        submission.string()};
    inspect.insert(inspect.end(), key_args.begin(), key_args.end());
    Run(inspect);
  } else {
    auto r =
        Must(age::SubmissionRecipient::Create(y, {excluded.id}), "recipient");
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
      Must(age::ValidateSubmission(header, y, {.max_exclusions = m - t}),
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
  // In each organisation its last k_o editors release.
  std::vector<std::pair<uint32_t, uint32_t>> releasing;
  for (const Organisation& o : c.orgs) {
    for (uint32_t j = o.n - o.k + 1; j <= o.n; ++j)
      releasing.push_back({o.id, j});
  }
  std::vector<Partial> partials;
  for (auto [o, j] : releasing) {
    const Editor& e = editors.at({o, j});
    Partial p{o, j, enc.Mul(e.share)};
    if (o == corrupted_org) {
      // This organisation's editor has a corrupted share file: D is wrong,
      // and so is any proof it can make.
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
                o == corrupted_org ? "  (from a corrupted share file)" : "");
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
  // The first t organisations with verified partials form the quorum.
  std::vector<uint32_t> quorum;
  for (const NestedPoint& p : good_d) {
    if (quorum.size() < t &&
        std::find(quorum.begin(), quorum.end(), p.org_id) == quorum.end()) {
      quorum.push_back(p.org_id);
    }
  }
  auto in_quorum = [&](const std::vector<NestedPoint>& all, size_t orgs) {
    std::vector<NestedPoint> out;
    for (const NestedPoint& p : all) {
      if (std::find(quorum.begin(), quorum.begin() + orgs, p.org_id) !=
          quorum.begin() + orgs) {
        out.push_back(p);
      }
    }
    return out;
  };
  std::string quorum_names;
  for (size_t i = 0; i < quorum.size(); ++i) {
    quorum_names += (i ? ", " : "") + std::to_string(quorum[i]);
  }
  // The same coefficients must map the verification shares to Y.
  const Point y_check = Must(
      NestedInterpolatePointsAtZero(in_quorum(good_y, t), t, org_thresholds),
      "quorum");
  if (y_check != y) {
    Die("combine", InternalError("coefficients do not map to Y"));
  }
  const Point s = Must(
      NestedInterpolatePointsAtZero(in_quorum(good_d, t), t, org_thresholds),
      "combine");
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
  std::printf("   orgs %s opened it: %s (%s the original)\n",
              quorum_names.c_str(), out_path.c_str(),
              same ? "identical to" : "DIFFERENT FROM");
  if (!same) return 1;

  // ---------------------------------------------------------------- 6
  std::printf("\n== 6. %u organisations alone cannot\n", t - 1);
  const std::vector<NestedPoint> two = in_quorum(good_d, t - 1);
  auto refused = NestedInterpolatePointsAtZero(two, t, org_thresholds);
  std::printf("   combine without org %u: %s\n", quorum.back(),
              refused.ok() ? "accepted?!" : refused.status().message().c_str());
  const Point wrong = Must(NestedInterpolatePointsAtZero(two), "interpolate");
  auto opened = age::UnwrapP256TagWithDhPoint(info.p256tag, y, wrong);
  std::printf("   forcing it anyway: %s\n",
              opened.ok() ? "OPENED?!" : opened.status().message().c_str());
  if (refused.ok() || opened.ok()) return 1;

  std::printf(
      "\nThe consortium private key was never rebuilt. Coming next: signed\n"
      "requests and votes through the audit log, and the daemon (see the "
      "issues).\n");
  return 0;
}

}  // namespace
}  // namespace conclave

int main(int argc, char** argv) { return conclave::Main(argc, argv); }
