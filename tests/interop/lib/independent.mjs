// An independent reader of Conclave submissions, written from the specs and
// sharing no code with web/lib/conclave-recipient.js or the C++ library:
//  - P256TagIdentity: an age-encryption Identity that unwraps p256tag
//    stanzas (C2SP age) with the recipient's private scalar, doing HPKE
//    (RFC 9180) on the package's @noble dependencies;
//  - verifySenderProof: brief §2's verifier, with its own RFC 9380
//    expand_message_xmd on node:crypto's SHA-256 and BigInt arithmetic.
import { createHash, createHmac } from "node:crypto";
import { p256 } from "@noble/curves/nist.js";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { bech32, base64nopad } from "@scure/base";

const Point = p256.Point;
const N = Point.Fn.ORDER;
const utf8 = (s) => Buffer.from(s, "utf8");
const cat = (...parts) => new Uint8Array(Buffer.concat(parts.map((p) => Buffer.from(p))));
const sha256 = (m) => new Uint8Array(createHash("sha256").update(m).digest());
const hmac = (key, m) => new Uint8Array(createHmac("sha256", key).update(m).digest());

export const bytesToHex = (b) => Buffer.from(b).toString("hex");
export const hexToBytes = (h) => new Uint8Array(Buffer.from(h, "hex"));
const toBig = (b) => (b.length ? BigInt("0x" + bytesToHex(b)) : 0n);
const toBytes32 = (x) => hexToBytes(x.toString(16).padStart(64, "0"));

// Canonical unpadded base64 (C2SP age): decoding then re-encoding must give
// the same string, so trailing bits and padding are refused.
export function decodeCanonicalBase64(s) {
  if (!/^[A-Za-z0-9+/]*$/.test(s)) throw new Error("not unpadded base64");
  const b = new Uint8Array(Buffer.from(s, "base64"));
  if (Buffer.from(b).toString("base64").replace(/=+$/, "") !== s) throw new Error("non-canonical base64");
  return b;
}

// RFC 9380 §5.3.1 expand_message_xmd with SHA-256 (b = 32, s = 64).
export function expandMessageXmd(msg, dst, lenInBytes) {
  const ell = Math.ceil(lenInBytes / 32);
  if (ell > 255 || dst.length > 255 || lenInBytes > 65535) throw new Error("expand_message_xmd: bad lengths");
  const dstPrime = cat(dst, [dst.length]);
  const msgPrime = cat(new Uint8Array(64), msg, [lenInBytes >> 8, lenInBytes & 0xff], [0], dstPrime);
  const b0 = sha256(msgPrime);
  const out = [];
  let bi = sha256(cat(b0, [1], dstPrime));
  out.push(bi);
  for (let i = 2; i <= ell; i++) {
    const x = b0.map((v, j) => v ^ bi[j]);
    bi = sha256(cat(x, [i], dstPrime));
    out.push(bi);
  }
  return cat(...out).subarray(0, lenInBytes);
}

// Brief §2 HashToScalar: hash_to_field with one element, L = 48, mod n.
export function hashToScalar(msg, dst) {
  return toBig(expandMessageXmd(msg, utf8(dst), 48)) % N;
}

export function parseTagRecipient(s) {
  const { prefix, bytes } = bech32.decodeToBytes(s);
  if (prefix !== "age1tag" || bytes.length !== 33 || s !== s.toLowerCase()) throw new Error("bad age1tag1 recipient");
  Point.fromBytes(bytes).assertValidity();
  return Uint8Array.from(bytes);
}

export function recipientFromSecret(secret32) {
  const x = toBig(secret32);
  if (x <= 0n || x >= N) throw new Error("secret key out of range");
  const y = Point.BASE.multiply(x).toBytes(true);
  return { recipient33: y, recipient: bech32.encodeFromBytes("age1tag", y) };
}

export function p256Tag(enc65, recipient33) {
  // HKDF-Extract(salt, ikm) = HMAC-SHA-256(salt, ikm) (RFC 5869 §2.2).
  return hmac(utf8("age-encryption.org/p256tag"), cat(enc65, sha256(recipient33).subarray(0, 4))).subarray(0, 4);
}

// Strict p256tag stanza parse (C2SP age): exactly three arguments, a
// canonical 4-byte tag, a canonical 65-byte enc, a 32-byte body.
export function parseP256TagStanza(stanza) {
  const a = stanza.args;
  if (a.length !== 3) throw new Error("p256tag stanza: expected three arguments");
  const tag = decodeCanonicalBase64(a[1]);
  const enc = decodeCanonicalBase64(a[2]);
  if (tag.length !== 4) throw new Error("p256tag stanza: tag is not 4 bytes");
  if (enc.length !== 65) throw new Error("p256tag stanza: enc is not 65 bytes");
  if (stanza.body.length !== 32) throw new Error("p256tag stanza: body is not 32 bytes");
  return { tag, enc, body: stanza.body };
}

// HPKE (RFC 9180) pieces for DHKEM(P-256, HKDF-SHA256), HKDF-SHA256,
// ChaCha20Poly1305, written out with HMAC.
const hkdfExtract = (salt, ikm) => hmac(salt.length ? salt : new Uint8Array(32), ikm);
function hkdfExpand(prk, info, length) {
  let t = new Uint8Array(0);
  const out = [];
  for (let i = 1; out.length * 32 < length; i++) {
    t = hmac(prk, cat(t, info, [i]));
    out.push(t);
  }
  return cat(...out).subarray(0, length);
}
const KEM_ID = [0x00, 0x10];
const suiteKem = cat(utf8("KEM"), KEM_ID);
const suiteHpke = cat(utf8("HPKE"), KEM_ID, [0x00, 0x01], [0x00, 0x03]);
const labeledExtract = (suite, salt, label, ikm) => hkdfExtract(salt, cat(utf8("HPKE-v1"), suite, utf8(label), ikm));
const labeledExpand = (suite, prk, label, info, len) =>
  hkdfExpand(prk, cat([len >> 8, len & 0xff], utf8("HPKE-v1"), suite, utf8(label), info), len);

/** HPKE OpenBase for a p256tag stanza given the DH point x·enc. null if the AEAD fails. */
export function openP256TagWithDh({ enc, body }, recipient33, dhPoint) {
  const pkR = Point.fromBytes(recipient33).toBytes(false);
  const dh = dhPoint.toBytes(true).subarray(1);
  const eaePrk = labeledExtract(suiteKem, new Uint8Array(0), "eae_prk", dh);
  const sharedSecret = labeledExpand(suiteKem, eaePrk, "shared_secret", cat(enc, pkR), 32);
  const ks = cat([0], labeledExtract(suiteHpke, new Uint8Array(0), "psk_id_hash", new Uint8Array(0)),
    labeledExtract(suiteHpke, new Uint8Array(0), "info_hash", utf8("age-encryption.org/p256tag")));
  const secret = labeledExtract(suiteHpke, sharedSecret, "secret", new Uint8Array(0));
  const key = labeledExpand(suiteHpke, secret, "key", ks, 32);
  const nonce = labeledExpand(suiteHpke, secret, "base_nonce", ks, 12);
  try {
    return chacha20poly1305(key, nonce).decrypt(body);
  } catch {
    return null;
  }
}

/** An age-encryption Identity for p256tag stanzas, holding the private scalar. */
export class P256TagIdentity {
  #x;
  #recipient33;
  constructor(secret32) {
    this.#x = toBig(secret32);
    this.#recipient33 = recipientFromSecret(secret32).recipient33;
    this.seen = []; // parsed stanzas, for the tests
  }
  unwrapFileKey(stanzas) {
    for (const s of stanzas) {
      if (s.args[0] !== "p256tag") continue;
      const st = parseP256TagStanza(s);
      this.seen.push(st);
      // The tag says whether the stanza is ours before any secret is used.
      if (bytesToHex(p256Tag(st.enc, this.#recipient33)) !== bytesToHex(st.tag)) continue;
      const enc = Point.fromBytes(st.enc);
      enc.assertValidity();
      const fileKey = openP256TagWithDh(st, this.#recipient33, enc.multiply(this.#x));
      if (fileKey !== null) return fileKey;
    }
    return null;
  }
}

/**
 * Brief §2 verifier. kind: "sender" | "drill". Returns true or false; throws
 * on malformed input (enc not 0x04‖X‖Y on the curve, sizes, c or z ≥ n,
 * exclusions not strictly ascending in 1…2^32−1).
 */
export function verifySenderProof({ kind = "sender", recipient33, enc, tag, body, orgs, proof }) {
  const dst = { sender: "conclave/v1/sender-pok", drill: "conclave/v1/drill-pok" }[kind];
  if (!dst) throw new Error("unknown kind");
  if (enc.length !== 65 || enc[0] !== 0x04) throw new Error("enc must be 65-byte uncompressed");
  if (tag.length !== 4 || body.length !== 32 || proof.length !== 64) throw new Error("bad sizes");
  orgs.forEach((o, i) => {
    if (!Number.isInteger(o) || o < 1 || o > 0xffffffff || (i > 0 && o <= orgs[i - 1])) {
      throw new Error("exclusions must be strictly ascending ids in 1..2^32-1");
    }
  });
  const E = Point.fromBytes(enc);
  E.assertValidity();
  const c = toBig(proof.subarray(0, 32));
  const z = toBig(proof.subarray(32));
  if (c >= N || z >= N) throw new Error("non-canonical scalar");
  // A' = z·G − c·enc (noble refuses a zero scalar in multiply, hence the guards).
  const zG = z === 0n ? Point.ZERO : Point.BASE.multiply(z);
  const cE = c === 0n ? Point.ZERO : E.multiply(c);
  const A = zG.subtract(cE);
  if (A.equals(Point.ZERO)) return false;
  const orgBytes = orgs.map((o) => [o >>> 24, (o >>> 16) & 0xff, (o >>> 8) & 0xff, o & 0xff]);
  const input = cat(recipient33, enc, tag, body, A.toBytes(true), ...orgBytes);
  return hashToScalar(input, dst) === c;
}

/**
 * Parses an age file's header far enough for these tests: the stanzas as
 * raw text lines (not a validator; the C++ code is that).
 */
export function headerStanzas(file) {
  const text = Buffer.from(file).toString("latin1");
  const end = text.indexOf("\n---");
  const lines = text.slice(0, end + 1).split("\n").slice(1, -1);
  const stanzas = [];
  for (const line of lines) {
    if (line.startsWith("-> ")) stanzas.push({ args: line.slice(3).split(" "), bodyLines: [] });
    else stanzas[stanzas.length - 1].bodyLines.push(line);
  }
  return stanzas.map((s) => ({ args: s.args, body: decodeCanonicalBase64(s.bodyLines.join("")) }));
}

export { toBig, toBytes32, sha256, base64nopad };
