// Test-only command-line bridge between the project's C++ age/submission
// code and the JavaScript interop tests (tests/interop/*.test.mjs). Not
// installed and not a product: it takes private keys on the command line.
//
//   age_interop_tool recipient --secret-key-hex HEX
//   age_interop_tool encrypt --to RECIPIENT [--exclude ORG]... [--drill]
//                    [--plain] [--armor] [-o OUT] [IN]
//   age_interop_tool validate FILE --to RECIPIENT [--allow-drill]
//                    [--max-exclusions N]
//   age_interop_tool inspect FILE [--to RECIPIENT]
//   age_interop_tool decrypt FILE --secret-key-hex HEX [--skip-validation]
//                    [-o OUT]
//
// validate and inspect print one JSON object on stdout. decrypt takes the
// threshold path: the DH point x·enc is combined from two additive partials
// (x = x1 + x2) and the file key unwrapped with UnwrapP256TagWithDhPoint,
// then the header MAC and payload are verified by DecryptWithFileKey.
// Exit codes: 0 success, 1 usage, 2 the file was refused or failed.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "age/age.h"
#include "age/p256tag.h"
#include "age/submission.h"
#include "base/bytes.h"

namespace conclave::age {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitUsage = 1;
constexpr int kExitRefused = 2;

struct Args {
  std::string command;
  std::vector<std::string> positional;
  std::optional<std::string> to, secret_key_hex, output, max_exclusions;
  std::vector<std::string> exclude;
  bool drill = false, plain = false, armor = false, allow_drill = false,
       skip_validation = false;
};

int Fail(int code, std::string_view what, const Status& s) {
  std::cerr << "age_interop_tool: " << what << ": " << s.ToString() << "\n";
  return code;
}

int Usage(std::string_view message) {
  std::cerr << "age_interop_tool: " << message
            << "\nusage: age_interop_tool "
               "recipient|encrypt|validate|inspect|decrypt ... "
               "(see tests/interop/age_interop_tool.cc)\n";
  return kExitUsage;
}

std::optional<Args> ParseArgs(int argc, char** argv) {
  if (argc < 2) return std::nullopt;
  Args a;
  a.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](std::optional<std::string>& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    bool ok = true;
    if (arg == "--to") {
      ok = value(a.to);
    } else if (arg == "--secret-key-hex") {
      ok = value(a.secret_key_hex);
    } else if (arg == "-o") {
      ok = value(a.output);
    } else if (arg == "--max-exclusions") {
      ok = value(a.max_exclusions);
    } else if (arg == "--exclude") {
      std::optional<std::string> v;
      ok = value(v);
      if (ok) a.exclude.push_back(*v);
    } else if (arg == "--drill") {
      a.drill = true;
    } else if (arg == "--plain") {
      a.plain = true;
    } else if (arg == "--armor") {
      a.armor = true;
    } else if (arg == "--allow-drill") {
      a.allow_drill = true;
    } else if (arg == "--skip-validation") {
      a.skip_validation = true;
    } else if (arg.starts_with("-") && arg != "-") {
      return std::nullopt;
    } else {
      a.positional.emplace_back(arg);
    }
    if (!ok) return std::nullopt;
  }
  return a;
}

StatusOr<Bytes> ReadInput(const std::string& path) {
  if (path == "-") {
    Bytes out((std::istreambuf_iterator<char>(std::cin)),
              std::istreambuf_iterator<char>());
    return out;
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status(StatusCode::kUnavailable, "cannot open " + path);
  Bytes out((std::istreambuf_iterator<char>(f)),
            std::istreambuf_iterator<char>());
  if (f.bad()) return Status(StatusCode::kUnavailable, "cannot read " + path);
  return out;
}

// Runs `body` with a Writer on -o OUT (created 0600) or stdout.
template <typename F>
Status WithOutput(const std::optional<std::string>& path, F body) {
  int fd = STDOUT_FILENO;
  if (path) {
    fd = ::open(path->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
      return Status(StatusCode::kUnavailable, "cannot create " + *path);
    }
  }
  FdWriter writer(fd);
  Status s = body(writer);
  if (path) {
    if (::close(fd) != 0 && s.ok()) {
      s = Status(StatusCode::kUnavailable, "cannot close " + *path);
    }
    if (!s.ok()) ::unlink(path->c_str());
  }
  return s;
}

StatusOr<Scalar> SecretKey(const Args& a) {
  if (!a.secret_key_hex) {
    return Status(StatusCode::kInvalidArgument, "--secret-key-hex is required");
  }
  CONCLAVE_ASSIGN_OR_RETURN(Bytes raw, HexDecode(*a.secret_key_hex));
  CONCLAVE_ASSIGN_OR_RETURN(Scalar x, Scalar::FromBytes(raw));
  if (x.IsZero()) {
    return Status(StatusCode::kInvalidArgument, "secret key is zero");
  }
  return x;
}

StatusOr<Header> HeaderOf(ByteSpan file) {
  MemoryReader in(file);
  return ReadAgeFileHeader(in);
}

nlohmann::json OrgsJson(const std::vector<uint32_t>& orgs) {
  nlohmann::json j = nlohmann::json::array();
  for (uint32_t o : orgs) j.push_back(o);
  return j;
}

int Recipient(const Args& a) {
  StatusOr<Scalar> x = SecretKey(a);
  if (!x.ok()) return Fail(kExitUsage, "recipient", x.status());
  std::cout << EncodeP256TagRecipient(Point::BaseMul(*x)) << "\n";
  return kExitOk;
}

int Encrypt(const Args& a) {
  if (!a.to) return Usage("encrypt needs --to");
  if (a.positional.size() > 1) return Usage("encrypt takes at most one IN");
  StatusOr<Point> key = ReadRecipientArgument(*a.to);
  if (!key.ok()) return Fail(kExitUsage, "--to", key.status());
  std::vector<uint32_t> orgs;
  for (const std::string& e : a.exclude) {
    StatusOr<uint32_t> id = ParseOrgId(e);
    if (!id.ok()) return Fail(kExitUsage, "--exclude", id.status());
    orgs.push_back(*id);
  }
  std::unique_ptr<age::Recipient> recipient;
  if (a.plain) {
    if (!orgs.empty() || a.drill) return Usage("--plain has no proof stanza");
    StatusOr<P256TagRecipient> r = P256TagRecipient::Create(*key);
    if (!r.ok()) return Fail(kExitUsage, "recipient", r.status());
    recipient = std::make_unique<P256TagRecipient>(std::move(*r));
  } else {
    StatusOr<SubmissionRecipient> r = SubmissionRecipient::Create(
        *key, orgs,
        a.drill ? SenderProofKind::kDrill : SenderProofKind::kSender);
    if (!r.ok()) return Fail(kExitUsage, "recipient", r.status());
    recipient = std::make_unique<SubmissionRecipient>(std::move(*r));
  }
  StatusOr<Bytes> plaintext =
      ReadInput(a.positional.empty() ? "-" : a.positional[0]);
  if (!plaintext.ok()) return Fail(kExitRefused, "input", plaintext.status());
  const Status s = WithOutput(a.output, [&](Writer& out) {
    MemoryReader in(*plaintext);
    const age::Recipient* const recipients[] = {recipient.get()};
    return age::Encrypt(recipients, in, out, {.armor = a.armor});
  });
  if (!s.ok()) return Fail(kExitRefused, "encrypt", s);
  return kExitOk;
}

int Validate(const Args& a) {
  if (a.positional.size() != 1 || !a.to) {
    return Usage("validate needs FILE and --to");
  }
  StatusOr<Point> key = ReadRecipientArgument(*a.to);
  if (!key.ok()) return Fail(kExitUsage, "--to", key.status());
  SubmissionPolicy policy{.allow_drill = a.allow_drill,
                          .max_exclusions = std::nullopt};
  if (a.max_exclusions) {
    StatusOr<uint32_t> m = ParseOrgId(*a.max_exclusions);
    if (*a.max_exclusions == "0") {
      policy.max_exclusions = 0;
    } else if (!m.ok()) {
      return Fail(kExitUsage, "--max-exclusions", m.status());
    } else {
      policy.max_exclusions = *m;
    }
  }
  StatusOr<Bytes> file = ReadInput(a.positional[0]);
  if (!file.ok()) return Fail(kExitRefused, "input", file.status());
  nlohmann::json j;
  StatusOr<Header> header = HeaderOf(*file);
  if (!header.ok()) {
    j = {{"valid", false},
         {"defect", "unreadable-header"},
         {"message", header.status().ToString()}};
    std::cout << j.dump() << "\n";
    return kExitRefused;
  }
  StatusOr<SubmissionInfo> info = ValidateSubmission(*header, *key, policy);
  if (!info.ok()) {
    j = {
        {"valid", false},
        {"defect",
         std::string(SubmissionDefectName(GetSubmissionDefect(info.status())))},
        {"code", static_cast<int>(info.status().code())},
        {"message", info.status().message()}};
    std::cout << j.dump() << "\n";
    return kExitRefused;
  }
  j = {{"valid", true},
       {"id", info->id},
       {"kind", std::string(SenderProofKindName(info->kind))},
       {"excluded", OrgsJson(info->excluded_orgs)},
       {"header_hash", HexEncode(info->header_hash)},
       {"tag", HexEncode(info->p256tag.tag)},
       {"enc", HexEncode(info->p256tag.enc)}};
  std::cout << j.dump() << "\n";
  return kExitOk;
}

int Inspect(const Args& a) {
  if (a.positional.size() != 1) return Usage("inspect needs FILE");
  std::optional<Point> key;
  if (a.to) {
    StatusOr<Point> k = ReadRecipientArgument(*a.to);
    if (!k.ok()) return Fail(kExitUsage, "--to", k.status());
    key = *k;
  }
  StatusOr<Bytes> file = ReadInput(a.positional[0]);
  if (!file.ok()) return Fail(kExitRefused, "input", file.status());
  StatusOr<Header> header = HeaderOf(*file);
  if (!header.ok()) return Fail(kExitRefused, "header", header.status());
  const SubmissionReport r = InspectSubmission(*header, key ? &*key : nullptr);
  nlohmann::json j = {{"stanza_types", r.stanza_types},
                      {"header_size", r.header_size},
                      {"header_hash", HexEncode(r.header_hash)},
                      {"proof_present", r.proof_present},
                      {"proof_status", r.proof_status},
                      {"valid", r.valid}};
  j["id"] = r.id ? nlohmann::json(*r.id) : nlohmann::json(nullptr);
  j["tag_matches"] =
      r.tag_matches ? nlohmann::json(*r.tag_matches) : nlohmann::json(nullptr);
  j["proof_valid"] =
      r.proof_valid ? nlohmann::json(*r.proof_valid) : nlohmann::json(nullptr);
  j["kind"] = r.kind ? nlohmann::json(std::string(SenderProofKindName(*r.kind)))
                     : nlohmann::json(nullptr);
  j["excluded"] =
      r.excluded_orgs ? OrgsJson(*r.excluded_orgs) : nlohmann::json(nullptr);
  nlohmann::json defects = nlohmann::json::array();
  for (const auto& d : r.defects) {
    defects.push_back({{"defect", std::string(SubmissionDefectName(d.defect))},
                       {"message", d.message}});
  }
  j["defects"] = defects;
  std::cout << j.dump() << "\n";
  return kExitOk;
}

int Decrypt(const Args& a) {
  if (a.positional.size() != 1) return Usage("decrypt needs FILE");
  StatusOr<Scalar> x = SecretKey(a);
  if (!x.ok()) return Fail(kExitUsage, "decrypt", x.status());
  const Point y = Point::BaseMul(*x);
  StatusOr<Bytes> file = ReadInput(a.positional[0]);
  if (!file.ok()) return Fail(kExitRefused, "input", file.status());
  StatusOr<Header> header = HeaderOf(*file);
  if (!header.ok()) return Fail(kExitRefused, "header", header.status());
  // Like the daemon and the release tool: only a valid submission goes on
  // to decryption (--skip-validation for plain p256tag test files).
  if (!a.skip_validation) {
    StatusOr<SubmissionInfo> info = ValidateSubmission(
        *header, y, {.allow_drill = true, .max_exclusions = std::nullopt});
    if (!info.ok()) return Fail(kExitRefused, "validate", info.status());
  }
  if (header->stanzas.empty()) {
    return Fail(kExitRefused, "decrypt",
                Status(StatusCode::kInvalidArgument, "no stanzas"));
  }
  StatusOr<P256TagStanza> stanza = ParseP256TagStanza(header->stanzas[0]);
  if (!stanza.ok()) return Fail(kExitRefused, "p256tag", stanza.status());
  StatusOr<Point> enc = Point::DecodeUncompressed(stanza->enc);
  if (!enc.ok()) return Fail(kExitRefused, "enc", enc.status());
  // Two additive "partials" x1·enc + x2·enc = x·enc, as a quorum combines.
  const Scalar x1 = Scalar::Random();
  const Scalar x2 = *x - x1;
  const Point dh = enc->Mul(x1) + enc->Mul(x2);
  StatusOr<SecretBytes> file_key = UnwrapP256TagWithDhPoint(*stanza, y, dh);
  if (!file_key.ok()) return Fail(kExitRefused, "unwrap", file_key.status());
  const Status s = WithOutput(a.output, [&](Writer& out) {
    MemoryReader in(*file);
    return DecryptWithFileKey(in, out, *file_key);
  });
  if (!s.ok()) return Fail(kExitRefused, "decrypt", s);
  return kExitOk;
}

int Main(int argc, char** argv) {
  std::optional<Args> a = ParseArgs(argc, argv);
  if (!a) return Usage("bad arguments");
  if (a->command == "recipient") return Recipient(*a);
  if (a->command == "encrypt") return Encrypt(*a);
  if (a->command == "validate") return Validate(*a);
  if (a->command == "inspect") return Inspect(*a);
  if (a->command == "decrypt") return Decrypt(*a);
  return Usage("unknown command " + a->command);
}

}  // namespace
}  // namespace conclave::age

int main(int argc, char** argv) { return conclave::age::Main(argc, argv); }
