// A fake intake server for the page's own tests: the HTTP contract of issue
// 8 in memory, on 127.0.0.1, serving a built page directory. It holds the
// "consortium" secret so tests can open what the page uploaded. It checks
// what the page sends (sizes, offsets, hex, ECDSA signatures with
// node:crypto) but does not validate age files as the daemon does.
import { createServer } from "node:http";
import { createPublicKey, randomBytes, verify as nodeVerify } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { p256 } from "@noble/curves/nist.js";
import { encodeTagRecipient } from "../lib/conclave-recipient.js";
import { contactAuthMessage, hexToBytes } from "../lib/receipt.js";

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const NOT_RECOGNISED = "That receipt was not recognised. Check that you typed it exactly as it was shown.";
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8" };

function authKeyObject(hex) {
  const P = p256.Point.fromBytes(hexToBytes(hex, 33)).toBytes(false);
  const b = (x) => Buffer.from(x).toString("base64url");
  return createPublicKey({ key: { kty: "EC", crv: "P-256", x: b(P.subarray(1, 33)), y: b(P.subarray(33)) }, format: "jwk" });
}

export async function startFakeIntake({ dist, maxUploadBytes = 8 << 20, chunkBytes = 65536, organisations } = {}) {
  const secret = p256.utils.randomSecretKey();
  const recipient = encodeTagRecipient(p256.getPublicKey(secret, true));
  const state = {
    secret, recipient, uploads: new Map(), submissions: [], contacts: new Map(), challenges: new Map(),
    replies: new Map(), puts: 0, failNextPuts: 0,
  };
  const orgs = organisations ?? [
    { id: 1, name: "The Daily Ledger" }, { id: 2, name: "Open Records Institute" },
    { id: 3, name: "Coastal Radio" }, { id: 4, name: "Investigative Desk Network" }, { id: 5, name: "Civic Data Lab" },
  ];
  const files = new Map(["index.html", "app.js", "app.css"].map((f) => [f === "index.html" ? "/" : `/${f}`,
    { type: TYPES[path.extname(f)], body: readFileSync(path.join(dist, f)) }]));

  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    const send = (status, obj, type = "application/json") => {
      res.writeHead(status, {
        "Content-Type": type, "Content-Security-Policy": CSP, "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
      });
      res.end(type === "application/json" ? JSON.stringify(obj) : obj);
    };
    const error = (status, code, message, extra = {}) => send(status, { error: message, code, ...extra });
    const json = () => { try { return JSON.parse(body.toString("utf8")); } catch { return null; } };
    const url = new URL(req.url, "http://x");
    const p = url.pathname;
    try {
      if (req.method === "GET" && files.has(p)) return send(200, files.get(p).body, files.get(p).type);
      if (req.method === "GET" && p === "/api/v1/consortium") {
        return send(200, { recipient, epoch: 1, threshold: 3, organisations: orgs, max_exclusions: 2,
          max_upload_bytes: maxUploadBytes, chunk_bytes: chunkBytes, log_origin: "fake.example/log", log_vkey: "fake" });
      }
      if (req.method === "POST" && p === "/api/v1/uploads") {
        const size = json()?.size;
        if (!Number.isInteger(size) || size <= 0) return error(400, "bad_request", "Bad request.");
        if (size > maxUploadBytes) return error(413, "too_large", `Too large: at most ${maxUploadBytes} bytes.`);
        const id = randomBytes(16).toString("hex");
        state.uploads.set(id, { size, data: Buffer.alloc(0) });
        return send(201, { upload_id: id, chunk_bytes: chunkBytes, received: 0 });
      }
      let m = /^\/api\/v1\/uploads\/([0-9a-f]{32})$/.exec(p);
      if (m) {
        const u = state.uploads.get(m[1]);
        if (!u) return error(404, "unknown_upload", "This upload is not known.");
        if (req.method === "GET") return send(200, { received: u.data.length, size: u.size });
        if (req.method === "PUT") {
          state.puts++;
          if (state.failNextPuts > 0) {
            state.failNextPuts--;
            return error(503, "unavailable", "Try again.");
          }
          const offset = Number(url.searchParams.get("offset"));
          if (offset !== u.data.length) return error(409, "offset_mismatch", "Resume.", { received: u.data.length });
          if (body.length > chunkBytes) return error(400, "chunk_too_large", "Chunk too large.");
          if (offset + body.length > u.size) return error(400, "beyond_size", "Beyond the declared size.");
          u.data = Buffer.concat([u.data, body]);
          return send(200, { received: u.data.length });
        }
      }
      m = /^\/api\/v1\/uploads\/([0-9a-f]{32})\/finish$/.exec(p);
      if (m && req.method === "POST") {
        const u = state.uploads.get(m[1]);
        if (!u) return error(404, "unknown_upload", "This upload is not known.");
        state.uploads.delete(m[1]);
        if (u.data.length !== u.size) return error(400, "truncated", "The file is incomplete.");
        if (!u.data.subarray(0, 22).toString("latin1").startsWith("age-encryption.org/v1\n")) {
          return error(400, "not_age", "This is not an encrypted file.");
        }
        const b = json() ?? {};
        let linkedTo;
        if (b.follow_up) {
          const first = checkAuth(b.follow_up);
          if (!first) return error(403, "not_recognised", NOT_RECOGNISED);
          linkedTo = first;
        }
        const id = randomBytes(32).toString("hex");
        const sub = { id, leaf: state.submissions.length + 7, file: new Uint8Array(u.data), contact: b.contact,
          linkedTo, state: "received", approved: 0, receivedAt: 1700000000 + state.submissions.length };
        state.submissions.push(sub);
        if (b.contact) state.contacts.set(b.contact.lookup_id, { ...b.contact, first: id });
        return send(200, { submission_id: id, leaf_index: sub.leaf,
          acceptance: `fake.example/log\nsubmission ${id}\nleaf ${sub.leaf}\n\n— fake signature\n`,
          ...(linkedTo ? { linked_to: linkedTo } : {}) });
      }
      if (req.method === "POST" && p === "/api/v1/contact/challenge") {
        const lookup = json()?.lookup_id;
        if (typeof lookup !== "string" || !/^[0-9a-f]{64}$/.test(lookup)) return error(400, "bad_request", "Bad request.");
        const challenge = randomBytes(32).toString("hex");
        state.challenges.set(challenge, lookup);
        return send(200, { challenge });
      }
      if (req.method === "POST" && p === "/api/v1/contact/status") {
        const first = checkAuth(json() ?? {});
        if (!first) return error(403, "not_recognised", NOT_RECOGNISED);
        const thread = state.submissions.filter((s) => s.id === first || s.linkedTo === first);
        return send(200, {
          submissions: thread.map((s) => ({ submission_id: s.id, leaf_index: s.leaf, received_at: s.receivedAt,
            state: s.state, organisations_approved: s.approved })),
          replies: (state.replies.get(first) ?? []),
        });
      }
      return error(404, "not_found", "There is nothing here.");
    } catch (e) {
      return error(500, "internal", `Internal error: ${e.message}`);
    }
  });

  // A valid, unused challenge for this lookup id and a good signature: the
  // first submission's id; otherwise null (the same refusal for every case).
  function checkAuth({ lookup_id: lookup, challenge, signature }) {
    if (state.challenges.get(challenge) !== lookup) return null;
    state.challenges.delete(challenge);
    const c = state.contacts.get(lookup);
    if (!c || typeof signature !== "string" || !/^[0-9a-f]{128}$/.test(signature)) return null;
    const msg = contactAuthMessage(hexToBytes(lookup, 32), hexToBytes(challenge, 32));
    const ok = nodeVerify("sha256", msg, { key: authKeyObject(c.auth_key), dsaEncoding: "ieee-p1363" },
      Buffer.from(signature, "hex"));
    return ok ? c.first : null;
  }

  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${server.address().port}/`;
  return {
    url, state,
    addReply(firstId, messageBase64) {
      const list = state.replies.get(firstId) ?? [];
      list.push({ reply_id: randomBytes(16).toString("hex"), created_at: 1700001000 + list.length, message: messageBase64 });
      state.replies.set(firstId, list);
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
