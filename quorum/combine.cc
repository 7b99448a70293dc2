#include "quorum/combine.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <utility>

#include "age/armor.h"
#include "age/errors.h"
#include "age/header.h"
#include "age/output_file.h"
#include "age/p256tag.h"
#include "age/parallel_stream.h"
#include "age/stream.h"
#include "quorum/approval.h"
#include "shares/shamir.h"

namespace conclave::quorum {
namespace {

std::string OrgLabel(const v1::RosterOrganisation& org) {
  std::string s = "organisation " + std::to_string(org.id());
  if (!org.name().empty()) s += " (" + org.name() + ")";
  return s;
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string s;
  for (const std::string& line : lines) s += "\n  " + line;
  return s;
}

// One approval, checked as far as it goes. Returns the partial and its
// signer, or the refusal line naming who it is from.
struct CheckedApproval {
  uint32_t org_id = 0;
  uint32_t editor_index = 0;
  PartialDecryption partial;
};

class ApprovalChecker {
 public:
  ApprovalChecker(const keyceremony::VerifiedRoster& roster,
                  const VerifiedRequest& request, const Scalar& reply_sk,
                  const Point& r)
      : roster_(roster), request_(request), reply_sk_(reply_sk), r_(r) {}

  // OK with the partial, or an error whose message is the refusal line.
  StatusOr<CheckedApproval> Check(const v1::Approval& approval) const {
    const v1::SignedStatement& st = approval.statement();
    const std::string claimed =
        EditorLabel(roster_.body, st.org_id(), st.editor_index());
    // Name the editor only once their signature says they made it.
    bool signature_ok = false;
    StatusOr<v1::ApprovalBody> body =
        VerifyApprovalStatement(roster_, approval, &signature_ok);
    const std::string who =
        signature_ok ? claimed : "an approval claiming to be from " + claimed;
    auto refuse = [&who](const std::string& why) {
      return FailedPreconditionError(who + ": " + why);
    };
    if (!body.ok()) return refuse(body.status().message());
    if (AsBytes(body->request_id()).size() != request_.id.size() ||
        !std::equal(request_.id.begin(), request_.id.end(),
                    AsBytes(body->request_id()).begin())) {
      return refuse("approves another request");
    }
    const Sha256Digest& header_hash = request_.submission.header_hash;
    if (AsBytes(body->header_hash()).size() != header_hash.size() ||
        !std::equal(header_hash.begin(), header_hash.end(),
                    AsBytes(body->header_hash()).begin())) {
      return refuse("approves another submission header");
    }
    if (body->epoch() != request_.body.epoch()) {
      return refuse("made for epoch " + std::to_string(body->epoch()) +
                    ", the request is for epoch " +
                    std::to_string(request_.body.epoch()));
    }
    const std::vector<uint32_t>& excluded = request_.submission.excluded_orgs;
    if (std::find(excluded.begin(), excluded.end(), body->org_id()) !=
        excluded.end()) {
      return refuse("the submission excludes this organisation");
    }
    const v1::RosterEditor* editor =
        FindEditor(roster_.body, body->org_id(), body->editor_index());
    if (editor == nullptr) return refuse("not an editor of this roster");
    StatusOr<Point> y_oj =
        Point::DecodeCompressed(AsBytes(editor->verification_share()));
    if (!y_oj.ok()) return refuse("the roster's verification share is bad");

    const ApprovalAddress address{.request_id = request_.id,
                                  .org_id = body->org_id(),
                                  .editor_index = body->editor_index(),
                                  .epoch = body->epoch()};
    StatusOr<PartialDecryption> partial =
        OpenPartial(AsBytes(approval.ciphertext()), reply_sk_, address);
    if (!partial.ok()) return refuse(partial.status().message());
    if (Status s = VerifyPartialDecryption(*partial, *y_oj, r_); !s.ok()) {
      return refuse("partial decryption proof does not verify");
    }
    return CheckedApproval{.org_id = body->org_id(),
                           .editor_index = body->editor_index(),
                           .partial = *std::move(partial)};
  }

 private:
  const keyceremony::VerifiedRoster& roster_;
  const VerifiedRequest& request_;
  const Scalar& reply_sk_;
  const Point& r_;
};

// Σ coefficient·P over public points and public coefficients.
Point WeightedSum(const std::vector<NestedCoefficient>& coefficients,
                  const std::map<std::pair<uint32_t, uint32_t>, Point>& pts) {
  Point sum = Point::Infinity();
  for (const NestedCoefficient& c : coefficients) {
    sum = sum + pts.at({c.org_id, c.editor_index}).Mul(c.coefficient);
  }
  return sum;
}

}  // namespace

StatusOr<OpenedApprovals> OpenApprovals(
    const keyceremony::VerifiedRoster& roster, const EditorKeys& requester,
    const VerifiedRequest& request, std::span<const v1::Approval> approvals) {
  const v1::RosterBody& rb = roster.body;
  if (requester.org_id() != request.body.org_id() ||
      requester.editor_index() != request.body.editor_index()) {
    return FailedPreconditionError(
        "only the requester can combine approvals: this identity is " +
        EditorLabel(rb, requester.org_id(), requester.editor_index()) +
        ", the request was made by " +
        EditorLabel(rb, request.body.org_id(), request.body.editor_index()));
  }
  CONCLAVE_ASSIGN_OR_RETURN(
      Scalar reply_sk, requester.ReplyKey(AsBytes(request.body.reply_salt())));
  if (request.reply_key.IsInfinity() ||
      Point::BaseMul(reply_sk) != request.reply_key) {
    return FailedPreconditionError(
        "the request's reply key is not derived from this identity: "
        "approvals sealed to it cannot be opened here");
  }
  CONCLAVE_ASSIGN_OR_RETURN(
      Point r, Point::DecodeUncompressed(request.submission.p256tag.enc));

  OpenedApprovals out;
  const ApprovalChecker checker(roster, request, reply_sk, r);
  for (const v1::Approval& approval : approvals) {
    StatusOr<CheckedApproval> checked = checker.Check(approval);
    if (!checked.ok()) {
      out.report.refused.push_back(checked.status().message());
      continue;
    }
    auto [it, inserted] = out.partials[checked->org_id].emplace(
        checked->editor_index, std::move(checked->partial.d));
    if (!inserted) ++out.report.duplicates;
  }
  return out;
}

StatusOr<SecretBytes> CombinePartials(const keyceremony::VerifiedRoster& roster,
                                      const VerifiedRequest& request,
                                      const NestedSelection& selection,
                                      const VerifiedPartials& partials) {
  const v1::RosterBody& rb = roster.body;
  OrgThresholds thresholds;
  for (const auto& [org_id, editors] : selection) {
    const v1::RosterOrganisation* org =
        keyceremony::FindOrganisation(rb, org_id);
    if (org == nullptr) {
      return InvalidArgumentError("organisation " + std::to_string(org_id) +
                                  " is not in the roster");
    }
    thresholds[org_id] = org->editor_threshold();
  }
  CONCLAVE_ASSIGN_OR_RETURN(
      std::vector<NestedCoefficient> lambda,
      NestedLagrangeCoefficientsAtZero(selection, rb.threshold(), thresholds));
  std::map<std::pair<uint32_t, uint32_t>, Point> shares, chosen;
  for (const auto& [org_id, editors] : selection) {
    auto org_partials = partials.find(org_id);
    for (uint32_t j : editors) {
      const v1::RosterEditor* e = FindEditor(rb, org_id, j);
      if (e == nullptr || org_partials == partials.end() ||
          !org_partials->second.contains(j)) {
        return InvalidArgumentError("no verified partial decryption from " +
                                    EditorLabel(rb, org_id, j));
      }
      CONCLAVE_ASSIGN_OR_RETURN(
          Point y_oj,
          Point::DecodeCompressed(AsBytes(e->verification_share())));
      shares.emplace(std::make_pair(org_id, j), y_oj);
      chosen.emplace(std::make_pair(org_id, j), org_partials->second.at(j));
    }
  }
  // The same coefficients must take the verification shares to Y: VerifyRoster
  // guarantees it, so a mismatch is a bug or a corrupted roster, never input.
  if (WeightedSum(lambda, shares) != roster.consortium_key) {
    return InternalError(
        "roster inconsistent: the selected verification shares do not "
        "interpolate to the consortium key");
  }
  // S = Σ λ·D = x·R. Public data (each D is verified), so Mul is fine; S
  // itself is secret-equivalent and goes only into the unwrap.
  const Point s = WeightedSum(lambda, chosen);
  if (s.IsInfinity()) {
    return InternalError("combined decryption share is the point at infinity");
  }
  StatusOr<SecretBytes> file_key = age::UnwrapP256TagWithDhPoint(
      request.submission.p256tag, roster.consortium_key, s);
  if (!file_key.ok()) {
    return file_key.status().Annotate(
        "the combined partial decryptions do not open the submission");
  }
  // A wrong combination (or a submission whose stanza and MAC disagree) is
  // caught here, before any payload.
  if (Status mac = age::VerifyHeaderMac(request.header, *file_key); !mac.ok()) {
    return mac.Annotate(
        "the combined file key does not verify the submission's header MAC");
  }
  return file_key;
}

StatusOr<Combined> CombineApprovals(const keyceremony::VerifiedRoster& roster,
                                    const EditorKeys& requester,
                                    const VerifiedRequest& request,
                                    std::span<const v1::Approval> approvals) {
  const v1::RosterBody& rb = roster.body;
  CONCLAVE_ASSIGN_OR_RETURN(
      OpenedApprovals opened,
      OpenApprovals(roster, requester, request, approvals));
  Combined out;
  out.report = std::move(opened.report);
  const VerifiedPartials& valid = opened.partials;

  // The first t organisations (ascending) with k_o valid partials each,
  // their first k_o editors.
  NestedSelection selection;
  std::vector<std::string> tally;
  const std::vector<uint32_t>& excluded = request.submission.excluded_orgs;
  for (const v1::RosterOrganisation& org : rb.organisations()) {
    if (std::find(excluded.begin(), excluded.end(), org.id()) !=
        excluded.end()) {
      continue;
    }
    const uint32_t k = org.editor_threshold();
    auto it = valid.find(org.id());
    const size_t have = it == valid.end() ? 0 : it->second.size();
    tally.push_back(OrgLabel(org) + ": " + std::to_string(have) + " of " +
                    std::to_string(k) + " valid partial decryptions");
    if (have < k || selection.size() >= rb.threshold()) continue;
    std::vector<uint32_t>& editors = selection[org.id()];
    for (const auto& [index, d] : it->second) {
      if (editors.size() == k) break;
      editors.push_back(index);
    }
  }
  if (selection.size() < rb.threshold()) {
    std::string msg = "not enough valid approvals: need " +
                      std::to_string(rb.threshold()) +
                      " organisations with their editor threshold each, have " +
                      std::to_string(selection.size()) + JoinLines(tally);
    if (!out.report.refused.empty()) {
      msg += "\nrefused:" + JoinLines(out.report.refused);
    }
    return FailedPreconditionError(msg);
  }
  CONCLAVE_ASSIGN_OR_RETURN(out.file_key,
                            CombinePartials(roster, request, selection, valid));
  for (const auto& [org_id, editors] : selection) {
    for (uint32_t j : editors) out.report.used.emplace_back(org_id, j);
  }
  return out;
}

namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Status ReadHeaderAndPayload(const VerifiedRequest& request,
                            const SecretBytes& file_key,
                            age::BufferedReader& in,
                            const std::filesystem::path& out,
                            const std::function<void(uint64_t)>& progress) {
  CONCLAVE_ASSIGN_OR_RETURN(age::Header header, age::ReadHeader(in));
  if (header.bytes != request.header.bytes) {
    return FailedPreconditionError(
        "this file is not the requested submission: its header hash is " +
        HexEncode(header.Hash()) + ", the request's is " +
        HexEncode(request.submission.header_hash));
  }
  CONCLAVE_RETURN_IF_ERROR(age::VerifyHeaderMac(header, file_key));
  // Only now is there anything to write; the temporary file appears here.
  CONCLAVE_ASSIGN_OR_RETURN(std::unique_ptr<age::OutputFile> file,
                            age::OutputFile::Create(out.string()));
  // Each chunk reaches the temporary file only after its tag verified; the
  // rename happens only after the final chunk did (the decryptor returns OK
  // only then). On error `file`'s destructor removes the temporary file.
  // The parallel STREAM decryptor (issue 3) writes in stream order.
  age::ParallelStreamOptions options;
  options.progress = progress;
  CONCLAVE_RETURN_IF_ERROR(
      age::DecryptPayloadParallel(file_key, in, file->writer(), options));
  return file->Commit();
}

}  // namespace

Status DecryptSubmissionToFile(const VerifiedRequest& request,
                               const SecretBytes& file_key,
                               const std::filesystem::path& in,
                               const std::filesystem::path& out,
                               const std::function<void(uint64_t)>& progress) {
  Fd fd(open(in.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return age::AgeError(age::ErrorKind::kIo, "cannot open " + in.string() +
                                                  ": " + std::strerror(errno));
  }
  // Renaming over the input would destroy the submission.
  struct stat in_st, out_st;
  if (fstat(fd.get(), &in_st) == 0 && stat(out.c_str(), &out_st) == 0 &&
      in_st.st_dev == out_st.st_dev && in_st.st_ino == out_st.st_ino) {
    return InvalidArgumentError("the output " + out.string() +
                                " is the input file");
  }
  age::FdReader reader(fd.get());
  age::BufferedReader buf(reader);
  CONCLAVE_ASSIGN_OR_RETURN(bool armored, age::LooksArmored(buf));
  if (!armored) {
    return ReadHeaderAndPayload(request, file_key, buf, out, progress);
  }
  age::ArmorReader armor(buf);
  age::BufferedReader decoded(armor);
  return ReadHeaderAndPayload(request, file_key, decoded, out, progress);
}

}  // namespace conclave::quorum
