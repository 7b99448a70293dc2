// The intake page's side of the HTTP contract (issue 8): JSON calls, the
// chunked resumable upload, and the contact (receipt) calls. fetch is
// injected so the node tests can run it against a fake server.
import { bytesToHex, hexToBytes, signChallenge } from "./receipt.js";

export const NETWORK_MESSAGE =
  "The connection to the server was interrupted. Nothing you sent has been lost: wait a moment and try again.";

/** An error to show as is: `message` is plain language, `code` machine-readable. */
export class ApiError extends Error {
  constructor(message, { status = 0, code = "network", body = null } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

async function readJson(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

/** One JSON call; resolves to the parsed body, throws ApiError. */
export async function callJson(fetchFn, method, path, body) {
  let response;
  try {
    response = await fetchFn(path, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
      referrerPolicy: "no-referrer",
    });
  } catch {
    throw new ApiError(NETWORK_MESSAGE);
  }
  const json = await readJson(response);
  if (!response.ok) {
    const message = json && typeof json.error === "string" ? json.error
      : `The server could not handle this (error ${response.status}). Please try again later.`;
    throw new ApiError(message, { status: response.status, code: json?.code ?? "http_error", body: json });
  }
  if (json === null) throw new ApiError("The server sent an answer this page cannot read.", { status: response.status, code: "bad_response" });
  return json;
}

export const getConsortium = (fetchFn) => callJson(fetchFn, "GET", "/api/v1/consortium");

const defaultSleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Uploads `blob` (a Blob or anything with .size and .slice(a, b) giving
 * something fetch can send) in chunks and returns the upload id.
 *  - each chunk is PUT at the offset the server holds; a 409 offset_mismatch
 *    carries the server's `received`, and the upload continues from there;
 *  - a network failure or a 5xx/429 is retried with exponential backoff
 *    (asking the server how much it holds first), up to `maxRetries`
 *    consecutive failures, so a temporary network drop does not lose work;
 *  - any other refusal is thrown as ApiError.
 * onProgress(received, size) is called after every chunk.
 */
export async function uploadBlob(fetchFn, blob, {
  onProgress = () => {}, sleep = defaultSleep, maxRetries = 8, baseDelayMs = 500, maxDelayMs = 15000,
} = {}) {
  const size = blob.size;
  const created = await callJson(fetchFn, "POST", "/api/v1/uploads", { size });
  const id = created.upload_id;
  if (typeof id !== "string" || !/^[0-9a-f]{32}$/.test(id)) {
    throw new ApiError("The server sent an answer this page cannot read.", { code: "bad_response" });
  }
  const chunk = Math.max(1, Math.min(Number(created.chunk_bytes) || 1048576, 1 << 24));
  let received = Number(created.received) || 0;
  let failures = 0;
  onProgress(received, size);
  while (received < size) {
    const end = Math.min(size, received + chunk);
    let response = null;
    try {
      response = await fetchFn(`/api/v1/uploads/${id}?offset=${received}`, {
        method: "PUT",
        headers: { "Content-Type": "application/octet-stream" },
        body: blob.slice(received, end),
        cache: "no-store",
        credentials: "omit",
        referrerPolicy: "no-referrer",
      });
    } catch {
      response = null; // network failure: retried below
    }
    if (response && response.ok) {
      const json = await readJson(response);
      const next = Number(json?.received);
      if (!Number.isInteger(next) || next <= received || next > size) {
        throw new ApiError("The server sent an answer this page cannot read.", { code: "bad_response" });
      }
      received = next;
      failures = 0;
      onProgress(received, size);
      continue;
    }
    const json = response ? await readJson(response) : null;
    if (response && response.status === 409 && Number.isInteger(json?.received)) {
      // The server holds a different amount (e.g. an earlier attempt did
      // arrive): continue from what it holds.
      received = json.received;
      onProgress(received, size);
      continue;
    }
    const transient = !response || response.status >= 500 || response.status === 429;
    if (!transient) {
      throw new ApiError(json?.error ?? `The upload was refused (error ${response.status}).`,
        { status: response.status, code: json?.code ?? "http_error", body: json });
    }
    if (++failures > maxRetries) throw new ApiError(NETWORK_MESSAGE);
    await sleep(Math.min(maxDelayMs, baseDelayMs * 2 ** (failures - 1)));
    // Ask where the server stands before sending again.
    try {
      const status = await callJson(fetchFn, "GET", `/api/v1/uploads/${id}`);
      if (Number.isInteger(status.received) && status.received <= size) received = status.received;
    } catch (e) {
      if (e.code === "unknown_upload") throw e;
      // Still offline: the next PUT attempt counts as another failure.
    }
  }
  return id;
}

/** Finishes an upload; `extra` is { contact } or { follow_up } or {}. */
export const finishUpload = (fetchFn, uploadId, extra = {}) =>
  callJson(fetchFn, "POST", `/api/v1/uploads/${uploadId}/finish`, extra);

/**
 * A fresh challenge signed with the receipt's auth key: the
 * { lookup_id, challenge, signature } object /contact/status and follow-ups
 * take. Challenges are single use, so every call asks for a new one.
 */
export async function authenticate(fetchFn, contact) {
  const { challenge } = await callJson(fetchFn, "POST", "/api/v1/contact/challenge", { lookup_id: contact.lookupIdHex });
  const challengeBytes = hexToBytes(String(challenge), 32);
  const signature = signChallenge(contact.authSecret, contact.lookupId, challengeBytes);
  return { lookup_id: contact.lookupIdHex, challenge, signature: bytesToHex(signature) };
}

export async function contactStatus(fetchFn, contact) {
  return callJson(fetchFn, "POST", "/api/v1/contact/status", await authenticate(fetchFn, contact));
}
