// Receipt encoding and the derivations of brief §8, checked against an
// independent implementation here (node:crypto SHA-256 and ECDSA, BigInt
// arithmetic) and against the vectors the daemon's C++ code wrote
// (tests/vectors/intake/receipt.json; missing means failure).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, createPublicKey, verify as nodeVerify } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { p256 } from "@noble/curves/nist.js";
import {
  ReceiptError, bytesToHex, contactAuthMessage, deriveContact, formatReceipt, generateReceipt, hexToBytes,
  parseReceipt, signChallenge, verifyChallengeSignature,
} from "../lib/receipt.js";
import { parseTagRecipient } from "../lib/conclave-recipient.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const N = p256.Point.Fn.ORDER;
const sha = (b) => new Uint8Array(createHash("sha256").update(b).digest());
const cat = (...p) => new Uint8Array(Buffer.concat(p.map((x) => Buffer.from(x))));

// RFC 9380 §5.3.1, written out again on node:crypto.
function xmd(msg, dst, len) {
  const d = cat(Buffer.from(dst), [dst.length]);
  const b0 = sha(cat(new Uint8Array(64), msg, [len >> 8, len & 255], [0], d));
  const out = [];
  let bi = sha(cat(b0, [1], d));
  out.push(bi);
  for (let i = 2; out.length * 32 < len; i++) {
    bi = sha(cat(b0.map((v, j) => v ^ bi[j]), [i], d));
    out.push(bi);
  }
  return cat(...out).subarray(0, len);
}
const h2s = (msg, dst) => BigInt("0x" + bytesToHex(xmd(msg, dst, 48))) % N;

// Fixed receipts with their Crockford spelling, computed independently
// (Python: int(hex, 16) << 2, then 26 groups of 5 bits, MSB first).
const FIXED = [
  { hex: "00000000000000000000000000000000", text: "0000-0000-0000-0000-0000-0000-00" },
  { hex: "ffffffffffffffffffffffffffffffff", text: "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZW" },
  { hex: "0123456789abcdef0123456789abcdef", text: "04HM-ASW9-NF6Y-Y093-8NKR-KAYD-XW" },
];

test("receipt spelling: fixed receipts", () => {
  for (const { hex, text } of FIXED) {
    assert.equal(formatReceipt(hexToBytes(hex)), text);
    assert.equal(bytesToHex(parseReceipt(text)), hex);
  }
});

test("receipt spelling: 26 symbols in groups of four, round trip", () => {
  for (let i = 0; i < 200; i++) {
    const r = generateReceipt();
    const s = formatReceipt(r);
    assert.match(s, /^([0-9A-HJKMNP-TV-Z]{4}-){6}[0-9A-HJKMNP-TV-Z]{2}$/);
    assert.deepEqual(parseReceipt(s), r);
  }
});

test("receipt parsing forgives case, spaces, dashes, O/I/L", () => {
  const r = hexToBytes("0123456789abcdef0123456789abcdef");
  for (const typed of ["04hmasw9nf6yy0938nkrkaydxw", " 04hm asw9 nf6y y093 8nkr kayd xw ", "O4HM-ASW9-NF6Y-YO93-8NKR-KAYD-XW",
    "04HM--ASW9-NF6Y-Y093-8NKR-KAYD-XW\n"]) {
    assert.deepEqual(parseReceipt(typed), r, typed);
  }
  const ones = hexToBytes(bytesToHex(parseReceipt("1111-1111-1111-1111-1111-1111-10")));
  assert.deepEqual(parseReceipt("iIlL-1111-1111-1111-1111-1111-10"), ones);
});

test("receipt parsing refuses what cannot be a receipt", () => {
  for (const bad of ["", "   ", "04HM-ASW9", "04HM-ASW9-NF6Y-Y093-8NKR-KAYD-XWX", "04HM-ASW9-NF6Y-Y093-8NKR-KAYD-XU",
    "04HM-ASW9-NF6Y-Y093-8NKR-KAYD-X!", "04HM-ASW9-NF6Y-Y093-8NKR-KAYD-XX" /* padding bits set */]) {
    assert.throws(() => parseReceipt(bad), ReceiptError, JSON.stringify(bad));
  }
});

test("derivations match an independent implementation", () => {
  for (let i = 0; i < 20; i++) {
    const r = generateReceipt();
    const c = deriveContact(r);
    assert.equal(c.lookupIdHex, bytesToHex(xmd(r, "conclave/v1/receipt-lookup-id", 32)));
    const a = h2s(r, "conclave/v1/receipt-auth-key");
    const b = h2s(r, "conclave/v1/receipt-reply-key");
    assert.equal(c.authSecret, a);
    assert.equal(c.replySecret, b);
    assert.equal(c.authKeyHex, bytesToHex(p256.Point.BASE.multiply(a).toBytes(true)));
    assert.deepEqual(parseTagRecipient(c.replyRecipient), p256.Point.BASE.multiply(b).toBytes(true));
    assert.notEqual(a, b);
  }
});

// RFC 9380 K.1 (expand_message_xmd SHA-256, DST QUUX-V01-CS02-with-expander-SHA256-128), msg "abc", 32 bytes.
test("expand_message_xmd matches RFC 9380 K.1", async () => {
  const { expandMessageXmd } = await import("../lib/receipt.js");
  assert.equal(bytesToHex(expandMessageXmd(new TextEncoder().encode("abc"), "QUUX-V01-CS02-with-expander-SHA256-128", 32)),
    "d8ccab23b5985ccea865c6c97b6e5b8350e794e603b4b97902f53a8a0d605615");
});

function nodeKey(authKey33) {
  const P = p256.Point.fromBytes(authKey33).toBytes(false);
  const b64u = (b) => Buffer.from(b).toString("base64url");
  return createPublicKey({ key: { kty: "EC", crv: "P-256", x: b64u(P.subarray(1, 33)), y: b64u(P.subarray(33)) }, format: "jwk" });
}

test("challenge signatures: 64-byte r‖s that OpenSSL (node:crypto) verifies", () => {
  const c = deriveContact(generateReceipt());
  const challenge = new Uint8Array(32).map((_, i) => i);
  const sig = signChallenge(c.authSecret, c.lookupId, challenge);
  assert.equal(sig.length, 64);
  const msg = contactAuthMessage(c.lookupId, challenge);
  assert.equal(Buffer.from(msg.subarray(0, 24)).toString(), "conclave/v1/contact-auth");
  assert.equal(msg.length, 24 + 64);
  assert.ok(nodeVerify("sha256", msg, { key: nodeKey(c.authKey), dsaEncoding: "ieee-p1363" }, sig));
  assert.ok(verifyChallengeSignature(c.authKey, c.lookupId, challenge, sig));
  // Another challenge, another lookup id, another key: refused.
  const other = challenge.slice();
  other[0] ^= 1;
  assert.ok(!nodeVerify("sha256", contactAuthMessage(c.lookupId, other), { key: nodeKey(c.authKey), dsaEncoding: "ieee-p1363" }, sig));
  const c2 = deriveContact(generateReceipt());
  assert.ok(!nodeVerify("sha256", msg, { key: nodeKey(c2.authKey), dsaEncoding: "ieee-p1363" }, sig));
});

// The daemon's C++ code writes these vectors (issue 8); a missing file fails.
test("known answers from tests/vectors/intake/receipt.json (C++)", () => {
  const file = path.resolve(here, "../../tests/vectors/intake/receipt.json");
  assert.ok(existsSync(file), `required vector file missing: ${file}`);
  const doc = JSON.parse(readFileSync(file, "utf8"));
  const cases = doc.vectors;
  assert.ok(Array.isArray(cases) && cases.length >= 3, "too few vectors in receipt.json");
  for (const v of cases) {
    const receipt = hexToBytes(v.receipt, 16);
    assert.equal(formatReceipt(receipt), v.text);
    assert.deepEqual(parseReceipt(v.text), receipt);
    const c = deriveContact(receipt);
    assert.equal(c.lookupIdHex, v.lookup_id);
    assert.equal(c.authSecret.toString(16).padStart(64, "0"), v.auth_secret);
    assert.equal(c.authKeyHex, v.auth_key);
    assert.equal(c.replySecret.toString(16).padStart(64, "0"), v.reply_secret);
    assert.equal(c.replyRecipient, v.reply_recipient);
    const challenge = hexToBytes(v.challenge, 32);
    assert.equal(bytesToHex(contactAuthMessage(c.lookupId, challenge)), v.contact_auth_message);
    // What the page signs over that message verifies (OpenSSL via node:crypto).
    const sig = signChallenge(c.authSecret, c.lookupId, challenge);
    assert.ok(nodeVerify("sha256", hexToBytes(v.contact_auth_message), { key: nodeKey(c.authKey), dsaEncoding: "ieee-p1363" }, sig));
  }
});
