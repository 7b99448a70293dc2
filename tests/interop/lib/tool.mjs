// Runs the C++ age_interop_tool (tests/interop/age_interop_tool.cc).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { interopTool } from "./env.mjs";

export function runTool(args, input) {
  const r = spawnSync(interopTool(), args, { input, maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

// A scratch directory removed after `fn`.
export async function withTempDir(fn) {
  const dir = mkdtempSync(path.join(tmpdir(), "conclave-interop-"));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let counter = 0;
function writeTemp(dir, bytes) {
  const f = path.join(dir, `f${counter++}.age`);
  writeFileSync(f, bytes);
  return f;
}

export function validate(dir, file, recipient, extra = []) {
  const r = runTool(["validate", writeTemp(dir, file), "--to", recipient, ...extra]);
  const out = JSON.parse(r.stdout.toString());
  if ((r.status === 0) !== (out.valid === true)) throw new Error(`exit ${r.status} but ${r.stdout}`);
  return out;
}

export function inspect(dir, file, recipient) {
  const r = runTool(["inspect", writeTemp(dir, file), ...(recipient ? ["--to", recipient] : [])]);
  if (r.status !== 0) throw new Error(`inspect failed: ${r.stderr}`);
  return JSON.parse(r.stdout.toString());
}

// The C++ threshold decryption path; { status, plaintext, stderr }.
export function decrypt(dir, file, secretHex, extra = []) {
  const out = path.join(dir, `out${counter++}`);
  const r = runTool(["decrypt", writeTemp(dir, file), "--secret-key-hex", secretHex, "-o", out, ...extra]);
  let plaintext = null;
  if (r.status === 0) plaintext = new Uint8Array(readFileSync(out));
  return { status: r.status, plaintext, stderr: r.stderr };
}

// C++ encryption; returns the file bytes.
export function encrypt(dir, plaintext, recipient, extra = []) {
  const out = path.join(dir, `enc${counter++}.age`);
  const r = runTool(["encrypt", "--to", recipient, "-o", out, ...extra, writeTemp(dir, plaintext)]);
  if (r.status !== 0) throw new Error(`encrypt failed (${r.status}): ${r.stderr}`);
  return new Uint8Array(readFileSync(out));
}
