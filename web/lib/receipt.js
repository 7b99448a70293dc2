// The whistleblower's receipt and what the browser derives from it (brief
// §8, contract of issue 8). The server never sees the receipt: it learns a
// lookup id, a public key to check challenge signatures with, and a public
// key to encrypt editors' replies to.
//
//   receipt          16 bytes from the browser's CSPRNG (128 bits), shown as
//                    Crockford base32 in groups of four: XXXX-XXXX-…-XX.
//   lookup_id        expand_message_xmd(receipt, "conclave/v1/receipt-lookup-id", 32)
//   a (auth secret)  HashToScalar(receipt, "conclave/v1/receipt-auth-key"); auth_key = a·G
//   b (reply secret) HashToScalar(receipt, "conclave/v1/receipt-reply-key");
//                    reply_recipient = age1tag1 string of b·G
//   signature        ECDSA P-256/SHA-256 (FIPS 186-4), r ‖ s (64 bytes), over
//                    "conclave/v1/contact-auth" ‖ lookup_id ‖ challenge
//
// expand_message_xmd and HashToScalar are RFC 9380 §5.3.1 / §5.2 as brief
// §2 uses them (SHA-256, L = 48, reduced mod n).
import { p256 } from "@noble/curves/nist.js";
import { expand_message_xmd } from "@noble/curves/abstract/hash-to-curve.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { encodeTagRecipient, hashToScalar } from "./conclave-recipient.js";

const Point = p256.Point;
const N = Point.Fn.ORDER;
const te = new TextEncoder();

export const RECEIPT_BYTES = 16;
export const LOOKUP_ID_DST = "conclave/v1/receipt-lookup-id";
export const AUTH_KEY_DST = "conclave/v1/receipt-auth-key";
export const REPLY_KEY_DST = "conclave/v1/receipt-reply-key";
export const CONTACT_AUTH_PREFIX = "conclave/v1/contact-auth";

// Crockford's base32 alphabet: no I, L, O, U.
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
// 128 bits → 26 symbols (130 bits, the last two zero).
const RECEIPT_SYMBOLS = 26;

export class ReceiptError extends Error {}

export function bytesToHex(b) {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

export function hexToBytes(h, expectedLength) {
  if (typeof h !== "string" || h.length % 2 !== 0 || !/^[0-9a-f]*$/.test(h)) {
    throw new Error("expected lowercase hex");
  }
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  if (expectedLength !== undefined && out.length !== expectedLength) {
    throw new Error(`expected ${expectedLength} bytes of hex, got ${out.length}`);
  }
  return out;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function scalarToBytes(x) {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** A fresh receipt: 16 bytes from crypto.getRandomValues (via noble). */
export function generateReceipt() {
  return randomBytes(RECEIPT_BYTES);
}

/** Crockford base32 (most significant bit first), groups of four joined by "-". */
export function formatReceipt(receipt) {
  if (!(receipt instanceof Uint8Array) || receipt.length !== RECEIPT_BYTES) {
    throw new ReceiptError("a receipt is 16 bytes");
  }
  let bits = 0;
  let value = 0;
  let symbols = "";
  for (const byte of receipt) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      symbols += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) symbols += ALPHABET[(value << (5 - bits)) & 31];
  return symbols.match(/.{1,4}/g).join("-");
}

/**
 * Reads a receipt as a person may type it: case-insensitive; spaces and
 * dashes ignored; O read as 0, I and L as 1. Throws ReceiptError with a
 * plain-language message when it cannot be a receipt.
 */
export function parseReceipt(text) {
  if (typeof text !== "string") throw new ReceiptError("Type the receipt you were given.");
  const cleaned = text.toUpperCase().replace(/[\s-]+/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
  if (cleaned.length === 0) throw new ReceiptError("Type the receipt you were given.");
  for (const ch of cleaned) {
    if (!ALPHABET.includes(ch)) {
      throw new ReceiptError(`The receipt cannot contain the character “${ch}”. Check what you typed.`);
    }
  }
  if (cleaned.length !== RECEIPT_SYMBOLS) {
    throw new ReceiptError(
      `A receipt has ${RECEIPT_SYMBOLS} letters and digits; you typed ${cleaned.length}. Check what you typed.`);
  }
  const out = new Uint8Array(RECEIPT_BYTES);
  let bits = 0;
  let value = 0;
  let n = 0;
  for (const ch of cleaned) {
    value = (value << 5) | ALPHABET.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out[n++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
      value &= (1 << bits) - 1;
    }
  }
  // The last symbol carries two padding bits, always zero in a real receipt.
  if (value !== 0) throw new ReceiptError("The last character of the receipt is not right. Check what you typed.");
  return out;
}

/** expand_message_xmd(msg, DST, len) with SHA-256 (RFC 9380 §5.3.1). */
export function expandMessageXmd(msg, dst, len) {
  return expand_message_xmd(msg, te.encode(dst), len, sha256);
}

function nonZeroScalar(receipt, dst) {
  const x = hashToScalar(receipt, te.encode(dst));
  if (x === 0n || x >= N) throw new Error("derived scalar out of range"); // probability ~2^-256
  return x;
}

/**
 * Everything derived from a receipt. Secrets are bigints (auth, reply);
 * public values as bytes, hex and strings, as the HTTP contract carries them.
 */
export function deriveContact(receipt) {
  if (!(receipt instanceof Uint8Array) || receipt.length !== RECEIPT_BYTES) {
    throw new ReceiptError("a receipt is 16 bytes");
  }
  const lookupId = expandMessageXmd(receipt, LOOKUP_ID_DST, 32);
  const authSecret = nonZeroScalar(receipt, AUTH_KEY_DST);
  const replySecret = nonZeroScalar(receipt, REPLY_KEY_DST);
  const authKey = Point.BASE.multiply(authSecret).toBytes(true);
  const replyKey = Point.BASE.multiply(replySecret).toBytes(true);
  return {
    lookupId,
    lookupIdHex: bytesToHex(lookupId),
    authSecret,
    authKey,
    authKeyHex: bytesToHex(authKey),
    replySecret,
    replyRecipient: encodeTagRecipient(replyKey),
  };
}

/** The bytes a contact-authentication signature covers. */
export function contactAuthMessage(lookupId, challenge) {
  if (lookupId.length !== 32 || challenge.length !== 32) throw new Error("lookup id and challenge are 32 bytes");
  return concat(te.encode(CONTACT_AUTH_PREFIX), lookupId, challenge);
}

/**
 * ECDSA P-256 with SHA-256 over contactAuthMessage: 64 bytes r ‖ s (IEEE
 * P1363). Deterministic nonces (RFC 6979), so no randomness is needed here.
 */
export function signChallenge(authSecret, lookupId, challenge) {
  return p256.sign(contactAuthMessage(lookupId, challenge), scalarToBytes(authSecret), {
    prehash: true,
    lowS: true,
    format: "compact",
  });
}

/** Verification (for tests; the daemon is the real verifier). */
export function verifyChallengeSignature(authKey, lookupId, challenge, signature) {
  return p256.verify(signature, contactAuthMessage(lookupId, challenge), authKey, {
    prehash: true,
    lowS: false,
    format: "compact",
  });
}
