// conclave-core-demo: quorum decryption (brief §5, §6) played in one
// process on the output of a real key ceremony.
//
// Every part is a real call into the libraries the programs use: the
// whistleblower encrypts (with the real `conclave encrypt` when --conclave is
// given), intake validates the submission and logs it, an editor requests it,
// editors vote, releasers check the settled log and release sealed partial
// decryptions, the requester combines them and decrypts, and the log is
// exported and verified offline. Until conclaved exists, the log operator
// (with the ceremony's log key) and every organisation's witness (the
// tlog-witness add-checkpoint logic of conclave-witness, state in memory)
// run here too.
//
// Input: a `conclave-ceremony simulate` directory (keyceremony/simulate.h),
// every sealed file opening with the passphrase of --passphrase-file.
// Nothing secret is written to disk except the decrypted submission.
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <cxxopts.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "age/age.h"
#include "age/io.h"
#include "age/p256tag.h"
#include "age/submission.h"
#include "audit/export.h"
#include "audit/log.h"
#include "audit/log_storage.h"
#include "audit/note.h"
#include "audit/settled.h"
#include "base/file_util.h"
#include "base/hardening.h"
#include "conclave/v1/quorum.pb.h"
#include "conclave/v1/sealed.pb.h"
#include "crypto/hash.h"
#include "keyceremony/roster.h"
#include "keyceremony/roster_members.h"
#include "quorum/approval.h"
#include "quorum/combine.h"
#include "quorum/evidence.h"
#include "quorum/release.h"
#include "quorum/statements.h"
#include "sealed/passphrase.h"
#include "sealed/sealed_file.h"
#include "witness/witness.h"

extern char** environ;

namespace conclave {
namespace {

namespace fs = std::filesystem;

using EditorRef = std::pair<uint32_t, uint32_t>;  // (organisation, editor)

constexpr size_t kMaxSubmissionSize = size_t{1} << 30;

// ---- Output and failure ----

void Step(const char* title) { std::printf("\n== %s\n", title); }

[[noreturn]] void Die(const std::string& what, const Status& s) {
  std::fflush(stdout);  // the steps so far, then why it stopped
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

// A refusal the protocol requires, or the demo stops (an acceptance, or a
// refusal for another reason, is a bug worth seeing). Shown unless `quiet`.
void ExpectRefusal(const Status& s, StatusCode want, const std::string& what,
                   bool quiet = false) {
  if (s.ok()) {
    Die(what, InternalError("accepted, but the protocol must refuse it"));
  }
  if (s.code() != want) Die(what + " (refused for an unexpected reason)", s);
  if (quiet) return;
  std::string message = s.message();
  for (size_t i = 0; (i = message.find('\n', i)) != std::string::npos;) {
    message.insert(i + 1, "     ");
    i += 6;
  }
  std::printf("   refused, %s:\n     %s\n",
              std::string(StatusCodeName(s.code())).c_str(), message.c_str());
}

// "Organisation 1 editor 2 (…)": a label at the start of a sentence.
std::string Sentence(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(s[0]));
  return s;
}

int Run(const std::vector<std::string>& args) {
  std::printf("   $");
  std::vector<char*> argv;
  for (const std::string& a : args) {
    const bool quote = a.find(' ') != std::string::npos;
    std::printf(quote ? " \"%s\"" : " %s", a.c_str());
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

std::string JoinIds(std::span<const uint32_t> ids) {
  std::string s;
  for (uint32_t id : ids) s += (s.empty() ? "" : ", ") + std::to_string(id);
  return s;
}

// ---- The consortium: roster, editors' keys and shares ----

StatusOr<OpenedSecret> OpenSealed(const fs::path& path,
                                  const SecretBytes& passphrase,
                                  v1::SealedSecret::SecretCase want) {
  CONCLAVE_ASSIGN_OR_RETURN(OpenedSecret opened,
                            ReadSealedFile(path, passphrase));
  if (opened.message().secret_case() != want) {
    return InvalidArgumentError(path.string() +
                                " holds another kind of secret");
  }
  return opened;
}

struct Editor {
  OpenedSecret share;       // share.age, checked against the roster
  quorum::EditorKeys keys;  // from identity.age, checked against the roster
  const v1::EditorShare& editor_share() const {
    return share.message().editor_share();
  }
};

struct Consortium {
  fs::path roster_path;
  keyceremony::VerifiedRoster roster;
  std::map<EditorRef, Editor> editors;

  const v1::RosterBody& body() const { return roster.body; }
  const Editor& editor(EditorRef ref) const { return editors.at(ref); }
  std::string Label(EditorRef ref) const {
    return quorum::EditorLabel(roster.body, ref.first, ref.second);
  }
  // Editors 1..k_o of the organisation: enough to make it count.
  std::vector<EditorRef> QuorumOf(uint32_t org) const {
    std::vector<EditorRef> out;
    const auto* o = keyceremony::FindOrganisation(roster.body, org);
    for (uint32_t j = 1; o != nullptr && j <= o->editor_threshold(); ++j) {
      out.push_back({org, j});
    }
    return out;
  }
};

// Every editor's identity.age and share.age, each checked against the
// roster before use (brief §4).
Status OpenEditors(const fs::path& ceremony, const SecretBytes& passphrase,
                   Consortium* c) {
  for (const v1::RosterOrganisation& org : c->body().organisations()) {
    for (const v1::RosterEditor& e : org.editors()) {
      const fs::path dir = ceremony / ("org" + std::to_string(org.id())) /
                           ("editor" + std::to_string(e.index()));
      CONCLAVE_ASSIGN_OR_RETURN(OpenedSecret identity,
                                OpenSealed(dir / "identity.age", passphrase,
                                           v1::SealedSecret::kEditorIdentity));
      CONCLAVE_ASSIGN_OR_RETURN(OpenedSecret share,
                                OpenSealed(dir / "share.age", passphrase,
                                           v1::SealedSecret::kEditorShare));
      CONCLAVE_RETURN_IF_ERROR(keyceremony::CheckEditorShare(
                                   share.message().editor_share(), c->roster)
                                   .Annotate(dir.string()));
      CONCLAVE_ASSIGN_OR_RETURN(
          quorum::EditorKeys keys,
          quorum::EditorKeys::FromIdentity(identity.message().editor_identity(),
                                           c->roster));
      const v1::EditorShare& s = share.message().editor_share();
      if (keys.org_id() != org.id() || keys.editor_index() != e.index() ||
          s.org_id() != org.id() || s.editor_index() != e.index()) {
        return InvalidArgumentError(dir.string() +
                                    " holds another editor's files");
      }
      c->editors.emplace(EditorRef{org.id(), e.index()},
                         Editor{std::move(share), std::move(keys)});
    }
  }
  return OkStatus();
}

// Who plays which part, chosen from the roster: the first t organisations
// form the quorum and the last one is excluded by the whistleblower.
struct Cast {
  std::vector<uint32_t> quorum;   // the first t organisations
  uint32_t excluded = 0;          // the last organisation
  EditorRef requester;            // the first editor of quorum[0]
  EditorRef spare;                // editor k+1 of quorum[0]: a corrupted share
  std::vector<uint32_t> too_few;  // the last t − 1 others, for step 8
};

StatusOr<Cast> CastParts(const v1::RosterBody& body) {
  const uint32_t t = body.threshold();
  const int m = body.organisations_size();
  const v1::RosterOrganisation& first = body.organisations(0);
  if (t < 2 || m < static_cast<int>(t) + 1 ||
      first.editor_count() <= first.editor_threshold()) {
    return InvalidArgumentError(
        "the demo needs t >= 2, m >= t + 1 (one organisation excluded) and "
        "a spare editor in organisation 1 (n > k), as `make demo`'s "
        "ceremony has");
  }
  Cast cast;
  for (uint32_t i = 0; i < t; ++i) {
    cast.quorum.push_back(body.organisations(i).id());
  }
  cast.excluded = body.organisations(m - 1).id();
  cast.requester = {first.id(), 1};
  cast.spare = {first.id(), first.editor_threshold() + 1};
  for (int i = m - static_cast<int>(t); i < m - 1; ++i) {
    cast.too_few.push_back(body.organisations(i).id());
  }
  return cast;
}

// ---- The log operator and the witnesses ----

// One organisation's witness as conclave-witness runs it: the pure
// tlog-witness add-checkpoint logic, its state kept in memory here.
struct InProcessWitness {
  witness::WitnessConfig config;
  witness::WitnessState state;
};

// The daemon's part until conclaved exists: the audit log, signed with the
// ceremony's log key, and every organisation's witness to cosign it.
class LogOperator {
 public:
  static StatusOr<LogOperator> Open(const fs::path& ceremony,
                                    const keyceremony::VerifiedRoster& roster,
                                    const std::string& origin,
                                    const SecretBytes& passphrase);

  const audit::Log& log() const { return *log_; }

  // Appends and commits one leaf (fail closed: nothing is answered before
  // the commit); its index.
  StatusOr<uint64_t> Append(v1::LogLeaf leaf, uint64_t now_unix) {
    leaf.set_time_unix(now_unix);
    CONCLAVE_ASSIGN_OR_RETURN(uint64_t index,
                              log_->Append(quorum::EncodeLogLeaf(leaf)));
    CONCLAVE_RETURN_IF_ERROR(log_->Commit());
    return index;
  }

  // Signs the committed tree and submits it to every witness (C2SP
  // tlog-witness add-checkpoint with a consistency proof from the size each
  // witness cosigned last). The note with every cosignature line.
  StatusOr<std::string> PublishCheckpoint();

 private:
  LogOperator(std::unique_ptr<audit::Log> log,
              std::map<uint32_t, InProcessWitness> witnesses)
      : log_(std::move(log)), witnesses_(std::move(witnesses)) {}
  std::unique_ptr<audit::Log> log_;
  std::map<uint32_t, InProcessWitness> witnesses_;
};

StatusOr<LogOperator> LogOperator::Open(
    const fs::path& ceremony, const keyceremony::VerifiedRoster& roster,
    const std::string& origin, const SecretBytes& passphrase) {
  const v1::RosterBody& body = roster.body;
  CONCLAVE_ASSIGN_OR_RETURN(
      OpenedSecret log_secret,
      OpenSealed(ceremony / "log.age", passphrase, v1::SealedSecret::kLogKey));
  CONCLAVE_ASSIGN_OR_RETURN(
      Ed25519PrivateKey log_key,
      Ed25519PrivateKey::FromSeed(
          AsBytes(log_secret.message().log_key().ed25519_seed())));
  CONCLAVE_ASSIGN_OR_RETURN(
      std::unique_ptr<audit::Log> log,
      audit::Log::Create(std::make_unique<audit::MemoryLogStorage>(), origin,
                         std::move(log_key)));
  if (log->vkey() != body.log_vkey()) {
    return FailedPreconditionError("log.age is not the roster's log key");
  }
  std::map<uint32_t, InProcessWitness> witnesses;
  for (const v1::RosterOrganisation& org : body.organisations()) {
    const fs::path path =
        ceremony / ("org" + std::to_string(org.id())) / "witness.age";
    CONCLAVE_ASSIGN_OR_RETURN(
        OpenedSecret secret,
        OpenSealed(path, passphrase, v1::SealedSecret::kWitnessKey));
    const v1::WitnessKey& wk = secret.message().witness_key();
    CONCLAVE_ASSIGN_OR_RETURN(
        Ed25519PrivateKey key,
        Ed25519PrivateKey::FromSeed(AsBytes(wk.ed25519_seed())));
    InProcessWitness w;
    CONCLAVE_ASSIGN_OR_RETURN(
        w.config.signer,
        audit::CosignatureV1Signer::Create(wk.name(), std::move(key)));
    w.state.witness_vkey = w.config.signer->Verifier()->vkey();
    if (wk.org_id() != org.id() || w.state.witness_vkey != org.witness_vkey()) {
      return FailedPreconditionError(path.string() +
                                     " is not the roster's witness key of "
                                     "organisation " +
                                     std::to_string(org.id()));
    }
    CONCLAVE_RETURN_IF_ERROR(w.config.AddLogVkey(body.log_vkey()));
    witnesses.emplace(org.id(), std::move(w));
  }
  return LogOperator(std::move(log), std::move(witnesses));
}

StatusOr<std::string> LogOperator::PublishCheckpoint() {
  CONCLAVE_ASSIGN_OR_RETURN(std::string note, log_->SignCheckpoint());
  const uint64_t size = log_->Size();
  std::string lines;
  for (auto& [org, w] : witnesses_) {
    const auto known = w.state.logs.find(log_->origin());
    const uint64_t old = known == w.state.logs.end() ? 0 : known->second.size;
    std::string body = "old " + std::to_string(old) + "\n";
    if (old > 0 && old < size) {
      CONCLAVE_ASSIGN_OR_RETURN(std::vector<audit::Hash> proof,
                                log_->ConsistencyProof(old, size));
      for (const audit::Hash& h : proof) {
        body += audit::NoteBase64Encode(h) + "\n";
      }
    }
    body += "\n" + note;
    witness::AddCheckpointOutcome out =
        witness::ProcessAddCheckpoint(w.config, w.state, body);
    if (out.reply.status != 200 || !out.update.has_value()) {
      return Status(StatusCode::kUnavailable,
                    "the witness of organisation " + std::to_string(org) +
                        " answered " + std::to_string(out.reply.status) + ": " +
                        out.reply.body);
    }
    // conclave-witness persists its state before it answers.
    w.state.logs[out.update->first] = std::move(out.update->second);
    lines += out.reply.body;
  }
  return audit::AppendSignatureLines(note, lines);
}

// ---- What the demo carries from step to step ----

struct Demo {
  fs::path dir;
  std::string conclave_bin;  // empty: everything in process
  uint64_t now = 0;
  Consortium consortium;
  Cast cast;
  quorum::RosterLogKeys log_keys;  // what every client pins
  LogOperator op;

  const keyceremony::VerifiedRoster& roster() const {
    return consortium.roster;
  }
  const v1::RosterBody& body() const { return consortium.body(); }
  std::string Label(EditorRef ref) const { return consortium.Label(ref); }
};

struct Submission {
  fs::path original;  // the whistleblower's plaintext
  fs::path file;      // the age file
  Bytes header;
  age::SubmissionInfo info;
};

struct LoggedRequest {
  EditorRef requester;
  v1::SignedStatement statement;
  quorum::VerifiedRequest verified;
  uint64_t index = 0;
  audit::Checkpoint seen;  // the settled checkpoint the voters name
};

// What an editor's client does with a checkpoint note: the log's signature
// and the witnesses' cosignatures against the roster, and the settled rule.
StatusOr<audit::SettledCheckpoint> CheckSettled(const Demo& d,
                                                std::string_view note) {
  CONCLAVE_ASSIGN_OR_RETURN(
      audit::CosignedCheckpoint cosigned,
      audit::VerifyCosignedCheckpoint(
          note, d.log_keys.origin, *d.log_keys.log_key, d.log_keys.witnesses));
  return audit::Settle(cosigned, {}, d.log_keys.witnesses);
}

// Publishes a checkpoint, checks it as a client would and says so.
audit::SettledCheckpoint PublishSettled(Demo& d) {
  audit::SettledCheckpoint settled =
      Must(CheckSettled(d, Must(d.op.PublishCheckpoint(), "publish")),
           "settled checkpoint");
  std::printf(
      "   checkpoint of size %ju (root %s) cosigned by the witnesses of "
      "organisations %s: settled (W = %u)\n",
      static_cast<uintmax_t>(settled.checkpoint().size),
      Short(settled.checkpoint().root_hash).c_str(),
      JoinIds(settled.settling_orgs()).c_str(),
      d.log_keys.witnesses.settle_threshold());
  return settled;
}

// The request is made and signed by the requester, checked and logged by the
// daemon, and seen by the voters in a settled checkpoint.
LoggedRequest LogRequest(Demo& d, EditorRef requester, const Submission& s,
                         const std::string& reason) {
  LoggedRequest r;
  r.requester = requester;
  quorum::RequestOptions options;
  options.reason = reason;
  options.now_unix = d.now;
  quorum::NewRequest made =
      Must(quorum::MakeRequest(d.roster(), d.consortium.editor(requester).keys,
                               s.header, options),
           "request");
  r.statement = std::move(made.statement);
  r.verified =
      Must(quorum::VerifyRequest(d.roster(), r.statement), "verify request");
  v1::LogLeaf leaf;
  *leaf.mutable_request() = r.statement;
  r.index = Must(d.op.Append(std::move(leaf), d.now), "log request");
  std::printf(
      "   %s asks for submission %s…\n   reason: \"%s\"\n"
      "   request id %s, expires %ju, logged as leaf %ju\n",
      Sentence(d.Label(requester)).c_str(),
      r.verified.submission.id.substr(0, 16).c_str(), reason.c_str(),
      quorum::RequestIdHex(r.verified.id).c_str(),
      static_cast<uintmax_t>(r.verified.body.expires_unix()),
      static_cast<uintmax_t>(r.index));
  r.seen = PublishSettled(d).checkpoint();
  return r;
}

quorum::VoteOptions VoteNaming(const Demo& d, const LoggedRequest& r) {
  quorum::VoteOptions options;
  options.checkpoint_size = r.seen.size;
  options.checkpoint_root = ToBytes(r.seen.root_hash);
  options.now_unix = d.now;
  return options;
}

// Each voter signs an approving vote naming the checkpoint they saw the
// request in; the daemon verifies and logs it.
void CastVotes(Demo& d, const LoggedRequest& r,
               std::span<const EditorRef> voters) {
  for (const EditorRef& voter : voters) {
    quorum::VoteOptions options = VoteNaming(d, r);
    options.comment = "approved";
    v1::SignedStatement vote =
        Must(quorum::MakeVote(d.roster(), d.consortium.editor(voter).keys,
                              r.verified, options),
             "vote");
    Must(quorum::VerifyVote(d.roster(), vote).status(), "daemon checks vote");
    v1::LogLeaf leaf;
    *leaf.mutable_vote() = std::move(vote);
    const uint64_t index = Must(d.op.Append(std::move(leaf), d.now), "log");
    std::printf("   %s votes yes (naming checkpoint %ju): leaf %ju\n",
                Sentence(d.Label(voter)).c_str(),
                static_cast<uintmax_t>(options.checkpoint_size),
                static_cast<uintmax_t>(index));
  }
}

// A new settled checkpoint and the log evidence a releaser receives: the
// request's leaf and every later leaf up to it.
v1::LogEvidence PublishEvidence(Demo& d, const LoggedRequest& r) {
  return Must(
      quorum::BuildLogEvidence(d.op.log(), PublishSettled(d).note(), r.index),
      "log evidence");
}

StatusOr<quorum::Release> Release(const Demo& d, EditorRef releaser,
                                  const LoggedRequest& r,
                                  const v1::LogEvidence& evidence,
                                  const v1::EditorShare* share = nullptr) {
  const Editor& e = d.consortium.editor(releaser);
  quorum::ReleaseInput input;
  input.roster = &d.roster();
  input.releaser = &e.keys;
  input.share = share != nullptr ? share : &e.editor_share();
  input.request = &r.statement;
  input.evidence = &evidence;
  input.now_unix = d.now;
  return quorum::ReleasePartial(input);
}

// The daemon relays an approval to the requester and logs it (it cannot
// open the sealed partial, only check the signature on the clear part).
uint64_t LogApproval(Demo& d, const v1::Approval& approval) {
  Must(quorum::VerifyStatementSignature(quorum::kApprovalStatementDst,
                                        approval.statement(), d.body()),
       "daemon checks approval");
  v1::LogLeaf leaf;
  *leaf.mutable_approval() = approval;
  return Must(d.op.Append(std::move(leaf), d.now), "log approval");
}

// What a tool that skipped CheckEditorShare would send from a corrupted
// share: a partial made with the wrong scalar (its proof can only be made
// against the wrong verification share), sealed and signed like a real one.
v1::Approval HandMadeApproval(const Demo& d, const LoggedRequest& r,
                              EditorRef signer, const v1::EditorShare& bad) {
  const quorum::VerifiedRequest& req = r.verified;
  const Scalar y = Must(Scalar::FromBytes(AsBytes(bad.share())), "share");
  const Point enc =
      Must(Point::DecodeUncompressed(req.submission.p256tag.enc), "enc");
  const quorum::PartialDecryption partial = Must(
      quorum::ComputePartialDecryption(y, Point::BaseMul(y), enc), "partial");
  const quorum::ApprovalAddress address{.request_id = req.id,
                                        .org_id = signer.first,
                                        .editor_index = signer.second,
                                        .epoch = req.body.epoch()};
  const Bytes ciphertext =
      Must(quorum::SealPartial(partial, req.reply_key, address), "seal");
  v1::ApprovalBody body;
  body.set_request_id(AsString(req.id));
  body.set_header_hash(AsString(req.submission.header_hash));
  body.set_org_id(signer.first);
  body.set_editor_index(signer.second);
  body.set_epoch(req.body.epoch());
  body.set_ciphertext_hash(AsString(Sha256(ciphertext)));
  body.set_created_unix(d.now);
  v1::Approval approval;
  *approval.mutable_statement() = quorum::SignStatement(
      quorum::kApprovalStatementDst, ToBytes(body.SerializeAsString()),
      d.consortium.editor(signer).keys);
  approval.set_ciphertext(AsString(ciphertext));
  return approval;
}

// ---- The steps ----

struct Options {
  fs::path dir;
  std::string conclave_bin;
  fs::path ceremony;
  std::string passphrase_file;
};

Demo Step1Consortium(const Options& o) {
  Step("1. The consortium from the key ceremony (COCKTAIL-DKG)");
  Consortium c;
  c.roster_path = o.ceremony / "consortium.roster";
  c.roster = Must(keyceremony::ReadRosterFile(c.roster_path), "roster");
  std::printf(
      "   roster %s verified: every editor signed it\n"
      "   fingerprint %s\n",
      c.roster_path.c_str(), HexEncode(c.roster.fingerprint).c_str());
  Cast cast = Must(CastParts(c.body()), "roster");
  const SecretBytes passphrase =
      Must(ReadPassphraseFile(o.passphrase_file), "passphrase");
  Must(OpenEditors(o.ceremony, passphrase, &c), "editors");
  for (const v1::RosterOrganisation& org : c.body().organisations()) {
    std::printf(
        "   org %u %-16s %u of %u editors; identities and shares opened and "
        "checked\n",
        org.id(), org.name().c_str(), org.editor_threshold(),
        org.editor_count());
  }
  quorum::RosterLogKeys log_keys =
      Must(quorum::LogKeysFromRoster(c.roster), "roster log keys");
  LogOperator op =
      Must(LogOperator::Open(o.ceremony, c.roster, log_keys.origin, passphrase),
           "log operator");
  std::printf(
      "   log key (log.age) and every organisation's witness key opened: "
      "the roster's\n   log origin %s; a checkpoint is settled once "
      "witnesses of W = %u organisations cosign it\n",
      log_keys.origin.c_str(), log_keys.witnesses.settle_threshold());
  const std::string recipient =
      age::EncodeP256TagRecipient(c.roster.consortium_key);
  std::ofstream(o.dir / "consortium.pub") << recipient << "\n";
  std::printf("   any %u of %d organisations decide; consortium key %s\n",
              c.body().threshold(), c.body().organisations_size(),
              recipient.c_str());
  return Demo{.dir = o.dir,
              .conclave_bin = o.conclave_bin,
              .now = static_cast<uint64_t>(std::time(nullptr)),
              .consortium = std::move(c),
              .cast = std::move(cast),
              .log_keys = std::move(log_keys),
              .op = std::move(op)};
}

// The whistleblower's side: the leak, encrypted to the consortium with one
// organisation excluded.
void Encrypt(const Demo& d, const std::string& excluded_name,
             const Submission& s) {
  {
    std::ofstream out(s.original);
    out << "Internal memo, 3 March: the safety report was rewritten "
           "before the audit.\n";
    for (int i = 0; i < 2000; ++i) out << "appendix line " << i << "\n";
  }
  fs::remove(s.file);
  if (d.conclave_bin.empty()) {
    const Bytes plaintext =
        Must(ReadFileBytes(s.original, kMaxSubmissionSize), "leak");
    auto r = Must(age::SubmissionRecipient::Create(d.roster().consortium_key,
                                                   {d.cast.excluded}),
                  "recipient");
    const age::Recipient* rs[] = {&r};
    Must(WriteFileAtomically(
             s.file, Must(age::EncryptToMemory(rs, plaintext), "age"), 0644),
         "write submission");
    return;
  }
  // The whistleblower's tool checks the roster, resolves the name and
  // enforces the m − t limit.
  const std::string roster = d.consortium.roster_path.string();
  if (Run({d.conclave_bin, "encrypt", "--roster", roster, "--exclude",
           excluded_name, "-o", s.file.string(), s.original.string()}) != 0) {
    Die("conclave encrypt", InternalError("failed"));
  }
  if (Run({d.conclave_bin, "inspect", s.file.string(), "--roster", roster}) !=
      0) {
    Die("conclave inspect", InternalError("failed"));
  }
}

// Intake (the daemon's part): the header must be a valid submission to this
// consortium; a `submission` leaf records it.
void Intake(Demo& d, Submission* s) {
  const Bytes file = Must(ReadFileBytes(s->file, kMaxSubmissionSize), "read");
  age::MemoryReader reader(file);
  const age::Header header =
      Must(age::ReadAgeFileHeader(reader), "submission header");
  s->header = header.bytes;
  const uint32_t max_exclusions = keyceremony::MaxExclusions(d.body());
  s->info = Must(age::ValidateSubmission(header, d.roster().consortium_key,
                                         {.max_exclusions = max_exclusions}),
                 "intake");
  v1::LogLeaf leaf;
  v1::SubmissionReceived* received = leaf.mutable_submission();
  received->set_submission_id(s->info.id);
  received->set_header_hash(AsString(s->info.header_hash));
  received->set_size(file.size());
  received->set_file_hash(AsString(Sha256(file)));
  for (uint32_t org : s->info.excluded_orgs) received->add_excluded_orgs(org);
  const uint64_t index = Must(d.op.Append(std::move(leaf), d.now), "log");
  std::printf(
      "   intake: %s (%zu bytes) is a valid submission: sender proof "
      "verifies, tag matches,\n   %zu exclusion(s) <= m − t = %u\n"
      "   submission id %s\n   logged as leaf %ju (the whistleblower's "
      "receipt names it)\n",
      s->file.c_str(), file.size(), s->info.excluded_orgs.size(),
      max_exclusions, s->info.id.c_str(), static_cast<uintmax_t>(index));
}

Submission Step2Submission(Demo& d) {
  const std::string excluded_name =
      keyceremony::FindOrganisation(d.body(), d.cast.excluded)->name();
  std::printf(
      "\n== 2. A whistleblower encrypts a leak, excluding org %u (%s); "
      "intake checks and logs it\n",
      d.cast.excluded, excluded_name.c_str());
  Submission s;
  s.original = d.dir / "leak.txt";
  s.file = d.dir / "submission.age";
  Encrypt(d, excluded_name, s);
  Intake(d, &s);
  return s;
}

LoggedRequest Step3Request(Demo& d, const Submission& s) {
  Step("3. An editor requests the submission, with a reason");
  return LogRequest(d, d.cast.requester, s,
                    "Follow-up on the safety audit story; legal has cleared "
                    "publication of verified documents.");
}

void Step4ExcludedVote(const Demo& d, const LoggedRequest& r) {
  const EditorRef voter{d.cast.excluded, 1};
  std::printf("\n== 4. %s tries to vote: its organisation is excluded\n",
              Sentence(d.Label(voter)).c_str());
  ExpectRefusal(quorum::MakeVote(d.roster(), d.consortium.editor(voter).keys,
                                 r.verified, VoteNaming(d, r))
                    .status(),
                StatusCode::kPermissionDenied, "excluded vote");
}

void Step5FirstVotes(Demo& d, const LoggedRequest& r) {
  const std::vector<uint32_t> first(d.cast.quorum.begin(),
                                    d.cast.quorum.end() - 1);
  std::printf("\n== 5. Organisations %s vote (k_o editors each)\n",
              JoinIds(first).c_str());
  for (uint32_t org : first) {
    CastVotes(d, r, d.consortium.QuorumOf(org));
  }
  const v1::LogEvidence evidence = PublishEvidence(d, r);
  std::printf("   %s tries to release now:\n",
              Sentence(d.Label(d.cast.requester)).c_str());
  ExpectRefusal(Release(d, d.cast.requester, r, evidence).status(),
                StatusCode::kFailedPrecondition, "early release");
}

std::vector<v1::Approval> Step6Release(Demo& d, const LoggedRequest& r) {
  const uint32_t last = d.cast.quorum.back();
  std::printf(
      "\n== 6. Organisation %u votes, and editor %u of organisation %u too; "
      "each voter releases\n",
      last, d.cast.spare.second, d.cast.spare.first);
  std::vector<EditorRef> voters = d.consortium.QuorumOf(last);
  voters.push_back(d.cast.spare);
  CastVotes(d, r, voters);
  const v1::LogEvidence evidence = PublishEvidence(d, r);

  std::vector<v1::Approval> approvals;
  for (uint32_t org : d.cast.quorum) {
    for (const EditorRef& releaser : d.consortium.QuorumOf(org)) {
      quorum::Release release =
          Must(Release(d, releaser, r, evidence), d.Label(releaser));
      if (approvals.empty()) {
        std::printf("   each releaser checks the settled log (size %ju): %s\n",
                    static_cast<uintmax_t>(release.check.checkpoint_size),
                    release.check.progress->Describe(d.body()).c_str());
      }
      const uint64_t index = LogApproval(d, release.approval);
      std::printf(
          "   %s released D = y·R with its DLEQ proof, sealed to the "
          "requester: leaf %ju\n",
          Sentence(d.Label(releaser)).c_str(), static_cast<uintmax_t>(index));
      approvals.push_back(std::move(release.approval));
    }
  }

  // The spare voter's share file is corrupted: one bit of y_oj flipped. The
  // copy wipes itself (OpenedSecret) like the original.
  const Editor& spare = d.consortium.editor(d.cast.spare);
  auto copy = std::make_unique<v1::SealedSecret>(spare.share.message());
  std::string* y = copy->mutable_editor_share()->mutable_share();
  y->back() = static_cast<char>(y->back() ^ 0x01);
  const OpenedSecret corrupted(std::move(copy));
  const v1::EditorShare& bad = corrupted.message().editor_share();
  std::printf("   %s, whose share file has one bit flipped, releases:\n",
              Sentence(d.Label(d.cast.spare)).c_str());
  ExpectRefusal(Release(d, d.cast.spare, r, evidence, &bad).status(),
                StatusCode::kInvalidArgument, "corrupted share");
  v1::Approval forged = HandMadeApproval(d, r, d.cast.spare, bad);
  const uint64_t index = LogApproval(d, forged);
  std::printf(
      "   a tool that skipped that check would send an approval anyway "
      "(made here by hand);\n   its signature is valid, so the daemon "
      "relays and logs it: leaf %ju\n",
      static_cast<uintmax_t>(index));
  approvals.push_back(std::move(forged));
  return approvals;
}

void Step7Combine(const Demo& d, const LoggedRequest& r,
                  std::span<const v1::Approval> approvals,
                  const Submission& s) {
  Step("7. The requester combines the approvals and decrypts");
  const quorum::Combined combined =
      Must(quorum::CombineApprovals(d.roster(),
                                    d.consortium.editor(r.requester).keys,
                                    r.verified, approvals),
           "combine");
  for (const std::string& refused : combined.report.refused) {
    std::printf("   refused: %s\n", refused.c_str());
  }
  // Exactly the forged approval (the last) must have been named.
  if (combined.report.refused.size() != 1) {
    Die("combine", InternalError("the forged approval was not refused"));
  }
  std::string used;
  for (const auto& [org, editor] : combined.report.used) {
    used += (used.empty() ? "" : ", ") + std::to_string(org) + "/" +
            std::to_string(editor);
  }
  std::printf(
      "   combined the partials of (org/editor) %s: nested Lagrange, the "
      "same coefficients\n   map Y_oj to Y, file key unwrapped and header "
      "MAC verified\n",
      used.c_str());
  const fs::path out = d.dir / "leak.decrypted";
  Must(quorum::DecryptSubmissionToFile(r.verified, combined.file_key, s.file,
                                       out),
       "decrypt");
  std::ifstream a(s.original, std::ios::binary), b(out, std::ios::binary);
  const bool same = std::equal(std::istreambuf_iterator<char>(a), {},
                               std::istreambuf_iterator<char>(b), {});
  std::printf(
      "   %s written (through a temporary file renamed after the last "
      "chunk verified):\n   %s the original\n",
      out.c_str(), same ? "identical to" : "DIFFERENT FROM");
  if (!same) Die("decrypt", InternalError("the plaintext differs"));
}

void Step8TooFew(Demo& d, const Submission& s,
                 std::span<const v1::Approval> first_approvals) {
  std::printf(
      "\n== 8. %zu organisations alone cannot: a second request, votes from "
      "organisations %s only\n",
      d.cast.too_few.size(), JoinIds(d.cast.too_few).c_str());
  const EditorRef requester{d.cast.too_few.front(), 1};
  const LoggedRequest r =
      LogRequest(d, requester, s, "A second look, without the others.");
  std::vector<EditorRef> voters;
  for (uint32_t org : d.cast.too_few) {
    for (const EditorRef& v : d.consortium.QuorumOf(org)) voters.push_back(v);
  }
  CastVotes(d, r, voters);
  const v1::LogEvidence evidence = PublishEvidence(d, r);
  std::printf("   %s releases:\n", Sentence(d.Label(voters.front())).c_str());
  for (const EditorRef& voter : voters) {
    ExpectRefusal(Release(d, voter, r, evidence).status(),
                  StatusCode::kFailedPrecondition, "release without quorum",
                  /*quiet=*/voter != voters.front());
  }
  std::printf("   (every other voter is refused the same way)\n");
  std::printf(
      "   and the approvals released for the first request do not open "
      "this one:\n");
  ExpectRefusal(
      quorum::CombineApprovals(d.roster(), d.consortium.editor(requester).keys,
                               r.verified, first_approvals)
          .status(),
      StatusCode::kFailedPrecondition, "combine with another request's");
}

void Step9Export(Demo& d) {
  Step("9. The audit log is exported and verified offline");
  const std::string note = PublishSettled(d).note();
  std::map<std::string, int> kinds;
  const audit::Log& log = d.op.log();
  for (uint64_t i = 0; i < log.Size(); ++i) {
    const v1::LogLeaf leaf =
        Must(quorum::ParseLogLeaf(Must(log.storage().Leaf(i), "leaf")), "leaf");
    ++kinds[std::string(v1::LogLeaf::descriptor()
                            ->FindFieldByNumber(leaf.entry_case())
                            ->name())];
  }
  std::string summary;
  for (const auto& [kind, count] : kinds) {
    summary +=
        (summary.empty() ? "" : ", ") + kind + " " + std::to_string(count);
  }
  std::printf("   %ju leaves: %s\n", static_cast<uintmax_t>(log.Size()),
              summary.c_str());
  const fs::path export_dir = d.dir / "audit-export";
  Must(log.WriteExport(export_dir, note), "export");
  std::printf("   exported to %s\n", export_dir.c_str());
  if (!d.conclave_bin.empty()) {
    if (Run({d.conclave_bin, "audit", "verify", "--offline",
             export_dir.string(), "--roster",
             d.consortium.roster_path.string()}) != 0) {
      Die("conclave audit verify", InternalError("the export was refused"));
    }
    return;
  }
  audit::ExportVerifyOptions options;
  options.log_vkey = d.body().log_vkey();
  for (const keyceremony::RosterWitness& w :
       keyceremony::RosterWitnesses(d.body())) {
    options.witnesses.push_back({w.org_id, w.vkey});
  }
  options.members = static_cast<uint32_t>(d.body().organisations_size());
  options.threshold = d.body().threshold();
  const audit::ExportVerifyResult result =
      Must(audit::VerifyExport(export_dir, options), "verify export");
  std::printf(
      "   audit::VerifyExport: %ju leaves give the checkpoint's root; log "
      "signature and\n   cosignatures of organisations %s verify: "
      "%s\n",
      static_cast<uintmax_t>(result.leaf_count),
      JoinIds(result.cosigning_orgs).c_str(),
      result.settled ? "settled" : "NOT SETTLED");
  if (!result.settled) Die("verify export", InternalError("not settled"));
}

// Fills *o; an exit code when the program should stop here (--help, or a
// usage error).
std::optional<int> ParseOptions(int argc, char** argv, Options* o) {
  cxxopts::Options spec(
      "conclave-core-demo",
      "Quorum decryption (request, votes, release, combine) through an "
      "in-process\naudit log, on the output of `conclave-ceremony "
      "simulate`.\n");
  spec.add_options()  //
      ("ceremony", "the output of `conclave-ceremony simulate`",
       cxxopts::value<std::string>(), "CDIR")  //
      ("passphrase-file", "the passphrase of every sealed file in CDIR",
       cxxopts::value<std::string>(), "F")  //
      ("dir", "where the demo writes its files",
       cxxopts::value<std::string>()->default_value("build/demo"), "DIR")  //
      ("conclave",
       "the conclave program: encrypt, inspect and verify the audit log "
       "export with the real CLI (else all in process)",
       cxxopts::value<std::string>(), "BIN")  //
      ("h,help", "this help");
  const std::string usage = "(see conclave-core-demo --help)";
  cxxopts::ParseResult r;
  try {
    r = spec.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    std::fprintf(stderr, "core-demo: %s %s\n", e.what(), usage.c_str());
    return 2;
  }
  if (r.count("help")) {
    std::printf("%s", spec.help().c_str());
    return 0;
  }
  if (!r.unmatched().empty() || !r.count("ceremony") ||
      !r.count("passphrase-file")) {
    std::fprintf(stderr,
                 "core-demo: --ceremony and --passphrase-file are required, "
                 "and nothing else %s\n",
                 usage.c_str());
    return 2;
  }
  o->dir = r["dir"].as<std::string>();
  if (r.count("conclave")) o->conclave_bin = r["conclave"].as<std::string>();
  o->ceremony = r["ceremony"].as<std::string>();
  o->passphrase_file = r["passphrase-file"].as<std::string>();
  return std::nullopt;
}

int Main(int argc, char** argv) {
  HardenProcess();
  Options options;
  if (std::optional<int> code = ParseOptions(argc, argv, &options)) {
    return *code;
  }
  fs::create_directories(options.dir);

  Demo d = Step1Consortium(options);
  const Submission s = Step2Submission(d);
  const LoggedRequest r = Step3Request(d, s);
  Step4ExcludedVote(d, r);
  Step5FirstVotes(d, r);
  const std::vector<v1::Approval> approvals = Step6Release(d, r);
  Step7Combine(d, r, approvals, s);
  Step8TooFew(d, s, approvals);
  Step9Export(d);

  std::printf(
      "\nEvery step behaved as the protocol requires. The consortium "
      "private key was never\nrebuilt. Coming next: the daemon (conclaved) "
      "and the intake page (see the issues).\n");
  return 0;
}

}  // namespace
}  // namespace conclave

int main(int argc, char** argv) { return conclave::Main(argc, argv); }
