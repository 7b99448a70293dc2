// Interop both ways between the npm age-encryption package (with
// web/lib/conclave-recipient.js) and the project's C++ code (through
// age_interop_tool), issue 3:
//  (1) npm-made submissions validate and decrypt (threshold DH path) in C++;
//      edited ones are refused with the right defect;
//  (2) C++-made submissions decrypt with the independent JS identity and
//      their proofs verify with the independent JS verifier;
//  (3) a plain p256tag file from the npm package is reported as plain.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Encrypter, Decrypter, armor, Stanza } from "age-encryption";
import { p256 } from "@noble/curves/nist.js";
import { web } from "./lib/web.mjs";
import * as ind from "./lib/independent.mjs";
import { headerBytes, pinnedPlaintext } from "./lib/pinned.mjs";
import { runTool, withTempDir, validate, inspect, decrypt, encrypt } from "./lib/tool.mjs";

const { bytesToHex } = ind;

function newKey() {
  const secret = p256.utils.randomSecretKey();
  return { secret, secretHex: bytesToHex(secret), ...ind.recipientFromSecret(secret) };
}

async function npmEncrypt(recipient, plaintext, { armored = false } = {}) {
  const e = new Encrypter();
  e.addRecipient(recipient);
  const file = await e.encrypt(plaintext);
  return armored ? new TextEncoder().encode(armor.encode(file)) : file;
}

// Edits the stanzas a Recipient returns; the Encrypter MACs the result, so
// only the submission validator can tell.
const edited = (inner, edit) => ({ wrapFileKey: async (k) => edit(await inner.wrapFileKey(k)) });

test("the tool's age1tag1 encoding matches the JS one", () => {
  for (let i = 0; i < 5; i++) {
    const key = newKey();
    const r = runTool(["recipient", "--secret-key-hex", key.secretHex]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.toString().trim(), key.recipient);
  }
});

test("(1) npm + ConclaveRecipient submissions validate and decrypt in C++", () => withTempDir(async (dir) => {
  const key = newKey();
  const cases = [
    { size: 0, exclude: [] },
    { size: 1, exclude: [1] },
    { size: 65536, exclude: [] },
    { size: 65537, exclude: [9, 3, 4294967295] },
    { size: 3 * 65536 + 100, exclude: [2], armored: true },
  ];
  for (const c of cases) {
    const plaintext = pinnedPlaintext(c.size);
    const file = await npmEncrypt(new web.ConclaveRecipient(key.recipient, { exclude: c.exclude }), plaintext,
      { armored: c.armored });
    const binary = c.armored ? armor.decode(new TextDecoder().decode(file)) : file;
    const st = ind.parseP256TagStanza(ind.headerStanzas(binary)[0]);
    const v = validate(dir, file, key.recipient);
    assert.equal(v.valid, true, JSON.stringify(v));
    assert.equal(v.id, bytesToHex(ind.sha256(st.enc)));
    assert.equal(v.header_hash, bytesToHex(ind.sha256(headerBytes(binary))));
    assert.equal(v.kind, "submission");
    assert.deepEqual(v.excluded, [...c.exclude].sort((a, b) => a - b));
    assert.equal(v.enc, bytesToHex(st.enc));
    assert.equal(v.tag, bytesToHex(st.tag));

    const d = decrypt(dir, file, key.secretHex);
    assert.equal(d.status, 0, d.stderr);
    assert.deepEqual(d.plaintext, plaintext);

    // Another key: refused (tag) and not decryptable.
    const other = newKey();
    assert.equal(validate(dir, file, other.recipient).defect, "tag-mismatch");
    assert.equal(decrypt(dir, file, other.secretHex).status, 2);
  }
}));

test("(1) npm drill files need --allow-drill", () => withTempDir(async (dir) => {
  const key = newKey();
  const file = await npmEncrypt(new web.ConclaveRecipient(key.recipient, { kind: "drill" }), "drill");
  const refused = validate(dir, file, key.recipient);
  assert.equal(refused.defect, "drill-not-allowed");
  const ok = validate(dir, file, key.recipient, ["--allow-drill"]);
  assert.equal(ok.valid, true);
  assert.equal(ok.kind, "drill");
  const d = decrypt(dir, file, key.secretHex);
  assert.equal(d.status, 0, d.stderr);
  assert.equal(new TextDecoder().decode(d.plaintext), "drill");
}));

test("(1) exclusion limit from policy", () => withTempDir(async (dir) => {
  const key = newKey();
  const file = await npmEncrypt(new web.ConclaveRecipient(key.recipient, { exclude: [1, 2, 3] }), "x");
  assert.equal(validate(dir, file, key.recipient, ["--max-exclusions", "3"]).valid, true);
  assert.equal(validate(dir, file, key.recipient, ["--max-exclusions", "2"]).defect, "too-many-exclusions");
}));

test("(1) edited npm submissions (valid MAC) are refused with the right defect", () => withTempDir(async (dir) => {
  const key = newKey();
  const conclave = (exclude = [3]) => new web.ConclaveRecipient(key.recipient, { exclude });
  const flipBody = (s, i) => { const b = Uint8Array.from(s.body); b[i] ^= 1; return new Stanza(s.args, b); };
  const otherKey = newKey();
  const otherTag = (t) => {
    const enc = ind.decodeCanonicalBase64(t.args[2]);
    return new Stanza(["p256tag", ind.base64nopad.encode(ind.p256Tag(enc, otherKey.recipient33)), t.args[2]], t.body);
  };
  const cases = [
    ["proof bit (c)", conclave(), ([t, p]) => [t, flipBody(p, 5)], "proof-invalid"],
    ["proof bit (z)", conclave(), ([t, p]) => [t, flipBody(p, 60)], "proof-invalid"],
    ["other exclusion list", conclave(), ([t, p]) => [t, new Stanza(["conclave-pok", "3", "4"], p.body)], "proof-invalid"],
    ["exclusions dropped", conclave(), ([t, p]) => [t, new Stanza(["conclave-pok"], p.body)], "proof-invalid"],
    ["body bit (proof binds body)", conclave(), ([t, p]) => [flipBody(t, 0), p], "proof-invalid"],
    ["leading zero", conclave(), ([t, p]) => [t, new Stanza(["conclave-pok", "03"], p.body)], "bad-exclusions"],
    ["plus sign", conclave(), ([t, p]) => [t, new Stanza(["conclave-pok", "+3"], p.body)], "bad-exclusions"],
    ["zero id", conclave([]), ([t, p]) => [t, new Stanza(["conclave-pok", "0"], p.body)], "bad-exclusions"],
    ["descending", conclave([2, 5]), ([t, p]) => [t, new Stanza(["conclave-pok", "5", "2"], p.body)], "bad-exclusions"],
    ["duplicate", conclave([2]), ([t, p]) => [t, new Stanza(["conclave-pok", "2", "2"], p.body)], "bad-exclusions"],
    ["too large", conclave([]), ([t, p]) => [t, new Stanza(["conclave-pok", "4294967296"], p.body)], "bad-exclusions"],
    ["proof 63 bytes", conclave(), ([t, p]) => [t, new Stanza(p.args, p.body.subarray(0, 63))], "malformed-proof"],
    ["c >= n", conclave(), ([t, p]) => [t, new Stanza(p.args, new Uint8Array(64).fill(0xff))], "malformed-proof"],
    ["proof first", conclave(), ([t, p]) => [p, t], "stanza-order"],
    ["third stanza", conclave(), (s) => [...s, new Stanza(["example.org/x"], new Uint8Array(0))], "stanza-count"],
    ["two proofs", conclave(), ([t, p]) => [t, p, p], "stanza-count"],
    ["second p256tag", conclave(), ([t, p]) => [t, t, p], "duplicate-p256tag"],
    ["no proof, other stanza", conclave(), ([t]) => [t, new Stanza(["example.org/x"], new Uint8Array(0))], "missing-proof"],
    ["tag of another key", conclave(), ([t, p]) => [otherTag(t), p], "tag-mismatch"],
    ["body 31 bytes", conclave(), ([t, p]) => [new Stanza(t.args, t.body.subarray(0, 31)), p], "malformed-p256tag"],
    ["p256tag 2 args", conclave(), ([t, p]) => [new Stanza(t.args.slice(0, 2), t.body), p], "malformed-p256tag"],
    ["tag non-canonical", conclave(), ([t, p]) => [new Stanza(["p256tag", t.args[1].slice(0, -1) + "B", t.args[2]], t.body), p],
      "malformed-p256tag"],
  ];
  for (const [what, recipient, edit, defect] of cases) {
    const file = await npmEncrypt(edited(recipient, edit), "edited");
    const v = validate(dir, file, key.recipient);
    assert.equal(v.valid, false, what);
    assert.equal(v.defect, defect, `${what}: ${v.message}`);
    assert.ok(v.message.length > 10, what);
    // The threshold decryption path validates first.
    assert.equal(decrypt(dir, file, key.secretHex).status, 2, what);
  }
}));

test("(1) a proof made for another enc does not transplant", () => withTempDir(async (dir) => {
  const key = newKey();
  const a = new web.ConclaveRecipient(key.recipient);
  // The proof stanza of one wrap next to the p256tag stanza of another.
  const donor = a.wrapFileKey(new Uint8Array(16))[1];
  const file = await npmEncrypt(edited(a, ([t]) => [t, donor]), "transplant");
  assert.equal(validate(dir, file, key.recipient).defect, "proof-invalid");
}));

test("(1) tampered npm files fail C++ decryption", () => withTempDir(async (dir) => {
  const key = newKey();
  const plaintext = pinnedPlaintext(65536 + 10);
  const file = await npmEncrypt(new web.ConclaveRecipient(key.recipient), plaintext);
  const hlen = headerBytes(file).length;
  const flip = (i) => { const b = Uint8Array.from(file); b[i] ^= 1; return b; };
  const cases = {
    "payload bit": flip(hlen + 20),
    "last chunk tag bit": flip(file.length - 1),
    "MAC bit": flip(hlen - 5),
    truncated: file.subarray(0, file.length - 1),
    "missing last chunk": file.subarray(0, hlen + 16 + 65536 + 16),
    "data after last chunk": new Uint8Array([...file, 0]),
    "header only": file.subarray(0, hlen),
  };
  for (const [what, bytes] of Object.entries(cases)) {
    const d = decrypt(dir, bytes, key.secretHex);
    assert.equal(d.status, 2, what);
    assert.equal(d.plaintext, null, what);
  }
  assert.deepEqual(decrypt(dir, file, key.secretHex).plaintext, plaintext);
}));

test("(2) C++ submissions decrypt with the independent JS identity; proofs verify in JS", () => withTempDir(async (dir) => {
  const key = newKey();
  const cases = [
    { size: 0, extra: [] },
    { size: 100, extra: ["--exclude", "2", "--exclude", "11"], orgs: [2, 11] },
    { size: 65536, extra: ["--exclude", "4294967295"], orgs: [4294967295] },
    { size: 2 * 65536 + 1, extra: ["--armor"] },
    { size: 10, extra: ["--drill"], drill: true },
  ];
  for (const c of cases) {
    const plaintext = pinnedPlaintext(c.size);
    let file = encrypt(dir, plaintext, key.recipient, c.extra);
    if (c.extra.includes("--armor")) {
      assert.match(new TextDecoder().decode(file.subarray(0, 40)), /^-----BEGIN AGE ENCRYPTED FILE-----/);
      file = armor.decode(new TextDecoder().decode(file));
    }
    const stanzas = ind.headerStanzas(file);
    assert.equal(stanzas.length, 2);
    const st = ind.parseP256TagStanza(stanzas[0]);
    assert.deepEqual(stanzas[1].args, [c.drill ? "conclave-drill-pok" : "conclave-pok", ...(c.orgs ?? []).map(String)]);
    assert.equal(bytesToHex(ind.p256Tag(st.enc, key.recipient33)), bytesToHex(st.tag));
    const statement = { kind: c.drill ? "drill" : "sender", recipient33: key.recipient33, enc: st.enc, tag: st.tag,
      body: st.body, orgs: c.orgs ?? [], proof: stanzas[1].body };
    assert.equal(ind.verifySenderProof(statement), true);
    assert.equal(ind.verifySenderProof({ ...statement, kind: c.drill ? "sender" : "drill" }), false);

    const d = new Decrypter();
    d.addIdentity(new ind.P256TagIdentity(key.secret));
    assert.deepEqual(await d.decrypt(file), plaintext);
    // And the C++ threshold path agrees.
    assert.deepEqual(decrypt(dir, file, key.secretHex).plaintext, plaintext);
  }
}));

test("(2) a C++ plain p256tag file decrypts with the JS identity", () => withTempDir(async (dir) => {
  const key = newKey();
  const file = encrypt(dir, new TextEncoder().encode("plain"), key.recipient, ["--plain"]);
  assert.deepEqual(ind.headerStanzas(file).map((s) => s.args[0]), ["p256tag"]);
  const d = new Decrypter();
  d.addIdentity(new ind.P256TagIdentity(key.secret));
  assert.equal(await d.decrypt(file, "text"), "plain");
}));

test("(3) a plain p256tag file from the npm package is reported as plain", () => withTempDir(async (dir) => {
  const key = newKey();
  const file = await npmEncrypt(key.recipient, "stock age client");
  const v = validate(dir, file, key.recipient);
  assert.equal(v.valid, false);
  assert.equal(v.defect, "plain-p256tag");
  assert.match(v.message, /plain p256tag/);
  assert.match(v.message, /sender proof/);
  const report = inspect(dir, file, key.recipient);
  assert.equal(report.proof_present, false);
  assert.equal(report.tag_matches, true);
  assert.equal(report.valid, false);
  assert.equal(report.defects[0].defect, "plain-p256tag");
  assert.equal(report.id, bytesToHex(ind.sha256(ind.parseP256TagStanza(ind.headerStanzas(file)[0]).enc)));
  // Refused by the validating path, readable when validation is skipped.
  assert.equal(decrypt(dir, file, key.secretHex).status, 2);
  const d = decrypt(dir, file, key.secretHex, ["--skip-validation"]);
  assert.equal(d.status, 0, d.stderr);
  assert.equal(new TextDecoder().decode(d.plaintext), "stock age client");
}));

test("inspect without a key describes but cannot check the proof", () => withTempDir(async (dir) => {
  const key = newKey();
  const file = await npmEncrypt(new web.ConclaveRecipient(key.recipient, { exclude: [4] }), "x");
  const r = inspect(dir, file);
  assert.equal(r.proof_present, true);
  assert.equal(r.proof_valid, null);
  assert.equal(r.tag_matches, null);
  assert.equal(r.valid, false);
  assert.deepEqual(r.excluded, [4]);
  assert.equal(r.kind, "submission");
  assert.match(r.proof_status, /--to/);
  const withKey = inspect(dir, file, key.recipient);
  assert.equal(withKey.valid, true);
  assert.equal(withKey.proof_valid, true);
  assert.equal(withKey.proof_status, "valid");
}));
