// The committed files in tests/vectors/p256tag (written by the npm package,
// see make_pinned_vectors.mjs) against their manifest, read by the
// independent JS reader and by the C++ tool. The C++ suite checks the same
// files without node (p256tag_pinned_test.cc).
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { Decrypter, armor } from "age-encryption";
import * as ind from "./lib/independent.mjs";
import { pinnedVectorsDir, readRequired } from "./lib/env.mjs";
import { headerBytes, pinnedPlaintext, PINNED_SECRET_HEX } from "./lib/pinned.mjs";
import { withTempDir, validate, decrypt } from "./lib/tool.mjs";

const manifest = JSON.parse(readRequired(path.join(pinnedVectorsDir, "manifest.json")));
const secret = ind.hexToBytes(manifest.secret_key_hex);
const key = ind.recipientFromSecret(secret);

test("manifest key is the pinned test key", () => {
  assert.equal(manifest.secret_key_hex, PINNED_SECRET_HEX);
  assert.equal(manifest.recipient, key.recipient);
  assert.ok(manifest.files.length >= 9);
});

test("pinned files match their manifest (independent JS reader)", async () => {
  for (const f of manifest.files) {
    let file = new Uint8Array(readRequired(path.join(pinnedVectorsDir, f.name)));
    if (f.armored) file = armor.decode(new TextDecoder().decode(file));
    const stanzas = ind.headerStanzas(file);
    assert.deepEqual(stanzas.map((s) => s.args[0]), f.stanza_types, f.name);
    const st = ind.parseP256TagStanza(stanzas[0]);
    assert.equal(bytesToHexOf(ind.sha256(st.enc)), f.id, f.name);
    assert.equal(bytesToHexOf(ind.sha256(headerBytes(file))), f.header_hash, f.name);
    if (stanzas.length === 2) {
      const [type, ...orgs] = stanzas[1].args;
      let ok;
      try {
        ok = ind.verifySenderProof({
          kind: type === "conclave-drill-pok" ? "drill" : "sender", recipient33: key.recipient33,
          enc: st.enc, tag: st.tag, body: st.body, orgs: orgs.map(Number), proof: stanzas[1].body,
        });
      } catch {
        ok = false;
      }
      const tagOk = bytesToHexOf(ind.p256Tag(st.enc, key.recipient33)) === bytesToHexOf(st.tag);
      const expectedOk = f.expect === "valid" || f.valid_if_drill_allowed === true;
      assert.equal(ok && tagOk, expectedOk, f.name);
    }
    const d = new Decrypter();
    d.addIdentity(new ind.P256TagIdentity(secret));
    if (f.decrypts) {
      const plaintext = await d.decrypt(file);
      assert.equal(bytesToHexOf(ind.sha256(plaintext)), f.plaintext_sha256, f.name);
      assert.deepEqual(plaintext, pinnedPlaintext(f.plaintext_size), f.name);
    } else {
      await assert.rejects(d.decrypt(file), undefined, f.name);
    }
  }
});

test("pinned files through the C++ tool", () => withTempDir(async (dir) => {
  for (const f of manifest.files) {
    const file = new Uint8Array(readRequired(path.join(pinnedVectorsDir, f.name)));
    const v = validate(dir, file, key.recipient);
    if (f.expect === "valid") {
      assert.equal(v.valid, true, `${f.name}: ${v.message}`);
      assert.equal(v.id, f.id);
      assert.equal(v.header_hash, f.header_hash);
      assert.deepEqual(v.excluded, f.excluded);
    } else {
      assert.equal(v.defect, f.expect, f.name);
    }
    const d = decrypt(dir, file, manifest.secret_key_hex, ["--skip-validation"]);
    if (f.decrypts) {
      assert.equal(d.status, 0, `${f.name}: ${d.stderr}`);
      assert.equal(bytesToHexOf(ind.sha256(d.plaintext)), f.plaintext_sha256, f.name);
    } else {
      assert.equal(d.status, 2, f.name);
    }
  }
}));

function bytesToHexOf(b) {
  return ind.bytesToHex(b);
}
