// Shared by make_pinned_vectors.mjs and the tests that read its output.

// Test keys only (the pinned files are encrypted to the first).
export const PINNED_SECRET_HEX = "3a9f0c6e5d4b2a1908f7e6d5c4b3a29180f1e2d3c4b5a69788796a5b4c3d2e1f";
export const OTHER_SECRET_HEX = "1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a";

// Deterministic plaintext of `size` bytes (byte i = (i * 31 + 7) mod 251),
// so the manifest's hashes can be recomputed by any checker.
export function pinnedPlaintext(size) {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + 7) % 251;
  return out;
}

// The binary header: from the first byte through the newline ending the
// MAC line ("--- " + base64 MAC), as brief §2's header hash covers.
export function headerBytes(file) {
  const text = Buffer.from(file).toString("latin1");
  const mac = text.indexOf("\n---");
  if (mac < 0) throw new Error("no MAC line");
  const end = text.indexOf("\n", mac + 1);
  return Uint8Array.from(file.subarray(0, end + 1));
}
