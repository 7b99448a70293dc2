// Conclave's age Recipient for the npm `age-encryption` package (0.3.x):
// what the intake page uses to encrypt a submission in the whistleblower's
// browser. It writes exactly the two stanzas of brief §2, in this order:
//
//   -> p256tag TAG ENC        C2SP age "p256tag recipient stanza": HPKE
//                             (RFC 9180) base mode, DHKEM(P-256,
//                             HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305,
//                             info "age-encryption.org/p256tag", aad "".
//   -> conclave-pok [ORG...]  the sender proof: a Schnorr proof that the
//                             author knows r = log_G(enc), bound to the
//                             consortium key, tag, body and exclusions.
//
// The package's own p256tag recipient draws its ephemeral key internally,
// and the proof needs it, so HPKE is done here on the package's @noble
// dependencies (imported by package name; no other dependency).
//
// Usage:
//   import { Encrypter } from "age-encryption";
//   const e = new Encrypter();
//   e.addRecipient(new ConclaveRecipient("age1tag1...", { exclude: [2, 5] }));
//   const file = await e.encrypt(plaintext);
import { Stanza } from "age-encryption";
import { p256 } from "@noble/curves/nist.js";
import { hash_to_field } from "@noble/curves/abstract/hash-to-curve.js";
import { extract, expand } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { bech32, base64nopad } from "@scure/base";

const Point = p256.Point;
const Fn = Point.Fn; // integers mod n, the group order
const te = new TextEncoder();

export const P256TAG_INFO = "age-encryption.org/p256tag";
export const SENDER_POK_STANZA = "conclave-pok";
export const DRILL_POK_STANZA = "conclave-drill-pok";
// Brief §2 (and crypto/sender_proof.h): challenge and nonce DSTs per kind.
export const PROOF_KINDS = Object.freeze({
  sender: Object.freeze({
    stanza: SENDER_POK_STANZA,
    dst: "conclave/v1/sender-pok",
    nonceDst: "conclave/v1/sender-pok-nonce",
  }),
  drill: Object.freeze({
    stanza: DRILL_POK_STANZA,
    dst: "conclave/v1/drill-pok",
    nonceDst: "conclave/v1/drill-pok-nonce",
  }),
});
const MAX_ORG_ID = 0xffffffff;

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function scalarFromBytes(bytes) {
  let x = 0n;
  for (const b of bytes) x = (x << 8n) | BigInt(b);
  return x;
}

function scalarToBytes(x) {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/**
 * Parses an `age1tag1…` recipient (C2SP age: Bech32, HRP "age1tag", of the
 * 33-byte SEC1-compressed point). Strict: lowercase only, 33 bytes, a valid
 * compressed point. Returns the 33 bytes.
 */
export function parseTagRecipient(s) {
  if (typeof s !== "string" || !s.startsWith("age1tag1") || s !== s.toLowerCase()) {
    throw new Error("not an age1tag1 recipient (lowercase Bech32 with HRP age1tag expected)");
  }
  let decoded;
  try {
    decoded = bech32.decodeToBytes(s);
  } catch (e) {
    throw new Error(`malformed age1tag1 recipient: ${e.message}`);
  }
  if (decoded.prefix !== "age1tag" || decoded.bytes.length !== 33) {
    throw new Error("malformed age1tag1 recipient: expected 33 bytes under HRP age1tag");
  }
  const bytes = decoded.bytes;
  if (bytes[0] !== 0x02 && bytes[0] !== 0x03) {
    throw new Error("malformed age1tag1 recipient: not a compressed P-256 point");
  }
  try {
    Point.fromBytes(bytes).assertValidity();
  } catch {
    throw new Error("malformed age1tag1 recipient: not a point on P-256");
  }
  return Uint8Array.from(bytes);
}

/** Encodes a 33-byte compressed point as an `age1tag1…` string. */
export function encodeTagRecipient(compressed33) {
  return bech32.encodeFromBytes("age1tag", compressed33);
}

/**
 * Brief §2 HashToScalar: RFC 9380 hash_to_field with
 * expand_message_xmd(SHA-256), L = 48, one element, reduced mod n.
 */
export function hashToScalar(msg, dst) {
  // k = 128 with the 256-bit order gives L = ceil((256 + 128) / 8) = 48.
  const [[x]] = hash_to_field(msg, 1, {
    DST: dst,
    p: Fn.ORDER,
    m: 1,
    k: 128,
    expand: "xmd",
    hash: sha256,
  });
  return x;
}

/**
 * The p256tag tag (C2SP age): HKDF-Extract-SHA-256(ikm = enc ‖
 * SHA-256(recipient33)[:4], salt = "age-encryption.org/p256tag")[:4].
 */
export function p256Tag(enc65, recipient33) {
  const ikm = concat(enc65, sha256(recipient33).subarray(0, 4));
  return extract(sha256, ikm, te.encode(P256TAG_INFO)).subarray(0, 4);
}

/**
 * Checks and sorts an exclusion list: integers 1…2^32−1, no duplicates.
 * Returns them strictly ascending, as the stanza and the proof need them.
 */
export function normalizeExclusions(orgs) {
  if (!Array.isArray(orgs)) throw new Error("exclusions must be an array of organisation ids");
  const out = orgs.map((o) => {
    if (!Number.isInteger(o) || o < 1 || o > MAX_ORG_ID) {
      throw new Error(`invalid organisation id ${String(o)}: expected an integer in 1…4294967295`);
    }
    return o;
  });
  out.sort((a, b) => a - b);
  for (let i = 1; i < out.length; i++) {
    if (out[i] === out[i - 1]) throw new Error(`organisation ${out[i]} excluded twice`);
  }
  return out;
}

function u32be(x) {
  return Uint8Array.of((x >>> 24) & 0xff, (x >>> 16) & 0xff, (x >>> 8) & 0xff, x & 0xff);
}

function challengeInput(recipient33, enc65, tag4, body32, a33, orgs) {
  return concat(recipient33, enc65, tag4, body32, a33, ...orgs.map(u32be));
}

/**
 * The sender proof of brief §2 (layout: crypto/sender_proof.h), c ‖ z as 64
 * bytes. `r` is the ephemeral scalar (bigint, 1…n−1) with enc65 = r·G;
 * `orgs` must already be strictly ascending (normalizeExclusions).
 * `nonceRandomness` (32 bytes) is for known-answer tests only: leave it out.
 */
export function proveSender({ kind = "sender", r, enc65, recipient33, tag4, body32, orgs, nonceRandomness }) {
  const k_ = PROOF_KINDS[kind];
  if (!k_) throw new Error(`unknown proof kind ${kind}`);
  if (typeof r !== "bigint" || r <= 0n || r >= Fn.ORDER) throw new Error("r out of range");
  if (enc65.length !== 65 || tag4.length !== 4 || body32.length !== 32 || recipient33.length !== 33) {
    throw new Error("proveSender: wrong element size");
  }
  const rand = nonceRandomness ?? randomBytes(32);
  if (rand.length !== 32) throw new Error("proveSender: nonce randomness must be 32 bytes");
  const k = hashToScalar(concat(rand, scalarToBytes(r), enc65), te.encode(k_.nonceDst));
  if (k === 0n) throw new Error("proveSender: zero nonce"); // probability ~2^-256
  const a33 = Point.BASE.multiply(k).toBytes(true);
  const c = hashToScalar(challengeInput(recipient33, enc65, tag4, body32, a33, orgs), te.encode(k_.dst));
  const z = Fn.add(k, Fn.mul(c, r));
  return concat(scalarToBytes(c), scalarToBytes(z));
}

// RFC 9180 §4 LabeledExtract / LabeledExpand.
function labeledExtract(suiteId, salt, label, ikm) {
  return extract(sha256, concat(te.encode("HPKE-v1"), suiteId, te.encode(label), ikm), salt);
}
function labeledExpand(suiteId, prk, label, info, length) {
  const labeledInfo = concat(Uint8Array.of(length >> 8, length & 0xff), te.encode("HPKE-v1"), suiteId,
    te.encode(label), info);
  return expand(sha256, prk, labeledInfo, length);
}
const KEM_SUITE = concat(te.encode("KEM"), Uint8Array.of(0x00, 0x10)); // DHKEM(P-256, HKDF-SHA256)
// HPKE suite: KEM 0x0010, KDF 0x0001 (HKDF-SHA256), AEAD 0x0003 (ChaCha20Poly1305).
const HPKE_SUITE = concat(te.encode("HPKE"), Uint8Array.of(0x00, 0x10, 0x00, 0x01, 0x00, 0x03));

/**
 * HPKE SealBase (RFC 9180 §6.1) to pkR with the ephemeral scalar r given,
 * info "age-encryption.org/p256tag", aad "". Returns { enc65, body32 }.
 */
export function sealP256Tag(fileKey, recipient33, r) {
  const pkR = Point.fromBytes(recipient33);
  const enc65 = Point.BASE.multiply(r).toBytes(false);
  // DH(skE, pkR): the x-coordinate of r·pkR (RFC 9180 §7.1.1 for P-256).
  const dh = pkR.multiply(r).toBytes(true).subarray(1);
  const kemContext = concat(enc65, pkR.toBytes(false));
  const eaePrk = labeledExtract(KEM_SUITE, undefined, "eae_prk", dh);
  const sharedSecret = labeledExpand(KEM_SUITE, eaePrk, "shared_secret", kemContext, 32);
  // Key schedule, mode_base, no PSK (RFC 9180 §5.1).
  const pskIdHash = labeledExtract(HPKE_SUITE, undefined, "psk_id_hash", new Uint8Array(0));
  const infoHash = labeledExtract(HPKE_SUITE, undefined, "info_hash", te.encode(P256TAG_INFO));
  const ksContext = concat(Uint8Array.of(0x00), pskIdHash, infoHash);
  const secret = labeledExtract(HPKE_SUITE, sharedSecret, "secret", new Uint8Array(0));
  const key = labeledExpand(HPKE_SUITE, secret, "key", ksContext, 32);
  const nonce = labeledExpand(HPKE_SUITE, secret, "base_nonce", ksContext, 12);
  // First (and only) message: sequence number 0, so the nonce is base_nonce.
  const body32 = chacha20poly1305(key, nonce).encrypt(fileKey);
  return { enc65, body32 };
}

function randomScalar() {
  // Rejection sampling over 32 random bytes: uniform in 1…n−1.
  for (;;) {
    const x = scalarFromBytes(randomBytes(32));
    if (x > 0n && x < Fn.ORDER) return x;
  }
}

/**
 * An age Recipient (age-encryption's Recipient interface) for a Conclave
 * submission: the p256tag stanza to the consortium key and the sender-proof
 * stanza. Options: `exclude` — organisation ids the whistleblower excludes
 * (any order; sorted, duplicates refused); `kind` — "sender" (default) or
 * "drill" (ceremony drill files only; intake refuses them).
 */
export class ConclaveRecipient {
  #recipient;
  #orgs;
  #kind;

  constructor(recipient, { exclude = [], kind = "sender" } = {}) {
    this.#recipient = typeof recipient === "string" ? parseTagRecipient(recipient) : parseTagRecipient(
      encodeTagRecipient(recipient));
    this.#orgs = normalizeExclusions(exclude);
    if (!PROOF_KINDS[kind]) throw new Error(`unknown proof kind ${kind}: expected "sender" or "drill"`);
    this.#kind = kind;
  }

  get excluded() {
    return [...this.#orgs];
  }

  wrapFileKey(fileKey) {
    if (!(fileKey instanceof Uint8Array) || fileKey.length !== 16) throw new Error("file key must be 16 bytes");
    const r = randomScalar();
    const { enc65, body32 } = sealP256Tag(fileKey, this.#recipient, r);
    const tag4 = p256Tag(enc65, this.#recipient);
    const proof = proveSender({
      kind: this.#kind, r, enc65, recipient33: this.#recipient, tag4, body32, orgs: this.#orgs,
    });
    return [
      new Stanza(["p256tag", base64nopad.encode(tag4), base64nopad.encode(enc65)], body32),
      new Stanza([PROOF_KINDS[this.#kind].stanza, ...this.#orgs.map(String)], proof),
    ];
  }
}
