// The built page in headless Chromium against a fake server (fake_intake):
// encrypts in the browser to the consortium key with the chosen exclusion
// in the sender proof, uploads in chunks (surviving a dropped chunk and a
// server hiccup), shows the receipt and the acceptance, and a returning
// person reads the state and a reply, and sends a follow-up. Fails, never
// skips, without Chromium or node_modules.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Decrypter, Encrypter } from "age-encryption";
import { ReplyIdentity } from "../lib/reply-identity.js";
import { startFakeIntake } from "./fake_intake.mjs";
import { followUp, openStatus, submit, withPage } from "./browser_flow.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
let dir;
let fake;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "conclave-web-page-"));
  execFileSync(process.execPath, [path.join(here, "../build.mjs"), "--out", path.join(dir, "dist")]);
  fake = await startFakeIntake({ dist: path.join(dir, "dist"), maxUploadBytes: 4 << 20, chunkBytes: 65536 });
});
after(async () => {
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

// Opens an uploaded submission with the fake consortium secret.
async function open(file) {
  const secret = BigInt("0x" + Buffer.from(fake.state.secret).toString("hex"));
  const d = new Decrypter();
  d.addIdentity(new ReplyIdentity(secret));
  return d.decrypt(file);
}

function stanzaLines(file) {
  const text = Buffer.from(file).toString("latin1");
  return text.slice(0, text.indexOf("\n---")).split("\n").filter((l) => l.startsWith("-> "));
}

test("submit two files and a message, one member excluded; return, read a reply, follow up", async () => {
  const marker = `MARKER-${Date.now()}-${Math.random()}`;
  const a = path.join(dir, "memo one.txt");
  const b = path.join(dir, "scan.bin");
  writeFileSync(a, `the memo ${marker}\n`);
  const big = new Uint8Array(300_000).map((_, i) => (i * 7) & 255); // several chunks
  writeFileSync(b, big);
  fake.state.failNextPuts = 1; // one 503 from the server as well
  const r = await withPage(fake.url, (page) => submit(page, {
    files: [a, b], message: "Please read the memo first.", exclude: ["Coastal Radio"], dropFirstChunk: true,
  }));
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.deepEqual(r.offsite, []);
  assert.deepEqual(r.console_errors.filter((e) => !/Failed to load resource|ERR_CONNECTION_RESET/.test(e)), []);
  assert.equal(r.dropped, 1);
  assert.match(r.receipt, /^([0-9A-HJKMNP-TV-Z]{4}-){6}[0-9A-HJKMNP-TV-Z]{2}$/);
  assert.match(r.submission_id, /^[0-9a-f]{64}$/);
  assert.match(r.proof_file, new RegExp(`Submission number: ${r.submission_id}`));
  assert.ok(!r.proof_file.includes(r.receipt), "the receipt must not be in the saved proof");

  const sub = fake.state.submissions.find((s) => s.id === r.submission_id);
  assert.ok(sub.contact && /^[0-9a-f]{64}$/.test(sub.contact.lookup_id) && /^0[23][0-9a-f]{64}$/.test(sub.contact.auth_key));
  assert.match(sub.contact.reply_recipient, /^age1tag1/);
  // The uploaded file: p256tag + sender proof excluding organisation 3; no plaintext.
  const lines = stanzaLines(sub.file);
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^-> p256tag /);
  assert.equal(lines[1], "-> conclave-pok 3");
  assert.ok(!Buffer.from(sub.file).includes(marker));
  // It opens to a tar with the message and both files.
  const plain = await open(sub.file);
  const tarFile = path.join(dir, "bundle.tar");
  writeFileSync(tarFile, plain);
  const out = path.join(dir, "unpacked");
  mkdirSync(out);
  execFileSync("tar", ["-xf", tarFile, "-C", out]);
  assert.deepEqual(readdirSync(out).sort(), ["memo one.txt", "message.txt", "scan.bin"]);
  assert.equal(readFileSync(path.join(out, "message.txt"), "utf8"), "Please read the memo first.");
  assert.equal(readFileSync(path.join(out, "memo one.txt"), "utf8"), `the memo ${marker}\n`);
  assert.deepEqual(new Uint8Array(readFileSync(path.join(out, "scan.bin"))), big);

  // An editor replies (stock age p256tag recipient); the state moves on.
  const e = new Encrypter();
  e.addRecipient(sub.contact.reply_recipient);
  fake.addReply(sub.id, Buffer.from(await e.encrypt("Thank you. Who else saw the memo?")).toString("base64"));
  sub.state = "request_open";
  sub.approved = 2;
  const s = await withPage(fake.url, (page) => openStatus(page, r.receipt.toLowerCase().replace(/-/g, " ")));
  assert.equal(s.ok, true, JSON.stringify(s));
  assert.equal(s.submissions.length, 1);
  assert.equal(s.submissions[0].state, "request_open");
  assert.match(s.submissions[0].text, /being considered/);
  assert.deepEqual(s.replies.map((x) => [x.decrypted, x.text]), [[true, "Thank you. Who else saw the memo?"]]);

  // Follow-up: linked to the first submission, encrypted the same way.
  const f = await withPage(fake.url, (page) => followUp(page, r.receipt, { message: `Only my manager. ${marker}` }));
  assert.equal(f.ok, true, JSON.stringify(f));
  const fsub = fake.state.submissions.find((x) => x.id === f.submission_id);
  assert.equal(fsub.linkedTo, sub.id);
  assert.equal(stanzaLines(fsub.file)[1], "-> conclave-pok");
  const fplain = await open(fsub.file);
  assert.ok(Buffer.from(fplain).includes(`Only my manager. ${marker}`));
  assert.equal(f.submissions.length, 2);
  assert.equal(f.replies.length, 1);

  sub.state = "released";
  sub.approved = 3;
  const s2 = await withPage(fake.url, (page) => openStatus(page, r.receipt));
  assert.match(s2.submissions[0].text, /Opened after approval by 3 organisations/);
});

test("a wrong receipt and a mistyped receipt are refused", async () => {
  const wrong = await withPage(fake.url, (page) => openStatus(page, "7KQ2-M4XD-P9RT-0ABC-DEFG-HJKM-N0"));
  assert.deepEqual([wrong.ok, wrong.error], [false,
    "That receipt was not recognised. Check that you typed it exactly as it was shown."]);
  const typo = await withPage(fake.url, (page) => openStatus(page, "7KQ2-M4XD"));
  assert.equal(typo.ok, false);
  assert.match(typo.error, /A receipt has 26 letters and digits/);
});

test("a single file with no message goes as it is; too large is refused before upload", async () => {
  const one = path.join(dir, "photo.jpg");
  writeFileSync(one, "not really a jpeg");
  const before = fake.state.submissions.length;
  const r = await withPage(fake.url, (page) => submit(page, { files: [one], contact: false }));
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.equal(r.receipt, null);
  assert.equal(fake.state.submissions.length, before + 1);
  const sub = fake.state.submissions.at(-1);
  assert.equal(sub.contact, undefined);
  assert.equal(Buffer.from(await open(sub.file)).toString(), "not really a jpeg");

  const huge = path.join(dir, "huge.bin");
  writeFileSync(huge, new Uint8Array(5 << 20));
  const puts = fake.state.puts;
  const t = await withPage(fake.url, (page) => submit(page, { files: [huge] }));
  assert.equal(t.ok, false);
  assert.match(t.error, /too large to send.*at most 4\.0 MB/);
  assert.equal(fake.state.puts, puts);
});
