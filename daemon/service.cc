// The daemon's logic (daemon/service.h, daemon/service_impl.h).
//
// Every handler follows the store's pattern (daemon/store.h): verify the
// call and the statement outside the store, then in one write transaction
// record the call's nonce, re-read what the decision depends on, insert the
// record with its audit leaf, and commit before replying (fail closed).
// Writers are serialised by the store, so a decision made inside a
// transaction (e.g. "this vote completes the quorum") is made exactly once.
#include <algorithm>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "age/header.h"
#include "age/submission.h"
#include "audit/checkpoint.h"
#include "audit/merkle.h"
#include "daemon/call.h"
#include "daemon/daemon_log.h"
#include "daemon/service_impl.h"
#include "daemon/sqlite_log_storage.h"
#include "keyceremony/roster_members.h"
#include "quorum/canonical.h"

namespace conclave::daemon {
namespace {

std::string Str(uint64_t v) { return std::to_string(v); }

std::string Who(uint32_t org, uint32_t editor) {
  return "org " + Str(org) + " editor " + Str(editor);
}

Status UnavailableError(std::string m) {
  return Status(StatusCode::kUnavailable, std::move(m));
}

Status ResourceExhaustedError(std::string m) {
  return Status(StatusCode::kResourceExhausted, std::move(m));
}

// The replay record's key: the verified signer.
std::string NonceSigner(const VerifiedCall& c) {
  return Str(c.org_id) + "/" + Str(c.editor_index);
}

Status RecordCallNonce(Store::Transaction& txn, const VerifiedCall& c) {
  NonceRecord r;
  r.signer = NonceSigner(c);
  r.nonce = c.nonce;
  r.timestamp_unix = static_cast<int64_t>(c.timestamp_unix);
  Status s = txn.RecordNonce(r);
  if (s.code() == StatusCode::kAlreadyExists) {
    return FailedPreconditionError(
        "replayed call: " + Who(c.org_id, c.editor_index) +
        " already made a call with this nonce (every call is signed afresh)");
  }
  return s;
}

// The envelope's signer must be the statement's (brief §7: identity only
// from verified signatures).
Status CheckSameIdentity(const VerifiedCall& c,
                         const v1::SignedStatement& statement,
                         std::string_view what) {
  if (statement.org_id() != c.org_id ||
      statement.editor_index() != c.editor_index) {
    return PermissionDeniedError(
        "identity mismatch: the call is signed by " +
        Who(c.org_id, c.editor_index) + " but the " + std::string(what) +
        " by " + Who(statement.org_id(), statement.editor_index()));
  }
  return OkStatus();
}

bool IsExcluded(const quorum::VerifiedRequest& r, uint32_t org) {
  const auto& ex = r.submission.excluded_orgs;
  return std::find(ex.begin(), ex.end(), org) != ex.end();
}

v1::RequestState ToProto(RequestState s) {
  switch (s) {
    case RequestState::kOpen:
      return v1::REQUEST_STATE_OPEN;
    case RequestState::kReleased:
      return v1::REQUEST_STATE_RELEASED;
    case RequestState::kExpired:
      return v1::REQUEST_STATE_EXPIRED;
    case RequestState::kWithdrawn:
      return v1::REQUEST_STATE_WITHDRAWN;
  }
  return v1::REQUEST_STATE_UNSPECIFIED;
}

// Why a request takes no more statements.
Status ClosedError(const RequestRecord& r, std::string_view what) {
  const std::string id = quorum::RequestIdHex(r.id);
  switch (r.state) {
    case RequestState::kReleased:
      return FailedPreconditionError(std::string(what) +
                                     " after release: request " + id +
                                     " was already released");
    case RequestState::kExpired:
      return FailedPreconditionError(std::string(what) + " refused: request " +
                                     id + " has expired");
    case RequestState::kWithdrawn:
      return FailedPreconditionError(std::string(what) + " refused: request " +
                                     id + " was withdrawn");
    case RequestState::kOpen:
      break;
  }
  return OkStatus();
}

uint32_t ListLimit(uint32_t limit) {
  if (limit == 0) return kDefaultListLimit;
  return std::min(limit, kMaxListLimit);
}

// gRPC peers are "ipv4:1.2.3.4:5678" / "ipv6:[::1]:5678": the port changes
// with every connection, so the rate is kept per address.
std::string PeerKey(std::string_view peer) {
  if (peer.starts_with("ipv4:") || peer.starts_with("ipv6:")) {
    const size_t colon = peer.rfind(':');
    if (colon > 5) {
      std::string_view port = peer.substr(colon + 1);
      if (!port.empty() && std::all_of(port.begin(), port.end(), [](char ch) {
            return ch >= '0' && ch <= '9';
          })) {
        return std::string(peer.substr(0, colon));
      }
    }
  }
  return std::string(peer);
}

template <typename T>
StatusOr<T> Parse(const std::string& bytes, std::string_view what) {
  return quorum::ParseCanonical<T>(bytes, what);
}

// reader.GetRequest / GetSubmission, with NOT_FOUND in the caller's words.
StatusOr<RequestRecord> KnownRequest(const RecordReader& reader,
                                     const quorum::RequestId& id) {
  auto r = reader.GetRequest(id);
  if (r.ok() || r.status().code() != StatusCode::kNotFound) return r;
  return NotFoundError("request " + quorum::RequestIdHex(id) +
                       " is not known to the daemon");
}

StatusOr<SubmissionRecord> KnownSubmission(const RecordReader& reader,
                                           const std::string& id) {
  auto r = reader.GetSubmission(id);
  if (r.ok() || r.status().code() != StatusCode::kNotFound) return r;
  return NotFoundError("submission " + id + " is not held by the daemon");
}

StatusOr<quorum::RequestId> QueriedRequest(const v1::RequestQuery& q) {
  return quorum::RequestIdFromBytes(AsBytes(q.request_id()));
}

}  // namespace

// ---- Opening ----

StatusOr<std::unique_ptr<Daemon>> Daemon::Open(DaemonOptions options) {
  CONCLAVE_ASSIGN_OR_RETURN(std::unique_ptr<DaemonImpl> d,
                            DaemonImpl::Create(std::move(options)));
  return std::unique_ptr<Daemon>(std::move(d));
}

StatusOr<std::unique_ptr<DaemonImpl>> DaemonImpl::Create(
    DaemonOptions options) {
  return CreateForTesting(std::move(options), StoreOptions());
}

StatusOr<std::unique_ptr<DaemonImpl>> DaemonImpl::CreateForTesting(
    DaemonOptions options, const StoreOptions& store_options) {
  std::unique_ptr<DaemonImpl> d(new DaemonImpl());
  CONCLAVE_RETURN_IF_ERROR(d->Init(std::move(options), store_options));
  return d;
}

Status DaemonImpl::Init(DaemonOptions options,
                        const StoreOptions& store_options) {
  options_ = std::move(options);
  auto roster = keyceremony::VerifyEncodedRoster(options_.roster);
  if (!roster.ok()) return roster.status().Annotate("roster");
  roster_ = std::move(roster).value();
  roster_bytes_ = options_.roster;

  CONCLAVE_ASSIGN_OR_RETURN(quorum::RosterLogKeys keys,
                            quorum::LogKeysFromRoster(roster_));
  log_keys_ = std::make_unique<quorum::RosterLogKeys>(std::move(keys));

  auto key = Ed25519PrivateKey::FromSeed(options_.log_key_seed.span());
  if (!key.ok()) return key.status().Annotate("log key");
  auto signer = audit::Ed25519NoteSigner::Create(options_.log_key_origin,
                                                 std::move(key).value());
  if (!signer.ok()) return signer.status().Annotate("log key origin");
  signer_ = std::move(signer).value();
  const std::string vkey = signer_->Verifier()->vkey();
  if (vkey != roster_.body.log_vkey()) {
    return FailedPreconditionError(
        "the log key is not the roster's log key (the key is " + vkey +
        ", the roster pins " + roster_.body.log_vkey() + ")");
  }

  auto store = Store::Open(options_.data_dir, store_options);
  if (!store.ok()) return store.status().Annotate("data directory");
  store_ = std::move(store).value();

  // The roster chain: first start records the roster; later starts must be
  // given the roster the directory holds.
  const uint64_t now = Now();
  bool first_start = false;
  auto latest = store_->LatestRoster();
  if (latest.ok()) {
    auto stored = keyceremony::VerifyEncodedRoster(latest->roster);
    if (!stored.ok()) {
      return DataLossError("the data directory's roster (epoch " +
                           Str(latest->epoch) +
                           ") does not verify: " + stored.status().message());
    }
    if (stored->fingerprint != roster_.fingerprint) {
      if (roster_.body.epoch() > stored->body.epoch()) {
        return FailedPreconditionError(
            "the roster given is epoch " + Str(roster_.body.epoch()) +
            " but the data directory holds epoch " + Str(stored->body.epoch()) +
            "; changing the roster epoch is not supported yet (issue 9)");
      }
      return FailedPreconditionError(
          "the roster given (epoch " + Str(roster_.body.epoch()) +
          ", fingerprint " + HexEncode(roster_.fingerprint) +
          ") is not the one this data directory holds (epoch " +
          Str(stored->body.epoch()) + ", fingerprint " +
          HexEncode(stored->fingerprint) + ")");
    }
  } else if (latest.status().code() == StatusCode::kNotFound) {
    if (store_->LogSize() != 0) {
      return DataLossError(
          "the data directory holds an audit log but no roster");
    }
    first_start = true;
  } else {
    return latest.status().Annotate("data directory");
  }

  {
    CONCLAVE_ASSIGN_OR_RETURN(Store::Transaction txn, store_->Begin());
    if (first_start) {
      v1::LogLeaf leaf;
      leaf.set_time_unix(now);
      leaf.mutable_roster()->set_roster(AsString(roster_bytes_));
      RosterRecord r;
      r.epoch = roster_.body.epoch();
      r.roster = roster_bytes_;
      r.received_unix = static_cast<int64_t>(now);
      CONCLAVE_RETURN_IF_ERROR(
          txn.InsertRoster(r, quorum::EncodeLogLeaf(leaf)).status());
    }
    v1::LogLeaf started;
    started.set_time_unix(now);
    started.mutable_daemon_started()->set_version(kDaemonVersion);
    CONCLAVE_RETURN_IF_ERROR(
        txn.AppendLeaf(quorum::EncodeLogLeaf(started)).status());
    CONCLAVE_RETURN_IF_ERROR(txn.Commit());
  }

  {
    auto log_key = Ed25519PrivateKey::FromSeed(options_.log_key_seed.span());
    if (!log_key.ok()) return log_key.status();
    CONCLAVE_ASSIGN_OR_RETURN(
        evidence_log_,
        audit::Log::Create(std::make_unique<SqliteLogStorage>(store_.get()),
                           options_.log_key_origin,
                           std::move(log_key).value()));
  }

  if (!options_.witnesses.empty()) {
    std::vector<audit::WitnessEntry> entries;
    for (const keyceremony::RosterWitness& w :
         keyceremony::RosterWitnesses(roster_.body)) {
      entries.push_back({w.org_id, w.vkey});
    }
    auto client = WitnessClient::Create(
        static_cast<uint32_t>(roster_.body.organisations_size()),
        roster_.body.threshold(), entries, roster_.body.log_vkey(),
        options_.witnesses);
    if (!client.ok()) return client.status().Annotate("witnesses");
    witnesses_ = std::move(client).value();
  }

  CheckpointerOptions copts;
  copts.store = store_.get();
  copts.signer = signer_.get();
  copts.witnesses = witnesses_.get();
  copts.keys = log_keys_.get();
  copts.settled_file = options_.data_dir / kSettledCheckpointFile;
  copts.maintenance = [this] {
    auto swept = SweepExpired();
    if (!swept.ok())
      LogLine("expiry sweep failed: " + swept.status().message());
    const uint64_t t = Now();
    if (t >= last_nonce_prune_ + 60) {
      last_nonce_prune_ = t;
      const uint64_t window = options_.replay_window_seconds;
      if (t > window + 1) {
        auto pruned = store_->PruneNonces(static_cast<int64_t>(t - window - 1));
        if (!pruned.ok()) {
          LogLine("nonce pruning failed: " + pruned.status().message());
        }
      }
    }
  };
  CONCLAVE_ASSIGN_OR_RETURN(checkpointer_,
                            Checkpointer::Create(std::move(copts)));

  LogLine(std::string(first_start ? "initialised " : "opened ") +
          options_.data_dir.string() + ": roster epoch " +
          Str(roster_.body.epoch()) + " fingerprint " +
          HexEncode(roster_.fingerprint) + ", log " + options_.log_key_origin +
          " size " + Str(store_->LogSize()) + ", " +
          Str(options_.witnesses.size()) + " witness(es) configured");
  checkpointer_->Start();
  return OkStatus();
}

DaemonImpl::~DaemonImpl() { Shutdown(); }

void DaemonImpl::Shutdown() {
  if (shut_down_.exchange(true)) return;
  if (!checkpointer_) return;  // Open failed
  checkpointer_->Stop();
  LogLine("shut down");
}

// ---- Common ----

uint64_t DaemonImpl::Now() const {
  if (options_.clock) return options_.clock();
  return static_cast<uint64_t>(std::time(nullptr));
}

Status DaemonImpl::Fatal() const {
  return store_ ? store_->FatalError() : OkStatus();
}

void DaemonImpl::SetFatalHandler(std::function<void(const Status&)> handler) {
  std::lock_guard<std::mutex> lock(fatal_mu_);
  fatal_handler_ = std::move(handler);
}

Status DaemonImpl::CheckRunning() const {
  Status fatal = Fatal();
  if (!fatal.ok())
    return UnavailableError("daemon stopped: " + fatal.message());
  if (shut_down_.load()) return UnavailableError("daemon is shutting down");
  return OkStatus();
}

Status DaemonImpl::Fail(Status s) {
  Status fatal = Fatal();
  if (fatal.ok()) return s;
  std::function<void(const Status&)> handler;
  {
    std::lock_guard<std::mutex> lock(fatal_mu_);
    if (!fatal_reported_) {
      fatal_reported_ = true;
      handler = fatal_handler_;
      LogLine("FATAL storage error, refusing every call: " + fatal.message());
    }
  }
  if (handler) handler(fatal);
  return UnavailableError("daemon stopped: " + fatal.message());
}

namespace {

// Runs `fn` and passes a failure through DaemonImpl::Fail.
template <typename Fn>
auto Guarded(DaemonImpl* d, Status (DaemonImpl::*fail)(Status), Fn&& fn)
    -> decltype(fn()) {
  auto r = fn();
  if (!r.ok()) return (d->*fail)(r.status());
  return r;
}

}  // namespace

Status DaemonImpl::RecordReadNonce(const VerifiedCall& call) {
  CONCLAVE_ASSIGN_OR_RETURN(Store::Transaction txn, store_->Begin());
  CONCLAVE_RETURN_IF_ERROR(RecordCallNonce(txn, call));
  return txn.Commit();
}

template <typename Payload>
StatusOr<DaemonImpl::Signed<Payload>> DaemonImpl::Authenticate(
    std::string_view method, const v1::SignedStatement& call,
    std::string_view what) {
  CONCLAVE_RETURN_IF_ERROR(CheckRunning());
  const uint64_t now = Now();
  CONCLAVE_ASSIGN_OR_RETURN(
      VerifiedCall c,
      VerifyCall(roster_, method, call, now, options_.replay_window_seconds));
  CONCLAVE_ASSIGN_OR_RETURN(Payload payload, Parse<Payload>(c.payload, what));
  return Signed<Payload>{now, std::move(c), std::move(payload)};
}

template <typename Fn>
auto DaemonImpl::AnswerRead(const VerifiedCall& call, Fn&& fn)
    -> decltype(fn()) {
  return Guarded(this, &DaemonImpl::Fail, [&]() -> decltype(fn()) {
    CONCLAVE_RETURN_IF_ERROR(RecordReadNonce(call));
    return fn();
  });
}

Status DaemonImpl::RefuseExpired(const quorum::RequestId& id,
                                 uint64_t expiry_leaf, std::string why) {
  checkpointer_->Notify();
  LogLine("request " + quorum::RequestIdHex(id) + " expired: leaf " +
          Str(expiry_leaf));
  return FailedPreconditionError(std::move(why));
}

StatusOr<std::shared_ptr<const quorum::VerifiedRequest>>
DaemonImpl::LoadRequest(const quorum::RequestId& id,
                        const RecordReader& reader) {
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = requests_.find(id);
    if (it != requests_.end()) return it->second;
  }
  CONCLAVE_ASSIGN_OR_RETURN(RequestRecord record, KnownRequest(reader, id));
  v1::SignedStatement statement;
  if (!statement.ParseFromString(AsString(record.statement))) {
    return DataLossError("stored request " + quorum::RequestIdHex(id) +
                         " does not parse");
  }
  auto verified = quorum::VerifyRequest(roster_, statement);
  if (!verified.ok()) {
    return DataLossError("stored request " + quorum::RequestIdHex(id) +
                         " does not verify: " + verified.status().message());
  }
  auto shared = std::make_shared<const quorum::VerifiedRequest>(
      std::move(verified).value());
  std::lock_guard<std::mutex> lock(cache_mu_);
  requests_.emplace(id, shared);
  return shared;
}

StatusOr<std::optional<uint64_t>> DaemonImpl::ExpireIfDue(
    Store::Transaction& txn, const RequestRecord& r, uint64_t now) {
  if (r.state != RequestState::kOpen ||
      static_cast<uint64_t>(r.expires_unix) > now) {
    return std::optional<uint64_t>();
  }
  v1::LogLeaf leaf;
  leaf.set_time_unix(now);
  leaf.mutable_expiry()->set_request_id(AsString(r.id));
  CONCLAVE_ASSIGN_OR_RETURN(uint64_t index,
                            txn.AppendLeaf(quorum::EncodeLogLeaf(leaf)));
  CONCLAVE_RETURN_IF_ERROR(txn.SetRequestState(r.id, RequestState::kOpen,
                                               RequestState::kExpired, index));
  return std::optional<uint64_t>(index);
}

StatusOr<uint64_t> DaemonImpl::SweepExpired() {
  CONCLAVE_RETURN_IF_ERROR(CheckRunning());
  const uint64_t now = Now();
  auto due = store_->ListExpiredOpenRequests(static_cast<int64_t>(now));
  if (!due.ok()) return Fail(due.status());
  if (due->empty()) return uint64_t{0};
  auto run =
      [&]() -> StatusOr<std::vector<std::pair<quorum::RequestId, uint64_t>>> {
    CONCLAVE_ASSIGN_OR_RETURN(Store::Transaction txn, store_->Begin());
    std::vector<std::pair<quorum::RequestId, uint64_t>> expired;
    for (const RequestRecord& candidate : *due) {
      // Re-read under the writer: a vote handler may have expired it first.
      CONCLAVE_ASSIGN_OR_RETURN(RequestRecord r, txn.GetRequest(candidate.id));
      CONCLAVE_ASSIGN_OR_RETURN(std::optional<uint64_t> leaf,
                                ExpireIfDue(txn, r, now));
      if (leaf.has_value()) expired.emplace_back(r.id, *leaf);
    }
    CONCLAVE_RETURN_IF_ERROR(txn.Commit());
    return expired;
  };
  auto expired = run();
  if (!expired.ok()) return Fail(expired.status());
  for (const auto& [id, leaf] : *expired) {
    LogLine("request " + quorum::RequestIdHex(id) + " expired: leaf " +
            Str(leaf));
  }
  if (!expired->empty()) checkpointer_->Notify();
  return static_cast<uint64_t>(expired->size());
}

StatusOr<quorum::QuorumProgress> DaemonImpl::Tally(
    const RecordReader& reader, const quorum::VerifiedRequest& request,
    const v1::VoteBody* extra) {
  quorum::QuorumTally tally(roster_, request);
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<VoteRecord> votes,
                            reader.ListVotes(request.id));
  for (const VoteRecord& v : votes) {
    v1::SignedStatement s;
    if (!s.ParseFromString(AsString(v.statement))) {
      return DataLossError("a stored vote does not parse");
    }
    // Counted the way releasers count: only verified votes.
    auto body = quorum::VerifyVote(roster_, s);
    if (!body.ok()) {
      return DataLossError("a stored vote does not verify: " +
                           body.status().message());
    }
    (void)tally.Add(*body);  // refusals are simply not counted
  }
  if (extra != nullptr) (void)tally.Add(*extra);
  return tally.progress();
}

std::string DaemonImpl::AwaitSettled(uint64_t leaf) {
  checkpointer_->Notify();
  if (options_.settle_wait_ms > 0) {
    checkpointer_->WaitSettled(
        leaf + 1, std::chrono::milliseconds(options_.settle_wait_ms));
  }
  CheckpointState s = checkpointer_->State();
  if (s.settled_size > leaf) {
    return "log: leaf " + Str(leaf) + " is in the settled checkpoint of size " +
           Str(s.settled_size);
  }
  return "log: leaf " + Str(leaf) + " is not in a settled checkpoint yet (" +
         s.unsettled_reason + ")";
}

// ---- Anonymous ----

Status DaemonImpl::AllowSubmission(std::string_view peer, uint64_t now) {
  const uint32_t per_minute = options_.submissions_per_minute;
  if (per_minute == 0) return OkStatus();  // no limit (benchmarks)
  const std::string key = PeerKey(peer);
  const double capacity = per_minute;
  const double per_second = per_minute / 60.0;
  std::lock_guard<std::mutex> lock(rate_mu_);
  if (buckets_.size() > 100000) {
    // Forget peers whose bucket has refilled: they lose nothing.
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      if (now >= it->second.last + 60) {
        it = buckets_.erase(it);
      } else {
        ++it;
      }
    }
  }
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{capacity, now});
  Bucket& b = it->second;
  if (!inserted && now > b.last) {
    b.tokens = std::min(capacity, b.tokens + (now - b.last) * per_second);
  }
  b.last = std::max(b.last, now);
  if (b.tokens < 1.0) {
    return ResourceExhaustedError(
        "too many submissions from this address: at most " + Str(per_minute) +
        " per minute; try again later");
  }
  b.tokens -= 1.0;
  return OkStatus();
}

StatusOr<v1::SubmitReply> DaemonImpl::Submit(ByteSpan file,
                                             std::string_view peer) {
  CONCLAVE_RETURN_IF_ERROR(CheckRunning());
  const uint64_t now = Now();
  if (file.size() > options_.max_submission_bytes) {
    return ResourceExhaustedError("the submission is " + Str(file.size()) +
                                  " bytes, more than this daemon accepts (" +
                                  Str(options_.max_submission_bytes) +
                                  " bytes)");
  }
  CONCLAVE_RETURN_IF_ERROR(AllowSubmission(peer, now));
  constexpr std::string_view kArmor = "-----BEGIN AGE ENCRYPTED FILE-----";
  if (AsStringView(file).starts_with(kArmor)) {
    return InvalidArgumentError(
        "ASCII-armored age files are not accepted: submit the binary age "
        "file");
  }
  size_t header_size = 0;
  auto header = age::ParseHeader(file, &header_size);
  if (!header.ok()) {
    return InvalidArgumentError("not an age file: " +
                                header.status().message());
  }
  // age STREAM: a 16-byte nonce and at least one (possibly empty) chunk
  // with its 16-byte tag.
  if (file.size() - header_size < 32) {
    return InvalidArgumentError(
        "the age file ends too early: no encrypted payload after its header");
  }
  age::SubmissionPolicy policy;
  policy.allow_drill = false;
  policy.max_exclusions = keyceremony::MaxExclusions(roster_.body);
  CONCLAVE_ASSIGN_OR_RETURN(
      age::SubmissionInfo info,
      age::ValidateSubmission(*header, roster_.consortium_key, policy));

  return Guarded(this, &DaemonImpl::Fail, [&]() -> StatusOr<v1::SubmitReply> {
    auto known = store_->GetSubmission(info.id);
    if (known.ok()) {
      return AlreadyExistsError("submission " + info.id +
                                " already received (leaf " +
                                Str(known->leaf_index) + ")");
    }
    if (known.status().code() != StatusCode::kNotFound) return known.status();

    // Blob durably first, then the row and its leaf (brief §7).
    CONCLAVE_ASSIGN_OR_RETURN(Sha256Digest file_hash,
                              store_->blobs().Put(file));
    SubmissionRecord record;
    record.id = info.id;
    record.header_hash = info.header_hash;
    record.size = file.size();
    record.file_hash = file_hash;
    record.excluded_orgs = info.excluded_orgs;
    record.received_unix = static_cast<int64_t>(now);
    v1::LogLeaf leaf;
    leaf.set_time_unix(now);
    v1::SubmissionReceived* s = leaf.mutable_submission();
    s->set_submission_id(info.id);
    s->set_header_hash(AsString(info.header_hash));
    s->set_size(file.size());
    s->set_file_hash(AsString(file_hash));
    for (uint32_t org : info.excluded_orgs) s->add_excluded_orgs(org);

    uint64_t index = 0;
    {
      CONCLAVE_ASSIGN_OR_RETURN(Store::Transaction txn, store_->Begin());
      auto inserted = txn.InsertSubmission(record, quorum::EncodeLogLeaf(leaf));
      if (!inserted.ok()) {
        if (inserted.status().code() == StatusCode::kAlreadyExists) {
          // Another upload of the same id won the race.
          auto held = txn.GetSubmission(info.id);
          return AlreadyExistsError(
              "submission " + info.id + " already received" +
              (held.ok() ? " (leaf " + Str(held->leaf_index) + ")" : ""));
        }
        return inserted.status();
      }
      index = *inserted;
      CONCLAVE_RETURN_IF_ERROR(txn.Commit());
    }
    checkpointer_->Notify();
    std::string excluded;
    for (uint32_t org : info.excluded_orgs) {
      excluded += (excluded.empty() ? "" : ",") + Str(org);
    }
    LogLine("submission " + info.id + " received: leaf " + Str(index) + ", " +
            Str(file.size()) + " bytes, excluded orgs [" + excluded + "]");

    const std::string text =
        std::string(kAcceptanceHeader) + "\n" + signer_->name() + "\n" +
        info.id + "\n" + Str(index) + "\n" + HexEncode(info.header_hash) + "\n";
    const audit::NoteSigner* signers[] = {signer_.get()};
    CONCLAVE_ASSIGN_OR_RETURN(std::string note, audit::SignNote(text, signers));
    v1::SubmitReply reply;
    reply.set_submission_id(info.id);
    reply.set_leaf_index(index);
    reply.set_acceptance(std::move(note));
    return reply;
  });
}

StatusOr<v1::RosterChain> DaemonImpl::GetRosters() {
  CONCLAVE_RETURN_IF_ERROR(CheckRunning());
  return Guarded(this, &DaemonImpl::Fail, [&]() -> StatusOr<v1::RosterChain> {
    CONCLAVE_ASSIGN_OR_RETURN(RosterRecord latest, store_->LatestRoster());
    v1::RosterChain chain;
    for (uint64_t e = 1; e <= latest.epoch; ++e) {
      auto r = store_->GetRoster(e);
      if (!r.ok()) {
        if (r.status().code() == StatusCode::kNotFound) continue;
        return r.status();
      }
      chain.add_rosters(AsString(r->roster));
    }
    return chain;
  });
}

// ---- Editor statements ----

StatusOr<v1::PostReply> DaemonImpl::PostRequest(
    const v1::SignedStatement& call) {
  CONCLAVE_ASSIGN_OR_RETURN(
      Signed<v1::SignedStatement> in,
      Authenticate<v1::SignedStatement>("PostRequest", call, "request"));
  const uint64_t now = in.now;
  const VerifiedCall& c = in.call;
  const v1::SignedStatement& statement = in.payload;
  CONCLAVE_ASSIGN_OR_RETURN(quorum::VerifiedRequest req,
                            quorum::VerifyRequest(roster_, statement));
  CONCLAVE_RETURN_IF_ERROR(CheckSameIdentity(c, statement, "request"));
  if (req.drill) {
    return PermissionDeniedError(
        "drill requests never go through the daemon: drills are opened "
        "offline with the ceremony's files");
  }
  CONCLAVE_RETURN_IF_ERROR(quorum::CheckNotExpired(req, now));
  const uint64_t max_lifetime =
      roster_.body.policy().max_request_lifetime_seconds();
  if (req.body.expires_unix() > now + max_lifetime) {
    return FailedPreconditionError(
        "the request expires more than the roster's maximum lifetime (" +
        Str(max_lifetime) +
        " s) from the daemon's clock (check this computer's clock)");
  }

  return Guarded(this, &DaemonImpl::Fail, [&]() -> StatusOr<v1::PostReply> {
    RequestRecord record;
    record.id = req.id;
    record.submission_id = req.submission.id;
    record.org_id = req.body.org_id();
    record.editor_index = req.body.editor_index();
    record.epoch = req.body.epoch();
    record.statement = ToBytes(c.payload);
    record.expires_unix = static_cast<int64_t>(req.body.expires_unix());
    record.received_unix = static_cast<int64_t>(now);
    v1::LogLeaf leaf;
    leaf.set_time_unix(now);
    *leaf.mutable_request() = statement;

    v1::PostReply reply;
    {
      CONCLAVE_ASSIGN_OR_RETURN(Store::Transaction txn, store_->Begin());
      CONCLAVE_RETURN_IF_ERROR(RecordCallNonce(txn, c));
      CONCLAVE_ASSIGN_OR_RETURN(SubmissionRecord sub,
                                KnownSubmission(txn, req.submission.id));
      if (sub.header_hash != req.submission.header_hash) {
        return FailedPreconditionError(
            "the request's embedded age header is not the header of stored "
            "submission " +
            req.submission.id);
      }
      auto inserted = txn.InsertRequest(record, quorum::EncodeLogLeaf(leaf));
      if (inserted.ok()) {
        reply.set_leaf_index(*inserted);
      } else if (inserted.status().code() == StatusCode::kAlreadyExists) {
        CONCLAVE_ASSIGN_OR_RETURN(RequestRecord held, txn.GetRequest(req.id));
        reply.set_leaf_index(held.leaf_index);
        reply.set_duplicate(true);
      } else {
        return inserted.status();
      }
      CONCLAVE_RETURN_IF_ERROR(txn.Commit());
    }
    {
      std::lock_guard<std::mutex> lock(cache_mu_);
      requests_.try_emplace(
          req.id, std::make_shared<const quorum::VerifiedRequest>(req));
    }
    if (!reply.duplicate()) {
      LogLine("request " + quorum::RequestIdHex(req.id) + " by " +
              Who(c.org_id, c.editor_index) + " for submission " +
              req.submission.id + ": leaf " + Str(reply.leaf_index()) +
              ", expires " + Str(req.body.expires_unix()));
    }
    reply.set_status(AwaitSettled(reply.leaf_index()));
    return reply;
  });
}

StatusOr<v1::PostReply> DaemonImpl::PostVote(const v1::SignedStatement& call) {
  CONCLAVE_ASSIGN_OR_RETURN(
      Signed<v1::SignedStatement> in,
      Authenticate<v1::SignedStatement>("PostVote", call, "vote"));
  const uint64_t now = in.now;
  const VerifiedCall& c = in.call;
  const v1::SignedStatement& statement = in.payload;
  CONCLAVE_ASSIGN_OR_RETURN(v1::VoteBody vote,
                            quorum::VerifyVote(roster_, statement));
  CONCLAVE_RETURN_IF_ERROR(CheckSameIdentity(c, statement, "vote"));
  CONCLAVE_ASSIGN_OR_RETURN(
      quorum::RequestId id,
      quorum::RequestIdFromBytes(AsBytes(vote.request_id())));

  return Guarded(this, &DaemonImpl::Fail, [&]() -> StatusOr<v1::PostReply> {
    CONCLAVE_ASSIGN_OR_RETURN(
        std::shared_ptr<const quorum::VerifiedRequest> req,
        LoadRequest(id, *store_));
    if (IsExcluded(*req, vote.org_id())) {
      return PermissionDeniedError(
          "organisation " + Str(vote.org_id()) +
          " is excluded by the submission's sender; its votes are refused");
    }
    CONCLAVE_ASSIGN_OR_RETURN(RequestRecord committed, store_->GetRequest(id));

    // The checkpoint the voter names must be one this log served as
    // settled, and contain the request.
    const uint64_t cp_size = vote.checkpoint_size();
    if (cp_size <= committed.leaf_index) {
      return FailedPreconditionError(
          "the vote names a checkpoint of size " + Str(cp_size) +
          ", which does not contain the request (leaf " +
          Str(committed.leaf_index) + ")");
    }
    const CheckpointState cps = checkpointer_->State();
    if (cp_size > cps.settled_size) {
      return FailedPreconditionError(
          "the vote names a checkpoint of size " + Str(cp_size) +
          " but the daemon's latest settled checkpoint has " +
          Str(cps.settled_size) + " leaves");
    }
    {
      SqliteLogStorage view(store_.get());
      CONCLAVE_ASSIGN_OR_RETURN(audit::Hash root,
                                audit::RootHash(view, cp_size));
      if (!quorum::SameBytes(vote.checkpoint_root(), root)) {
        return FailedPreconditionError(
            "the vote names a root for size " + Str(cp_size) +
            " that is not this log's: the voter was shown another log");
      }
    }

    v1::PostReply reply;
    bool completed = false;
    std::optional<uint64_t> expiry_leaf;
    quorum::QuorumProgress progress;
    {
      CONCLAVE_ASSIGN_OR_RETURN(Store::Transaction txn, store_->Begin());
      CONCLAVE_RETURN_IF_ERROR(RecordCallNonce(txn, c));
      CONCLAVE_ASSIGN_OR_RETURN(std::vector<VoteRecord> held,
                                txn.ListVotes(id));
      const Bytes bytes = ToBytes(c.payload);
      for (const VoteRecord& v : held) {
        if (v.org_id != vote.org_id() ||
            v.editor_index != vote.editor_index()) {
          continue;
        }
        if (v.statement != bytes) {
          return FailedPreconditionError(
              "already voted: " + Who(v.org_id, v.editor_index) +
              " voted on this request before (leaf " + Str(v.leaf_index) +
              "); a different second vote is refused");
        }
        reply.set_duplicate(true);
        reply.set_leaf_index(v.leaf_index);
      }
      if (!reply.duplicate()) {
        CONCLAVE_ASSIGN_OR_RETURN(RequestRecord r, txn.GetRequest(id));
        CONCLAVE_RETURN_IF_ERROR(ClosedError(r, "votes"));
        CONCLAVE_ASSIGN_OR_RETURN(expiry_leaf, ExpireIfDue(txn, r, now));
        if (!expiry_leaf.has_value()) {
          CONCLAVE_ASSIGN_OR_RETURN(quorum::QuorumProgress before,
                                    Tally(txn, *req, nullptr));
          CONCLAVE_ASSIGN_OR_RETURN(progress, Tally(txn, *req, &vote));
          completed = !before.complete() && progress.complete();
          VoteRecord record;
          record.request_id = id;
          record.org_id = vote.org_id();
          record.editor_index = vote.editor_index();
          record.decision = static_cast<uint32_t>(vote.decision());
          record.statement = bytes;
          record.received_unix = static_cast<int64_t>(now);
          v1::LogLeaf leaf;
          leaf.set_time_unix(now);
          *leaf.mutable_vote() = statement;
          CONCLAVE_ASSIGN_OR_RETURN(
              uint64_t index,
              txn.InsertVote(record, quorum::EncodeLogLeaf(leaf)));
          reply.set_leaf_index(index);
        }
      }
      if (reply.duplicate()) {
        CONCLAVE_ASSIGN_OR_RETURN(progress, Tally(txn, *req, nullptr));
      }
      CONCLAVE_RETURN_IF_ERROR(txn.Commit());
    }
    if (expiry_leaf.has_value()) {
      return RefuseExpired(id, *expiry_leaf,
                           "votes refused: request " +
                               quorum::RequestIdHex(id) + " expired at " +
                               Str(committed.expires_unix));
    }
    if (!reply.duplicate()) {
      LogLine("vote on request " + quorum::RequestIdHex(id) + " by " +
              Who(vote.org_id(), vote.editor_index()) + " (" +
              (vote.decision() == v1::DECISION_APPROVE ? "approve" : "refuse") +
              "): leaf " + Str(reply.leaf_index()));
    }
    if (completed) {
      quorum_events_.fetch_add(1);
      std::string orgs;
      for (uint32_t o : progress.SatisfiedOrgs()) {
        orgs += (orgs.empty() ? "" : ",") + Str(o);
      }
      LogLine("request " + quorum::RequestIdHex(id) +
              ": quorum complete (organisations " + orgs +
              ") with the vote at leaf " + Str(reply.leaf_index()));
    }
    std::string status;
    if (completed) status = "quorum complete with this vote. ";
    status += progress.Describe(roster_.body);
    status += "\n" + AwaitSettled(reply.leaf_index());
    reply.set_status(std::move(status));
    return reply;
  });
}

StatusOr<v1::PostReply> DaemonImpl::PostApproval(
    const v1::SignedStatement& call) {
  CONCLAVE_ASSIGN_OR_RETURN(
      Signed<v1::Approval> in,
      Authenticate<v1::Approval>("PostApproval", call, "approval"));
  const uint64_t now = in.now;
  const VerifiedCall& c = in.call;
  const v1::Approval& approval = in.payload;
  // Any member may relay an approval (e.g. from an air-gapped editor): the
  // approval's own signature says whose it is.
  CONCLAVE_ASSIGN_OR_RETURN(v1::ApprovalBody body,
                            quorum::VerifyApprovalStatement(roster_, approval));
  CONCLAVE_ASSIGN_OR_RETURN(
      quorum::RequestId id,
      quorum::RequestIdFromBytes(AsBytes(body.request_id())));

  return Guarded(this, &DaemonImpl::Fail, [&]() -> StatusOr<v1::PostReply> {
    CONCLAVE_ASSIGN_OR_RETURN(
        std::shared_ptr<const quorum::VerifiedRequest> req,
        LoadRequest(id, *store_));
    if (!quorum::SameBytes(body.header_hash(), req->submission.header_hash)) {
      return FailedPreconditionError(
          "the approval names another age header than request " +
          quorum::RequestIdHex(id) + "'s");
    }
    if (IsExcluded(*req, body.org_id())) {
      return PermissionDeniedError(
          "organisation " + Str(body.org_id()) +
          " is excluded by the submission's sender; its approvals are refused");
    }

    v1::PostReply reply;
    std::optional<uint64_t> expiry_leaf;
    bool released = false;
    uint32_t complete_orgs = 0;
    int64_t expires = 0;
    {
      CONCLAVE_ASSIGN_OR_RETURN(Store::Transaction txn, store_->Begin());
      CONCLAVE_RETURN_IF_ERROR(RecordCallNonce(txn, c));
      CONCLAVE_ASSIGN_OR_RETURN(std::vector<ApprovalRecord> held,
                                txn.ListApprovals(id));
      const Bytes bytes = ToBytes(c.payload);
      for (const ApprovalRecord& a : held) {
        if (a.org_id != body.org_id() ||
            a.editor_index != body.editor_index()) {
          continue;
        }
        if (a.approval != bytes) {
          return FailedPreconditionError(
              "already approved: " + Who(a.org_id, a.editor_index) +
              " released a partial for this request before (leaf " +
              Str(a.leaf_index) + "); a different second one is refused");
        }
        reply.set_duplicate(true);
        reply.set_leaf_index(a.leaf_index);
      }
      CONCLAVE_ASSIGN_OR_RETURN(RequestRecord r, txn.GetRequest(id));
      expires = r.expires_unix;
      if (!reply.duplicate()) {
        if (r.state == RequestState::kExpired ||
            r.state == RequestState::kWithdrawn) {
          return ClosedError(r, "approvals");
        }
        CONCLAVE_ASSIGN_OR_RETURN(expiry_leaf, ExpireIfDue(txn, r, now));
      }
      if (!reply.duplicate() && !expiry_leaf.has_value()) {
        CONCLAVE_ASSIGN_OR_RETURN(std::vector<VoteRecord> votes,
                                  txn.ListVotes(id));
        const bool voted =
            std::any_of(votes.begin(), votes.end(), [&](const VoteRecord& v) {
              return v.org_id == body.org_id() &&
                     v.editor_index == body.editor_index() &&
                     v.decision == v1::DECISION_APPROVE;
            });
        if (!voted) {
          return FailedPreconditionError(
              Who(body.org_id(), body.editor_index()) +
              " has no approving vote logged on request " +
              quorum::RequestIdHex(id));
        }
        CONCLAVE_ASSIGN_OR_RETURN(quorum::QuorumProgress progress,
                                  Tally(txn, *req, nullptr));
        if (!progress.complete()) {
          return FailedPreconditionError(
              "the quorum for request " + quorum::RequestIdHex(id) +
              " is not complete: " + progress.Describe(roster_.body));
        }
        ApprovalRecord record;
        record.request_id = id;
        record.org_id = body.org_id();
        record.editor_index = body.editor_index();
        record.approval = bytes;
        record.received_unix = static_cast<int64_t>(now);
        v1::LogLeaf leaf;
        leaf.set_time_unix(now);
        *leaf.mutable_approval() = approval;
        CONCLAVE_ASSIGN_OR_RETURN(
            uint64_t index,
            txn.InsertApproval(record, quorum::EncodeLogLeaf(leaf)));
        reply.set_leaf_index(index);
      }
      if (!expiry_leaf.has_value()) {
        // Released once t organisations (not excluded) each have approvals
        // from k_o distinct editors: the requester can then combine.
        CONCLAVE_ASSIGN_OR_RETURN(std::vector<ApprovalRecord> all,
                                  txn.ListApprovals(id));
        std::map<uint32_t, std::set<uint32_t>> by_org;
        for (const ApprovalRecord& a : all) {
          by_org[a.org_id].insert(a.editor_index);
        }
        for (const auto& [org, editors] : by_org) {
          const v1::RosterOrganisation* o =
              keyceremony::FindOrganisation(roster_.body, org);
          if (o != nullptr && !IsExcluded(*req, org) &&
              editors.size() >= o->editor_threshold()) {
            ++complete_orgs;
          }
        }
        if (!reply.duplicate() && r.state == RequestState::kOpen &&
            complete_orgs >= roster_.body.threshold()) {
          CONCLAVE_RETURN_IF_ERROR(txn.SetRequestState(id, RequestState::kOpen,
                                                       RequestState::kReleased,
                                                       reply.leaf_index()));
          released = true;
        }
      }
      CONCLAVE_RETURN_IF_ERROR(txn.Commit());
    }
    if (expiry_leaf.has_value()) {
      return RefuseExpired(id, *expiry_leaf,
                           "approvals refused: request " +
                               quorum::RequestIdHex(id) + " expired at " +
                               Str(expires));
    }
    if (!reply.duplicate()) {
      LogLine("approval on request " + quorum::RequestIdHex(id) + " by " +
              Who(body.org_id(), body.editor_index()) + " (relayed by " +
              Who(c.org_id, c.editor_index) + "): leaf " +
              Str(reply.leaf_index()));
    }
    if (released) {
      LogLine("request " + quorum::RequestIdHex(id) +
              " released: approvals from " + Str(complete_orgs) +
              " organisations, completed at leaf " + Str(reply.leaf_index()));
    }
    std::string status = Str(complete_orgs) + " of " +
                         Str(roster_.body.threshold()) +
                         " organisations have released all their partials";
    if (released) status += "; request released";
    status += "\n" + AwaitSettled(reply.leaf_index());
    reply.set_status(std::move(status));
    return reply;
  });
}

StatusOr<v1::PostReply> DaemonImpl::PostWithdrawal(
    const v1::SignedStatement& call) {
  CONCLAVE_ASSIGN_OR_RETURN(
      Signed<v1::SignedStatement> in,
      Authenticate<v1::SignedStatement>("PostWithdrawal", call, "withdrawal"));
  const uint64_t now = in.now;
  const VerifiedCall& c = in.call;
  const v1::SignedStatement& statement = in.payload;
  CONCLAVE_ASSIGN_OR_RETURN(v1::WithdrawalBody body,
                            quorum::VerifyWithdrawal(roster_, statement));
  CONCLAVE_RETURN_IF_ERROR(CheckSameIdentity(c, statement, "withdrawal"));
  CONCLAVE_ASSIGN_OR_RETURN(
      quorum::RequestId id,
      quorum::RequestIdFromBytes(AsBytes(body.request_id())));

  return Guarded(this, &DaemonImpl::Fail, [&]() -> StatusOr<v1::PostReply> {
    CONCLAVE_ASSIGN_OR_RETURN(RequestRecord committed,
                              KnownRequest(*store_, id));
    if (committed.org_id != body.org_id() ||
        committed.editor_index != body.editor_index()) {
      return PermissionDeniedError(
          "only the requester (" +
          Who(committed.org_id, committed.editor_index) +
          ") may withdraw request " + quorum::RequestIdHex(id));
    }
    v1::PostReply reply;
    std::optional<uint64_t> expiry_leaf;
    {
      CONCLAVE_ASSIGN_OR_RETURN(Store::Transaction txn, store_->Begin());
      CONCLAVE_RETURN_IF_ERROR(RecordCallNonce(txn, c));
      CONCLAVE_ASSIGN_OR_RETURN(std::vector<WithdrawalRecord> held,
                                txn.ListWithdrawals(id));
      const Bytes bytes = ToBytes(c.payload);
      for (const WithdrawalRecord& w : held) {
        if (w.statement != bytes) {
          return FailedPreconditionError("request " + quorum::RequestIdHex(id) +
                                         " was already withdrawn (leaf " +
                                         Str(w.leaf_index) + ")");
        }
        reply.set_duplicate(true);
        reply.set_leaf_index(w.leaf_index);
      }
      if (!reply.duplicate()) {
        CONCLAVE_ASSIGN_OR_RETURN(RequestRecord r, txn.GetRequest(id));
        CONCLAVE_RETURN_IF_ERROR(ClosedError(r, "withdrawal"));
        CONCLAVE_ASSIGN_OR_RETURN(expiry_leaf, ExpireIfDue(txn, r, now));
        if (!expiry_leaf.has_value()) {
          WithdrawalRecord record;
          record.request_id = id;
          record.org_id = body.org_id();
          record.editor_index = body.editor_index();
          record.statement = bytes;
          record.received_unix = static_cast<int64_t>(now);
          v1::LogLeaf leaf;
          leaf.set_time_unix(now);
          *leaf.mutable_withdrawal() = statement;
          CONCLAVE_ASSIGN_OR_RETURN(
              uint64_t index,
              txn.InsertWithdrawal(record, quorum::EncodeLogLeaf(leaf)));
          CONCLAVE_RETURN_IF_ERROR(txn.SetRequestState(
              id, RequestState::kOpen, RequestState::kWithdrawn, index));
          reply.set_leaf_index(index);
        }
      }
      CONCLAVE_RETURN_IF_ERROR(txn.Commit());
    }
    if (expiry_leaf.has_value()) {
      return RefuseExpired(id, *expiry_leaf,
                           "withdrawal refused: request " +
                               quorum::RequestIdHex(id) +
                               " has already expired");
    }
    if (!reply.duplicate()) {
      LogLine("request " + quorum::RequestIdHex(id) + " withdrawn by " +
              Who(c.org_id, c.editor_index) + ": leaf " +
              Str(reply.leaf_index()));
    }
    reply.set_status("request withdrawn\n" + AwaitSettled(reply.leaf_index()));
    return reply;
  });
}

// ---- Editor queries ----

StatusOr<v1::SubmissionList> DaemonImpl::ListSubmissions(
    const v1::SignedStatement& call) {
  CONCLAVE_ASSIGN_OR_RETURN(
      Signed<v1::ListQuery> in,
      Authenticate<v1::ListQuery>("ListSubmissions", call));
  const v1::ListQuery& q = in.payload;
  return AnswerRead(in.call, [&]() -> StatusOr<v1::SubmissionList> {
    CONCLAVE_ASSIGN_OR_RETURN(
        std::vector<SubmissionRecord> records,
        store_->ListSubmissions(q.start(), ListLimit(q.limit())));
    v1::SubmissionList list;
    for (const SubmissionRecord& r : records) {
      v1::SubmissionInfo* s = list.add_submissions();
      s->set_submission_id(r.id);
      s->set_leaf_index(r.leaf_index);
      s->set_received_unix(static_cast<uint64_t>(r.received_unix));
      s->set_size(r.size);
      for (uint32_t o : r.excluded_orgs) s->add_excluded_orgs(o);
      s->set_header_hash(AsString(r.header_hash));
    }
    return list;
  });
}

Status DaemonImpl::GetSubmissionFile(
    const v1::SignedStatement& call,
    const std::function<Status(ByteSpan)>& sink) {
  CONCLAVE_ASSIGN_OR_RETURN(
      Signed<v1::SubmissionQuery> in,
      Authenticate<v1::SubmissionQuery>("GetSubmissionFile", call));
  Status s = [&]() -> Status {
    CONCLAVE_RETURN_IF_ERROR(RecordReadNonce(in.call));
    CONCLAVE_ASSIGN_OR_RETURN(
        SubmissionRecord record,
        KnownSubmission(*store_, in.payload.submission_id()));
    return store_->blobs().Stream(record.file_hash, kFileChunkSize, sink);
  }();
  return s.ok() ? s : Fail(s);
}

StatusOr<v1::RequestInfo> DaemonImpl::RequestInfoFor(const RequestRecord& r,
                                                     bool details) {
  v1::RequestInfo info;
  info.set_request_id(AsString(r.id));
  info.set_leaf_index(r.leaf_index);
  if (!info.mutable_request()->ParseFromString(AsString(r.statement))) {
    return DataLossError("stored request " + quorum::RequestIdHex(r.id) +
                         " does not parse");
  }
  info.set_state(ToProto(r.state));
  CONCLAVE_ASSIGN_OR_RETURN(std::shared_ptr<const quorum::VerifiedRequest> req,
                            LoadRequest(r.id, *store_));
  CONCLAVE_ASSIGN_OR_RETURN(quorum::QuorumProgress progress,
                            Tally(*store_, *req, nullptr));
  info.set_progress(progress.Describe(roster_.body));
  if (!details) return info;
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<VoteRecord> votes,
                            store_->ListVotes(r.id));
  for (const VoteRecord& v : votes) {
    if (!info.add_votes()->ParseFromString(AsString(v.statement))) {
      return DataLossError("a stored vote does not parse");
    }
    info.add_vote_leaf_indices(v.leaf_index);
  }
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<ApprovalRecord> approvals,
                            store_->ListApprovals(r.id));
  for (const ApprovalRecord& a : approvals) {
    if (!info.add_approvals()->ParseFromString(AsString(a.approval))) {
      return DataLossError("a stored approval does not parse");
    }
  }
  return info;
}

StatusOr<v1::RequestList> DaemonImpl::ListRequests(
    const v1::SignedStatement& call) {
  CONCLAVE_ASSIGN_OR_RETURN(Signed<v1::ListQuery> in,
                            Authenticate<v1::ListQuery>("ListRequests", call));
  const v1::ListQuery& q = in.payload;
  return AnswerRead(in.call, [&]() -> StatusOr<v1::RequestList> {
    CONCLAVE_ASSIGN_OR_RETURN(
        std::vector<RequestRecord> records,
        store_->ListRequests(std::nullopt, q.start(), ListLimit(q.limit())));
    v1::RequestList list;
    for (const RequestRecord& r : records) {
      CONCLAVE_ASSIGN_OR_RETURN(v1::RequestInfo info, RequestInfoFor(r, false));
      *list.add_requests() = std::move(info);
    }
    return list;
  });
}

StatusOr<v1::RequestInfo> DaemonImpl::GetRequest(
    const v1::SignedStatement& call) {
  CONCLAVE_ASSIGN_OR_RETURN(Signed<v1::RequestQuery> in,
                            Authenticate<v1::RequestQuery>("GetRequest", call));
  CONCLAVE_ASSIGN_OR_RETURN(quorum::RequestId id, QueriedRequest(in.payload));
  return AnswerRead(in.call, [&]() -> StatusOr<v1::RequestInfo> {
    CONCLAVE_ASSIGN_OR_RETURN(RequestRecord r, KnownRequest(*store_, id));
    return RequestInfoFor(r, true);
  });
}

StatusOr<v1::LogEvidence> DaemonImpl::GetEvidence(
    const v1::SignedStatement& call) {
  CONCLAVE_ASSIGN_OR_RETURN(
      Signed<v1::RequestQuery> in,
      Authenticate<v1::RequestQuery>("GetEvidence", call));
  CONCLAVE_ASSIGN_OR_RETURN(quorum::RequestId id, QueriedRequest(in.payload));
  return AnswerRead(in.call, [&]() -> StatusOr<v1::LogEvidence> {
    CONCLAVE_ASSIGN_OR_RETURN(RequestRecord r, KnownRequest(*store_, id));
    const CheckpointState cps = checkpointer_->State();
    if (cps.settled_note.empty() || cps.settled_size <= r.leaf_index) {
      return FailedPreconditionError(
          "no settled checkpoint covers the request yet (its leaf is " +
          Str(r.leaf_index) + ", the settled size " + Str(cps.settled_size) +
          "): " + cps.unsettled_reason);
    }
    std::lock_guard<std::mutex> lock(evidence_mu_);
    return quorum::BuildLogEvidence(*evidence_log_, cps.settled_note,
                                    r.leaf_index);
  });
}

StatusOr<v1::CheckpointReply> DaemonImpl::GetCheckpoint(
    const v1::SignedStatement& call) {
  CONCLAVE_ASSIGN_OR_RETURN(
      Signed<v1::CheckpointQuery> in,
      Authenticate<v1::CheckpointQuery>("GetCheckpoint", call));
  const v1::CheckpointQuery& q = in.payload;
  return AnswerRead(in.call, [&]() -> StatusOr<v1::CheckpointReply> {
    const CheckpointState cps = checkpointer_->State();
    v1::CheckpointReply reply;
    reply.set_checkpoint(cps.settled_note);
    reply.set_unsettled_reason(cps.unsettled_reason);
    if (q.from_size() > cps.settled_size) {
      return FailedPreconditionError(
          "you hold a checkpoint of size " + Str(q.from_size()) +
          " but the daemon's latest settled checkpoint has " +
          Str(cps.settled_size) +
          " leaves: keep both checkpoints, they may show a fork");
    }
    if (q.from_size() > 0 && q.from_size() < cps.settled_size) {
      SqliteLogStorage view(store_.get());
      CONCLAVE_ASSIGN_OR_RETURN(
          std::vector<audit::Hash> proof,
          audit::ConsistencyProof(view, q.from_size(), cps.settled_size));
      for (const audit::Hash& h : proof) {
        reply.add_consistency_proof(AsString(h));
      }
    }
    return reply;
  });
}

StatusOr<v1::LeavesReply> DaemonImpl::GetLeaves(
    const v1::SignedStatement& call) {
  CONCLAVE_ASSIGN_OR_RETURN(Signed<v1::LeavesQuery> in,
                            Authenticate<v1::LeavesQuery>("GetLeaves", call));
  const v1::LeavesQuery& q = in.payload;
  if (q.end() <= q.start()) {
    return InvalidArgumentError("leaves: end must be above start");
  }
  return AnswerRead(in.call, [&]() -> StatusOr<v1::LeavesReply> {
    const uint64_t size = store_->LogSize();
    if (q.end() > size) {
      return OutOfRangeError("leaves: the log has " + Str(size) + " leaves");
    }
    const uint64_t end = std::min(q.end(), q.start() + kMaxLeavesPerCall);
    v1::LeavesReply reply;
    size_t bytes = 0;
    for (uint64_t i = q.start(); i < end; ++i) {
      CONCLAVE_ASSIGN_OR_RETURN(Bytes leaf, store_->LogLeaf(i));
      if (reply.leaves_size() > 0 &&
          bytes + leaf.size() > kMaxLeavesReplyBytes) {
        break;
      }
      bytes += leaf.size();
      reply.add_leaves(AsString(leaf));
    }
    return reply;
  });
}

}  // namespace conclave::daemon
