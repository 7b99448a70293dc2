// The JS side on its own: web/lib/conclave-recipient.js against the
// independent reader (lib/independent.mjs), the npm package's own p256tag
// recipient, RFC 9380 vectors and the C++ suite's pinned sender-proof
// known answer (tests/unit/sender_proof_test.cc).
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { Encrypter, Decrypter, Stanza } from "age-encryption";
import { p256 } from "@noble/curves/nist.js";
import { web } from "./lib/web.mjs";
import * as ind from "./lib/independent.mjs";
import { readRequired, sharedVectorsDir } from "./lib/env.mjs";

const { hexToBytes, bytesToHex } = ind;
const te = new TextEncoder();

function newKey() {
  const secret = p256.utils.randomSecretKey();
  return { secret, ...ind.recipientFromSecret(secret) };
}

async function encryptWith(recipient, plaintext) {
  const e = new Encrypter();
  e.addRecipient(recipient);
  return e.encrypt(plaintext);
}

function proofStatement(file, recipient33) {
  const stanzas = ind.headerStanzas(file);
  assert.equal(stanzas.length, 2);
  const st = ind.parseP256TagStanza(stanzas[0]);
  const [type, ...orgArgs] = stanzas[1].args;
  return {
    type,
    statement: {
      kind: type === "conclave-drill-pok" ? "drill" : "sender",
      recipient33, enc: st.enc, tag: st.tag, body: st.body,
      orgs: orgArgs.map(Number), proof: stanzas[1].body,
    },
  };
}

test("expand_message_xmd and HashToScalar match RFC 9380 §K.1 in both implementations", () => {
  const v = JSON.parse(readRequired(path.join(sharedVectorsDir, "rfc9380/expand_message_xmd_SHA256_38.json")));
  assert.equal(v.tests.length, 10);
  for (const t of v.tests) {
    const len = parseInt(t.len_in_bytes, 16);
    assert.equal(bytesToHex(ind.expandMessageXmd(te.encode(t.msg), te.encode(v.DST), len)), t.uniform_bytes);
  }
  // The recipient's HashToScalar (noble hash_to_field) equals the
  // independent one (own xmd, L = 48, mod n).
  for (let i = 0; i < 20; i++) {
    const msg = p256.utils.randomSecretKey().subarray(0, i + 1);
    const dst = "conclave/v1/sender-pok";
    assert.equal(web.hashToScalar(msg, te.encode(dst)), ind.hashToScalar(msg, dst));
  }
});

// tests/unit/sender_proof_test.cc, SenderProofKnownAnswerTest.Pinned.
const KAT = {
  r: "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0",
  y: "7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f11223344556677889900aabbccdd",
  tag: "0badcafe",
  body: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
  orgs: [2, 5],
  rand: "42".repeat(32),
  sender: "96406f9368e3a80d51b4b0c2a55e715e79b3340cea3aca8e501d1decbd7b497c" +
    "b0998cbf611bbfa0a1a19c68d4e95f00134fac86101cf0ba15f5af6204f1fcdd",
  drill: "67514d37f600784d5ab607f78677794d78de6aaadf9b10011cfa239c664aa343" +
    "034817f02713ccef576dfbb44ad30e59261f3a53f7708971d3cc60c8aa7995ec",
};

test("sender proof reproduces the C++ pinned known answer and verifies independently", () => {
  const r = ind.toBig(hexToBytes(KAT.r));
  const enc65 = p256.Point.BASE.multiply(r).toBytes(false);
  const recipient33 = ind.recipientFromSecret(hexToBytes(KAT.y)).recipient33;
  for (const kind of ["sender", "drill"]) {
    const proof = web.proveSender({
      kind, r, enc65, recipient33, tag4: hexToBytes(KAT.tag), body32: hexToBytes(KAT.body),
      orgs: KAT.orgs, nonceRandomness: hexToBytes(KAT.rand),
    });
    assert.equal(bytesToHex(proof), KAT[kind], kind);
    const st = { kind, recipient33, enc: enc65, tag: hexToBytes(KAT.tag), body: hexToBytes(KAT.body),
      orgs: KAT.orgs, proof };
    assert.equal(ind.verifySenderProof(st), true);
    assert.equal(ind.verifySenderProof({ ...st, kind: kind === "drill" ? "sender" : "drill" }), false);
  }
});

test("ConclaveRecipient files: two stanzas, tag, proof and decryption check independently", async () => {
  const key = newKey();
  for (const exclude of [[], [7, 2], [1, 4294967295]]) {
    const plaintext = te.encode(`submission excluding ${exclude.join(",")}`);
    const file = await encryptWith(new web.ConclaveRecipient(key.recipient, { exclude }), plaintext);
    const stanzas = ind.headerStanzas(file);
    assert.equal(stanzas[0].args[0], "p256tag");
    assert.deepEqual(stanzas[1].args, ["conclave-pok", ...[...exclude].sort((a, b) => a - b).map(String)]);
    const { statement } = proofStatement(file, key.recipient33);
    assert.equal(bytesToHex(ind.p256Tag(statement.enc, key.recipient33)), bytesToHex(statement.tag));
    assert.equal(ind.verifySenderProof(statement), true);

    const identity = new ind.P256TagIdentity(key.secret);
    const d = new Decrypter();
    d.addIdentity(identity);
    assert.deepEqual(await d.decrypt(file), plaintext);
    assert.equal(identity.seen.length, 1);
  }
});

test("drill kind writes conclave-drill-pok under the drill DST", async () => {
  const key = newKey();
  const file = await encryptWith(new web.ConclaveRecipient(key.recipient, { kind: "drill" }), "drill");
  const { type, statement } = proofStatement(file, key.recipient33);
  assert.equal(type, "conclave-drill-pok");
  assert.equal(ind.verifySenderProof(statement), true);
  assert.equal(ind.verifySenderProof({ ...statement, kind: "sender" }), false);
});

test("a proof does not verify for another enc, tag, body, key or exclusion list", async () => {
  const key = newKey();
  const file = await encryptWith(new web.ConclaveRecipient(key.recipient, { exclude: [3, 9] }), "x");
  const { statement: s } = proofStatement(file, key.recipient33);
  assert.equal(ind.verifySenderProof(s), true);
  const flip = (b, i) => { const c = Uint8Array.from(b); c[i] ^= 1; return c; };
  const other = p256.Point.BASE.multiply(5n).toBytes(false);
  const related = p256.Point.fromBytes(s.enc).add(p256.Point.BASE).toBytes(false);
  assert.equal(ind.verifySenderProof({ ...s, enc: other }), false);
  assert.equal(ind.verifySenderProof({ ...s, enc: related }), false);
  assert.equal(ind.verifySenderProof({ ...s, tag: flip(s.tag, 0) }), false);
  assert.equal(ind.verifySenderProof({ ...s, body: flip(s.body, 31) }), false);
  assert.equal(ind.verifySenderProof({ ...s, recipient33: newKey().recipient33 }), false);
  for (const orgs of [[3], [9], [], [3, 10], [2, 3, 9]]) {
    assert.equal(ind.verifySenderProof({ ...s, orgs }), false, JSON.stringify(orgs));
  }
  for (const i of [0, 31, 32, 63]) assert.equal(ind.verifySenderProof({ ...s, proof: flip(s.proof, i) }), false);
  assert.throws(() => ind.verifySenderProof({ ...s, orgs: [9, 3] }));
  assert.throws(() => ind.verifySenderProof({ ...s, proof: new Uint8Array(64).fill(0xff) }));
});

test("the independent identity decrypts the npm package's own p256tag files and skips other keys", async () => {
  const key = newKey();
  const file = await encryptWith(key.recipient, "plain p256tag from age-encryption");
  const stanzas = ind.headerStanzas(file);
  assert.equal(stanzas.length, 1);
  assert.equal(stanzas[0].args[0], "p256tag");
  const d = new Decrypter();
  d.addIdentity(new ind.P256TagIdentity(key.secret));
  assert.equal(await d.decrypt(file, "text"), "plain p256tag from age-encryption");

  const wrong = new Decrypter();
  wrong.addIdentity(new ind.P256TagIdentity(newKey().secret));
  await assert.rejects(wrong.decrypt(file));
});

test("the independent identity refuses malformed p256tag stanzas", () => {
  const key = newKey();
  const good = new web.ConclaveRecipient(key.recipient).wrapFileKey(new Uint8Array(16))[0];
  const id = new ind.P256TagIdentity(key.secret);
  assert.deepEqual(id.unwrapFileKey([good]), new Uint8Array(16));
  const bad = [
    new Stanza(good.args.slice(0, 2), good.body),
    new Stanza([...good.args, "extra"], good.body),
    new Stanza(good.args, good.body.subarray(0, 31)),
    new Stanza(["p256tag", good.args[1] + "A", good.args[2]], good.body),
    new Stanza(["p256tag", good.args[1], good.args[2].slice(0, -1) + "B"], good.body), // trailing bits
  ];
  for (const s of bad) assert.throws(() => id.unwrapFileKey([s]), undefined, s.args.join(" "));
  // Other stanza types are ignored.
  assert.equal(id.unwrapFileKey([new Stanza(["X25519", "abc"], new Uint8Array(32))]), null);
});

test("recipient and exclusion arguments are checked", () => {
  const key = newKey();
  assert.throws(() => new web.ConclaveRecipient(key.recipient.toUpperCase()));
  // Another last character breaks the Bech32 checksum (never the same one).
  const last = key.recipient.at(-1) === "q" ? "p" : "q";
  assert.throws(() => new web.ConclaveRecipient(key.recipient.slice(0, -1) + last));
  assert.throws(() => new web.ConclaveRecipient("age1qqqq"));
  for (const exclude of [[0], [2, 2], [-1], [1.5], [2 ** 32], ["3"]]) {
    assert.throws(() => new web.ConclaveRecipient(key.recipient, { exclude }), undefined, JSON.stringify(exclude));
  }
  assert.throws(() => new web.ConclaveRecipient(key.recipient, { kind: "other" }));
  assert.deepEqual(new web.ConclaveRecipient(key.recipient, { exclude: [9, 1, 5] }).excluded, [1, 5, 9]);
  assert.equal(web.encodeTagRecipient(web.parseTagRecipient(key.recipient)), key.recipient);
  // The C2SP age example recipient parses.
  web.parseTagRecipient("age1tag1qt8lw0ual6avlwmwatk888yqnmdamm7xfd0wak53ut6elz5c4swx2yqdj4e");
});
