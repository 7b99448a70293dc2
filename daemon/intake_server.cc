#include "daemon/intake_server.h"

#include <fcntl.h>
#include <httplib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "age/base64.h"
#include "age/p256tag.h"
#include "age/submission.h"
#include "base/bytes.h"
#include "crypto/random.h"
#include "daemon/daemon_log.h"
#include "keyceremony/roster_members.h"
#include "web/intake_assets.h"

namespace conclave::daemon {

const std::vector<std::pair<std::string, std::string>> kIntakeSecurityHeaders =
    {
        {"Content-Security-Policy",
         "default-src 'none'; script-src 'self'; style-src 'self'; img-src "
         "'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
         "frame-ancestors 'none'"},
        {"Referrer-Policy", "no-referrer"},
        {"X-Content-Type-Options", "nosniff"},
        {"Cache-Control", "no-store"},
};

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kJson[] = "application/json";
constexpr char kNotRecognisedSentence[] =
    "That receipt was not recognised. Check that you typed it exactly as it "
    "was shown.";

std::string Str(uint64_t v) { return std::to_string(v); }

// httplib routes are regular expressions: an asset path matches literally.
std::string LiteralPattern(std::string_view path) {
  std::string out;
  for (char ch : path) {
    if (std::string_view(".^$|()[]{}*+?\\").find(ch) !=
        std::string_view::npos) {
      out += '\\';
    }
    out += ch;
  }
  return out;
}

std::string HumanBytes(uint64_t n) {
  if (n >= (uint64_t{1} << 30) && n % (uint64_t{1} << 30) == 0) {
    return Str(n >> 30) + " GiB";
  }
  if (n >= (uint64_t{1} << 20)) return Str(n >> 20) + " MiB";
  if (n >= 1024) return Str(n >> 10) + " KiB";
  return Str(n) + " bytes";
}

void Reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), kJson);
}

void Error(httplib::Response& res, int status, std::string_view code,
           std::string_view sentence, json extra = json::object()) {
  extra["error"] = sentence;
  extra["code"] = code;
  Reply(res, status, extra);
}

// A request body as a JSON object, or nullopt (and a 400 written).
std::optional<json> JsonBody(const httplib::Request& req,
                             httplib::Response& res) {
  json j = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    Error(res, 400, "bad_request",
          "The page sent something the server could not read. Reload the "
          "page and try again.");
    return std::nullopt;
  }
  return j;
}

// A hex string field of exactly `bytes` bytes (lowercase or uppercase).
std::optional<Bytes> HexField(const json& j, const char* name, size_t bytes) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  const std::string& s = it->get_ref<const std::string&>();
  if (s.size() != 2 * bytes) return std::nullopt;
  auto b = HexDecode(s);
  if (!b.ok()) return std::nullopt;
  return std::move(b).value();
}

// The contract's error code and plain-language sentence for a failure of
// Daemon::SubmitUpload, with the HTTP status.
struct Mapped {
  int status;
  std::string code;
  std::string sentence;
};

Mapped MapFinishError(const Status& s, uint64_t max_upload) {
  const std::string_view intake = GetIntakeError(s);
  if (intake == kIntakeNotRecognised) {
    return {403, "not_recognised", kNotRecognisedSentence};
  }
  if (intake == kIntakeNotAge) {
    return {400, "not_age",
            "This is not a file encrypted by this page. Nothing was kept. "
            "Please go back and choose your file again."};
  }
  if (intake == kIntakeTruncated) {
    return {400, "truncated",
            "The encrypted file arrived incomplete. Nothing was kept. Please "
            "try sending it again."};
  }
  if (intake == kIntakeBadContact) {
    return {400, "bad_contact",
            "The page could not set up your receipt. Nothing was kept. "
            "Reload the page and try again."};
  }
  switch (age::GetSubmissionDefect(s)) {
    case age::SubmissionDefect::kPlainP256Tag:
      return {400, "plain_p256tag",
              "This file was encrypted with a standard age program, without "
              "the proof this consortium requires. Nothing was kept. Please "
              "use this page to encrypt and send your file."};
    case age::SubmissionDefect::kNotASubmission:
    case age::SubmissionDefect::kTagMismatch:
    case age::SubmissionDefect::kDuplicateP256Tag:
    case age::SubmissionDefect::kMalformedP256Tag:
      return {400, "wrong_recipient",
              "This file is not encrypted for this consortium, so its members "
              "could never open it. Nothing was kept. Please use this page to "
              "encrypt and send your file."};
    case age::SubmissionDefect::kDrillNotAllowed:
      return {400, "drill_file",
              "This is a test file from the consortium's setup, not a "
              "submission. Nothing was kept."};
    case age::SubmissionDefect::kTooManyExclusions:
      return {400, "too_many_exclusions",
              "You excluded too many member organisations: the others could "
              "then never open your file. Nothing was kept. Please exclude "
              "fewer organisations and send it again."};
    case age::SubmissionDefect::kMissingProof:
    case age::SubmissionDefect::kStanzaCount:
    case age::SubmissionDefect::kStanzaOrder:
    case age::SubmissionDefect::kMalformedProof:
    case age::SubmissionDefect::kBadExclusions:
    case age::SubmissionDefect::kProofInvalid:
      return {400, "bad_proof",
              "The file's proof of origin is not valid, so it cannot be "
              "accepted. Nothing was kept. Please reload the page and send "
              "your file again."};
    case age::SubmissionDefect::kNone:
      break;
  }
  switch (s.code()) {
    case StatusCode::kAlreadyExists:
      return {409, "duplicate",
              "This exact file was already received earlier. There is no "
              "need to send it again."};
    case StatusCode::kResourceExhausted:
      if (s.message().find("more than this daemon accepts") !=
          std::string::npos) {
        return {
            413, "too_large",
            "The file is too large: this service accepts files of at most " +
                HumanBytes(max_upload) + ". Nothing was kept."};
      }
      return {429, "rate_limited",
              "The service is busy. Nothing was kept. Please wait a few "
              "minutes and try again."};
    case StatusCode::kUnavailable:
      return {503, "unavailable",
              "The service is not available right now. Nothing was kept. "
              "Please try again later."};
    default:
      return {500, "internal",
              "Something went wrong on the server. Nothing was kept. Please "
              "try again later."};
  }
}

}  // namespace

struct IntakeServer::Impl {
  Daemon& daemon;
  IntakeServerOptions options;
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::atomic<bool> stopped{false};

  struct Upload {
    std::mutex mu;  // one request at a time per upload
    fs::path path;
    int fd = -1;
    uint64_t size = 0;
    uint64_t received = 0;
    uint64_t touched = 0;
    bool done = false;  // finished or expired: the file is gone
  };
  mutable std::mutex mu;
  std::map<std::string, std::shared_ptr<Upload>> uploads;

  std::mutex rate_mu;
  double tokens = 0;
  uint64_t rate_last = 0;

  Impl(Daemon& d, IntakeServerOptions o) : daemon(d), options(std::move(o)) {}

  uint64_t Now() const {
    return options.clock ? options.clock()
                         : static_cast<uint64_t>(std::time(nullptr));
  }

  // The global token bucket for anonymous writes.
  bool AllowWrite() {
    const uint32_t per_minute = options.writes_per_minute;
    if (per_minute == 0) return true;
    const uint64_t now = Now();
    std::lock_guard<std::mutex> lock(rate_mu);
    if (rate_last == 0) {
      tokens = per_minute;
    } else if (now > rate_last) {
      tokens = std::min<double>(per_minute,
                                tokens + (now - rate_last) * per_minute / 60.0);
    }
    rate_last = std::max(rate_last, now);
    if (tokens < 1.0) return false;
    tokens -= 1.0;
    return true;
  }

  bool RateLimited(httplib::Response& res) {
    if (AllowWrite()) return false;
    Error(res, 429, "rate_limited",
          "The service is busy. Please wait a few minutes and try again.");
    return true;
  }

  static void Discard(Upload& u) {
    if (u.fd >= 0) ::close(u.fd);
    u.fd = -1;
    std::error_code ec;
    fs::remove(u.path, ec);
    u.done = true;
  }

  // Forgets uploads untouched for the expiry period. Caller holds `mu`.
  void SweepLocked() {
    const uint64_t now = Now();
    for (auto it = uploads.begin(); it != uploads.end();) {
      std::shared_ptr<Upload> u = it->second;
      std::unique_lock<std::mutex> ul(u->mu, std::try_to_lock);
      if (ul.owns_lock() && now >= u->touched + options.upload_expiry_seconds) {
        Discard(*u);
        it = uploads.erase(it);
      } else {
        ++it;
      }
    }
  }

  std::shared_ptr<Upload> Find(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu);
    SweepLocked();
    auto it = uploads.find(id);
    return it == uploads.end() ? nullptr : it->second;
  }

  void Forget(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu);
    uploads.erase(id);
  }

  static void UnknownUpload(httplib::Response& res) {
    Error(res, 404, "unknown_upload",
          "This upload is not known to the server any more (it may have "
          "expired). Please send your file again from the start.");
  }

  // ---- Handlers ----

  void Consortium(httplib::Response& res) {
    const keyceremony::VerifiedRoster& r = options.roster();
    json orgs = json::array();
    for (const auto& o : r.body.organisations()) {
      orgs.push_back({{"id", o.id()}, {"name", o.name()}});
    }
    const std::string& vkey = r.body.log_vkey();
    Reply(res, 200,
          {{"recipient", age::EncodeP256TagRecipient(r.consortium_key)},
           {"epoch", r.body.epoch()},
           {"threshold", r.body.threshold()},
           {"organisations", orgs},
           {"max_exclusions", keyceremony::MaxExclusions(r.body)},
           {"max_upload_bytes", options.max_upload_bytes},
           {"chunk_bytes", options.chunk_bytes},
           {"log_origin", vkey.substr(0, vkey.find('+'))},
           {"log_vkey", vkey}});
  }

  void NewUpload(const httplib::Request& req, httplib::Response& res) {
    if (RateLimited(res)) return;
    std::optional<json> j = JsonBody(req, res);
    if (!j) return;
    auto it = j->find("size");
    if (it == j->end() || !it->is_number_unsigned() ||
        it->get<uint64_t>() == 0) {
      Error(res, 400, "bad_request",
            "The page sent an upload without a size. Reload the page and try "
            "again.");
      return;
    }
    const uint64_t size = it->get<uint64_t>();
    if (size > options.max_upload_bytes) {
      Error(res, 413, "too_large",
            "The file is too large: this service accepts files of at most " +
                HumanBytes(options.max_upload_bytes) +
                ". Nothing was sent. If you can, split it into smaller parts "
                "and send them one by one.",
            {{"max_upload_bytes", options.max_upload_bytes}});
      return;
    }
    std::lock_guard<std::mutex> lock(mu);
    SweepLocked();
    if (uploads.size() >= options.max_concurrent_uploads) {
      Error(res, 503, "busy",
            "Too many people are sending files right now. Nothing was sent. "
            "Please try again in a few minutes.");
      return;
    }
    auto u = std::make_shared<Upload>();
    const SecretBytes raw = RandomBytes(16);
    const std::string id = HexEncode(raw.span());
    u->path = options.upload_dir / (id + ".part");
    u->fd =
        ::open(u->path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (u->fd < 0) {
      LogLine("intake: cannot create an upload file: " +
              std::string(std::strerror(errno)));
      Error(res, 503, "unavailable",
            "The service cannot take files right now. Please try again "
            "later.");
      return;
    }
    u->size = size;
    u->touched = Now();
    uploads.emplace(id, u);
    Reply(res, 201,
          {{"upload_id", id},
           {"chunk_bytes", options.chunk_bytes},
           {"received", 0}});
  }

  void Chunk(const httplib::Request& req, httplib::Response& res,
             const std::string& id) {
    std::shared_ptr<Upload> u = Find(id);
    if (!u) return UnknownUpload(res);
    std::lock_guard<std::mutex> ul(u->mu);
    if (u->done) return UnknownUpload(res);
    u->touched = Now();
    uint64_t offset = 0;
    const std::string o = req.get_param_value("offset");
    if (o.empty() || o.size() > 19 ||
        o.find_first_not_of("0123456789") != std::string::npos) {
      Error(res, 400, "bad_request",
            "The page sent a piece of the file without its position. Reload "
            "the page and try again.");
      return;
    }
    offset = std::stoull(o);
    if (offset != u->received) {
      Error(res, 409, "offset_mismatch",
            "The server holds a different amount of this file; the page will "
            "continue from there.",
            {{"received", u->received}});
      return;
    }
    const std::string& body = req.body;
    if (body.size() > options.chunk_bytes) {
      Error(res, 400, "chunk_too_large",
            "The page sent a piece of the file larger than allowed. Reload "
            "the page and try again.");
      return;
    }
    if (body.size() > u->size - u->received) {
      Error(res, 400, "beyond_size",
            "The page sent more of the file than it announced. Reload the "
            "page and send the file again.");
      return;
    }
    size_t done = 0;
    while (done < body.size()) {
      const ssize_t n = ::pwrite(u->fd, body.data() + done, body.size() - done,
                                 static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        LogLine("intake: cannot write an upload: " +
                std::string(std::strerror(errno)));
        // Whatever was written past `received` is overwritten on resume.
        Error(res, 503, "unavailable",
              "The server could not store this part of your file. Please try "
              "again later.",
              {{"received", u->received}});
        return;
      }
      done += static_cast<size_t>(n);
    }
    u->received += body.size();
    Reply(res, 200, {{"received", u->received}});
  }

  void Progress(httplib::Response& res, const std::string& id) {
    std::shared_ptr<Upload> u = Find(id);
    if (!u) return UnknownUpload(res);
    std::lock_guard<std::mutex> ul(u->mu);
    if (u->done) return UnknownUpload(res);
    Reply(res, 200, {{"received", u->received}, {"size", u->size}});
  }

  void Finish(const httplib::Request& req, httplib::Response& res,
              const std::string& id) {
    if (RateLimited(res)) return;
    std::optional<json> j = JsonBody(req, res);
    if (!j) return;
    std::shared_ptr<Upload> u = Find(id);
    if (!u) return UnknownUpload(res);
    std::lock_guard<std::mutex> ul(u->mu);
    if (u->done) return UnknownUpload(res);
    u->touched = Now();
    if (u->received != u->size) {
      Error(res, 400, "incomplete",
            "Not all of the file has arrived yet; the page will continue "
            "sending it.",
            {{"received", u->received}});
      return;
    }

    std::optional<IntakeContact> contact;
    std::optional<ContactProof> follow_up;
    const auto c = j->find("contact");
    const auto f = j->find("follow_up");
    const std::string bad_contact =
        "The page could not set up your receipt. Reload the page and try "
        "again.";
    if (c != j->end() && !c->is_null()) {
      auto lookup =
          c->is_object() ? HexField(*c, "lookup_id", 32) : std::nullopt;
      auto key = c->is_object() ? HexField(*c, "auth_key", 33) : std::nullopt;
      auto rr = c->is_object() ? c->find("reply_recipient") : c->end();
      if (!lookup || !key || rr == c->end() || !rr->is_string()) {
        Error(res, 400, "bad_contact", bad_contact);
        return;
      }
      contact = IntakeContact{*lookup, *key, rr->get<std::string>()};
    }
    if (f != j->end() && !f->is_null()) {
      auto lookup =
          f->is_object() ? HexField(*f, "lookup_id", 32) : std::nullopt;
      auto ch = f->is_object() ? HexField(*f, "challenge", 32) : std::nullopt;
      auto sig = f->is_object() ? HexField(*f, "signature", 64) : std::nullopt;
      if (!lookup || !ch || !sig) {
        Error(res, 403, "not_recognised", kNotRecognisedSentence);
        Discard(*u);
        Forget(id);
        return;
      }
      follow_up = ContactProof{*lookup, *ch, *sig};
    }
    if (contact && follow_up) {
      Error(res, 400, "bad_request",
            "The page sent a new receipt and an old one together. Reload the "
            "page and try again.");
      return;
    }
    ::close(u->fd);
    u->fd = -1;
    auto accepted =
        daemon.SubmitUpload(u->path, contact ? &*contact : nullptr,
                            follow_up ? &*follow_up : nullptr, "intake");
    // Accepted or not, the upload is finished: the blob store has its own
    // copy of an accepted file; a refused one is not kept.
    Discard(*u);
    Forget(id);
    if (!accepted.ok()) {
      const Mapped m =
          MapFinishError(accepted.status(), options.max_upload_bytes);
      LogLine("intake: upload refused (" + m.code +
              "): " + accepted.status().message());
      Error(res, m.status, m.code, m.sentence);
      return;
    }
    json out = {{"submission_id", accepted->reply.submission_id()},
                {"leaf_index", accepted->reply.leaf_index()},
                {"acceptance", accepted->reply.acceptance()}};
    if (!accepted->linked_to.empty()) out["linked_to"] = accepted->linked_to;
    Reply(res, 200, out);
  }

  void Challenge(const httplib::Request& req, httplib::Response& res) {
    if (RateLimited(res)) return;
    std::optional<json> j = JsonBody(req, res);
    if (!j) return;
    auto lookup = HexField(*j, "lookup_id", 32);
    if (!lookup) {
      Error(res, 400, "bad_request",
            "The page sent a malformed receipt. Reload the page and try "
            "again.");
      return;
    }
    auto challenge = daemon.NewContactChallenge(*lookup);
    if (!challenge.ok()) {
      const Mapped m = MapFinishError(challenge.status(), 0);
      Error(res, m.status == 500 ? 503 : m.status, m.code, m.sentence);
      return;
    }
    Reply(res, 200, {{"challenge", HexEncode(*challenge)}});
  }

  void ContactStatusCall(const httplib::Request& req, httplib::Response& res) {
    if (RateLimited(res)) return;
    std::optional<json> j = JsonBody(req, res);
    if (!j) return;
    auto lookup = HexField(*j, "lookup_id", 32);
    auto ch = HexField(*j, "challenge", 32);
    auto sig = HexField(*j, "signature", 64);
    ContactProof proof;
    // A malformed proof is refused the same way as a wrong one, after the
    // same work (the daemon checks a signature either way).
    proof.lookup_id = lookup ? *lookup : Bytes(32, 0);
    proof.challenge = ch ? *ch : Bytes(32, 0);
    proof.signature = sig ? *sig : Bytes(64, 0);
    auto status = daemon.GetContactStatus(proof);
    if (!status.ok() || !lookup || !ch || !sig) {
      if (status.ok() ||
          GetIntakeError(status.status()) == kIntakeNotRecognised) {
        Error(res, 403, "not_recognised", kNotRecognisedSentence);
        return;
      }
      const Mapped m = MapFinishError(status.status(), 0);
      Error(res, m.status, m.code, m.sentence);
      return;
    }
    json subs = json::array();
    for (const ContactStatus::Item& s : status->submissions) {
      subs.push_back({{"submission_id", s.submission_id},
                      {"leaf_index", s.leaf_index},
                      {"received_at", s.received_unix},
                      {"state", s.state},
                      {"organisations_approved", s.organisations_approved}});
    }
    json replies = json::array();
    for (const ContactStatus::Reply& r : status->replies) {
      replies.push_back({{"reply_id", r.reply_id},
                         {"created_at", r.created_unix},
                         {"message", age::Base64EncodePadded(r.ciphertext)}});
    }
    Reply(res, 200, {{"submissions", subs}, {"replies", replies}});
  }

  void Routes() {
    httplib::Headers headers;
    for (const auto& [name, value] : kIntakeSecurityHeaders) {
      headers.emplace(name, value);
    }
    server.set_default_headers(headers);
    // Chunks are the largest bodies; JSON bodies are small.
    server.set_payload_max_length(options.chunk_bytes + 4096);
    server.set_keep_alive_timeout(5);
    server.set_read_timeout(30);
    server.set_write_timeout(30);
    server.set_error_handler(
        [](const httplib::Request&, httplib::Response& res) {
          if (!res.body.empty()) return;
          const int status = res.status;
          if (status == 413) {
            Error(res, 413, "chunk_too_large",
                  "The page sent a piece of the file larger than allowed. "
                  "Reload the page and try again.");
          } else if (status == 404 || status == 405) {
            Error(res, status, "not_found",
                  "There is nothing at this address. Go back to the start "
                  "page.");
          } else {
            Error(res, status, "bad_request",
                  "The server could not understand the request. Reload the "
                  "page and try again.");
          }
        });
    server.set_exception_handler([](const httplib::Request&,
                                    httplib::Response& res,
                                    std::exception_ptr) {
      Error(res, 500, "internal",
            "Something went wrong on the server. Please try again later.");
    });

    for (const web::IntakeAsset& a : web::IntakeAssets()) {
      const web::IntakeAsset asset = a;
      auto serve = [asset](const httplib::Request&, httplib::Response& res) {
        res.status = 200;
        res.set_content(asset.body.data(), asset.body.size(),
                        std::string(asset.content_type).c_str());
      };
      server.Get(LiteralPattern(asset.path), serve);
      if (asset.path == "/") server.Get("/index.html", serve);
    }
    server.Get("/api/v1/consortium",
               [this](const httplib::Request&, httplib::Response& res) {
                 Consortium(res);
               });
    server.Post("/api/v1/uploads",
                [this](const httplib::Request& req, httplib::Response& res) {
                  NewUpload(req, res);
                });
    server.Put(R"(/api/v1/uploads/([0-9a-f]{32}))",
               [this](const httplib::Request& req, httplib::Response& res) {
                 Chunk(req, res, req.matches[1]);
               });
    server.Get(R"(/api/v1/uploads/([0-9a-f]{32}))",
               [this](const httplib::Request& req, httplib::Response& res) {
                 Progress(res, req.matches[1]);
               });
    server.Post(R"(/api/v1/uploads/([0-9a-f]{32})/finish)",
                [this](const httplib::Request& req, httplib::Response& res) {
                  Finish(req, res, req.matches[1]);
                });
    server.Post("/api/v1/contact/challenge",
                [this](const httplib::Request& req, httplib::Response& res) {
                  Challenge(req, res);
                });
    server.Post("/api/v1/contact/status",
                [this](const httplib::Request& req, httplib::Response& res) {
                  ContactStatusCall(req, res);
                });
    // Unknown upload ids of the right shape but another spelling.
    server.Get(R"(/api/v1/uploads/([^/]+))",
               [](const httplib::Request&, httplib::Response& res) {
                 UnknownUpload(res);
               });
    server.Put(R"(/api/v1/uploads/([^/]+))",
               [](const httplib::Request&, httplib::Response& res) {
                 UnknownUpload(res);
               });
  }
};

StatusOr<std::unique_ptr<IntakeServer>> IntakeServer::Start(
    Daemon& daemon, IntakeServerOptions options) {
  if (!options.roster) {
    return InvalidArgumentError("the intake server needs the roster");
  }
  if (options.chunk_bytes == 0 || options.max_upload_bytes == 0) {
    return InvalidArgumentError("upload limits must be positive");
  }
  std::error_code ec;
  fs::create_directories(options.upload_dir, ec);
  if (ec) {
    return Status(
        StatusCode::kUnavailable,
        "cannot create " + options.upload_dir.string() + ": " + ec.message());
  }
  fs::permissions(options.upload_dir, fs::perms::owner_all,
                  fs::perm_options::replace, ec);
  // Uploads of a previous run cannot be resumed: their state was in memory.
  for (const auto& entry : fs::directory_iterator(options.upload_dir, ec)) {
    std::error_code rm;
    fs::remove(entry.path(), rm);
  }
  auto impl = std::make_unique<Impl>(daemon, std::move(options));
  impl->Routes();
  Impl* raw = impl.get();
  if (raw->options.port == 0) {
    raw->port = raw->server.bind_to_any_port(raw->options.host);
  } else if (raw->server.bind_to_port(raw->options.host, raw->options.port)) {
    raw->port = raw->options.port;
  } else {
    raw->port = -1;
  }
  if (raw->port <= 0) {
    return Status(StatusCode::kUnavailable,
                  "cannot listen on " + raw->options.host + ":" +
                      std::to_string(raw->options.port));
  }
  raw->thread = std::thread([raw] { raw->server.listen_after_bind(); });
  while (!raw->server.is_running() && raw->thread.joinable()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return std::unique_ptr<IntakeServer>(new IntakeServer(std::move(impl)));
}

IntakeServer::IntakeServer(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

IntakeServer::~IntakeServer() { Stop(); }

int IntakeServer::port() const { return impl_->port; }

size_t IntakeServer::uploads() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->uploads.size();
}

void IntakeServer::Stop() {
  if (impl_->stopped.exchange(true)) return;
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (auto& [id, u] : impl_->uploads) {
    std::lock_guard<std::mutex> ul(u->mu);
    Impl::Discard(*u);
  }
  impl_->uploads.clear();
}

}  // namespace conclave::daemon
