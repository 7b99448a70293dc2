// Turns what the person attached into one plaintext and encrypts it in the
// browser (brief §2, §8): age with the package's Encrypter and
// ConclaveRecipient (p256tag + sender proof, exclusions inside the proof).
//
// Bundle: one file and no message goes as it is. Several files, or a
// message, go as a ustar archive (tar.js; message in "message.txt") that
// editors unpack with standard tools.
import { Encrypter } from "age-encryption";
import { ConclaveRecipient } from "./conclave-recipient.js";
import { tarParts, tarSize, uniqueNames } from "./tar.js";

const te = new TextEncoder();
export const MESSAGE_NAME = "message.txt";

/**
 * files: [{ name, size, blob }] (blob: a Blob or Uint8Array); message: a
 * string ("" for none). Returns { blob, size, archive, names }.
 */
export function buildBundle(files, message = "") {
  const text = (message ?? "").trim() === "" ? null : te.encode(message);
  if (files.length === 0 && !text) throw new Error("Attach at least one file or write a message.");
  if (files.length === 1 && !text) {
    const f = files[0];
    return { blob: new Blob([f.blob]), size: f.size, archive: false, names: [f.name] };
  }
  const entries = files.map((f) => ({ name: f.name, data: f.blob, size: f.size }));
  if (text) entries.unshift({ name: MESSAGE_NAME, data: text, size: text.length });
  const names = uniqueNames(entries.map((e) => e.name));
  entries.forEach((e, i) => { e.name = names[i]; });
  const size = tarSize(entries.map((e) => e.size));
  const blob = new Blob(tarParts(entries));
  if (blob.size !== size) throw new Error("internal error: archive size mismatch");
  return { blob, size, archive: true, names };
}

/**
 * The age ciphertext size for a plaintext of `size` bytes (header length
 * varies a little with the exclusions, so this is exact only after
 * encryption; used to warn before any work is done).
 * STREAM: 16-byte nonce, 64 KiB chunks each with a 16-byte tag, at least one.
 */
export function estimateCiphertextSize(size, headerBytes = 400) {
  const chunks = Math.max(1, Math.ceil(size / 65536));
  return headerBytes + 16 + size + 16 * chunks;
}

/** Encrypts a Blob to the consortium; resolves to a Blob of the age file. */
export async function encryptBlob(blob, recipient, exclude = []) {
  const e = new Encrypter();
  e.addRecipient(new ConclaveRecipient(recipient, { exclude }));
  const stream = await e.encrypt(blob.stream());
  const expected = stream.size(blob.size);
  // Response.blob() lets the browser keep a large result out of the JS heap.
  const out = await new Response(stream).blob();
  if (out.size !== expected) throw new Error("internal error: encrypted size mismatch");
  return out;
}
