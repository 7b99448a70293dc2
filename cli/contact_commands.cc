// conclave reply / messages (issue 8; brief §8): editors answering the
// anonymous people who kept a receipt, and the threads of first
// submissions, follow-ups and replies. The reply is encrypted here, to the
// contact's reply key; the daemon stores the ciphertext and logs a `reply`
// leaf with its hash (docs/audit-log.md), never the text.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "cli/client.h"
#include "cli/exit_codes.h"
#include "cli/online_commands.h"
#include "cli/online_common.h"
#include "daemon/contact.h"

namespace conclave::cli {
namespace {

using online::CommonArgs;
using online::json;

constexpr char kReplyFooter[] = R"(
Answers the whistleblower behind submission S, who kept the receipt the
intake page showed them. The message is encrypted on this machine to the
reply key their receipt derives (an age file with one p256tag stanza); only
someone holding the receipt can read it, on the intake page. The daemon
keeps the ciphertext and logs a `reply` leaf naming the submission, you and
the SHA-256 of the ciphertext: every member sees that you replied, nobody
but the whistleblower sees what.

S must be the thread's first submission (follow-ups are listed under it by
`conclave messages`), and the whistleblower must have kept a receipt: a
submission sent without one has no reply key and is refused (exit 6).
Never put anything in a reply that would identify the person if their
device were seized.

Examples:
  conclave --server 127.0.0.1:7300 reply --roster consortium.roster \
      --identity alice.identity --submission-id 3f2a… \
      --message "Thank you. Could you send the second page too?"
  conclave --server 127.0.0.1:7300 reply --roster consortium.roster \
      --identity alice.identity --submission-id 3f2a… --message-file q.txt
Prints the reply's leaf index; the last line is the reply id.
)";

constexpr char kMessagesFooter[] = R"(
Lists the threads of anonymous contact: every first submission whose sender
kept a receipt (a reply key exists) or that has follow-ups, its follow-ups
(ordinary submissions linked to it: decrypting them goes through the quorum
like any submission, with `conclave request`), and the replies editors sent
(who, when, the reply id; the text is readable only by the whistleblower).
--submission-id S shows the one thread holding S (S may be a follow-up).

Examples:
  conclave --server 127.0.0.1:7300 messages --roster consortium.roster \
      --identity alice.identity
  conclave --server 127.0.0.1:7300 messages --roster consortium.roster \
      --identity alice.identity --submission-id 3f2a… --json
)";

StatusOr<std::string> ReadMessage(const cxxopts::ParseResult& r) {
  const bool text = r.count("message") > 0;
  const bool file = r.count("message-file") > 0;
  if (text == file) {
    return InvalidArgumentError(
        "give the reply as --message TEXT or --message-file F (one of them)");
  }
  std::string message;
  if (text) {
    message = r["message"].as<std::string>();
  } else {
    const std::string path = r["message-file"].as<std::string>();
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return Status(StatusCode::kUnavailable, "cannot read " + path);
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    message = ss.str();
  }
  if (message.empty()) return InvalidArgumentError("the reply is empty");
  return message;
}

int RunReply(const CommonArgs& args, const std::string& submission_id,
             const std::string& message) {
  const std::string name = "reply";
  StatusOr<online::Editor> editor = online::LoadEditor(args, false);
  if (!editor.ok()) return online::Fail(name, editor.status());
  StatusOr<std::unique_ptr<DaemonClient>> client =
      online::ConnectEditor(args, *editor);
  if (!client.ok()) return online::Fail(name, client.status());
  // The reply recipient comes from the daemon's thread listing.
  v1::MessagesQuery q;
  q.set_submission_id(submission_id);
  StatusOr<v1::MessageThreads> threads = (*client)->ListMessages(q);
  if (!threads.ok()) return online::Fail(name, threads.status());
  if (threads->threads_size() != 1) {
    return online::Fail(name,
                        DataLossError("the daemon returned " +
                                      std::to_string(threads->threads_size()) +
                                      " threads for one submission"));
  }
  const v1::MessageThread& t = threads->threads(0);
  if (t.first().submission_id() != submission_id) {
    return online::Fail(
        name, FailedPreconditionError(
                  "submission " + submission_id +
                  " is a follow-up: reply in its thread, to the first "
                  "submission " +
                  t.first().submission_id()));
  }
  if (!t.has_contact()) {
    return online::Fail(
        name, FailedPreconditionError(
                  "submission " + submission_id +
                  " has no contact key: its sender did not keep a receipt, "
                  "so nobody could read a reply"));
  }
  daemon::ReplyOptions ro;
  ro.now_unix = online::NowUnix();
  StatusOr<daemon::NewReply> reply =
      daemon::MakeReply(editor->roster, *editor->keys, submission_id,
                        t.reply_recipient(), message, ro);
  if (!reply.ok()) return online::Fail(name, reply.status());
  v1::ReplyPost post;
  *post.mutable_statement() = reply->statement;
  post.set_ciphertext(AsString(reply->ciphertext));
  StatusOr<v1::PostReply> posted = (*client)->PostReply(post);
  if (!posted.ok()) return online::Fail(name, posted.status());
  const std::string id = HexEncode(Sha256(reply->ciphertext));
  if (args.json) {
    online::PrintJson({{"reply_id", id},
                       {"submission_id", submission_id},
                       {"leaf_index", posted->leaf_index()},
                       {"status", posted->status()}});
    return kExitOk;
  }
  std::fprintf(stderr, "conclave reply: %s\n", posted->status().c_str());
  std::printf("reply to %s logged at leaf %llu\n%s\n", submission_id.c_str(),
              static_cast<unsigned long long>(posted->leaf_index()),
              id.c_str());
  return kExitOk;
}

json SubmissionJson(const v1::SubmissionInfo& s) {
  return {{"submission_id", s.submission_id()},
          {"leaf_index", s.leaf_index()},
          {"received_unix", s.received_unix()},
          {"size", s.size()},
          {"excluded_orgs", std::vector<uint32_t>(s.excluded_orgs().begin(),
                                                  s.excluded_orgs().end())}};
}

int RunMessages(const CommonArgs& args, const std::string& submission_id) {
  const std::string name = "messages";
  StatusOr<online::Editor> editor = online::LoadEditor(args, false);
  if (!editor.ok()) return online::Fail(name, editor.status());
  StatusOr<std::unique_ptr<DaemonClient>> client =
      online::ConnectEditor(args, *editor);
  if (!client.ok()) return online::Fail(name, client.status());
  v1::MessagesQuery q;
  q.set_submission_id(submission_id);
  StatusOr<v1::MessageThreads> threads = (*client)->ListMessages(q);
  if (!threads.ok()) return online::Fail(name, threads.status());
  const v1::RosterBody& body = editor->roster.body;
  if (args.json) {
    json arr = json::array();
    for (const v1::MessageThread& t : threads->threads()) {
      json follow = json::array();
      for (const auto& f : t.follow_ups()) follow.push_back(SubmissionJson(f));
      json replies = json::array();
      for (const v1::ReplyInfo& r : t.replies()) {
        replies.push_back({{"reply_id", r.reply_id()},
                           {"leaf_index", r.leaf_index()},
                           {"created_unix", r.created_unix()},
                           {"org_id", r.org_id()},
                           {"editor_index", r.editor_index()},
                           {"ciphertext_bytes", r.ciphertext().size()}});
      }
      json th = {{"first", SubmissionJson(t.first())},
                 {"follow_ups", follow},
                 {"replies", replies},
                 {"has_contact", t.has_contact()}};
      if (t.has_contact()) th["reply_recipient"] = t.reply_recipient();
      arr.push_back(th);
    }
    online::PrintJson(arr);
    return kExitOk;
  }
  if (threads->threads().empty()) {
    std::printf("No threads: no submission came with a receipt yet.\n");
    return kExitOk;
  }
  for (const v1::MessageThread& t : threads->threads()) {
    std::printf("%s  leaf %llu  %s  %s\n", t.first().submission_id().c_str(),
                static_cast<unsigned long long>(t.first().leaf_index()),
                online::FormatTime(t.first().received_unix()).c_str(),
                t.has_contact() ? "contact key: can reply"
                                : "no contact key: cannot reply");
    for (const auto& f : t.follow_ups()) {
      std::printf("  follow-up %s  leaf %llu  %s\n", f.submission_id().c_str(),
                  static_cast<unsigned long long>(f.leaf_index()),
                  online::FormatTime(f.received_unix()).c_str());
    }
    for (const v1::ReplyInfo& r : t.replies()) {
      std::printf("  reply %s  leaf %llu  %s  by %s editor %u\n",
                  r.reply_id().c_str(),
                  static_cast<unsigned long long>(r.leaf_index()),
                  online::FormatTime(r.created_unix()).c_str(),
                  online::OrgLabel(body, r.org_id()).c_str(), r.editor_index());
    }
  }
  return kExitOk;
}

}  // namespace

int ReplyMain(int argc, char** argv) {
  cxxopts::Options options("conclave reply",
                           "Reply to a whistleblower who kept a receipt.");
  options.custom_help(
      "--roster R --identity ID --submission-id S (--message TEXT | "
      "--message-file F) [--json]");
  online::AddServerOptions(options);
  online::AddEditorOptions(options, false);
  options.add_options()("submission-id",
                        "the thread's first submission (64 hex digits)",
                        cxxopts::value<std::string>(), "S")(
      "message", "the reply (UTF-8 text)", cxxopts::value<std::string>(),
      "TEXT")("message-file", "read the reply from this file",
              cxxopts::value<std::string>(),
              "F")("json", "machine-readable output");
  return online::RunCommand(
      "reply", options, argc, argv, kReplyFooter,
      [&](const cxxopts::ParseResult& r) {
        StatusOr<CommonArgs> args = online::ReadEditorArgs(r);
        if (!args.ok()) return online::Usage("reply", args.status().message());
        if (!r.count("submission-id")) {
          return online::Usage("reply", "--submission-id S is required");
        }
        StatusOr<std::string> message = ReadMessage(r);
        if (!message.ok()) {
          if (message.status().code() == StatusCode::kInvalidArgument) {
            return online::Usage("reply", message.status().message());
          }
          return online::Fail("reply", message.status());
        }
        return RunReply(*args, r["submission-id"].as<std::string>(), *message);
      });
}

int MessagesMain(int argc, char** argv) {
  cxxopts::Options options(
      "conclave messages",
      "List the anonymous contacts' threads: follow-ups and replies.");
  options.custom_help("--roster R --identity ID [--submission-id S] [--json]");
  online::AddServerOptions(options);
  online::AddEditorOptions(options, false);
  options.add_options()("submission-id", "only the thread holding S",
                        cxxopts::value<std::string>(),
                        "S")("json", "machine-readable output");
  return online::RunCommand(
      "messages", options, argc, argv, kMessagesFooter,
      [&](const cxxopts::ParseResult& r) {
        StatusOr<CommonArgs> args = online::ReadEditorArgs(r);
        if (!args.ok()) {
          return online::Usage("messages", args.status().message());
        }
        return RunMessages(*args, r.count("submission-id")
                                      ? r["submission-id"].as<std::string>()
                                      : std::string());
      });
}

}  // namespace conclave::cli
