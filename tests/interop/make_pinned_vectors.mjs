// Regenerates tests/vectors/p256tag/: age files written by the npm
// age-encryption package (its Encrypter, with web/lib's ConclaveRecipient or
// its own p256tag recipient), and manifest.json with what every checker must
// find in them. The C++ suite (tests/interop/p256tag_pinned_test.cc) checks
// them without node; p256tag_pinned.test.mjs checks them with the
// independent JS reader. Run by hand only (the files are committed):
//   node tests/interop/make_pinned_vectors.mjs
// The file keys and ephemeral keys are random, so every run gives new files.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Encrypter, armor, Stanza } from "age-encryption";
import { web } from "./lib/web.mjs";
import * as ind from "./lib/independent.mjs";
import { pinnedVectorsDir } from "./lib/env.mjs";
import { PINNED_SECRET_HEX, OTHER_SECRET_HEX, pinnedPlaintext, headerBytes } from "./lib/pinned.mjs";

const key = ind.recipientFromSecret(ind.hexToBytes(PINNED_SECRET_HEX));
const other = ind.recipientFromSecret(ind.hexToBytes(OTHER_SECRET_HEX));

// Wraps a Recipient and edits its stanzas after the proof was made, so the
// header MAC is valid and only the validator can notice.
class Edited {
  constructor(inner, edit) {
    this.inner = inner;
    this.edit = edit;
  }
  async wrapFileKey(fileKey) {
    return this.edit(await this.inner.wrapFileKey(fileKey));
  }
}

const cases = [
  { name: "submission.age", size: 1000, recipient: () => new web.ConclaveRecipient(key.recipient),
    expect: "valid", kind: "submission", excluded: [] },
  { name: "excluded_multichunk.age", size: 65536 + 17,
    recipient: () => new web.ConclaveRecipient(key.recipient, { exclude: [7, 2] }),
    expect: "valid", kind: "submission", excluded: [2, 7] },
  { name: "exact_chunk_armored.age", size: 65536, armored: true,
    recipient: () => new web.ConclaveRecipient(key.recipient, { exclude: [4294967295] }),
    expect: "valid", kind: "submission", excluded: [4294967295] },
  { name: "empty.age", size: 0, recipient: () => new web.ConclaveRecipient(key.recipient),
    expect: "valid", kind: "submission", excluded: [] },
  { name: "drill.age", size: 300, recipient: () => new web.ConclaveRecipient(key.recipient, { kind: "drill" }),
    expect: "drill-not-allowed", valid_if_drill_allowed: true, kind: "drill", excluded: [] },
  { name: "plain_p256tag.age", size: 500, recipient: () => key.recipient, expect: "plain-p256tag" },
  { name: "other_key.age", size: 100, recipient: () => new web.ConclaveRecipient(other.recipient),
    expect: "tag-mismatch", decrypts: false },
  { name: "proof_flipped.age", size: 100,
    recipient: () => new Edited(new web.ConclaveRecipient(key.recipient, { exclude: [3] }), ([t, p]) => {
      const body = Uint8Array.from(p.body);
      body[40] ^= 0x01;
      return [t, new Stanza(p.args, body)];
    }),
    expect: "proof-invalid" },
  { name: "proof_other_exclusions.age", size: 100,
    recipient: () => new Edited(new web.ConclaveRecipient(key.recipient, { exclude: [3] }),
      ([t, p]) => [t, new Stanza([p.args[0], "3", "5"], p.body)]),
    expect: "proof-invalid" },
];

mkdirSync(pinnedVectorsDir, { recursive: true });
const manifest = {
  comment: "Files written by the npm age-encryption package's Encrypter; regenerate with " +
    "tests/interop/make_pinned_vectors.mjs. secret_key_hex is a test key.",
  generator: "age-encryption 0.3.1 with web/lib/conclave-recipient.js",
  secret_key_hex: PINNED_SECRET_HEX,
  recipient: key.recipient,
  files: [],
};
for (const c of cases) {
  const plaintext = pinnedPlaintext(c.size);
  const e = new Encrypter();
  e.addRecipient(c.recipient());
  let file = await e.encrypt(plaintext);
  const binaryHeader = headerBytes(file);
  if (c.armored) file = new TextEncoder().encode(armor.encode(file));
  writeFileSync(path.join(pinnedVectorsDir, c.name), file);
  const stanzas = ind.headerStanzas(c.armored ? armor.decode(new TextDecoder().decode(file)) : file);
  const st = ind.parseP256TagStanza(stanzas[0]);
  const entry = {
    name: c.name,
    armored: Boolean(c.armored),
    expect: c.expect,
    id: ind.bytesToHex(ind.sha256(st.enc)),
    header_hash: ind.bytesToHex(ind.sha256(binaryHeader)),
    stanza_types: stanzas.map((s) => s.args[0]),
    decrypts: c.decrypts ?? true,
    plaintext_size: c.size,
    plaintext_sha256: ind.bytesToHex(ind.sha256(plaintext)),
  };
  if (c.kind) entry.kind = c.kind;
  if (c.excluded) entry.excluded = c.excluded;
  if (c.valid_if_drill_allowed) entry.valid_if_drill_allowed = true;
  manifest.files.push(entry);
}
writeFileSync(path.join(pinnedVectorsDir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(`wrote ${manifest.files.length} files to ${pinnedVectorsDir}`);
