// Writes a Conclave submission made by the npm age-encryption package with
// the intake page's recipient (web/lib/conclave-recipient.js), as a
// whistleblower's browser makes it. Used by quorum_interop_test.cc (issue 6)
// to open npm-made files through the whole quorum path.
//
//   node make_submission.mjs RECIPIENT EXCLUSIONS PLAINTEXT OUT
//
// RECIPIENT is the consortium's age1tag1… string; EXCLUSIONS a comma-separated
// list of organisation ids ("" or "-" for none); PLAINTEXT the file to
// encrypt; OUT where the binary age file goes. Prints one JSON line with
// the exclusions as the recipient normalised them and the sizes.
import { readFileSync, writeFileSync } from "node:fs";
import { Encrypter } from "age-encryption";
import { web } from "./lib/web.mjs";

function usage(message) {
  process.stderr.write(`make_submission.mjs: ${message}\n` +
    "usage: node make_submission.mjs RECIPIENT EXCLUSIONS PLAINTEXT OUT\n");
  process.exit(2);
}

const args = process.argv.slice(2);
if (args.length !== 4) usage(`expected 4 arguments, got ${args.length}`);
const [recipient, exclusionList, plaintextPath, outPath] = args;

const exclude = [];
if (exclusionList !== "" && exclusionList !== "-") {
  for (const part of exclusionList.split(",")) {
    if (!/^[1-9][0-9]*$/.test(part)) usage(`bad organisation id "${part}"`);
    exclude.push(Number(part));
  }
}

const plaintext = readFileSync(plaintextPath);
const conclave = new web.ConclaveRecipient(recipient, { exclude });
const encrypter = new Encrypter();
encrypter.addRecipient(conclave);
const file = await encrypter.encrypt(new Uint8Array(plaintext));
writeFileSync(outPath, file);
process.stdout.write(JSON.stringify({
  excluded: conclave.excluded,
  plaintext_bytes: plaintext.length,
  file_bytes: file.length,
}) + "\n");
