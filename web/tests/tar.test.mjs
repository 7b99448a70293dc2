// The browser's tar bundles unpack with GNU tar, byte for byte, and carry
// nothing about the sender's machine (mtime 0, uid/gid 0, no names).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { safeName, tarBytes, tarHeader, tarSize, uniqueNames } from "../lib/tar.js";

function withDir(fn) {
  const dir = mkdtempSync(path.join(tmpdir(), "conclave-web-tar-"));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const bytes = (n, seed) => new Uint8Array(n).map((_, i) => (i * seed + 7) % 251);

test("GNU tar unpacks the archive byte for byte", () => {
  const names = uniqueNames(["message.txt", "report.pdf", "report.pdf", "Überweisung €.xlsx", "empty", "exact512.bin"]);
  assert.deepEqual(names, ["message.txt", "report.pdf", "report (2).pdf", "Überweisung €.xlsx", "empty", "exact512.bin"]);
  const datas = [new TextEncoder().encode("hello editors\n"), bytes(70000, 3), bytes(1, 5), bytes(1234, 11), bytes(0, 1), bytes(512, 13)];
  const entries = names.map((name, i) => ({ name, data: datas[i], size: datas[i].length }));
  const archive = tarBytes(entries);
  assert.equal(archive.length, tarSize(datas.map((d) => d.length)));
  assert.equal(archive.length % 512, 0);
  withDir((dir) => {
    const file = path.join(dir, "bundle.tar");
    writeFileSync(file, archive);
    const out = path.join(dir, "out");
    execFileSync("mkdir", [out]);
    execFileSync("tar", ["-xf", file, "-C", out]);
    assert.deepEqual(readdirSync(out).sort(), [...names].sort());
    names.forEach((n, i) => assert.deepEqual(new Uint8Array(readFileSync(path.join(out, n))), datas[i], n));
    // Listing: owner 0/0, epoch time, mode 0644, no user names.
    const listing = execFileSync("tar", ["--numeric-owner", "--full-time", "-tvf", file], { encoding: "utf8" });
    for (const line of listing.trim().split("\n")) {
      assert.match(line, /^-rw-r--r-- 0\/0 +\d+ 1970-01-01 00:00:00 /, line);
    }
    const verbose = execFileSync("tar", ["-tvf", file], { encoding: "utf8" });
    assert.doesNotMatch(verbose, /root|[a-z]+\/[a-z]+/);
  });
});

test("ustar header fields and checksum", () => {
  const h = tarHeader("a.txt", 10);
  const text = (a, b) => Buffer.from(h.subarray(a, b)).toString("latin1");
  assert.equal(text(0, 5), "a.txt");
  assert.equal(text(100, 108), "0000644\0");
  assert.equal(text(124, 136), "00000000012\0");
  assert.equal(text(136, 148), "00000000000\0");
  assert.equal(text(257, 263), "ustar\0");
  assert.equal(text(263, 265), "00");
  assert.equal(text(265, 297), "\0".repeat(32)); // uname
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
  assert.equal(parseInt(text(148, 154), 8), sum);
});

test("member names are single, safe path components", () => {
  assert.equal(safeName("../../etc/passwd"), "passwd");
  assert.equal(safeName("C:\\Users\\me\\secret.docx"), "secret.docx");
  assert.equal(safeName(".."), "file");
  assert.equal(safeName("a\u0000b\nc"), "abc");
  const long = "x".repeat(300) + ".pdf";
  const s = safeName(long);
  assert.ok(new TextEncoder().encode(s).length <= 100);
  assert.ok(s.endsWith(".pdf"));
  const longUtf8 = "é".repeat(80);
  assert.ok(new TextEncoder().encode(safeName(longUtf8)).length <= 100);
  assert.throws(() => tarHeader("", 0));
});
