// The DKG file rounds (keyceremony/rounds.h) as the organisation reading an
// exchange directory sees them, against a fixed complete ceremony (data/
// rounds, written by fuzz_make_seeds: 3 organisations, t = 2, with
// participant keys and every endorsement). Input: [kind, slot, file bytes].
// kind 0 a round-1 file (LoadRound1Dir), 1 a round-2 file (LoadRound2Dir
// over the fixed transcript), 2 a finish file (AssembleRoster over the
// fixed messages and certificate). The file is written into a directory
// holding the fixed valid files of every other organisation (slot = m: of
// every organisation, the input is one file more).
// Properties: refusals are typed, never a crash; only what the
// organisations signed or certified is accepted (the accepted round-1
// messages and CertEq signatures are exactly the fixed ones: neither can be
// re-encoded); an assembled roster keeps Y and each X_o, and its editor
// verification shares are the evaluations of its editor commitments.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "base/file_util.h"
#include "conclave/v1/ceremony.pb.h"
#include "keyceremony/cocktail.h"
#include "keyceremony/rounds.h"
#include "shares/shamir.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_consortium.h"

using namespace conclave;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSuffixes[] = {keyceremony::kRound1Suffix,
                                          keyceremony::kRound2Suffix,
                                          keyceremony::kFinishSuffix};

bool Typed(const Status& s) {
  return s.ok() || s.code() == StatusCode::kInvalidArgument ||
         s.code() == StatusCode::kUnauthenticated ||
         s.code() == StatusCode::kFailedPrecondition ||
         s.code() == StatusCode::kNotFound;
}

std::string OrgFile(uint32_t o, int kind) {
  return "org" + std::to_string(o) + std::string(kSuffixes[kind]);
}

void WriteFile(const fs::path& path, const uint8_t* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data),
            static_cast<std::streamsize>(size));
  FUZZ_CHECK(out.good());
}

struct RoundsData {
  keyceremony::CheckedPlan plan;
  cocktail::Session session;
  std::vector<cocktail::Round1Message> messages;
  std::vector<Bytes> encoded_messages;
  Bytes transcript;
  std::vector<Bytes> certeq_signatures;
  Point consortium_key = Point::Infinity();
  std::vector<Point> verification_shares;  // X_o
  // work/k<kind>_s<slot>: the fixed files of kind `kind` of every
  // organisation but slot + 1 (slot = m: of all).
  fs::path work;
  fs::path drills;
};

// A scratch directory for this process, removed at exit.
fs::path MakeWorkDir() {
  std::error_code ec;
  fs::path base = "/dev/shm";  // tmpfs where there is one
  if (!fs::is_directory(base, ec) || ::access(base.c_str(), W_OK) != 0) {
    base = fs::temp_directory_path();
  }
  std::string tmpl = (base / "conclave-fuzz-rounds-XXXXXX").string();
  FUZZ_CHECK(::mkdtemp(tmpl.data()) != nullptr);
  static fs::path made = tmpl;
  std::atexit([] {
    std::error_code ignored;
    fs::remove_all(made, ignored);
  });
  return made;
}

const RoundsData& GetData() {
  static const RoundsData* d = [] {
    auto* out = new RoundsData;
    const fs::path data = fuzz::FuzzDataPath("rounds");
    StatusOr<Bytes> plan_bytes =
        ReadFileBytes(data / "plan", keyceremony::kMaxCeremonyFileSize);
    FUZZ_CHECK(plan_bytes.ok());
    v1::CeremonyPlan plan_msg;
    FUZZ_CHECK(plan_msg.ParseFromArray(plan_bytes->data(),
                                       static_cast<int>(plan_bytes->size())));
    auto plan = keyceremony::CheckPlan(plan_msg);
    FUZZ_CHECK(plan.ok());
    out->plan = std::move(*plan);
    auto session = keyceremony::PlanSession(out->plan);
    FUZZ_CHECK(session.ok());
    out->session = std::move(*session);
    auto messages = keyceremony::LoadRound1Dir(out->plan, out->session, data);
    FUZZ_CHECK(messages.ok());
    out->messages = std::move(*messages);
    for (const cocktail::Round1Message& m : out->messages) {
      out->encoded_messages.push_back(cocktail::EncodeRound1Message(m));
    }
    auto t = cocktail::Transcript(out->session, out->messages);
    FUZZ_CHECK(t.ok());
    out->transcript = std::move(*t);
    auto sigs = keyceremony::LoadRound2Dir(out->plan, out->session,
                                           out->transcript, data);
    FUZZ_CHECK(sigs.ok());
    out->certeq_signatures = std::move(*sigs);
    auto y = cocktail::GroupPublicKey(out->session, out->messages);
    FUZZ_CHECK(y.ok());
    out->consortium_key = *y;
    auto xs = cocktail::VerificationShares(out->session, out->messages);
    FUZZ_CHECK(xs.ok());
    out->verification_shares = std::move(*xs);

    out->work = MakeWorkDir();
    out->drills = out->work / "drills";
    const uint32_t m = out->session.n;
    for (int kind = 0; kind < 3; ++kind) {
      for (uint32_t slot = 0; slot <= m; ++slot) {
        const fs::path dir = out->work / ("k" + std::to_string(kind) + "_s" +
                                          std::to_string(slot));
        fs::create_directories(dir);
        for (uint32_t o = 1; o <= m; ++o) {
          if (o == slot + 1) continue;
          fs::copy_file(data / OrgFile(o, kind), dir / OrgFile(o, kind));
        }
      }
    }
    return out;
  }();
  return *d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const RoundsData& d = GetData();
  const uint32_t m = d.session.n;
  const int kind = data[0] % 3;
  const uint32_t slot = data[1] % (m + 1);
  const uint8_t* file = data + 2;
  const size_t file_size = size - 2;
  if (kind == 2) {
    // AssembleRoster re-verifies the whole DKG before it reads the finish
    // files: spend that only on inputs that could be one.
    v1::FinishFile f;
    if (!f.ParseFromArray(file, static_cast<int>(file_size))) return 0;
  }
  const fs::path dir =
      d.work / ("k" + std::to_string(kind) + "_s" + std::to_string(slot));
  const fs::path input =
      dir / (slot < m ? OrgFile(slot + 1, kind)
                      : "zz-extra" + std::string(kSuffixes[kind]));
  WriteFile(input, file, file_size);

  switch (kind) {
    case 0: {
      auto got = keyceremony::LoadRound1Dir(d.plan, d.session, dir);
      FUZZ_CHECK(Typed(got.status()));
      if (!got.ok()) break;
      FUZZ_CHECK(got->size() == m);
      for (uint32_t i = 0; i < m; ++i) {
        FUZZ_CHECK(cocktail::EncodeRound1Message((*got)[i]) ==
                   d.encoded_messages[i]);
      }
      break;
    }
    case 1: {
      auto got =
          keyceremony::LoadRound2Dir(d.plan, d.session, d.transcript, dir);
      FUZZ_CHECK(Typed(got.status()));
      if (got.ok()) FUZZ_CHECK(*got == d.certeq_signatures);
      break;
    }
    case 2: {
      std::error_code ec;
      fs::remove_all(d.drills, ec);
      fs::create_directory(d.drills);
      const std::vector<fs::path> dirs = {dir};
      auto got = keyceremony::AssembleRoster(
          d.plan, d.session, d.messages, d.certeq_signatures, dirs, d.drills);
      FUZZ_CHECK(Typed(got.status()));
      fs::remove_all(d.drills, ec);
      if (!got.ok()) break;
      v1::RosterBody body;
      FUZZ_CHECK(body.ParseFromString(got->roster.signed_()));
      FUZZ_CHECK(body.consortium_key() ==
                 AsString(d.consortium_key.EncodeCompressed()));
      FUZZ_CHECK(body.organisations_size() == static_cast<int>(m));
      for (const v1::RosterOrganisation& o : body.organisations()) {
        FUZZ_CHECK(
            o.verification_share() ==
            AsString(d.verification_shares[o.id() - 1].EncodeCompressed()));
        std::vector<Bytes> enc;
        for (const std::string& c : o.editor_commitments()) {
          enc.push_back(ToBytes(c));
        }
        auto cs = DecodeCommitments(enc, o.editor_threshold());
        FUZZ_CHECK(cs.ok());
        FUZZ_CHECK((*cs)[0] == d.verification_shares[o.id() - 1]);
        for (const v1::RosterEditor& e : o.editors()) {
          auto y = EvaluateCommitments(*cs, e.index());
          FUZZ_CHECK(y.ok());
          FUZZ_CHECK(e.verification_share() == AsString(y->EncodeCompressed()));
        }
      }
      break;
    }
  }
  std::error_code ec;
  fs::remove(input, ec);
  return 0;
}
