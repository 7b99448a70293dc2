// uploadBlob against a scripted server: resumes from the server's count on
// 409, retries network failures and 5xx with backoff, gives up with a plain
// message, and passes refusals through.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ApiError, NETWORK_MESSAGE, callJson, uploadBlob } from "../lib/api.js";

const ID = "0123456789abcdef0123456789abcdef";
const json = (status, obj) => new Response(JSON.stringify(obj), { status, headers: { "Content-Type": "application/json" } });

// A server holding `held` bytes; `script` may override any call.
function server({ size, chunk = 4, script = () => null }) {
  const s = { held: new Uint8Array(0), calls: [] };
  s.fetch = async (url, init = {}) => {
    const method = init.method ?? "GET";
    s.calls.push(`${method} ${url}`);
    const override = await script(method, url, s);
    if (override) return override;
    if (method === "POST" && url === "/api/v1/uploads") return json(201, { upload_id: ID, chunk_bytes: chunk, received: 0 });
    if (method === "GET") return json(200, { received: s.held.length, size });
    const offset = Number(new URL(url, "http://x").searchParams.get("offset"));
    if (offset !== s.held.length) return json(409, { received: s.held.length, code: "offset_mismatch", error: "x" });
    const body = new Uint8Array(await init.body.arrayBuffer());
    s.held = new Uint8Array([...s.held, ...body]);
    return json(200, { received: s.held.length });
  };
  return s;
}

const blob = (n) => new Blob([new Uint8Array(n).map((_, i) => i)]);
const noSleep = async () => {};

test("uploads in chunks and reports progress", async () => {
  const s = server({ size: 10 });
  const seen = [];
  const id = await uploadBlob(s.fetch, blob(10), { sleep: noSleep, onProgress: (r) => seen.push(r) });
  assert.equal(id, ID);
  assert.deepEqual([...s.held], [...new Uint8Array(10).map((_, i) => i)]);
  assert.deepEqual(seen, [0, 4, 8, 10]);
});

test("a 409 resumes from what the server holds", async () => {
  let first = true;
  const s = server({
    size: 10,
    script: async (method, url, st) => {
      // The first PUT arrives but its answer is lost, and so is the status
      // call after it; the retry at offset 0 meets 409 with received 4.
      if (method === "PUT" && first) {
        first = false;
        st.held = new Uint8Array([0, 1, 2, 3]);
        throw new TypeError("network");
      }
      if (method === "GET") throw new TypeError("network");
      return null;
    },
  });
  await uploadBlob(s.fetch, blob(10), { sleep: noSleep });
  assert.ok(s.calls.includes(`PUT /api/v1/uploads/${ID}?offset=0`));
  assert.equal(s.calls.filter((c) => c === `PUT /api/v1/uploads/${ID}?offset=0`).length, 2);
  assert.equal(s.held.length, 10);
  assert.deepEqual([...s.held], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test("network drops and 5xx are retried with growing delays", async () => {
  let fails = 3;
  const delays = [];
  const s = server({
    size: 6,
    script: async (method) => {
      if (method === "PUT" && fails > 0) {
        fails--;
        if (fails === 1) return json(503, { error: "busy", code: "unavailable" });
        throw new TypeError("network");
      }
      if (method === "GET" && fails > 0) throw new TypeError("network");
      return null;
    },
  });
  await uploadBlob(s.fetch, blob(6), { sleep: async (ms) => delays.push(ms), baseDelayMs: 100 });
  assert.equal(s.held.length, 6);
  assert.deepEqual(delays, [100, 200, 400]);
});

test("gives up after maxRetries with a plain message; refusals pass through", async () => {
  const down = server({ size: 6, script: async (m) => { if (m !== "POST") throw new TypeError("network"); return null; } });
  await assert.rejects(uploadBlob(down.fetch, blob(6), { sleep: noSleep, maxRetries: 3 }),
    (e) => e instanceof ApiError && e.message === NETWORK_MESSAGE);
  const tooLarge = server({ size: 6, script: async (m) => m === "POST"
    ? json(413, { error: "Your files are too large: at most 5 bytes.", code: "too_large" }) : null });
  await assert.rejects(uploadBlob(tooLarge.fetch, blob(6), { sleep: noSleep }),
    (e) => e.code === "too_large" && e.status === 413 && /at most 5 bytes/.test(e.message));
  const gone = server({ size: 6, script: async (m) => m === "PUT"
    ? json(404, { error: "This upload has expired.", code: "unknown_upload" }) : null });
  await assert.rejects(uploadBlob(gone.fetch, blob(6), { sleep: noSleep }), (e) => e.code === "unknown_upload");
});

test("callJson: server sentences, unreadable answers, network failures", async () => {
  await assert.rejects(callJson(async () => json(403, { error: "Not recognised.", code: "not_recognised" }), "POST", "/x", {}),
    (e) => e.message === "Not recognised." && e.code === "not_recognised");
  await assert.rejects(callJson(async () => new Response("<html>", { status: 200 }), "GET", "/x"), (e) => e.code === "bad_response");
  await assert.rejects(callJson(async () => { throw new TypeError("x"); }, "GET", "/x"), (e) => e.message === NETWORK_MESSAGE);
});
