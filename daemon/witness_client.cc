#include "daemon/witness_client.h"

#include <arpa/inet.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <thread>
#include <utility>

#include "audit/checkpoint.h"
#include "audit/cosignature.h"
#include "audit/log.h"

namespace conclave::daemon {

namespace {

using Kind = WitnessFailure::Kind;
using Clock = std::chrono::steady_clock;

constexpr char kAddCheckpointPath[] = "/add-checkpoint";
// tlog-witness: "The client MUST NOT send more than 63 consistency proof
// lines"; RFC 9162 proofs never need more for 64-bit sizes.
constexpr size_t kMaxProofLines = 63;
constexpr size_t kMaxReasonChars = 200;

std::string Org(uint32_t org) { return "org" + std::to_string(org); }

std::string Ms(std::chrono::milliseconds d) {
  return std::to_string(d.count()) + " ms";
}

// Witness-supplied text for a log line: printable ASCII, bounded.
std::string Sanitize(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (out.size() >= kMaxReasonChars) {
      out += "...";
      break;
    }
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
    } else {
      out += (u >= 0x20 && u < 0x7f) ? c : '?';
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

bool IsLoopbackHost(const std::string& host) {
  std::string lower = host;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (lower == "localhost") return true;
  in_addr a4;
  if (inet_pton(AF_INET, host.c_str(), &a4) == 1) {
    return (ntohl(a4.s_addr) >> 24) == 127;
  }
  in6_addr a6;
  if (inet_pton(AF_INET6, host.c_str(), &a6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&a6);
  }
  return false;
}

bool IsHostNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.';
}

// RFC 3986 §3.3 pchar plus '/', without '?' and '#' (no query, no
// fragment: the prefix is only ever followed by "/add-checkpoint").
bool IsPathChar(char c) {
  if (IsHostNameChar(c)) return true;
  return std::string_view("_~!$&'()*+,;=:@%/").find(c) !=
         std::string_view::npos;
}

Status BadUrl(std::string_view url, const std::string& why) {
  return InvalidArgumentError("witness URL \"" + Sanitize(url) + "\": " + why);
}

}  // namespace

std::string WitnessUrl::SchemeHostPort() const {
  const bool v6 = host.find(':') != std::string::npos;
  return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

std::string WitnessUrl::ToString() const { return SchemeHostPort() + prefix; }

StatusOr<WitnessUrl> ParseWitnessUrl(std::string_view url) {
  WitnessUrl u;
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) {
    return BadUrl(url, "expected http://HOST[:PORT][/PATH] or https://...");
  }
  std::string scheme(url.substr(0, sep));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (scheme != "http" && scheme != "https") {
    return BadUrl(url, "the scheme must be http or https");
  }
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
  if (scheme == "https") {
    return BadUrl(url,
                  "this build's cpp-httplib has no TLS support "
                  "(CPPHTTPLIB_OPENSSL_SUPPORT); https witnesses cannot be "
                  "reached");
  }
#endif
  u.scheme = scheme;
  std::string_view rest = url.substr(sep + 3);
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path =
      slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    return BadUrl(url, "user info is not allowed");
  }
  std::string_view port_text;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return BadUrl(url, "unterminated IPv6 literal");
    }
    u.host = std::string(authority.substr(1, close - 1));
    in6_addr a6;
    if (inet_pton(AF_INET6, u.host.c_str(), &a6) != 1) {
      return BadUrl(url, "bad IPv6 literal");
    }
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return BadUrl(url, "junk after the IPv6 literal");
      port_text = after.substr(1);
      if (port_text.empty()) return BadUrl(url, "empty port");
    }
  } else {
    const size_t colon = authority.find(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return BadUrl(url, "empty port");
    }
    if (u.host.empty() || u.host.size() > 253 ||
        !std::all_of(u.host.begin(), u.host.end(), IsHostNameChar)) {
      return BadUrl(url, "bad host name");
    }
  }
  if (port_text.empty()) {
    u.port = u.scheme == "https" ? 443 : 80;
  } else {
    if (port_text.size() > 5 ||
        !std::all_of(port_text.begin(), port_text.end(),
                     [](char c) { return c >= '0' && c <= '9'; })) {
      return BadUrl(url, "bad port");
    }
    u.port = std::stoi(std::string(port_text));
    if (u.port < 1 || u.port > 65535) return BadUrl(url, "bad port");
  }
  if (!std::all_of(path.begin(), path.end(), IsPathChar)) {
    return BadUrl(url,
                  "the path may not hold a query, a fragment, spaces or "
                  "control characters");
  }
  u.prefix = std::string(path);
  while (!u.prefix.empty() && u.prefix.back() == '/') u.prefix.pop_back();
  if (u.scheme == "http" && !IsLoopbackHost(u.host)) {
    return BadUrl(url,
                  "plain http is allowed only to a loopback address "
                  "(127.0.0.0/8, [::1], localhost); reach a witness on "
                  "another machine over https://");
  }
  return u;
}

StatusOr<WitnessEndpoint> ParseWitnessEndpoint(std::string_view flag) {
  const size_t eq = flag.find('=');
  if (eq == std::string_view::npos) {
    return InvalidArgumentError("--witness " + Sanitize(flag) +
                                ": expected ORG=URL");
  }
  auto org = audit::ParseDecimalU64(flag.substr(0, eq));
  if (!org.ok() || *org == 0 || *org > 0xFFFFFFFFu) {
    return InvalidArgumentError(
        "--witness " + Sanitize(flag) +
        ": ORG must be an organisation id (1 .. 4294967295)");
  }
  auto url = ParseWitnessUrl(flag.substr(eq + 1));
  if (!url.ok()) return url.status().Annotate("--witness");
  return WitnessEndpoint{static_cast<uint32_t>(*org), url->ToString()};
}

// One witness: its URL, its roster key, its HTTP client and what it last
// acknowledged.
struct WitnessClient::Slot {
  uint32_t org_id = 0;
  WitnessUrl url;
  const audit::CosignatureV1Verifier* verifier = nullptr;  // in roster_
  std::unique_ptr<httplib::ClientImpl> http;
  std::atomic<uint64_t> acked{0};
  std::atomic<bool> cancelled{false};
};

namespace {

std::unique_ptr<httplib::ClientImpl> MakeHttpClient(
    const WitnessUrl& url, const WitnessClientOptions& o) {
  std::unique_ptr<httplib::ClientImpl> c;
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
  if (url.scheme == "https") {
    auto ssl = std::make_unique<httplib::SSLClient>(url.host, url.port);
    ssl->enable_server_certificate_verification(true);
    if (!o.ca_cert_file.empty()) ssl->set_ca_cert_path(o.ca_cert_file);
    c = std::move(ssl);
  }
#endif
  if (!c) c = std::make_unique<httplib::ClientImpl>(url.host, url.port);
  // Small request/response exchanges: Nagle's algorithm with delayed ACKs
  // would add tens of milliseconds to every cosigning round.
  c->set_tcp_nodelay(true);
  const auto split = [](std::chrono::milliseconds d) {
    return std::make_pair(static_cast<time_t>(d.count() / 1000),
                          static_cast<time_t>((d.count() % 1000) * 1000));
  };
  auto [cs, cus] = split(o.connect_timeout);
  auto [is, ius] = split(o.io_timeout);
  c->set_connection_timeout(cs, cus);
  c->set_read_timeout(is, ius);
  c->set_write_timeout(is, ius);
  // tlog-witness: clients SHOULD use keep-alive connections.
  c->set_keep_alive(true);
  c->set_follow_location(false);
  return c;
}

// What one witness did in one Cosign call.
struct Outcome {
  std::vector<std::string> lines;  // verified cosignature lines
  std::vector<WitnessFailure> failures;
};

}  // namespace

WitnessClient::WitnessClient(
    audit::WitnessRoster roster, std::string origin,
    std::unique_ptr<audit::Ed25519NoteVerifier> log_key,
    std::vector<uint32_t> roster_orgs, WitnessClientOptions options)
    : roster_(std::move(roster)),
      origin_(std::move(origin)),
      log_key_(std::move(log_key)),
      roster_orgs_(std::move(roster_orgs)),
      options_(std::move(options)) {}

WitnessClient::~WitnessClient() = default;

StatusOr<std::unique_ptr<WitnessClient>> WitnessClient::Create(
    uint32_t m, uint32_t t, std::span<const audit::WitnessEntry> witnesses,
    std::string_view log_vkey, std::span<const WitnessEndpoint> endpoints,
    WitnessClientOptions options) {
  CONCLAVE_ASSIGN_OR_RETURN(audit::WitnessRoster roster,
                            audit::WitnessRoster::Create(m, t, witnesses));
  auto log_key = audit::Ed25519NoteVerifier::FromVerifierKey(log_vkey);
  if (!log_key.ok()) return log_key.status().Annotate("log vkey");
  std::string origin = (*log_key)->name();
  if (options.connect_timeout.count() <= 0 || options.io_timeout.count() <= 0 ||
      options.deadline.count() <= 0) {
    return InvalidArgumentError("witness client: timeouts must be positive");
  }
  std::map<uint32_t, std::string> vkeys;
  for (const auto& w : witnesses) vkeys[w.org_id] = w.vkey;
  std::vector<uint32_t> orgs;
  for (const auto& [org, vkey] : vkeys) orgs.push_back(org);

  std::unique_ptr<WitnessClient> c(
      new WitnessClient(std::move(roster), std::move(origin),
                        std::move(log_key).value(), orgs, std::move(options)));
  std::map<uint32_t, const WitnessEndpoint*> by_org;
  for (const WitnessEndpoint& e : endpoints) {
    if (!by_org.emplace(e.org_id, &e).second) {
      return InvalidArgumentError("--witness: organisation " +
                                  std::to_string(e.org_id) +
                                  " is given more than once");
    }
    if (!vkeys.count(e.org_id)) {
      return InvalidArgumentError("--witness: organisation " +
                                  std::to_string(e.org_id) +
                                  " has no witness in the roster");
    }
  }
  for (const auto& [org, e] : by_org) {
    CONCLAVE_ASSIGN_OR_RETURN(WitnessUrl url, ParseWitnessUrl(e->url));
    auto vk = audit::ParseVerifierKey(vkeys[org]);
    if (!vk.ok()) return vk.status().Annotate("roster witness key");
    auto found = c->roster_.Find(vk->name, vk->key_id);
    if (!found || found->org_id != org) {
      return InternalError("roster witness key lookup failed");
    }
    auto slot = std::make_unique<Slot>();
    slot->org_id = org;
    slot->url = std::move(url);
    slot->verifier = found->verifier;
    slot->http = MakeHttpClient(slot->url, c->options_);
    c->slots_.push_back(std::move(slot));
  }
  return c;
}

Status WitnessClient::CheckCanSettle() const {
  const uint32_t w = roster_.settle_threshold();
  if (slots_.size() >= w) return OkStatus();
  return FailedPreconditionError(
      "witness URLs are configured for " + std::to_string(slots_.size()) +
      " organisations, but " + std::to_string(w) + " of " +
      std::to_string(roster_.m()) +
      " must cosign to settle a checkpoint: nothing will settle");
}

uint64_t WitnessClient::acknowledged_size(uint32_t org_id) const {
  for (const auto& s : slots_) {
    if (s->org_id == org_id) return s->acked.load();
  }
  return 0;
}

namespace {

// Everything a witness worker needs for one checkpoint.
struct Job {
  const std::string* note;
  const std::string* text;  // the verified checkpoint text
  uint64_t size;
  const ProofSource* proofs;
  std::mutex* proof_mu;
  const WitnessClientOptions* options;
  const audit::WitnessRoster* roster;
};

std::string TransportReason(httplib::Error err, Clock::duration elapsed,
                            bool cancelled, const WitnessClientOptions& o) {
  if (cancelled) {
    return "timeout: no answer before the " + Ms(o.deadline) + " deadline";
  }
  switch (err) {
    case httplib::Error::Connection:
      return "connection failed (refused or unreachable)";
    case httplib::Error::ConnectionTimeout:
      return "timeout: no connection within " + Ms(o.connect_timeout);
    case httplib::Error::Read:
      if (elapsed >= o.io_timeout - std::chrono::milliseconds(50)) {
        return "timeout: no answer within " + Ms(o.io_timeout);
      }
      return "connection closed without an answer";
    case httplib::Error::Write:
      return "connection failed while sending";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts:
      return "cannot load the CA certificates";
    case httplib::Error::SSLServerVerification:
      return "TLS server certificate not trusted (or not for this host)";
    case httplib::Error::Canceled:
      return "answer larger than " + std::to_string(o.max_response_body) +
             " bytes";
    default:
      return "HTTP error: " + httplib::to_string(err);
  }
}

// The cosignature lines of a 200 body that verify under `slot`'s roster key
// for `text`; everything else is named in `failures` (and otherwise
// ignored, as tlog-witness requires for unknown keys).
void CheckCosignatures(const std::string& body, const std::string& text,
                       uint32_t org, const audit::CosignatureV1Verifier& key,
                       const audit::WitnessRoster& roster, Outcome* out) {
  size_t forged = 0, foreign = 0, unknown = 0, malformed = 0;
  std::string_view rest = body;
  size_t count = 0;
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) {
      ++malformed;  // "ending with a newline character"
      break;
    }
    std::string_view line = rest.substr(0, nl + 1);
    rest.remove_prefix(nl + 1);
    if (++count > audit::kMaxNoteSignatures) {
      ++malformed;
      break;
    }
    // Parse the line as the signature of a note over `text`: the same
    // strict decoder the note verifier uses.
    auto parsed = audit::ParseNote(text + "\n" + std::string(line));
    if (!parsed.ok() || parsed->signatures.size() != 1) {
      ++malformed;
      continue;
    }
    const audit::NoteSignature& sig = parsed->signatures[0];
    auto who = roster.Find(sig.name, sig.key_id);
    if (!who) {
      ++unknown;
      continue;
    }
    if (who->org_id != org) {
      // Another organisation's key: it counts only from that
      // organisation's own witness.
      ++foreign;
      continue;
    }
    if (!key.Verify(text, sig.signature).ok()) {
      ++forged;
      continue;
    }
    const std::string l = sig.ToLine();
    if (std::find(out->lines.begin(), out->lines.end(), l) ==
        out->lines.end()) {
      out->lines.push_back(l);
    }
  }
  std::vector<std::string> bad;
  if (forged) {
    bad.push_back(std::to_string(forged) +
                  " cosignature line(s) that do not verify under its roster "
                  "key");
  }
  if (foreign) {
    bad.push_back(std::to_string(foreign) +
                  " line(s) signed with another organisation's witness key");
  }
  if (malformed)
    bad.push_back(std::to_string(malformed) + " malformed line(s)");
  if (out->lines.empty()) {
    std::string reason = "HTTP 200 without a valid cosignature";
    if (unknown) {
      bad.push_back(std::to_string(unknown) + " line(s) from unknown keys");
    }
    for (size_t i = 0; i < bad.size(); ++i) {
      reason += (i == 0 ? ": " : ", ") + bad[i];
    }
    out->failures.push_back({org, Kind::kBadCosignature, reason});
  } else if (!bad.empty()) {
    std::string reason = "ignored ";
    for (size_t i = 0; i < bad.size(); ++i) {
      reason += (i == 0 ? "" : ", ") + bad[i];
    }
    out->failures.push_back({org, Kind::kBadCosignature, reason});
  }
}

// tlog-witness add-checkpoint against one witness, with at most one retry
// after a 409.
Outcome RunOne(uint32_t org, const WitnessUrl& url,
               const audit::CosignatureV1Verifier& key,
               httplib::ClientImpl& http, std::atomic<uint64_t>& acked,
               const std::atomic<bool>& cancelled, const Job& job) {
  Outcome out;
  const WitnessClientOptions& o = *job.options;
  auto fail = [&](Kind kind, std::string reason) {
    out.failures.push_back({org, kind, std::move(reason)});
    return out;
  };
  // At most one retry after a 409, and one after a connection that failed
  // at once (a kept-alive connection the witness closed while idle).
  bool retried_conflict = false, retried_connection = false;
  for (;;) {
    if (cancelled.load()) {
      return fail(Kind::kUnreachable, "timeout: no answer before the " +
                                          Ms(o.deadline) + " deadline");
    }
    const uint64_t old_size = acked.load();
    if (old_size > job.size) {
      return fail(Kind::kInconsistent,
                  "the witness has cosigned size " + std::to_string(old_size) +
                      ", beyond this checkpoint (size " +
                      std::to_string(job.size) +
                      "): the log may have been rolled back");
    }
    std::vector<audit::Hash> proof;
    if (old_size > 0 && old_size < job.size) {
      std::lock_guard<std::mutex> lock(*job.proof_mu);
      auto p = (*job.proofs)(old_size, job.size);
      if (!p.ok()) {
        return fail(Kind::kLocal, "cannot build the consistency proof " +
                                      std::to_string(old_size) + " -> " +
                                      std::to_string(job.size) + ": " +
                                      p.status().message());
      }
      proof = std::move(p).value();
      if (proof.size() > kMaxProofLines) {
        return fail(Kind::kLocal, "consistency proof longer than 63 hashes");
      }
    }
    // Body: "old N\n", one base64 hash per line, "\n", the checkpoint note.
    std::string body = "old " + std::to_string(old_size) + "\n";
    for (const audit::Hash& h : proof) {
      body += audit::NoteBase64Encode(h) + "\n";
    }
    body += "\n";
    body += *job.note;

    httplib::Request req;
    req.method = "POST";
    req.path = url.prefix + kAddCheckpointPath;
    req.body = std::move(body);
    req.set_header("Content-Type", "text/plain; charset=utf-8");
    std::string reply;
    bool too_big = false;
    req.content_receiver = [&](const char* data, size_t len, uint64_t,
                               uint64_t) {
      if (reply.size() + len > o.max_response_body) {
        too_big = true;
        return false;
      }
      reply.append(data, len);
      return true;
    };
    httplib::Response res;
    httplib::Error err = httplib::Error::Success;
    const auto start = Clock::now();
    const bool sent = http.send(req, res, err);
    if (!sent || err != httplib::Error::Success) {
      if (too_big) err = httplib::Error::Canceled;
      const bool quick = Clock::now() - start < o.io_timeout / 4;
      if (!retried_connection && !cancelled.load() && quick &&
          (err == httplib::Error::Read || err == httplib::Error::Write)) {
        retried_connection = true;
        continue;
      }
      return fail(Kind::kUnreachable, TransportReason(err, Clock::now() - start,
                                                      cancelled.load(), o));
    }
    if (res.status == 200) {
      CheckCosignatures(reply, *job.text, org, key, *job.roster, &out);
      if (!out.lines.empty()) acked.store(job.size);
      return out;
    }
    if (res.status == 409) {
      // tlog-witness: body "<size>\n", Content-Type text/x.tlog.size.
      const std::string ct = res.get_header_value("Content-Type");
      auto their = reply.size() > 1 && reply.back() == '\n'
                       ? audit::ParseDecimalU64(std::string_view(reply).substr(
                             0, reply.size() - 1))
                       : StatusOr<uint64_t>(InvalidArgumentError("no size"));
      if (ct.rfind("text/x.tlog.size", 0) != 0 || !their.ok()) {
        return fail(
            Kind::kRefused,
            "HTTP 409 without a text/x.tlog.size body: " + Sanitize(reply));
      }
      if (*their > job.size) {
        return fail(Kind::kInconsistent,
                    "the witness has cosigned size " + std::to_string(*their) +
                        ", beyond this checkpoint (size " +
                        std::to_string(job.size) +
                        "): the log may have been rolled back, or the "
                        "witness was shown another tree");
      }
      if (*their == old_size) {
        // Same old size yet a conflict: it holds another tree at that size.
        return fail(Kind::kInconsistent,
                    "HTTP 409 at its own size " + std::to_string(*their) +
                        ": the witness holds a different checkpoint of that "
                        "size");
      }
      if (retried_conflict) {
        return fail(Kind::kRefused, "HTTP 409 twice (witness now at size " +
                                        std::to_string(*their) + ")");
      }
      acked.store(*their);  // only chooses the next proof
      retried_conflict = true;
      continue;
    }
    const std::string what =
        "HTTP " + std::to_string(res.status) +
        (reply.empty() ? std::string() : ": " + Sanitize(reply));
    // 422: the witness could not verify our proof (or roots differ at the
    // same size); 403/404: it does not know or trust this log.
    return fail(res.status == 422 ? Kind::kInconsistent : Kind::kRefused, what);
  }
}

}  // namespace

StatusOr<CosignResult> WitnessClient::Cosign(const std::string& note,
                                             uint64_t size,
                                             const ProofSource& proofs) {
  std::lock_guard<std::mutex> cosign_lock(cosign_mu_);
  // The note must be this log's, signed by its key, of `size` leaves.
  auto submitted =
      audit::VerifyCosignedCheckpoint(note, origin_, *log_key_, roster_);
  if (!submitted.ok()) return submitted.status().Annotate("cosign");
  if (submitted->checkpoint.size != size) {
    return InvalidArgumentError("cosign: the checkpoint has size " +
                                std::to_string(submitted->checkpoint.size) +
                                ", not " + std::to_string(size));
  }
  const std::string text = submitted->text;

  std::mutex proof_mu;
  Job job{&note, &text, size, &proofs, &proof_mu, &options_, &roster_};
  std::vector<Outcome> outcomes(slots_.size());
  std::mutex mu;
  std::condition_variable cv;
  size_t remaining = slots_.size();
  std::vector<bool> finished(slots_.size(), false);
  std::vector<std::thread> threads;
  threads.reserve(slots_.size());
  for (size_t i = 0; i < slots_.size(); ++i) {
    threads.emplace_back([&, i] {
      Slot& s = *slots_[i];
      Outcome o = RunOne(s.org_id, s.url, *s.verifier, *s.http, s.acked,
                         s.cancelled, job);
      std::lock_guard<std::mutex> lock(mu);
      outcomes[i] = std::move(o);
      finished[i] = true;
      --remaining;
      cv.notify_all();
    });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    if (!cv.wait_for(lock, options_.deadline, [&] { return remaining == 0; })) {
      // Cut off the laggards: shutting the socket down makes a blocked read
      // return at once (cpp-httplib's stop() is safe during a request).
      for (size_t i = 0; i < slots_.size(); ++i) {
        if (!finished[i]) {
          slots_[i]->cancelled.store(true);
          slots_[i]->http->stop();
        }
      }
    }
  }
  for (auto& th : threads) th.join();
  for (auto& s : slots_) {
    if (s->cancelled.exchange(false)) {
      s->http = MakeHttpClient(s->url, options_);  // a clean connection
    }
  }

  // Assemble: the verified lines, organisations ascending.
  CosignResult result;
  result.size = size;
  std::string cosigned_note = note;
  std::map<uint32_t, std::vector<WitnessFailure>> failures;
  for (size_t i = 0; i < slots_.size(); ++i) {
    Outcome& o = outcomes[i];
    std::string lines;
    for (const auto& l : o.lines) lines += l;
    if (!lines.empty()) {
      CONCLAVE_ASSIGN_OR_RETURN(
          cosigned_note, audit::AppendSignatureLines(cosigned_note, lines));
    }
    for (auto& f : o.failures) failures[f.org_id].push_back(std::move(f));
  }
  // Re-verify the whole note as a client will: every line we added must
  // verify, or we have a bug.
  auto cosigned = audit::VerifyCosignedCheckpoint(cosigned_note, origin_,
                                                  *log_key_, roster_);
  if (!cosigned.ok()) {
    return InternalError("cosign: assembled note does not verify: " +
                         cosigned.status().message());
  }
  for (const auto& [org, ts] : cosigned->cosigners) {
    result.cosigners.push_back(org);
  }
  for (uint32_t org : roster_orgs_) {
    const bool has_slot =
        std::any_of(slots_.begin(), slots_.end(),
                    [org](const auto& s) { return s->org_id == org; });
    const bool signed_already =
        std::find(result.cosigners.begin(), result.cosigners.end(), org) !=
        result.cosigners.end();
    if (!has_slot && !signed_already) {
      failures[org].push_back(
          {org, Kind::kNoEndpoint, "no --witness URL configured"});
    }
  }
  for (auto& [org, fs] : failures) {
    for (auto& f : fs) result.failures.push_back(std::move(f));
  }

  auto settled = audit::Settle(*cosigned, {}, roster_);
  result.settled = settled.ok();
  if (settled.ok()) {
    result.settled_checkpoint.emplace(std::move(settled).value());
  } else if (settled.status().code() != StatusCode::kFailedPrecondition) {
    return settled.status().Annotate("cosign");
  }
  result.note = std::move(cosigned_note);

  // The log line.
  const uint32_t w = roster_.settle_threshold();
  std::string summary = (result.settled ? "settled: " : "not settled: ") +
                        std::to_string(result.cosigners.size()) + " of " +
                        std::to_string(roster_.m()) +
                        " organisations cosigned (" + std::to_string(w) +
                        " needed)";
  const std::pair<Kind, const char*> groups[] = {
      {Kind::kUnreachable, "unreachable"},
      {Kind::kRefused, "refused"},
      {Kind::kInconsistent, "inconsistent"},
      {Kind::kBadCosignature, "bad cosignature"},
      {Kind::kLocal, "local error"},
      {Kind::kNoEndpoint, "no witness URL"},
  };
  for (const auto& [kind, label] : groups) {
    std::string part;
    for (const auto& f : result.failures) {
      if (f.kind != kind) continue;
      part +=
          (part.empty() ? "" : ", ") + Org(f.org_id) + " (" + f.reason + ")";
    }
    if (!part.empty()) summary += std::string("; ") + label + ": " + part;
  }
  result.summary = std::move(summary);
  return result;
}

}  // namespace conclave::daemon
