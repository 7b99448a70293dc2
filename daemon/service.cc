// The daemon's logic (daemon/service.h, daemon/service_impl.h).
//
// Every handler follows the store's pattern (daemon/store.h): verify the
// call and the statement outside the store, then in one write transaction
// record the call's nonce, re-read what the decision depends on, insert the
// record with its audit leaf, and commit before replying (fail closed).
// Writers are serialised by the store, so a decision made inside a
// transaction (e.g. "this vote completes the quorum") is made exactly once.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "age/header.h"
#include "age/p256tag.h"
#include "age/submission.h"
#include "audit/checkpoint.h"
#include "audit/merkle.h"
#include "crypto/ecdsa.h"
#include "crypto/random.h"
#include "daemon/call.h"
#include "daemon/contact.h"
#include "daemon/daemon_log.h"
#include "daemon/service_impl.h"
#include "daemon/sqlite_log_storage.h"
#include "keyceremony/reshare.h"
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
  auto verified = keyceremony::VerifyEncodedRoster(options_.roster);
  if (!verified.ok()) return verified.status().Annotate("roster");
  const keyceremony::VerifiedRoster given = std::move(verified).value();

  auto key = Ed25519PrivateKey::FromSeed(options_.log_key_seed.span());
  if (!key.ok()) return key.status().Annotate("log key");
  auto signer = audit::Ed25519NoteSigner::Create(options_.log_key_origin,
                                                 std::move(key).value());
  if (!signer.ok()) return signer.status().Annotate("log key origin");
  signer_ = std::move(signer).value();
  const std::string vkey = signer_->Verifier()->vkey();
  if (vkey != given.body.log_vkey()) {
    return FailedPreconditionError(
        "the log key is not the roster's log key (the key is " + vkey +
        ", the roster pins " + given.body.log_vkey() + ")");
  }

  auto store = Store::Open(options_.data_dir, store_options);
  if (!store.ok()) return store.status().Annotate("data directory");
  store_ = std::move(store).value();

  // The roster chain: first start records the given roster as epoch 1;
  // later starts re-verify the stored chain and serve its latest epoch.
  const uint64_t now = Now();
  bool first_start = false;
  auto latest = store_->LatestRoster();
  if (latest.ok()) {
    CONCLAVE_RETURN_IF_ERROR(LoadChain(given));
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
      leaf.mutable_roster()->set_roster(AsString(options_.roster));
      RosterRecord r;
      r.epoch = given.body.epoch();
      r.roster = options_.roster;
      r.received_unix = static_cast<int64_t>(now);
      CONCLAVE_ASSIGN_OR_RETURN(
          uint64_t index, txn.InsertRoster(r, quorum::EncodeLogLeaf(leaf)));
      CONCLAVE_ASSIGN_OR_RETURN(std::shared_ptr<const Epoch> first,
                                MakeEpoch(given, options_.roster, index));
      std::lock_guard<std::mutex> lock(chain_mu_);
      chain_ = std::make_shared<const Chain>(Chain{std::move(first)});
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

  CheckpointerOptions copts;
  copts.store = store_.get();
  copts.signer = signer_.get();
  copts.keys = Current()->log_keys.get();
  copts.settlement_at = [this](uint64_t size) {
    std::shared_ptr<const Epoch> e = InForceAt(size);
    // Epochs live as long as the daemon: the raw pointers stay valid.
    return Settlement{e->log_keys.get(), e->witnesses.get()};
  };
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

  const std::shared_ptr<const Epoch> current = Current();
  LogLine(std::string(first_start ? "initialised " : "opened ") +
          options_.data_dir.string() + ": roster epoch " +
          Str(current->roster.body.epoch()) + " fingerprint " +
          HexEncode(current->roster.fingerprint) + ", log " +
          options_.log_key_origin + " size " + Str(store_->LogSize()) + ", " +
          Str(options_.witnesses.size()) + " witness(es) configured");
  checkpointer_->Start();
  return OkStatus();
}

// ---- The roster chain (brief §9) ----

StatusOr<std::shared_ptr<DaemonImpl::Epoch>> DaemonImpl::MakeEpoch(
    keyceremony::VerifiedRoster roster, Bytes bytes, uint64_t leaf_index) {
  auto e = std::make_shared<Epoch>();
  CONCLAVE_ASSIGN_OR_RETURN(quorum::RosterLogKeys keys,
                            quorum::LogKeysFromRoster(roster));
  e->log_keys = std::make_unique<quorum::RosterLogKeys>(std::move(keys));
  // Witnesses are configured once for every epoch (--witness ID=URL); an
  // epoch uses those of its own organisations and ignores the others.
  std::vector<audit::WitnessEntry> entries;
  std::set<uint32_t> orgs;
  for (const keyceremony::RosterWitness& w :
       keyceremony::RosterWitnesses(roster.body)) {
    entries.push_back({w.org_id, w.vkey});
    orgs.insert(w.org_id);
  }
  std::vector<WitnessEndpoint> endpoints;
  for (const WitnessEndpoint& ep : options_.witnesses) {
    if (orgs.count(ep.org_id) != 0) endpoints.push_back(ep);
  }
  if (!endpoints.empty()) {
    auto client = WitnessClient::Create(
        static_cast<uint32_t>(roster.body.organisations_size()),
        roster.body.threshold(), entries, roster.body.log_vkey(), endpoints);
    if (!client.ok()) {
      return client.status().Annotate("witnesses of roster epoch " +
                                      Str(roster.body.epoch()));
    }
    e->witnesses = std::move(client).value();
  }
  e->roster = std::move(roster);
  e->roster_bytes = std::move(bytes);
  e->leaf_index = leaf_index;
  return e;
}

Status DaemonImpl::LoadChain(const keyceremony::VerifiedRoster& given) {
  CONCLAVE_ASSIGN_OR_RETURN(RosterRecord latest, store_->LatestRoster());
  std::vector<RosterRecord> records;
  std::vector<v1::Roster> rosters;
  for (uint64_t e = 1; e <= latest.epoch; ++e) {
    auto r = store_->GetRoster(e);
    if (!r.ok()) {
      return DataLossError("the data directory's roster chain lacks epoch " +
                           Str(e) + ": " + r.status().message());
    }
    v1::Roster roster;
    if (!roster.ParseFromString(AsString(r->roster))) {
      return DataLossError("the data directory's roster of epoch " + Str(e) +
                           " does not parse");
    }
    rosters.push_back(std::move(roster));
    records.push_back(std::move(r).value());
  }
  auto verified = keyceremony::VerifyRosterChain(rosters);
  if (!verified.ok()) {
    return DataLossError("the data directory's roster chain (epochs 1.." +
                         Str(latest.epoch) +
                         ") does not verify: " + verified.status().message());
  }
  // The given roster must be one of the chain's (the configuration may
  // still name an earlier epoch's file).
  bool held = false;
  for (const keyceremony::VerifiedRoster& v : *verified) {
    held = held || v.fingerprint == given.fingerprint;
  }
  if (!held) {
    const keyceremony::VerifiedRoster& last = verified->back();
    if (given.body.epoch() > last.body.epoch()) {
      return FailedPreconditionError(
          "the roster given is epoch " + Str(given.body.epoch()) +
          " but the data directory holds epochs up to " +
          Str(last.body.epoch()) +
          "; a new epoch is added with `conclave roster push` (which logs "
          "it), not by restarting with it");
    }
    return FailedPreconditionError(
        "the roster given (epoch " + Str(given.body.epoch()) +
        ", fingerprint " + HexEncode(given.fingerprint) +
        ") is not the one this data directory holds (epoch " +
        Str(last.body.epoch()) + ", fingerprint " +
        HexEncode(last.fingerprint) + ")");
  }
  Chain chain;
  for (size_t i = 0; i < verified->size(); ++i) {
    CONCLAVE_ASSIGN_OR_RETURN(
        std::shared_ptr<const Epoch> e,
        MakeEpoch(std::move((*verified)[i]), std::move(records[i].roster),
                  records[i].leaf_index));
    chain.push_back(std::move(e));
  }
  std::lock_guard<std::mutex> lock(chain_mu_);
  chain_ = std::make_shared<const Chain>(std::move(chain));
  return OkStatus();
}

std::shared_ptr<const DaemonImpl::Chain> DaemonImpl::chain() const {
  std::lock_guard<std::mutex> lock(chain_mu_);
  return chain_;
}

std::shared_ptr<const DaemonImpl::Epoch> DaemonImpl::Current() const {
  return chain()->back();
}

std::shared_ptr<const DaemonImpl::Epoch> DaemonImpl::EpochAt(
    uint64_t epoch) const {
  for (const auto& e : *chain()) {
    if (e->roster.body.epoch() == epoch) return e;
  }
  return nullptr;
}

std::shared_ptr<const DaemonImpl::Epoch> DaemonImpl::InForceAt(
    uint64_t size) const {
  std::shared_ptr<const Chain> c = chain();
  std::shared_ptr<const Epoch> in_force = c->front();
  for (const auto& e : *c) {
    if (e->leaf_index < size) in_force = e;
  }
  return in_force;
}

std::shared_ptr<const DaemonImpl::Epoch> DaemonImpl::KeyFinalEpoch(
    uint64_t epoch) const {
  std::shared_ptr<const Chain> c = chain();
  std::shared_ptr<const Epoch> found;
  for (const auto& e : *c) {
    if (found == nullptr) {
      if (e->roster.body.epoch() == epoch) found = e;
    } else if (e->roster.consortium_key == found->roster.consortium_key) {
      found = e;  // a later epoch of the same key (reshare, refresh)
    } else {
      break;  // the REKEY that ended this key's chain
    }
  }
  return found;
}

bool DaemonImpl::IsRetiredKeyFinal(uint64_t epoch) const {
  std::shared_ptr<const Epoch> final_epoch = KeyFinalEpoch(epoch);
  return final_epoch != nullptr && final_epoch->roster.body.epoch() == epoch &&
         final_epoch != Current();
}

std::shared_ptr<const DaemonImpl::Epoch> DaemonImpl::SubmissionKeyEpoch(
    uint64_t leaf_index) const {
  // Submit checks, in its transaction, that the key it validated against
  // is still current: a submission's key is the key in force at its leaf.
  return KeyFinalEpoch(InForceAt(leaf_index + 1)->roster.body.epoch());
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
  std::shared_ptr<const Epoch> epoch = Current();
  auto c = VerifyCall(epoch->roster, method, call, now,
                      options_.replay_window_seconds);
  if (!c.ok()) {
    // After a REKEY the old key's last roster still signs calls about that
    // key's submissions (docs/protocol.md "Rekey"); the unverified body only
    // picks which roster to verify against.
    v1::CallBody body;
    std::shared_ptr<const Epoch> retired;
    if (body.ParseFromString(call.signed_())) {
      for (const auto& e : *chain()) {
        if (quorum::SameBytes(body.roster_fingerprint(),
                              e->roster.fingerprint) &&
            IsRetiredKeyFinal(e->roster.body.epoch())) {
          retired = e;
        }
      }
    }
    if (retired == nullptr) {
      return ExplainOldRoster(c.status(), call, epoch->roster);
    }
    c = VerifyCall(retired->roster, method, call, now,
                   options_.replay_window_seconds);
    if (!c.ok()) return c.status();
    epoch = std::move(retired);
  }
  CONCLAVE_ASSIGN_OR_RETURN(Payload payload, Parse<Payload>(c->payload, what));
  return Signed<Payload>{now, std::move(c).value(), std::move(payload),
                         std::move(epoch)};
}

Status DaemonImpl::ExplainOldRoster(
    Status s, const v1::SignedStatement& call,
    const keyceremony::VerifiedRoster& current) {
  // Only chooses the wording of a refusal: the unverified call body names
  // the roster the caller used.
  v1::CallBody body;
  if (!body.ParseFromString(call.signed_())) return s;
  for (const auto& e : *chain()) {
    if (e->roster.body.epoch() < current.body.epoch() &&
        quorum::SameBytes(body.roster_fingerprint(), e->roster.fingerprint)) {
      return Status(
          s.code(),
          s.message() +
              " (the call was made with the roster of "
              "epoch " +
              Str(e->roster.body.epoch()) + "; the consortium is at epoch " +
              Str(current.body.epoch()) +
              ": get the new roster, e.g. with `conclave roster show`)");
    }
  }
  return s;
}

Status DaemonImpl::OldEpochRefusal(const Status& s, std::string_view what,
                                   const Epoch& current) {
  if (s.code() != StatusCode::kFailedPrecondition ||
      s.message().find("roster epoch") == std::string::npos) {
    return s;
  }
  return Status(s.code(), s.message() + "; the consortium is at epoch " +
                              Str(current.roster.body.epoch()) + " and " +
                              std::string(what) +
                              " made under an earlier epoch are refused (use "
                              "your new share and the new roster)");
}

const keyceremony::VerifiedRoster& DaemonImpl::RosterOf(
    const quorum::VerifiedRequest& request) const {
  std::shared_ptr<const Epoch> e = EpochAt(request.body.epoch());
  return e ? e->roster : Current()->roster;
}

Status DaemonImpl::CheckStillCurrent(const RecordReader& txn,
                                     const Epoch& epoch) const {
  CONCLAVE_ASSIGN_OR_RETURN(RosterRecord latest, txn.LatestRoster());
  if (latest.epoch != epoch.roster.body.epoch() &&
      !IsRetiredKeyFinal(epoch.roster.body.epoch())) {
    return FailedPreconditionError(
        "the consortium moved to roster epoch " + Str(latest.epoch) +
        " during this call (it was checked against epoch " +
        Str(epoch.roster.body.epoch()) +
        "); sign it again with the new roster");
  }
  return OkStatus();
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
  // A stored request verifies under the roster of its own epoch.
  std::shared_ptr<const Epoch> epoch = EpochAt(record.epoch);
  if (epoch == nullptr) {
    return DataLossError("stored request " + quorum::RequestIdHex(id) +
                         " names roster epoch " + Str(record.epoch) +
                         ", which the chain does not hold");
  }
  auto verified = quorum::VerifyRequest(epoch->roster, statement);
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
  const keyceremony::VerifiedRoster& roster = RosterOf(request);
  quorum::QuorumTally tally(roster, request);
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<VoteRecord> votes,
                            reader.ListVotes(request.id));
  for (const VoteRecord& v : votes) {
    v1::SignedStatement s;
    if (!s.ParseFromString(AsString(v.statement))) {
      return DataLossError("a stored vote does not parse");
    }
    // Counted the way releasers count: only verified votes.
    auto body = quorum::VerifyVote(roster, s);
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
  return Accept(
      file, file.size(),
      [&]() -> StatusOr<Sha256Digest> { return store_->blobs().Put(file); },
      peer, SubmissionExtras());
}

StatusOr<v1::SubmitReply> DaemonImpl::Accept(
    ByteSpan head, uint64_t file_size,
    const std::function<StatusOr<Sha256Digest>()>& put_blob,
    std::string_view peer, const SubmissionExtras& extras) {
  const uint64_t now = Now();
  if (file_size > options_.max_submission_bytes) {
    return ResourceExhaustedError("the submission is " + Str(file_size) +
                                  " bytes, more than this daemon accepts (" +
                                  Str(options_.max_submission_bytes) +
                                  " bytes)");
  }
  CONCLAVE_RETURN_IF_ERROR(AllowSubmission(peer, now));
  constexpr std::string_view kArmor = "-----BEGIN AGE ENCRYPTED FILE-----";
  if (AsStringView(head).starts_with(kArmor)) {
    return InvalidArgumentError(
        "[intake: not-age] ASCII-armored age files are not accepted: submit "
        "the binary age file");
  }
  size_t header_size = 0;
  auto header = age::ParseHeader(head, &header_size);
  if (!header.ok()) {
    // A file that starts like an age header but has no MAC line ended
    // early (an interrupted upload); anything else is not age at all.
    constexpr std::string_view kIntro = "age-encryption.org/v1\n";
    const std::string_view text = AsStringView(head);
    const bool cut = text.starts_with(kIntro) &&
                     text.find("\n---") == std::string_view::npos &&
                     head.size() == file_size;
    return InvalidArgumentError(
        std::string(cut ? "[intake: truncated] the age file ends inside its "
                          "header: "
                        : "[intake: not-age] not an age file: ") +
        header.status().message());
  }
  // age STREAM: a 16-byte nonce and at least one (possibly empty) chunk
  // with its 16-byte tag.
  if (file_size - header_size < 32) {
    return InvalidArgumentError(
        "[intake: truncated] the age file ends too early: no encrypted "
        "payload after its header");
  }
  // New submissions go to the current roster's key and exclusion limit.
  const std::shared_ptr<const Epoch> epoch = Current();
  age::SubmissionPolicy policy;
  policy.allow_drill = false;
  policy.max_exclusions = keyceremony::MaxExclusions(epoch->roster.body);
  auto validated =
      age::ValidateSubmission(*header, epoch->roster.consortium_key, policy);
  if (!validated.ok()) {
    // A file to a retired key (brief §9, rekey): say which key to use.
    for (const auto& e : *chain()) {
      if (e->roster.consortium_key == epoch->roster.consortium_key) continue;
      if (age::ValidateSubmission(*header, e->roster.consortium_key, policy)
              .ok()) {
        return FailedPreconditionError(
            "[intake: retired-key] the file is encrypted to the consortium "
            "key of roster epoch " +
            Str(e->roster.body.epoch()) +
            ", which was replaced (REKEY) by epoch " +
            Str(epoch->roster.body.epoch()) +
            "'s key: new submissions must be encrypted to the current "
            "recipient (`conclave roster show`)");
      }
    }
    return validated.status();
  }
  const age::SubmissionInfo info = std::move(validated).value();

  return Guarded(this, &DaemonImpl::Fail, [&]() -> StatusOr<v1::SubmitReply> {
    auto known = store_->GetSubmission(info.id);
    if (known.ok()) {
      return AlreadyExistsError("submission " + info.id +
                                " already received (leaf " +
                                Str(known->leaf_index) + ")");
    }
    if (known.status().code() != StatusCode::kNotFound) return known.status();

    // Blob durably first, then the row and its leaf (brief §7).
    CONCLAVE_ASSIGN_OR_RETURN(Sha256Digest file_hash, put_blob());
    SubmissionRecord record;
    record.id = info.id;
    record.header_hash = info.header_hash;
    record.size = file_size;
    record.file_hash = file_hash;
    record.excluded_orgs = info.excluded_orgs;
    record.linked_to_leaf = extras.linked_to_leaf;
    record.received_unix = static_cast<int64_t>(now);
    v1::LogLeaf leaf;
    leaf.set_time_unix(now);
    v1::SubmissionReceived* s = leaf.mutable_submission();
    s->set_submission_id(info.id);
    s->set_header_hash(AsString(info.header_hash));
    s->set_size(file_size);
    s->set_file_hash(AsString(file_hash));
    for (uint32_t org : info.excluded_orgs) s->add_excluded_orgs(org);
    // The leaf says "first's index + 1" so that 0 can mean none.
    if (extras.linked_to_leaf)
      s->set_linked_to_leaf(*extras.linked_to_leaf + 1);

    uint64_t index = 0;
    {
      CONCLAVE_ASSIGN_OR_RETURN(Store::Transaction txn, store_->Begin());
      // A roster pushed since the check above: a REKEY would put this
      // submission after the new key's roster leaf, and a reshare's
      // stranding check (PushRoster) did not see it. Refuse rather than
      // misfile or strand it.
      CONCLAVE_ASSIGN_OR_RETURN(RosterRecord latest, txn.LatestRoster());
      if (latest.epoch != epoch->roster.body.epoch()) {
        CONCLAVE_ASSIGN_OR_RETURN(RosterRecord rec,
                                  txn.GetRoster(latest.epoch));
        v1::Roster r;
        v1::RosterBody b;
        if (!r.ParseFromString(AsString(rec.roster)) ||
            !b.ParseFromString(r.signed_()) ||
            b.consortium_key() != epoch->roster.body.consortium_key()) {
          return FailedPreconditionError(
              "the consortium key changed (REKEY to roster epoch " +
              Str(latest.epoch) +
              ") during this upload: encrypt to the new recipient");
        }
        const keyceremony::SubmissionExclusions mine{info.id,
                                                     info.excluded_orgs};
        if (!keyceremony::StrandedSubmissions(b, {&mine, 1}).empty()) {
          return FailedPreconditionError(
              "the consortium changed (roster epoch " + Str(latest.epoch) +
              ") during this upload: this submission's exclusions leave "
              "fewer than " +
              Str(b.threshold()) +
              " of its organisations, so nobody could open it; encrypt "
              "again with fewer exclusions");
        }
      }
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
      if (extras.contact) {
        ContactRecord contact = *extras.contact;
        contact.submission_id = info.id;
        contact.created_unix = static_cast<int64_t>(now);
        Status c = txn.InsertContact(contact);
        if (c.code() == StatusCode::kAlreadyExists) {
          return InvalidArgumentError(
              "[intake: bad-contact] this receipt is already in use: make a "
              "new one");
        }
        CONCLAVE_RETURN_IF_ERROR(c);
      }
      CONCLAVE_RETURN_IF_ERROR(txn.Commit());
    }
    checkpointer_->Notify();
    std::string excluded;
    for (uint32_t org : info.excluded_orgs) {
      excluded += (excluded.empty() ? "" : ",") + Str(org);
    }
    LogLine("submission " + info.id + " received: leaf " + Str(index) + ", " +
            Str(file_size) + " bytes, excluded orgs [" + excluded + "]" +
            (extras.contact ? ", with a contact key" : "") +
            (extras.linked_to_leaf
                 ? ", follow-up to leaf " + Str(*extras.linked_to_leaf)
                 : ""));

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
      chain.add_leaf_indices(r->leaf_index);
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
  const Epoch& epoch = *in.epoch;
  CONCLAVE_ASSIGN_OR_RETURN(quorum::VerifiedRequest req,
                            quorum::VerifyRequest(epoch.roster, statement));
  CONCLAVE_RETURN_IF_ERROR(CheckSameIdentity(c, statement, "request"));
  if (req.drill) {
    return PermissionDeniedError(
        "drill requests never go through the daemon: drills are opened "
        "offline with the ceremony's files");
  }
  CONCLAVE_RETURN_IF_ERROR(quorum::CheckNotExpired(req, now));
  const uint64_t max_lifetime =
      epoch.roster.body.policy().max_request_lifetime_seconds();
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
      CONCLAVE_RETURN_IF_ERROR(CheckStillCurrent(txn, epoch));
      CONCLAVE_ASSIGN_OR_RETURN(SubmissionRecord sub,
                                KnownSubmission(txn, req.submission.id));
      if (sub.header_hash != req.submission.header_hash) {
        return FailedPreconditionError(
            "the request's embedded age header is not the header of stored "
            "submission " +
            req.submission.id);
      }
      // A request is made under the last roster of its submission's key.
      const std::shared_ptr<const Epoch> key_epoch =
          SubmissionKeyEpoch(sub.leaf_index);
      if (key_epoch->roster.body.epoch() != epoch.roster.body.epoch()) {
        return FailedPreconditionError(
            "submission " + req.submission.id +
            " is under the consortium key whose last roster is epoch " +
            Str(key_epoch->roster.body.epoch()) +
            "; a request for it must be made under that roster, not epoch " +
            Str(epoch.roster.body.epoch()));
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
  const Epoch& epoch = *in.epoch;
  auto verified_vote = quorum::VerifyVote(epoch.roster, statement);
  if (!verified_vote.ok()) {
    return OldEpochRefusal(verified_vote.status(), "votes", epoch);
  }
  v1::VoteBody vote = std::move(verified_vote).value();
  CONCLAVE_RETURN_IF_ERROR(CheckSameIdentity(c, statement, "vote"));
  CONCLAVE_ASSIGN_OR_RETURN(
      quorum::RequestId id,
      quorum::RequestIdFromBytes(AsBytes(vote.request_id())));

  return Guarded(this, &DaemonImpl::Fail, [&]() -> StatusOr<v1::PostReply> {
    CONCLAVE_ASSIGN_OR_RETURN(
        std::shared_ptr<const quorum::VerifiedRequest> req,
        LoadRequest(id, *store_));
    if (req->body.epoch() != epoch.roster.body.epoch()) {
      return FailedPreconditionError(
          "the vote is made under roster epoch " +
          Str(epoch.roster.body.epoch()) + " but request " +
          quorum::RequestIdHex(id) + " was made at epoch " +
          Str(req->body.epoch()));
    }
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
      CONCLAVE_RETURN_IF_ERROR(CheckStillCurrent(txn, epoch));
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
    status += progress.Describe(RosterOf(*req).body);
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
  const Epoch& epoch = *in.epoch;
  auto verified_body = quorum::VerifyApprovalStatement(epoch.roster, approval);
  if (!verified_body.ok()) {
    return OldEpochRefusal(verified_body.status(), "approvals", epoch);
  }
  v1::ApprovalBody body = std::move(verified_body).value();
  CONCLAVE_ASSIGN_OR_RETURN(
      quorum::RequestId id,
      quorum::RequestIdFromBytes(AsBytes(body.request_id())));

  return Guarded(this, &DaemonImpl::Fail, [&]() -> StatusOr<v1::PostReply> {
    CONCLAVE_ASSIGN_OR_RETURN(
        std::shared_ptr<const quorum::VerifiedRequest> req,
        LoadRequest(id, *store_));
    if (req->body.epoch() != body.epoch()) {
      return FailedPreconditionError(
          "the approval is for roster epoch " + Str(body.epoch()) +
          " but request " + quorum::RequestIdHex(id) + " was made at epoch " +
          Str(req->body.epoch()));
    }
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
      CONCLAVE_RETURN_IF_ERROR(CheckStillCurrent(txn, epoch));
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
              " is not complete: " + progress.Describe(epoch.roster.body));
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
              keyceremony::FindOrganisation(epoch.roster.body, org);
          if (o != nullptr && !IsExcluded(*req, org) &&
              editors.size() >= o->editor_threshold()) {
            ++complete_orgs;
          }
        }
        if (!reply.duplicate() && r.state == RequestState::kOpen &&
            complete_orgs >= epoch.roster.body.threshold()) {
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
                         Str(epoch.roster.body.threshold()) +
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
  CONCLAVE_ASSIGN_OR_RETURN(
      v1::WithdrawalBody body,
      quorum::VerifyWithdrawal(in.epoch->roster, statement));
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
      if (r.linked_to_leaf) s->set_linked_to_leaf(*r.linked_to_leaf + 1);
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
  info.set_progress(progress.Describe(RosterOf(*req).body));
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

// ---- Membership change (brief §9) ----

StatusOr<v1::RosterPushReply> DaemonImpl::PushRoster(
    const v1::SignedStatement& call) {
  CONCLAVE_ASSIGN_OR_RETURN(
      Signed<v1::RosterPush> in,
      Authenticate<v1::RosterPush>("PushRoster", call, "roster push"));
  const uint64_t now = in.now;
  const VerifiedCall& c = in.call;
  // One push at a time: each verifies against the epoch it replaces.
  std::lock_guard<std::mutex> push_lock(push_mu_);
  const std::shared_ptr<const Epoch> current = Current();
  if (current != in.epoch) {
    return FailedPreconditionError(
        "another roster was pushed during this call; the consortium is now "
        "at epoch " +
        Str(current->roster.body.epoch()));
  }
  const uint64_t from = current->roster.body.epoch();
  CONCLAVE_ASSIGN_OR_RETURN(v1::Roster roster,
                            Parse<v1::Roster>(in.payload.roster(), "roster"));
  auto verified = keyceremony::VerifyRosterSuccessor(current->roster, roster);
  if (!verified.ok()) {
    return verified.status().Annotate(
        "the roster is not a valid successor of "
        "the daemon's epoch " +
        Str(from));
  }
  const keyceremony::VerifiedRoster& next = *verified;
  const uint64_t to = next.body.epoch();
  // VerifyRosterSuccessor allows a new key only for REKEY; older
  // submissions then stay under the last roster of their key.
  const bool rekey = next.body.change().kind() == v1::MEMBERSHIP_CHANGE_REKEY;
  if (rekey == (next.consortium_key == current->roster.consortium_key)) {
    return InvalidArgumentError("roster epoch " + Str(to) +
                                (rekey ? " is a REKEY but keeps the key"
                                       : " changes the key without REKEY"));
  }
  const Bytes bytes = ToBytes(in.payload.roster());
  // Built before the transaction: a bad witness configuration leaves the
  // store unchanged.
  CONCLAVE_ASSIGN_OR_RETURN(std::shared_ptr<Epoch> epoch,
                            MakeEpoch(next, bytes, 0));

  return Guarded(
      this, &DaemonImpl::Fail, [&]() -> StatusOr<v1::RosterPushReply> {
        v1::RosterPushReply reply;
        reply.set_epoch(to);
        std::vector<quorum::RequestId> expired;
        {
          CONCLAVE_ASSIGN_OR_RETURN(Store::Transaction txn, store_->Begin());
          CONCLAVE_RETURN_IF_ERROR(RecordCallNonce(txn, c));
          CONCLAVE_RETURN_IF_ERROR(CheckStillCurrent(txn, *current));
          // Stranding (brief §9): every stored submission must keep t'
          // organisations of the new roster that it does not exclude.
          std::vector<keyceremony::SubmissionExclusions> subs;
          for (uint64_t start = 0;;) {
            CONCLAVE_ASSIGN_OR_RETURN(std::vector<SubmissionRecord> page,
                                      txn.ListSubmissions(start, 1000));
            if (page.empty()) break;
            for (const SubmissionRecord& r : page) {
              subs.push_back({r.id, r.excluded_orgs});
            }
            start = page.back().leaf_index + 1;
          }
          // A REKEY strands nothing: stored submissions stay under the
          // current roster, the last of their key.
          const std::vector<std::string> stranded =
              rekey ? std::vector<std::string>()
                    : keyceremony::StrandedSubmissions(next.body, subs);
          if (!stranded.empty() && !in.payload.force()) {
            std::string list;
            for (const std::string& id : stranded) {
              list += (list.empty() ? "" : ", ") + id;
            }
            return FailedPreconditionError(
                "roster epoch " + Str(to) + " would strand " +
                Str(stranded.size()) +
                " stored submission(s): their exclusions leave fewer than " +
                Str(next.body.threshold()) +
                " of its organisations, so they could never be opened again: " +
                list +
                ". Push with --force only if the consortium accepts that");
          }
          for (const std::string& id : stranded) {
            reply.add_stranded_submissions(id);
          }

          RosterRecord record;
          record.epoch = to;
          record.roster = bytes;
          record.received_unix = static_cast<int64_t>(now);
          v1::LogLeaf leaf;
          leaf.set_time_unix(now);
          leaf.mutable_roster()->set_roster(in.payload.roster());
          CONCLAVE_ASSIGN_OR_RETURN(
              uint64_t index,
              txn.InsertRoster(record, quorum::EncodeLogLeaf(leaf)));
          reply.set_leaf_index(index);
          epoch->leaf_index = index;

          // Open requests of the epoch being replaced expire with it (brief
          // §9), REKEY included: their votes and approvals were made under
          // its roster. Requests of a retired key's last epoch are not
          // closed by a roster of another key (docs/protocol.md "Rekey").
          for (uint64_t start = 0;;) {
            CONCLAVE_ASSIGN_OR_RETURN(
                std::vector<RequestRecord> open,
                txn.ListRequests(RequestState::kOpen, start, 1000));
            if (open.empty()) break;
            start = open.back().leaf_index + 1;
            for (const RequestRecord& r : open) {
              if (r.epoch != from) continue;
              v1::LogLeaf expiry;
              expiry.set_time_unix(now);
              expiry.mutable_expiry()->set_request_id(AsString(r.id));
              CONCLAVE_ASSIGN_OR_RETURN(
                  uint64_t at, txn.AppendLeaf(quorum::EncodeLogLeaf(expiry)));
              CONCLAVE_RETURN_IF_ERROR(txn.SetRequestState(
                  r.id, RequestState::kOpen, RequestState::kExpired, at));
              expired.push_back(r.id);
            }
          }
          CONCLAVE_RETURN_IF_ERROR(txn.Commit());
        }
        {
          std::lock_guard<std::mutex> lock(chain_mu_);
          auto grown = std::make_shared<Chain>(*chain_);
          grown->push_back(std::move(epoch));
          chain_ = std::move(grown);
        }
        reply.set_expired_requests(expired.size());
        LogLine("roster epoch " + Str(to) + " (fingerprint " +
                HexEncode(next.fingerprint) + ") pushed by " +
                Who(c.org_id, c.editor_index) + ": leaf " +
                Str(reply.leaf_index()) + ", " + Str(expired.size()) +
                " open request(s) expired" +
                (reply.stranded_submissions_size() > 0
                     ? ", FORCED over " +
                           Str(reply.stranded_submissions_size()) +
                           " stranded submission(s)"
                     : ""));
        reply.set_status("roster epoch " + Str(to) + " in force\n" +
                         AwaitSettled(reply.leaf_index()));
        return reply;
      });
}

// ---- Intake and anonymous contact (brief §8; issue 8) ----
namespace {

// Largest header we read before validating: a submission's header is a few
// hundred bytes; age headers in general have no bound, so cap it.
constexpr size_t kMaxHeaderRead = size_t{1} << 20;
constexpr size_t kMaxOutstandingChallenges = 100000;
constexpr size_t kMaxReplyBytes = size_t{512} << 10;

constexpr std::string_view kNotRecognised =
    "[intake: not-recognised] that receipt was not recognised";

Status NotRecognised() {
  return Status(StatusCode::kUnauthenticated, std::string(kNotRecognised));
}

// A fixed public key (2·G) the unknown-lookup-id path verifies against, so
// that it does the same work as the known path.
const Point& DummyKey() {
  static const Point* p = new Point(Point::BaseMul(Scalar::FromUint64(2)));
  return *p;
}

v1::SubmissionInfo InfoFor(const SubmissionRecord& r) {
  v1::SubmissionInfo s;
  s.set_submission_id(r.id);
  s.set_leaf_index(r.leaf_index);
  s.set_received_unix(static_cast<uint64_t>(r.received_unix));
  s.set_size(r.size);
  for (uint32_t o : r.excluded_orgs) s.add_excluded_orgs(o);
  s.set_header_hash(AsString(r.header_hash));
  if (r.linked_to_leaf) s.set_linked_to_leaf(*r.linked_to_leaf + 1);
  return s;
}

// The submission logged at `leaf`.
StatusOr<SubmissionRecord> SubmissionAtLeaf(const RecordReader& reader,
                                            uint64_t leaf) {
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<SubmissionRecord> found,
                            reader.ListSubmissions(leaf, 1));
  if (found.empty() || found[0].leaf_index != leaf) {
    return DataLossError("no submission at leaf " + Str(leaf) +
                         " although a follow-up links to it");
  }
  return std::move(found[0]);
}

// Reads the file's first bytes (at most kMaxHeaderRead) and its size.
StatusOr<Bytes> ReadHead(const std::filesystem::path& file, uint64_t* size) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status(
        StatusCode::kUnavailable,
        "cannot open the upload: " + std::string(std::strerror(errno)));
  }
  std::error_code ec;
  *size = std::filesystem::file_size(file, ec);
  Bytes head(std::min<uint64_t>(ec ? 0 : *size, kMaxHeaderRead));
  size_t got = 0;
  while (got < head.size()) {
    const ssize_t n = ::read(fd, head.data() + got, head.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (ec || got != head.size()) {
    return Status(StatusCode::kUnavailable, "cannot read the upload");
  }
  return head;
}

// Streams the file into the blob store, checking it still has `size` bytes.
StatusOr<Sha256Digest> CopyToBlobs(BlobStore& blobs,
                                   const std::filesystem::path& file,
                                   uint64_t size) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status(StatusCode::kUnavailable, "cannot open the upload");
  CONCLAVE_ASSIGN_OR_RETURN(BlobStore::Writer w, blobs.NewWriter());
  Bytes buf(size_t{1} << 20);
  Status s;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      s = Status(StatusCode::kUnavailable, "cannot read the upload");
      break;
    }
    if (n == 0) break;
    s = w.Write(ByteSpan(buf.data(), static_cast<size_t>(n)));
    if (!s.ok()) break;
  }
  ::close(fd);
  CONCLAVE_RETURN_IF_ERROR(s);
  if (w.size() != size) {
    return Status(StatusCode::kUnavailable, "the upload changed while stored");
  }
  return w.Commit();
}

}  // namespace

std::string_view GetIntakeError(const Status& status) {
  constexpr std::string_view kTag = "[intake: ";
  const std::string& m = status.message();
  const size_t at = m.find(kTag);
  if (at == std::string::npos) return {};
  const size_t start = at + kTag.size();
  const size_t end = m.find(']', start);
  if (end == std::string::npos) return {};
  const std::string_view tag = std::string_view(m).substr(start, end - start);
  for (std::string_view known : {kIntakeNotAge, kIntakeTruncated,
                                 kIntakeNotRecognised, kIntakeBadContact}) {
    if (tag == known) return known;
  }
  return {};
}

// ---- Whistleblowers ----

StatusOr<IntakeAcceptance> DaemonImpl::SubmitUpload(
    const std::filesystem::path& file, const IntakeContact* contact,
    const ContactProof* follow_up, std::string_view peer) {
  CONCLAVE_RETURN_IF_ERROR(CheckRunning());
  if (contact != nullptr && follow_up != nullptr) {
    return InvalidArgumentError(
        "[intake: bad-contact] a follow-up cannot bring a new contact");
  }
  SubmissionExtras extras;
  IntakeAcceptance out;
  if (contact != nullptr) {
    if (contact->lookup_id.size() != kLookupIdSize ||
        contact->auth_key.size() != kP256CompressedPointSize ||
        !Point::DecodeCompressed(contact->auth_key).ok() ||
        !age::ParseP256TagRecipient(contact->reply_recipient).ok()) {
      return InvalidArgumentError(
          "[intake: bad-contact] the contact keys are malformed");
    }
    auto held = store_->GetContact(contact->lookup_id);
    if (held.ok()) {
      return InvalidArgumentError(
          "[intake: bad-contact] this receipt is already in use: make a new "
          "one");
    }
    if (held.status().code() != StatusCode::kNotFound) {
      return Fail(held.status());
    }
    ContactRecord r;
    r.lookup_id = contact->lookup_id;
    r.auth_key = contact->auth_key;
    r.reply_recipient = contact->reply_recipient;
    extras.contact = std::move(r);
  }
  if (follow_up != nullptr) {
    CONCLAVE_ASSIGN_OR_RETURN(ContactRecord c, AuthenticateContact(*follow_up));
    auto first = store_->GetSubmission(c.submission_id);
    if (!first.ok()) return Fail(first.status());
    extras.linked_to_leaf = first->leaf_index;
    out.linked_to = first->id;
  }
  uint64_t size = 0;
  auto head = ReadHead(file, &size);
  if (!head.ok()) return Fail(head.status());
  CONCLAVE_ASSIGN_OR_RETURN(out.reply, Accept(
                                           *head, size,
                                           [&]() -> StatusOr<Sha256Digest> {
                                             return CopyToBlobs(store_->blobs(),
                                                                file, size);
                                           },
                                           peer, extras));
  return out;
}

StatusOr<Bytes> DaemonImpl::NewContactChallenge(ByteSpan lookup_id) {
  CONCLAVE_RETURN_IF_ERROR(CheckRunning());
  if (lookup_id.size() != kLookupIdSize) {
    return InvalidArgumentError("a lookup id is 32 bytes");
  }
  const uint64_t now = Now();
  const SecretBytes fresh = RandomBytes(kChallengeSize);
  Bytes challenge(fresh.span().begin(), fresh.span().end());
  std::lock_guard<std::mutex> lock(challenge_mu_);
  if (challenges_.size() >= kMaxOutstandingChallenges) {
    for (auto it = challenges_.begin(); it != challenges_.end();) {
      it = it->second.expires <= now ? challenges_.erase(it) : std::next(it);
    }
    if (challenges_.size() >= kMaxOutstandingChallenges) {
      return Status(StatusCode::kResourceExhausted,
                    "too many contact challenges outstanding; try again in a "
                    "few minutes");
    }
  }
  challenges_[challenge] =
      PendingChallenge{Bytes(lookup_id.begin(), lookup_id.end()),
                       now + kContactChallengeSeconds};
  return challenge;
}

StatusOr<ContactRecord> DaemonImpl::AuthenticateContact(
    const ContactProof& proof) {
  // Every path below does one lookup and one signature verification, and
  // fails with the same status (issue 8: never reveal whether a lookup id
  // exists).
  bool challenge_ok = false;
  {
    std::lock_guard<std::mutex> lock(challenge_mu_);
    auto it = challenges_.find(proof.challenge);
    if (it != challenges_.end()) {
      challenge_ok = it->second.expires > Now() &&
                     ConstantTimeEquals(it->second.lookup_id, proof.lookup_id);
      challenges_.erase(it);  // single use, whatever happens next
    }
  }
  std::optional<ContactRecord> contact;
  if (proof.lookup_id.size() == kLookupIdSize) {
    auto c = store_->GetContact(proof.lookup_id);
    if (c.ok()) {
      contact = std::move(c).value();
    } else if (c.status().code() != StatusCode::kNotFound) {
      return Fail(c.status());
    }
  }
  const Bytes message = ContactAuthMessage(proof.lookup_id, proof.challenge);
  Status sig;
  if (contact) {
    sig = EcdsaP256Sha256Verify(ByteSpan(contact->auth_key), message,
                                proof.signature);
  } else {
    sig = EcdsaP256Sha256Verify(DummyKey(), message, proof.signature);
  }
  if (!challenge_ok || !contact || !sig.ok()) return NotRecognised();
  return std::move(*contact);
}

StatusOr<ContactStatus> DaemonImpl::GetContactStatus(
    const ContactProof& proof) {
  CONCLAVE_RETURN_IF_ERROR(CheckRunning());
  CONCLAVE_ASSIGN_OR_RETURN(ContactRecord c, AuthenticateContact(proof));
  return Guarded(this, &DaemonImpl::Fail, [&]() -> StatusOr<ContactStatus> {
    ContactStatus out;
    CONCLAVE_ASSIGN_OR_RETURN(SubmissionRecord first,
                              store_->GetSubmission(c.submission_id));
    CONCLAVE_ASSIGN_OR_RETURN(std::vector<SubmissionRecord> follow,
                              store_->ListLinkedSubmissions(first.leaf_index));
    follow.insert(follow.begin(), std::move(first));
    for (const SubmissionRecord& s : follow) {
      ContactStatus::Item item;
      item.submission_id = s.id;
      item.leaf_index = s.leaf_index;
      item.received_unix = static_cast<uint64_t>(s.received_unix);
      item.state = "received";
      CONCLAVE_ASSIGN_OR_RETURN(std::vector<RequestRecord> requests,
                                store_->ListRequestsForSubmission(s.id));
      for (const RequestRecord& r : requests) {
        if (r.state == RequestState::kReleased) {
          // The organisations whose approvals were posted for the request
          // that reached the quorum.
          CONCLAVE_ASSIGN_OR_RETURN(std::vector<ApprovalRecord> approvals,
                                    store_->ListApprovals(r.id));
          std::set<uint32_t> orgs;
          for (const ApprovalRecord& a : approvals) orgs.insert(a.org_id);
          item.state = "released";
          item.organisations_approved = std::max<uint32_t>(
              item.organisations_approved, static_cast<uint32_t>(orgs.size()));
        } else if (r.state == RequestState::kOpen && item.state == "received") {
          item.state = "request_open";
        }
      }
      out.submissions.push_back(std::move(item));
    }
    CONCLAVE_ASSIGN_OR_RETURN(std::vector<ReplyRecord> replies,
                              store_->ListReplies(c.submission_id));
    for (ReplyRecord& r : replies) {
      ContactStatus::Reply reply;
      reply.reply_id = HexEncode(r.id);
      reply.created_unix = static_cast<uint64_t>(r.received_unix);
      reply.ciphertext = std::move(r.ciphertext);
      out.replies.push_back(std::move(reply));
    }
    return out;
  });
}

// ---- Editors ----

StatusOr<v1::PostReply> DaemonImpl::PostReply(const v1::SignedStatement& call) {
  CONCLAVE_ASSIGN_OR_RETURN(
      Signed<v1::ReplyPost> in,
      Authenticate<v1::ReplyPost>("PostReply", call, "reply"));
  const uint64_t now = in.now;
  const VerifiedCall& c = in.call;
  const v1::SignedStatement& statement = in.payload.statement();
  const ByteSpan ciphertext = AsBytes(in.payload.ciphertext());
  if (statement.org_id() != c.org_id ||
      statement.editor_index() != c.editor_index) {
    return PermissionDeniedError(
        "identity mismatch: the call and the reply have different signers");
  }
  if (ciphertext.size() > kMaxReplyBytes) {
    return InvalidArgumentError("the reply is larger than " +
                                Str(kMaxReplyBytes) + " bytes");
  }
  CONCLAVE_ASSIGN_OR_RETURN(
      v1::ReplyBody body, VerifyReply(in.epoch->roster, statement, ciphertext));
  const std::string& sid = body.submission_id();
  // The ciphertext must be one p256tag stanza (the page reads nothing else).
  size_t header_size = 0;
  auto header = age::ParseHeader(ciphertext, &header_size);
  if (!header.ok() || header->stanzas.size() != 1) {
    return InvalidArgumentError(
        "the reply is not an age file with exactly one p256tag stanza");
  }
  auto stanza = age::ParseP256TagStanza(header->stanzas[0]);
  if (!stanza.ok()) {
    return InvalidArgumentError(
        "the reply is not an age file with exactly one p256tag stanza");
  }

  auto run = [&]() -> StatusOr<v1::PostReply> {
    CONCLAVE_ASSIGN_OR_RETURN(Store::Transaction txn, store_->Begin());
    CONCLAVE_RETURN_IF_ERROR(RecordCallNonce(txn, c));
    auto submission = txn.GetSubmission(sid);
    if (!submission.ok()) {
      if (submission.status().code() == StatusCode::kNotFound) {
        return NotFoundError("submission " + sid +
                             " is not held by the daemon");
      }
      return submission.status();
    }
    if (submission->linked_to_leaf) {
      auto first = SubmissionAtLeaf(txn, *submission->linked_to_leaf);
      return FailedPreconditionError(
          "submission " + sid +
          " is a follow-up: reply in its thread, to "
          "the first submission" +
          (first.ok() ? " " + first->id : std::string()));
    }
    auto contact = txn.GetContactForSubmission(sid);
    if (!contact.ok()) {
      if (contact.status().code() == StatusCode::kNotFound) {
        return FailedPreconditionError(
            "submission " + sid +
            " has no contact key: its sender did not keep a receipt, so "
            "nobody can read a reply");
      }
      return contact.status();
    }
    auto to = age::ParseP256TagRecipient(contact->reply_recipient);
    if (!to.ok()) return DataLossError("a stored reply recipient is malformed");
    if (age::ComputeP256Tag(stanza->enc, *to) != stanza->tag) {
      return InvalidArgumentError(
          "the reply is not encrypted to this contact's reply recipient " +
          contact->reply_recipient);
    }
    ReplyRecord r;
    r.id = Sha256(ciphertext);
    r.submission_id = sid;
    r.org_id = c.org_id;
    r.editor_index = c.editor_index;
    r.statement = ToBytes(statement.SerializeAsString());
    r.ciphertext = Bytes(ciphertext.begin(), ciphertext.end());
    r.received_unix = static_cast<int64_t>(now);
    v1::LogLeaf leaf;
    leaf.set_time_unix(now);
    *leaf.mutable_reply() = statement;
    CONCLAVE_ASSIGN_OR_RETURN(uint64_t index,
                              txn.InsertReply(r, quorum::EncodeLogLeaf(leaf)));
    CONCLAVE_RETURN_IF_ERROR(txn.Commit());
    v1::PostReply reply;
    reply.set_leaf_index(index);
    return reply;
  };
  auto posted = run();
  if (!posted.ok()) {
    if (posted.status().code() == StatusCode::kAlreadyExists &&
        posted.status().message().starts_with("reply ")) {
      return AlreadyExistsError("this reply was already posted");
    }
    return Fail(posted.status());
  }
  LogLine("reply to submission " + sid + " by org " + Str(c.org_id) +
          " editor " + Str(c.editor_index) + ": leaf " +
          Str(posted->leaf_index()));
  posted->set_status("reply to submission " + sid + " posted; " +
                     AwaitSettled(posted->leaf_index()));
  return posted;
}

StatusOr<v1::MessageThread> DaemonImpl::Thread(const RecordReader& reader,
                                               const SubmissionRecord& first) {
  v1::MessageThread t;
  *t.mutable_first() = InfoFor(first);
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<SubmissionRecord> follow,
                            reader.ListLinkedSubmissions(first.leaf_index));
  for (const SubmissionRecord& s : follow) *t.add_follow_ups() = InfoFor(s);
  auto contact = reader.GetContactForSubmission(first.id);
  if (contact.ok()) {
    t.set_has_contact(true);
    t.set_reply_recipient(contact->reply_recipient);
  } else if (contact.status().code() != StatusCode::kNotFound) {
    return contact.status();
  }
  CONCLAVE_ASSIGN_OR_RETURN(std::vector<ReplyRecord> replies,
                            reader.ListReplies(first.id));
  for (const ReplyRecord& r : replies) {
    v1::ReplyInfo* info = t.add_replies();
    info->set_reply_id(HexEncode(r.id));
    info->set_leaf_index(r.leaf_index);
    info->set_created_unix(static_cast<uint64_t>(r.received_unix));
    info->set_org_id(r.org_id);
    info->set_editor_index(r.editor_index);
    info->set_ciphertext(AsString(r.ciphertext));
    if (!info->mutable_statement()->ParseFromString(AsString(r.statement))) {
      return DataLossError("a stored reply statement does not parse");
    }
  }
  return t;
}

StatusOr<v1::MessageThreads> DaemonImpl::ListMessages(
    const v1::SignedStatement& call) {
  CONCLAVE_ASSIGN_OR_RETURN(
      Signed<v1::MessagesQuery> in,
      Authenticate<v1::MessagesQuery>("ListMessages", call));
  const std::string& sid = in.payload.submission_id();
  return AnswerRead(in.call, [&]() -> StatusOr<v1::MessageThreads> {
    v1::MessageThreads out;
    if (!sid.empty()) {
      auto s = store_->GetSubmission(sid);
      if (!s.ok()) {
        if (s.status().code() == StatusCode::kNotFound) {
          return NotFoundError("submission " + sid +
                               " is not held by the daemon");
        }
        return s.status();
      }
      SubmissionRecord first = std::move(s).value();
      if (first.linked_to_leaf) {
        CONCLAVE_ASSIGN_OR_RETURN(
            first, SubmissionAtLeaf(*store_, *first.linked_to_leaf));
      }
      CONCLAVE_ASSIGN_OR_RETURN(*out.add_threads(), Thread(*store_, first));
      return out;
    }
    // Every thread: submissions with a contact or with follow-ups.
    std::set<uint64_t> leaves;
    CONCLAVE_ASSIGN_OR_RETURN(std::vector<ContactRecord> contacts,
                              store_->ListContacts());
    for (const ContactRecord& c : contacts) {
      CONCLAVE_ASSIGN_OR_RETURN(SubmissionRecord s,
                                store_->GetSubmission(c.submission_id));
      leaves.insert(s.leaf_index);
    }
    CONCLAVE_ASSIGN_OR_RETURN(std::vector<uint64_t> targets,
                              store_->ListLinkTargets());
    leaves.insert(targets.begin(), targets.end());
    for (uint64_t leaf : leaves) {
      CONCLAVE_ASSIGN_OR_RETURN(SubmissionRecord first,
                                SubmissionAtLeaf(*store_, leaf));
      CONCLAVE_ASSIGN_OR_RETURN(*out.add_threads(), Thread(*store_, first));
    }
    return out;
  });
}

}  // namespace conclave::daemon
