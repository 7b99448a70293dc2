#include "keyceremony/ceremony_commands.h"

#include <chrono>
#include <cstdio>
#include <cxxopts.hpp>
#include <optional>
#include <string>
#include <vector>

#include "age/p256tag.h"
#include "age/submission.h"
#include "base/file_util.h"
#include "keyceremony/command_util.h"
#include "keyceremony/roster.h"
#include "keyceremony/simulate.h"
#include "sealed/passphrase.h"
#include "sealed/sealed_file.h"

namespace conclave::keyceremony {

namespace {

bool CheckWorkFactor(const char* cmd, int wf) {
  if (wf < 10 || wf > 22) {
    Usage(cmd, "--work-factor must be between 10 and 22");
    return false;
  }
  return true;
}

StatusOr<uint32_t> ParseOrg(const std::string& s) {
  StatusOr<uint32_t> id = age::ParseOrgId(s);
  if (!id.ok()) {
    return InvalidArgumentError(
        "--org '" + s +
        "': an organisation id is a decimal number from 1 to 4294967295 "
        "without sign or leading zeros");
  }
  return id;
}

}  // namespace

CeremonyExitCode CeremonyExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return kCeremonyExitOk;
    case StatusCode::kUnavailable:
    case StatusCode::kAlreadyExists:
    case StatusCode::kNotFound:
      return kCeremonyExitIo;
    case StatusCode::kInvalidArgument:
    case StatusCode::kDataLoss:
    case StatusCode::kUnauthenticated:
    case StatusCode::kPermissionDenied:
    case StatusCode::kOutOfRange:
    case StatusCode::kFailedPrecondition:
      return kCeremonyExitDefect;
    default:
      return kCeremonyExitInternal;
  }
}

const char* CeremonyExitCodeHelp() {
  return "Exit codes:\n"
         "  0  success\n"
         "  1  usage error: unknown option, missing or malformed argument\n"
         "  2  a check failed: roster defect, share that does not match,\n"
         "     wrong passphrase, malformed or tampered file\n"
         "  3  I/O: cannot read or write a file, or an output already "
         "exists\n"
         "  4  internal error (please report it)\n";
}

// ---- identity new ----

int IdentityNewMain(int argc, char** argv) {
  const char* cmd = "identity new";
  cxxopts::Options options(
      "conclave-ceremony identity new",
      "Create an editor's identity: an Ed25519 signing key and a P-256 key "
      "for receiving encrypted material.");
  options.custom_help("--org ORG --name NAME --out DIR");
  options.add_options()("org", "your organisation's permanent id",
                        cxxopts::value<std::string>(),
                        "ORG")("name", "your name as the roster will show it",
                               cxxopts::value<std::string>(), "NAME")(
      "index", "your editor index, if the plan already gave you one",
      cxxopts::value<uint32_t>(),
      "J")("out", "directory for identity.age and editor.card",
           cxxopts::value<std::string>(),
           "DIR")("work-factor", "scrypt log2 N of the sealed file (10..22)",
                  cxxopts::value<int>()->default_value("18"), "LOGN")(
      "passphrase-file", "read the passphrase from the first line of F",
      cxxopts::value<std::string>(), "F")("h,help", "this help");
  static constexpr char kFooter[] = R"(
Writes DIR/identity.age, your private keys sealed under your passphrase (age
scrypt), and DIR/editor.card, your public card (both public keys, signed by
your new signing key). Hand the card to the ceremony; keep identity.age on
your own USB stick. Nothing is overwritten: an existing identity.age is an
error.

Example:
  conclave-ceremony identity new --org 3 --name "Ana Silva" --out /media/ana
)";
  cxxopts::ParseResult r;
  if (std::optional<int> stop = ParseCommand(
          cmd, options, argc, argv, (std::string(kFooter) + kPassphraseHelp),
          {"org", "name", "out"}, &r)) {
    return *stop;
  }
  try {
    StatusOr<uint32_t> org = ParseOrg(r["org"].as<std::string>());
    if (!org.ok()) return Usage(cmd, org.status().message());
    const int wf = r["work-factor"].as<int>();
    if (!CheckWorkFactor(cmd, wf)) return kCeremonyExitUsage;
    const uint32_t index = r.count("index") ? r["index"].as<uint32_t>() : 0;
    StatusOr<SecretBytes> pass =
        GetPassphrase(OptionalString(r, "passphrase-file"),
                      "Passphrase for your new identity: ", true);
    if (!pass.ok()) return Fail(cmd, pass.status());
    StatusOr<NewIdentity> id =
        CreateEditorIdentity(*org, index, r["name"].as<std::string>(),
                             r["out"].as<std::string>(), *pass, wf);
    if (!id.ok()) return Fail(cmd, id.status());
    const Sha256Digest fp = Sha256(AsBytes(id->card.signed_()));
    std::printf(
        "identity created for organisation %u\ncard fingerprint (SHA-256): "
        "%s\n",
        *org, HexEncode(fp).c_str());
    return kCeremonyExitOk;
  } catch (const cxxopts::exceptions::exception& e) {
    return Usage(cmd, e.what());
  }
}

// ---- witness new ----

int WitnessNewMain(int argc, char** argv) {
  const char* cmd = "witness new";
  cxxopts::Options options(
      "conclave-ceremony witness new",
      "Create an organisation's witness key (C2SP tlog-witness cosigner).");
  options.custom_help("--org ORG --out DIR [--name NAME]");
  options.add_options()("org", "the organisation's permanent id",
                        cxxopts::value<std::string>(),
                        "ORG")("name", "witness name (default witness-orgORG)",
                               cxxopts::value<std::string>(), "NAME")(
      "out", "directory for witness.age and witness.vkey",
      cxxopts::value<std::string>(),
      "DIR")("work-factor", "scrypt log2 N of the sealed file (10..22)",
             cxxopts::value<int>()->default_value("18"), "LOGN")(
      "passphrase-file", "read the passphrase from the first line of F",
      cxxopts::value<std::string>(), "F")("h,help", "this help");
  static constexpr char kFooter[] = R"(
Writes DIR/witness.age (the signing key, sealed) and DIR/witness.vkey (the
tlog-cosignature/v1 verifier key, type 0x04). The vkey goes into the plan and
the roster; the sealed key goes to the organisation's witness installation
(conclave-witness) and nowhere else. Organisation ids are permanent: never
reuse one.

Example:
  conclave-ceremony witness new --org 3 --out /media/org3
)";
  cxxopts::ParseResult r;
  if (std::optional<int> stop = ParseCommand(
          cmd, options, argc, argv, (std::string(kFooter) + kPassphraseHelp),
          {"org", "out"}, &r)) {
    return *stop;
  }
  try {
    StatusOr<uint32_t> org = ParseOrg(r["org"].as<std::string>());
    if (!org.ok()) return Usage(cmd, org.status().message());
    const int wf = r["work-factor"].as<int>();
    if (!CheckWorkFactor(cmd, wf)) return kCeremonyExitUsage;
    const std::string name = r.count("name") ? r["name"].as<std::string>()
                                             : DefaultWitnessName(*org);
    StatusOr<SecretBytes> pass =
        GetPassphrase(OptionalString(r, "passphrase-file"),
                      "Passphrase for the witness key: ", true);
    if (!pass.ok()) return Fail(cmd, pass.status());
    StatusOr<std::string> vkey =
        CreateWitnessKey(*org, name, r["out"].as<std::string>(), *pass, wf);
    if (!vkey.ok()) return Fail(cmd, vkey.status());
    std::printf("%s\n", vkey->c_str());
    return kCeremonyExitOk;
  } catch (const cxxopts::exceptions::exception& e) {
    return Usage(cmd, e.what());
  }
}

// ---- log-key new ----

int LogKeyNewMain(int argc, char** argv) {
  const char* cmd = "log-key new";
  cxxopts::Options options("conclave-ceremony log-key new",
                           "Create the daemon's audit-log signing key.");
  options.custom_help("--origin NAME --out DIR");
  options.add_options()("origin", "the log's origin line, e.g. example.org/log",
                        cxxopts::value<std::string>(),
                        "NAME")("out", "directory for log.age and log.vkey",
                                cxxopts::value<std::string>(), "DIR")(
      "work-factor", "scrypt log2 N of the sealed file (10..22)",
      cxxopts::value<int>()->default_value("18"),
      "LOGN")("passphrase-file", "read the passphrase from the first line of F",
              cxxopts::value<std::string>(), "F")("h,help", "this help");
  static constexpr char kFooter[] = R"(
Writes DIR/log.age (the Ed25519 key that signs checkpoints, sealed) and
DIR/log.vkey (its signed-note verifier key). The plan records the vkey so
every member pins it in the roster; log.age goes to the daemon (conclaved).

Example:
  conclave-ceremony log-key new --origin conclave.example.org/log --out /media/log
)";
  cxxopts::ParseResult r;
  if (std::optional<int> stop = ParseCommand(
          cmd, options, argc, argv, (std::string(kFooter) + kPassphraseHelp),
          {"origin", "out"}, &r)) {
    return *stop;
  }
  try {
    const int wf = r["work-factor"].as<int>();
    if (!CheckWorkFactor(cmd, wf)) return kCeremonyExitUsage;
    StatusOr<SecretBytes> pass =
        GetPassphrase(OptionalString(r, "passphrase-file"),
                      "Passphrase for the log key: ", true);
    if (!pass.ok()) return Fail(cmd, pass.status());
    StatusOr<std::string> vkey = CreateLogKey(
        r["origin"].as<std::string>(), r["out"].as<std::string>(), *pass, wf);
    if (!vkey.ok()) return Fail(cmd, vkey.status());
    std::printf("%s\n", vkey->c_str());
    return kCeremonyExitOk;
  } catch (const cxxopts::exceptions::exception& e) {
    return Usage(cmd, e.what());
  }
}

// ---- simulate / dealer ----

int SimulateMain(int argc, char** argv, bool dealer) {
  const char* cmd = dealer ? "dealer" : "simulate";
  cxxopts::Options options(
      std::string("conclave-ceremony ") + cmd,
      dealer ? "Make the consortium key and every ceremony output on one "
               "trusted, air-gapped machine (weaker than the DKG)."
             : "Run the whole key ceremony in one process, every "
               "organisation and editor simulated: for demos and tests.");
  options.custom_help(
      "--orgs N --threshold T [--editors LIST] [--work-factor LOGN] "
      "--out DIR [--passphrase-file F]");
  options.add_options()("orgs", "number of member organisations (ids 1..N)",
                        cxxopts::value<uint32_t>(),
                        "N")("threshold", "organisations needed to decrypt (t)",
                             cxxopts::value<uint32_t>(), "T")(
      "editors", "editors per organisation: E:K or E1:K1,E2:K2,...",
      cxxopts::value<std::string>()->default_value("1:1"),
      "LIST")("work-factor", "scrypt log2 N of every sealed file (10..22)",
              cxxopts::value<int>()->default_value("18"), "LOGN")(
      "out", "output directory (new or empty)", cxxopts::value<std::string>(),
      "DIR")("passphrase-file",
             "read the passphrase of every sealed file from the first line "
             "of F",
             cxxopts::value<std::string>(), "F")(
      "origin", "the log's origin",
      cxxopts::value<std::string>()->default_value("conclave.example/log"),
      "NAME")("drill-files", "number of drill files",
              cxxopts::value<uint32_t>()->default_value("1"), "N")(
      "max-request-lifetime",
      "policy: longest a decryption request stays open, in seconds "
      "(604800 is one week)",
      cxxopts::value<uint64_t>()->default_value("604800"),
      "SECONDS")("h,help", "this help");
  static constexpr char kLayout[] = R"(
LIST gives each organisation's editors: E:K means E editors of whom K are
needed to use the organisation's share (default 1:1). One E:K applies to
every organisation; a comma list gives one per organisation, in id order.

Outputs (every sealed file under the one passphrase):
  DIR/consortium.pub                  the age1tag1... key, on the first line
  DIR/consortium.roster               the roster, signed by every editor
  DIR/cocktail.record                 simulate: COCKTAIL transcript and CertEq
                                      signatures (verify --cocktail checks it)
  DIR/log.age, DIR/log.vkey           the daemon's log key
  DIR/drill/drill-N.age               drill files (ids listed in the roster)
  DIR/orgI/witness.age, witness.vkey  organisation I's witness key
  DIR/orgI/editorJ/identity.age       editor J's identity (sealed)
  DIR/orgI/editorJ/share.age          editor J's share (sealed)
  DIR/orgI/editorJ/editor.card        editor J's public card

Check the result with: conclave-ceremony verify DIR/consortium.roster
)";
  static constexpr char kSimulateFooter[] = R"(
simulate runs COCKTAIL-DKG (C2SP cocktail-dkg v0.2, P-256/SHA-256) with one
participant per organisation, every round checked by every participant, then
each organisation splits its share among its editors (Feldman). All secrets of
the DKG are erased at the end. Because every side runs in this one process,
whoever runs it has seen every share: a simulated consortium is for demos and
tests, never for real submissions.

Example:
  conclave-ceremony simulate --orgs 5 --threshold 3 --editors 3:2,3:2,1:1,1:1,1:1 \
      --work-factor 10 --out demo --passphrase-file pass.txt
)";
  static constexpr char kDealerFooter[] = R"(
dealer is the trusted-dealer fallback: one machine draws the consortium
private key x, deals it t-of-N to the organisations, and erases it. It is
WEAKER than the DKG: for as long as it runs, that machine (and whoever
controls it) holds the key to every submission. The roster records
"trusted dealer" so that every member can see how the key was made. Use it
only air-gapped, and only when the DKG cannot be run.

Example:
  conclave-ceremony dealer --orgs 3 --threshold 2 --out consortium
)";
  cxxopts::ParseResult r;
  if (std::optional<int> stop = ParseCommand(
          cmd, options, argc, argv,
          (std::string(kLayout) + (dealer ? kDealerFooter : kSimulateFooter) +
           kPassphraseHelp),
          {"orgs", "threshold", "out"}, &r)) {
    return *stop;
  }
  try {
    CeremonyOptions opts;
    opts.orgs = r["orgs"].as<uint32_t>();
    opts.threshold = r["threshold"].as<uint32_t>();
    if (opts.orgs < 1 || opts.orgs > 1000) {
      return Usage(cmd, "--orgs must be between 1 and 1000");
    }
    if (opts.threshold < 1 || opts.threshold > opts.orgs) {
      return Usage(cmd, "--threshold must be between 1 and --orgs");
    }
    StatusOr<std::vector<EditorSplit>> editors =
        ParseEditorList(r["editors"].as<std::string>(), opts.orgs);
    if (!editors.ok()) {
      return Usage(cmd, "--editors: " + editors.status().message());
    }
    opts.editors = std::move(editors).value();
    opts.work_factor = r["work-factor"].as<int>();
    if (!CheckWorkFactor(cmd, opts.work_factor)) return kCeremonyExitUsage;
    opts.mode = dealer ? KeyGenerationMode::kTrustedDealer
                       : KeyGenerationMode::kCocktailDkg;
    opts.log_origin = r["origin"].as<std::string>();
    opts.drill_files = r["drill-files"].as<uint32_t>();
    if (opts.drill_files < 1 || opts.drill_files > 100) {
      return Usage(cmd, "--drill-files must be between 1 and 100");
    }
    opts.max_request_lifetime_seconds =
        r["max-request-lifetime"].as<uint64_t>();
    if (opts.max_request_lifetime_seconds == 0) {
      return Usage(cmd, "--max-request-lifetime must be positive");
    }
    StatusOr<SecretBytes> pass =
        GetPassphrase(OptionalString(r, "passphrase-file"),
                      "Passphrase for every sealed file: ", true);
    if (!pass.ok()) return Fail(cmd, pass.status());
    const auto start = std::chrono::steady_clock::now();
    StatusOr<CeremonyResult> result =
        RunCeremony(opts, r["out"].as<std::string>(), *pass);
    if (!result.ok()) return Fail(cmd, result.status());
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    std::printf(
        "%s: %u organisations, t = %u, %zu sealed files, %zu drill "
        "file(s), %.2f s\n"
        "consortium key: %s\nroster fingerprint (SHA-256): %s\n",
        cmd, opts.orgs, opts.threshold, result->sealed_files,
        result->drill_ids.size(), secs, result->recipient.c_str(),
        HexEncode(result->roster_fingerprint).c_str());
    return kCeremonyExitOk;
  } catch (const cxxopts::exceptions::exception& e) {
    return Usage(cmd, e.what());
  }
}

// ---- verify ----

int VerifyMain(int argc, char** argv) {
  const char* cmd = "verify";
  cxxopts::Options options("conclave-ceremony verify",
                           "Check a consortium roster completely.");
  options
      .custom_help(
          "ROSTER [--cocktail RECORD] [--share FILE]... [--passphrase-file F]")
      .positional_help("");
  options.add_options()(
      "cocktail",
      "also check the COCKTAIL-DKG record (transcript and CertEq "
      "signatures) against the roster",
      cxxopts::value<std::string>(), "RECORD")(
      "share", "also open this sealed share and check it against the roster",
      cxxopts::value<std::vector<std::string>>(),
      "FILE")("passphrase-file", "passphrase of the shares, first line of F",
              cxxopts::value<std::string>(), "F")("h,help", "this help");
  options.add_options("positional")("roster", "the roster file",
                                    cxxopts::value<std::string>());
  options.parse_positional({"roster"});
  static constexpr char kFooter[] = R"(
Checks every editor's signature over the exact roster bytes, then every
relation: the consortium commitments start with the key Y; each organisation's
verification share X_o lies on them, the X_o of any t organisations
interpolate to Y; each organisation's editor commitments (k_o of them) start
with X_o and give every editor's verification share Y_oj; 1 <= k_o <= n_o;
organisation ids are unique; the witness and log vkeys parse; drill ids are
well formed. Any defect is listed (naming the organisation and editor) and
the exit code is 2. On success it prints the roster's fingerprint: compare it
with the other editors before signing or trusting the roster.

With --cocktail, the archived COCKTAIL record (cocktail.record) is checked:
its transcript hashes to the roster's transcript hash, it binds the roster's
session id, every organisation's CertEq signature verifies, and its
commitments add up to the roster's consortium commitments.

With --share, each sealed share is opened (passphrase from --passphrase-file
or the prompt) and checked against the roster: consortium key, epoch, and
that the share matches its verification share.

Example:
  conclave-ceremony verify consortium.roster
  conclave-ceremony verify consortium.roster --cocktail cocktail.record
  conclave-ceremony verify consortium.roster --share /media/ana/share.age
)";
  cxxopts::ParseResult r;
  if (std::optional<int> stop =
          ParseCommand(cmd, options, argc, argv, kFooter, {}, &r)) {
    return *stop;
  }
  if (!r.count("roster")) return Usage(cmd, "ROSTER is required");
  try {
    const std::string path = r["roster"].as<std::string>();
    StatusOr<VerifiedRoster> roster = ReadRosterFile(path);
    if (!roster.ok()) return Fail(cmd, roster.status());
    const v1::RosterBody& b = roster->body;
    std::printf("roster OK: epoch %llu, %d organisations, threshold %u (%s)\n",
                static_cast<unsigned long long>(b.epoch()),
                b.organisations_size(), b.threshold(),
                b.key_generation() == v1::KEY_GENERATION_COCKTAIL_DKG
                    ? "COCKTAIL-DKG"
                    : "TRUSTED DEALER (weaker)");
    for (const v1::RosterOrganisation& o : b.organisations()) {
      std::printf("  organisation %u (%s): %u of %u editors\n", o.id(),
                  o.name().c_str(), o.editor_threshold(), o.editor_count());
    }
    std::printf("consortium key: %s\n",
                age::EncodeP256TagRecipient(roster->consortium_key).c_str());
    std::printf("drill files: %d\n", b.drill_submission_ids_size());
    std::printf("fingerprint (SHA-256): %s\n",
                HexEncode(roster->fingerprint).c_str());
    if (r.count("cocktail")) {
      const std::string record_path = r["cocktail"].as<std::string>();
      StatusOr<Bytes> data = ReadFileBytes(record_path, kMaxRosterSize);
      if (!data.ok()) return Fail(cmd, data.status().Annotate(record_path));
      v1::CocktailRecord record;
      if (!record.ParseFromArray(data->data(),
                                 static_cast<int>(data->size()))) {
        return Fail(
            cmd, InvalidArgumentError(record_path + ": not a COCKTAIL record"));
      }
      Status ok = CheckCocktailRecord(record, *roster);
      if (!ok.ok()) return Fail(cmd, ok.Annotate(record_path));
      std::printf("COCKTAIL record OK: %d CertEq signatures\n",
                  record.certeq_signatures_size());
    }
    if (r.count("share")) {
      StatusOr<SecretBytes> pass = GetPassphrase(
          OptionalString(r, "passphrase-file"), "Share passphrase: ", false);
      if (!pass.ok()) return Fail(cmd, pass.status());
      for (const std::string& share_path :
           r["share"].as<std::vector<std::string>>()) {
        StatusOr<OpenedSecret> opened = ReadSealedFile(share_path, *pass);
        // The sealed-file errors name the file already.
        if (!opened.ok()) return Fail(cmd, opened.status());
        if (!opened->message().has_editor_share()) {
          return Fail(
              cmd, InvalidArgumentError(share_path + ": not an editor share"));
        }
        const v1::EditorShare& s = opened->message().editor_share();
        Status ok = CheckEditorShare(s, *roster);
        if (!ok.ok()) return Fail(cmd, ok.Annotate(share_path));
        std::printf("share OK: organisation %u editor %u (%s)\n", s.org_id(),
                    s.editor_index(), share_path.c_str());
      }
    }
    return kCeremonyExitOk;
  } catch (const cxxopts::exceptions::exception& e) {
    return Usage(cmd, e.what());
  }
}

}  // namespace conclave::keyceremony
