// An age Identity (age-encryption's Identity interface) for p256tag stanzas,
// holding the whistleblower's reply secret b: the page uses it to read
// editors' replies in the browser. C2SP age "p256tag": HPKE (RFC 9180) base
// mode, DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305, info
// "age-encryption.org/p256tag", aad "".
import { p256 } from "@noble/curves/nist.js";
import { extract, expand } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { base64nopad } from "@scure/base";
import { Decrypter } from "age-encryption";
import { P256TAG_INFO, encodeTagRecipient, p256Tag } from "./conclave-recipient.js";

const Point = p256.Point;
const N = Point.Fn.ORDER;
const te = new TextEncoder();

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

// Canonical unpadded base64 (C2SP age): re-encoding must give the same text.
function decodeCanonical(s, what) {
  let b;
  try {
    b = base64nopad.decode(s);
  } catch {
    throw new Error(`p256tag stanza: ${what} is not base64`);
  }
  if (base64nopad.encode(b) !== s) throw new Error(`p256tag stanza: ${what} is not canonical base64`);
  return b;
}

// RFC 9180 §4 LabeledExtract / LabeledExpand.
const KEM_SUITE = concat(te.encode("KEM"), Uint8Array.of(0x00, 0x10));
const HPKE_SUITE = concat(te.encode("HPKE"), Uint8Array.of(0x00, 0x10, 0x00, 0x01, 0x00, 0x03));
const labeledExtract = (suite, salt, label, ikm) =>
  extract(sha256, concat(te.encode("HPKE-v1"), suite, te.encode(label), ikm), salt);
const labeledExpand = (suite, prk, label, info, length) =>
  expand(sha256, prk, concat(Uint8Array.of(length >> 8, length & 0xff), te.encode("HPKE-v1"), suite,
    te.encode(label), info), length);

export class ReplyIdentity {
  #b;
  #pk33;
  #pk65;

  /** secret: the reply secret b as a bigint in 1…n−1 (receipt.js deriveContact). */
  constructor(secret) {
    if (typeof secret !== "bigint" || secret <= 0n || secret >= N) throw new Error("reply secret out of range");
    this.#b = secret;
    const pk = Point.BASE.multiply(secret);
    this.#pk33 = pk.toBytes(true);
    this.#pk65 = pk.toBytes(false);
  }

  get recipient() {
    return encodeTagRecipient(this.#pk33);
  }

  unwrapFileKey(stanzas) {
    for (const s of stanzas) {
      if (s.args[0] !== "p256tag") continue;
      if (s.args.length !== 3) throw new Error("p256tag stanza: expected three arguments");
      const tag = decodeCanonical(s.args[1], "tag");
      const enc = decodeCanonical(s.args[2], "enc");
      if (tag.length !== 4 || enc.length !== 65 || s.body.length !== 32) throw new Error("p256tag stanza: wrong sizes");
      // The public tag says whether the stanza is ours before the secret is used.
      if (!equalBytes(tag, p256Tag(enc, this.#pk33))) continue;
      if (enc[0] !== 0x04) throw new Error("p256tag stanza: enc is not an uncompressed point");
      const E = Point.fromBytes(enc); // checks the point is on the curve
      E.assertValidity();
      // RFC 9180 §4.1 Decap: dh = x(b·E), kem_context = enc ‖ pkR.
      const dh = E.multiply(this.#b).toBytes(true).subarray(1);
      const eaePrk = labeledExtract(KEM_SUITE, undefined, "eae_prk", dh);
      const sharedSecret = labeledExpand(KEM_SUITE, eaePrk, "shared_secret", concat(enc, this.#pk65), 32);
      const pskIdHash = labeledExtract(HPKE_SUITE, undefined, "psk_id_hash", new Uint8Array(0));
      const infoHash = labeledExtract(HPKE_SUITE, undefined, "info_hash", te.encode(P256TAG_INFO));
      const ks = concat(Uint8Array.of(0x00), pskIdHash, infoHash);
      const secret = labeledExtract(HPKE_SUITE, sharedSecret, "secret", new Uint8Array(0));
      const key = labeledExpand(HPKE_SUITE, secret, "key", ks, 32);
      const nonce = labeledExpand(HPKE_SUITE, secret, "base_nonce", ks, 12);
      try {
        return chacha20poly1305(key, nonce).decrypt(s.body);
      } catch {
        // A matching tag but a failing AEAD: another key with the same tag
        // (2^-32) or a damaged stanza; try the next one.
        continue;
      }
    }
    return null;
  }
}

/** Decrypts an editor's reply (an age file) to UTF-8 text; throws if it is not for us or damaged. */
export async function decryptReply(replySecret, ageFile) {
  const d = new Decrypter();
  d.addIdentity(new ReplyIdentity(replySecret));
  const bytes = await d.decrypt(ageFile);
  return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
}
