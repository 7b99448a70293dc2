#include "cli/encrypt_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <cxxopts.hpp>
#include <iostream>
#include <memory>

#include "age/age.h"
#include "age/output_file.h"
#include "age/p256tag.h"
#include "age/parallel_stream.h"
#include "age/submission.h"
#include "cli/progress.h"
#include "keyceremony/roster.h"
#include "keyceremony/roster_members.h"

namespace conclave::cli {

namespace {

constexpr char kEncryptHelpFooter[] = R"(
RECIPIENT is the consortium key: an age1tag1... string, or the path of a file
whose first line is one (consortium.pub). The output is an age v1 file with a
p256tag stanza to that key and the sender-proof stanza Conclave requires; any
age client that has the consortium's identity could read it, but only a quorum
of member organisations can decrypt it.

--roster R (consortium.roster) is verified first (every editor's signature
and every key, as conclave-ceremony verify does); the consortium key then
comes from it, and --to, if also given, must be that same key.

--exclude ORG names an organisation whose editors must not take part in
decrypting this submission; repeat it for several. Without --roster, ORG is
a numeric id. With --roster, ORG is an id or a name (an exact match, or a
case-insensitive one if only one organisation matches), it must be a member,
and at most m - t organisations may be excluded: the other t must still be
able to decrypt. Without --roster the daemon enforces that limit when the
submission arrives.

With -o the output appears only when it is complete (written to a temporary
file next to it, synced, then renamed); on any error, or Ctrl-C, nothing is
left. Without -o the submission goes to stdout (refused if stdout is a
terminal, unless --armor).

Examples:
  conclave encrypt --to consortium.pub -o leak.age documents.zip
  conclave encrypt --roster consortium.roster --exclude "Organisation 2" \
      -o leak.age documents.zip
  conclave encrypt --to age1tag1qf... --exclude 3 --exclude 7 -o tip.age tip.txt
  tar c docs/ | conclave encrypt --to consortium.pub --armor > docs.age.txt
)";

void PrintError(const std::string& msg) {
  std::fprintf(stderr, "conclave encrypt: %s\n", msg.c_str());
}

int Fail(const Status& s) {
  PrintError(UserMessage(s));
  return ExitCodeFor(s);
}

// Owns an input descriptor (stdin is not closed).
struct Input {
  int fd = -1;
  bool owned = false;
  std::optional<uint64_t> size;  // known for regular files
  ~Input() {
    if (owned && fd >= 0) close(fd);
  }
};

StatusOr<std::unique_ptr<Input>> OpenInput(
    const std::optional<std::string>& path) {
  auto in = std::make_unique<Input>();
  if (!path || *path == "-") {
    in->fd = STDIN_FILENO;
  } else {
    in->fd = open(path->c_str(), O_RDONLY | O_CLOEXEC);
    if (in->fd < 0) {
      return age::AgeError(
          age::ErrorKind::kIo,
          "cannot open input " + *path + ": " + std::strerror(errno));
    }
    in->owned = true;
  }
  struct stat st;
  if (fstat(in->fd, &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      return age::AgeError(age::ErrorKind::kIo,
                           "input " + path.value_or("-") + " is a directory");
    }
    if (S_ISREG(st.st_mode)) in->size = static_cast<uint64_t>(st.st_size);
  }
  return in;
}

// The header (through armor if asked) and the parallel STREAM payload.
Status WriteSubmission(const age::SubmissionRecipient& recipient,
                       age::Reader& in, age::Writer& out, bool armor,
                       const age::ParallelStreamOptions& stream_options) {
  const SecretBytes file_key = age::GenerateFileKey();
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<age::Stanza> stanzas,
                            recipient.Wrap(file_key));
  CONCLAVE_ASSIGN_OR_RETURN(age::Header header,
                            age::BuildHeader(std::move(stanzas), file_key));
  if (!armor) {
    CONCLAVE_RETURN_IF_ERROR(out.Write(header.bytes));
    return age::EncryptPayloadParallel(file_key, in, out, stream_options);
  }
  age::ArmorWriter armored(out);
  CONCLAVE_RETURN_IF_ERROR(armored.Write(header.bytes));
  CONCLAVE_RETURN_IF_ERROR(
      age::EncryptPayloadParallel(file_key, in, armored, stream_options));
  return armored.Finish();
}

// The consortium key and the exclusions, from --to / --roster / --exclude.
// Returns an exit code on error (after printing why).
struct Addressing {
  Point key = Point::Infinity();
  std::vector<uint32_t> excluded;
};

std::optional<int> ResolveAddressing(const EncryptArgs& args, Addressing* out) {
  std::optional<keyceremony::VerifiedRoster> roster;
  if (args.roster) {
    StatusOr<keyceremony::VerifiedRoster> r =
        keyceremony::ReadRosterFile(*args.roster);
    if (!r.ok()) {
      PrintError("roster " + UserMessage(r.status()));
      return ExitCodeFor(r.status());
    }
    roster = std::move(r).value();
  }
  if (args.recipient) {
    StatusOr<Point> key = age::ReadRecipientArgument(*args.recipient);
    if (!key.ok()) return Fail(key.status());
    if (roster && !(*key == roster->consortium_key)) {
      PrintError("--to " + *args.recipient +
                 " is not the consortium key of roster " + *args.roster + " (" +
                 age::EncodeP256TagRecipient(roster->consortium_key) +
                 "); give one or the other");
      return kExitUsage;
    }
    out->key = *key;
  } else if (roster) {
    out->key = roster->consortium_key;
  } else {
    PrintError(
        "--to RECIPIENT or --roster ROSTER is required (see conclave "
        "encrypt --help)");
    return kExitUsage;
  }

  if (roster) {
    StatusOr<std::vector<uint32_t>> ids =
        keyceremony::ResolveExclusions(roster->body, args.exclude);
    if (!ids.ok()) {
      PrintError("--exclude: " + UserMessage(ids.status()));
      return kExitUsage;
    }
    out->excluded = std::move(ids).value();
    return std::nullopt;
  }
  for (const std::string& e : args.exclude) {
    StatusOr<uint32_t> id = age::ParseOrgId(e);
    if (!id.ok()) {
      PrintError("--exclude '" + e +
                 "': without --roster an organisation is given by its id, a "
                 "decimal number from 1 to 4294967295 without sign or "
                 "leading zeros (names need --roster)");
      return kExitUsage;
    }
    if (std::find(out->excluded.begin(), out->excluded.end(), *id) !=
        out->excluded.end()) {
      PrintError("--exclude " + e + " given twice");
      return kExitUsage;
    }
    out->excluded.push_back(*id);
  }
  return std::nullopt;
}

}  // namespace

int RunEncrypt(const EncryptArgs& args) {
  // Everything about the arguments is checked before any file is touched.
  Addressing addressing;
  if (std::optional<int> code = ResolveAddressing(args, &addressing)) {
    return *code;
  }
  StatusOr<age::SubmissionRecipient> recipient =
      age::SubmissionRecipient::Create(addressing.key,
                                       std::move(addressing.excluded));
  if (!recipient.ok()) return Fail(recipient.status());

  StatusOr<std::unique_ptr<Input>> input = OpenInput(args.input);
  if (!input.ok()) return Fail(input.status());
  if (!args.output && !args.armor && isatty(STDOUT_FILENO)) {
    PrintError(
        "refusing to write a binary file to a terminal; use -o FILE, "
        "redirect stdout, or --armor");
    return kExitUsage;
  }

  std::unique_ptr<age::OutputFile> file;
  if (args.output && *args.output != "-") {
    // Renaming over the input would replace it while it is being read.
    struct stat in_st, out_st;
    if (fstat((*input)->fd, &in_st) == 0 &&
        stat(args.output->c_str(), &out_st) == 0 &&
        in_st.st_dev == out_st.st_dev && in_st.st_ino == out_st.st_ino) {
      PrintError("the output " + *args.output + " is the input file");
      return kExitUsage;
    }
    StatusOr<std::unique_ptr<age::OutputFile>> f =
        age::OutputFile::Create(*args.output);
    if (!f.ok()) return Fail(f.status());
    file = std::move(f).value();
  }
  age::FdWriter stdout_writer(STDOUT_FILENO);
  age::Writer& out = file ? file->writer() : stdout_writer;

  ProgressBar bar("encrypting", (*input)->size,
                  !args.quiet && WantProgress((*input)->size));
  age::ParallelStreamOptions stream_options;
  stream_options.threads = args.threads;
  stream_options.progress = [&bar](uint64_t n) { bar.Update(n); };

  age::FdReader reader((*input)->fd);
  Status s =
      WriteSubmission(*recipient, reader, out, args.armor, stream_options);
  bar.Finish();
  if (s.ok() && file) s = file->Commit();
  // On error `file`'s destructor removes the temporary file.
  if (!s.ok()) return Fail(s);
  return kExitOk;
}

int EncryptMain(int argc, char** argv) {
  cxxopts::Options options(
      "conclave encrypt",
      "Encrypt a file (or stdin) as a Conclave submission to the consortium "
      "key.");
  options
      .custom_help(
          "--to RECIPIENT | --roster R [--exclude ORG]... [-o OUT] [--armor]")
      .positional_help("[IN]")
      .show_positional_help();
  EncryptArgs args;
  options.add_options()(
      "t,to", "consortium key: age1tag1... or a file whose first line is one",
      cxxopts::value<std::string>(), "RECIPIENT")(
      "roster",
      "the consortium roster: verified, then supplies the key, the names "
      "and the m - t limit",
      cxxopts::value<std::string>(),
      "R")("x,exclude",
           "exclude an organisation (id, or name with --roster) from "
           "decrypting; repeatable",
           cxxopts::value<std::vector<std::string>>(), "ORG")(
      "o,output", "write here (default: stdout)", cxxopts::value<std::string>(),
      "OUT")("a,armor", "ASCII-armored output (PEM-style text)")(
      "q,quiet", "no progress bar")(
      "threads", "encryption threads (default: all cores)",
      cxxopts::value<unsigned>(), "N")("h,help", "this help");
  options.add_options("positional")("in", "input file (default: stdin)",
                                    cxxopts::value<std::string>());
  options.parse_positional({"in"});
  try {
    const cxxopts::ParseResult r = options.parse(argc, argv);
    if (r.count("help")) {
      std::printf("%s%s\n%s", options.help({""}).c_str(), kEncryptHelpFooter,
                  ExitCodeHelp());
      return kExitOk;
    }
    if (!r.count("to") && !r.count("roster")) {
      PrintError(
          "--to RECIPIENT or --roster R is required (see conclave encrypt "
          "--help)");
      return kExitUsage;
    }
    if (r.count("to")) args.recipient = r["to"].as<std::string>();
    if (r.count("roster")) args.roster = r["roster"].as<std::string>();
    if (r.count("exclude")) {
      args.exclude = r["exclude"].as<std::vector<std::string>>();
    }
    if (r.count("output")) args.output = r["output"].as<std::string>();
    if (r.count("in")) args.input = r["in"].as<std::string>();
    args.armor = r.count("armor") > 0;
    args.quiet = r.count("quiet") > 0;
    if (r.count("threads")) {
      args.threads = r["threads"].as<unsigned>();
      if (args.threads == 0 || args.threads > 256) {
        PrintError("--threads must be between 1 and 256");
        return kExitUsage;
      }
    }
    if (!r.unmatched().empty()) {
      PrintError("unexpected argument '" + r.unmatched().front() +
                 "' (one input file at most)");
      return kExitUsage;
    }
  } catch (const cxxopts::exceptions::exception& e) {
    PrintError(std::string(e.what()) + " (see conclave encrypt --help)");
    return kExitUsage;
  }
  return RunEncrypt(args);
}

}  // namespace conclave::cli
