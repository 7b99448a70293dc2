// Editors' replies: age files with one p256tag stanza to the reply
// recipient. The page's Identity opens what the npm package's own (stock)
// p256tag recipient writes, and nothing meant for another receipt.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Decrypter, Encrypter, Stanza } from "age-encryption";
import { deriveContact, generateReceipt } from "../lib/receipt.js";
import { ReplyIdentity, decryptReply } from "../lib/reply-identity.js";

async function encryptTo(recipient, text) {
  const e = new Encrypter();
  e.addRecipient(recipient); // the package's built-in age1tag1 recipient
  return e.encrypt(text);
}

test("decrypts a reply written by the stock p256tag recipient", async () => {
  const c = deriveContact(generateReceipt());
  const file = await encryptTo(c.replyRecipient, "Can you tell us more about the second document? ✓");
  assert.equal(await decryptReply(c.replySecret, file), "Can you tell us more about the second document? ✓");
  assert.equal(new ReplyIdentity(c.replySecret).recipient, c.replyRecipient);
});

test("a reply to another receipt does not open", async () => {
  const mine = deriveContact(generateReceipt());
  const other = deriveContact(generateReceipt());
  const file = await encryptTo(other.replyRecipient, "not for you");
  await assert.rejects(decryptReply(mine.replySecret, file));
});

test("a damaged reply does not open", async () => {
  const c = deriveContact(generateReceipt());
  const file = await encryptTo(c.replyRecipient, "hello");
  const damaged = file.slice();
  damaged[damaged.length - 3] ^= 1; // payload
  await assert.rejects(decryptReply(c.replySecret, damaged));
});

test("the Identity ignores other stanzas and refuses malformed p256tag stanzas", () => {
  const c = deriveContact(generateReceipt());
  const id = new ReplyIdentity(c.replySecret);
  assert.equal(id.unwrapFileKey([new Stanza(["X25519", "abc"], new Uint8Array(32))]), null);
  assert.throws(() => id.unwrapFileKey([new Stanza(["p256tag", "AAAAAA"], new Uint8Array(32))]));
  assert.throws(() => id.unwrapFileKey([new Stanza(["p256tag", "AAAAAA==", "AAAA"], new Uint8Array(32))]));
  assert.throws(() => new ReplyIdentity(0n));
});

test("the Decrypter with our Identity also reads multi-recipient replies", async () => {
  const c = deriveContact(generateReceipt());
  const other = deriveContact(generateReceipt());
  const e = new Encrypter();
  e.addRecipient(other.replyRecipient);
  e.addRecipient(c.replyRecipient);
  const file = await e.encrypt("two recipients");
  const d = new Decrypter();
  d.addIdentity(new ReplyIdentity(c.replySecret));
  assert.equal(await d.decrypt(file, "text"), "two recipients");
});
