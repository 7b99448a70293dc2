// The intake page (brief §8, issue 8). Everything secret happens here, in
// the browser: the files are bundled and encrypted to the consortium key,
// the receipt is generated and turned into a lookup id and two key pairs,
// replies are decrypted. The server only ever receives ciphertext, the
// lookup id, the two public keys and challenge signatures.
import {
  ApiError, authenticate, contactStatus, finishUpload, getConsortium, uploadBlob,
} from "../lib/api.js";
import {
  ReceiptError, deriveContact, formatReceipt, generateReceipt, parseReceipt,
} from "../lib/receipt.js";
import { decryptReply } from "../lib/reply-identity.js";
import { buildBundle, encryptBlob, estimateCiphertextSize } from "../lib/submission.js";

const $ = (id) => document.getElementById(id);
const api = (path, init) => fetch(path, init);
let consortium = null;

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "dataset") Object.assign(e.dataset, v);
    else if (k in e) e[k] = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

function showError(id, message) {
  const p = $(id);
  p.textContent = message;
  p.hidden = !message;
}

function humanSize(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  return `${(bytes / (1024 * 1024 * 1024)).toFixed(2)} GB`;
}

function messageOf(e) {
  if (e instanceof ApiError || e instanceof ReceiptError) return e.message;
  return "Something went wrong on this page. Nothing was sent. Please reload the page and try again.";
}

// --- navigation --------------------------------------------------------

function show(view) {
  const send = view === "send";
  $("send-view").hidden = !send;
  $("return-view").hidden = send;
  $("nav-send").setAttribute("aria-pressed", String(send));
  $("nav-return").setAttribute("aria-pressed", String(!send));
}

// --- member organisations and exclusions --------------------------------

// Renders one checkbox per member organisation into `container`; at most
// max_exclusions may be ticked (brief §2: at most m − t).
function renderExclusions(container, noteId, quorumId) {
  const { organisations, threshold, max_exclusions: max } = consortium;
  $(quorumId).textContent =
    `These ${organisations.length} organisations work together. At least ${threshold} of them must agree ` +
    "before your files can be opened; none of them can open them alone." +
    (max > 0 ? ` You can exclude up to ${max}.` : " With this group, you cannot exclude any of them.");
  container.replaceChildren();
  for (const org of organisations) {
    const box = el("input", { type: "checkbox", value: String(org.id), disabled: max === 0 });
    container.append(el("label", {}, box, ` Exclude ${org.name}`));
  }
  const update = () => {
    const boxes = [...container.querySelectorAll("input")];
    const ticked = boxes.filter((b) => b.checked).length;
    for (const b of boxes) b.disabled = max === 0 || (!b.checked && ticked >= max);
    $(noteId).textContent = ticked === 0 ? "" : ticked >= max
      ? `You have excluded ${ticked}, the most allowed.`
      : `You have excluded ${ticked} of at most ${max}.`;
  };
  container.addEventListener("change", update);
  update();
}

const excludedIds = (container) =>
  [...container.querySelectorAll("input:checked")].map((b) => Number(b.value));

// --- files and sizes -----------------------------------------------------

function collect(filesInput, messageInput) {
  const files = [...filesInput.files].map((f) => ({ name: f.name, size: f.size, blob: f }));
  return buildBundle(files, messageInput.value);
}

// Checks the size before any work: returns an error sentence or "".
function sizeProblem(bundleSize) {
  const max = consortium.max_upload_bytes;
  const estimate = estimateCiphertextSize(bundleSize);
  if (estimate > max) {
    return `This is too large to send: together about ${humanSize(estimate)}, and this service accepts at most ` +
      `${humanSize(max)} at a time. Send fewer files at once (you can add more later with your receipt), ` +
      "or make them smaller.";
  }
  return "";
}

function watchSize(filesId, messageId, infoId, buttonId, errorId) {
  const update = () => {
    if (!consortium) return;
    const limit = `You can send up to ${humanSize(consortium.max_upload_bytes)} at a time.`;
    let bundle = null;
    try {
      bundle = collect($(filesId), $(messageId));
    } catch {
      $(infoId).textContent = limit;
      $(buttonId).disabled = false;
      return;
    }
    const problem = sizeProblem(bundle.size);
    $(infoId).textContent = `${limit} Selected: ${humanSize(bundle.size)}.`;
    showError(errorId, problem);
    $(buttonId).disabled = problem !== "";
  };
  $(filesId).addEventListener("change", update);
  $(messageId).addEventListener("input", update);
  return update;
}

// --- encrypt and upload ---------------------------------------------------

// Bundles, encrypts and uploads; returns the upload id. The person sees
// each stage; the progress bar follows the upload.
async function encryptAndUpload(bundle, exclude, progressId, statusId) {
  const problem = sizeProblem(bundle.size);
  if (problem) throw new ApiError(problem, { code: "too_large" });
  $(statusId).textContent = "Locking (encrypting) your files on this computer…";
  const encrypted = await encryptBlob(bundle.blob, consortium.recipient, exclude);
  if (encrypted.size > consortium.max_upload_bytes) {
    throw new ApiError(`This is too large to send: ${humanSize(encrypted.size)}, and this service accepts at most ` +
      `${humanSize(consortium.max_upload_bytes)} at a time. Send fewer files at once.`, { code: "too_large" });
  }
  const bar = $(progressId);
  return uploadBlob(api, encrypted, {
    onProgress: (received, size) => {
      const pct = size === 0 ? 100 : Math.floor((received / size) * 100);
      bar.value = pct;
      $(statusId).textContent = `Sending… ${pct}% (${humanSize(received)} of ${humanSize(size)}). ` +
        "If your connection drops, this page keeps trying.";
    },
  });
}

function acceptanceText(result) {
  return [
    "Proof of receipt from the intake service.",
    `Submission number: ${result.submission_id}`,
    `Position in the public record: ${result.leaf_index}`,
    ...(result.linked_to ? [`Linked to submission: ${result.linked_to}`] : []),
    "",
    "Signed record entry:",
    result.acceptance,
  ].join("\n");
}

async function onSend(event) {
  event.preventDefault();
  showError("send-error", "");
  let bundle;
  try {
    bundle = collect($("files"), $("message"));
  } catch (e) {
    showError("send-error", e.message);
    return;
  }
  const button = $("send-button");
  button.disabled = true;
  $("send-progress").hidden = false;
  $("upload-progress").value = 0;
  try {
    const exclude = excludedIds($("orgs"));
    const uploadId = await encryptAndUpload(bundle, exclude, "upload-progress", "send-status");
    let receipt = null;
    const extra = {};
    if ($("want-contact").checked) {
      receipt = generateReceipt();
      const c = deriveContact(receipt);
      extra.contact = { lookup_id: c.lookupIdHex, auth_key: c.authKeyHex, reply_recipient: c.replyRecipient };
    }
    $("send-status").textContent = "Checking and recording your files…";
    const result = await finishUpload(api, uploadId, extra);
    showDone(result, receipt);
  } catch (e) {
    showError("send-error", messageOf(e));
    $("send-status").textContent = "";
    button.disabled = false;
  }
}

function showDone(result, receipt) {
  $("send-form").hidden = true;
  $("guidance").hidden = true;
  $("done").hidden = false;
  $("submission-id").textContent = result.submission_id;
  $("leaf-index").textContent = String(result.leaf_index);
  $("acceptance").textContent = result.acceptance;
  $("download-acceptance").onclick = () => {
    const blob = new Blob([acceptanceText(result) + "\n"], { type: "text/plain" });
    const a = el("a", { href: URL.createObjectURL(blob), download: "proof-of-receipt.txt" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  };
  if (receipt) {
    $("receipt-box").hidden = false;
    $("receipt").textContent = formatReceipt(receipt);
    $("receipt-confirm").addEventListener("change", () => {
      $("acceptance-box").hidden = !$("receipt-confirm").checked;
    });
  } else {
    $("acceptance-box").hidden = false;
  }
  $("done-title").focus();
}

// --- returning with a receipt ----------------------------------------------

let contact = null;

const STATE_WORDS = {
  received: () => "Received. Nobody has asked to open it yet.",
  request_open: (n) => `A request to open it is being considered by the member organisations` +
    (n > 0 ? ` (${n} ${n === 1 ? "has" : "have"} agreed so far).` : "."),
  released: (n) => `Opened after approval by ${n} ${n === 1 ? "organisation" : "organisations"}.`,
};

function formatTime(unix) {
  const d = new Date(Number(unix) * 1000);
  return Number.isFinite(d.getTime()) ? d.toUTCString() : "";
}

async function renderStatus(status) {
  const list = $("submissions");
  list.replaceChildren();
  (status.submissions ?? []).forEach((s, i) => {
    const words = (STATE_WORDS[s.state] ?? (() => "Received."))(Number(s.organisations_approved) || 0);
    list.append(el("li", {
      dataset: { submissionId: s.submission_id, state: s.state, approved: String(s.organisations_approved ?? 0) },
    }, el("strong", {}, i === 0 ? "Your first submission: " : "Sent later: "), words,
    el("br"), el("span", { className: "meta" }, `Received ${formatTime(s.received_at)}; number ${s.submission_id}`)));
  });
  const replies = $("replies");
  replies.replaceChildren();
  for (const r of status.replies ?? []) {
    let text;
    let ok = true;
    try {
      const bytes = Uint8Array.from(atob(r.message), (ch) => ch.charCodeAt(0));
      text = await decryptReply(contact.replySecret, bytes);
    } catch {
      ok = false;
      text = "This message could not be opened with your receipt.";
    }
    replies.append(el("li", { dataset: { replyId: r.reply_id, decrypted: String(ok) } },
      el("span", { className: "meta" }, formatTime(r.created_at)), el("br"),
      el("span", { className: "reply-text" }, text)));
  }
  $("no-replies").hidden = (status.replies ?? []).length > 0;
}

async function onReturn(event) {
  event.preventDefault();
  showError("return-error", "");
  $("status-view").hidden = true;
  let receipt;
  try {
    receipt = parseReceipt($("return-receipt").value);
  } catch (e) {
    showError("return-error", messageOf(e));
    return;
  }
  $("return-button").disabled = true;
  $("return-status").textContent = "Checking…";
  try {
    contact = deriveContact(receipt);
    const status = await contactStatus(api, contact);
    await renderStatus(status);
    $("return-status").textContent = "";
    $("status-view").hidden = false;
    $("status-title").focus();
  } catch (e) {
    contact = null;
    $("return-status").textContent = "";
    showError("return-error", messageOf(e));
  } finally {
    $("return-button").disabled = false;
  }
}

async function onFollowUp(event) {
  event.preventDefault();
  showError("follow-error", "");
  $("follow-done").hidden = true;
  let bundle;
  try {
    bundle = collect($("follow-files"), $("follow-message"));
  } catch (e) {
    showError("follow-error", e.message);
    return;
  }
  $("follow-button").disabled = true;
  $("follow-progress").hidden = false;
  try {
    const uploadId = await encryptAndUpload(bundle, excludedIds($("follow-orgs")), "follow-upload-progress",
      "follow-status");
    $("follow-status").textContent = "Checking and recording…";
    const result = await finishUpload(api, uploadId, { follow_up: await authenticate(api, contact) });
    // The status (now listing this follow-up) is shown before the
    // confirmation, so that what the page says never lags behind it.
    try {
      await renderStatus(await contactStatus(api, contact));
    } catch {
      // The follow-up is recorded; a failed refresh must not say otherwise.
    }
    $("follow-status").textContent = "";
    $("follow-done-text").textContent = `Sent and linked to your first submission. Number ${result.submission_id}, ` +
      `position ${result.leaf_index} in the public record.`;
    $("follow-acceptance").textContent = result.acceptance;
    $("follow-done").hidden = false;
    $("follow-done-text").focus();
    $("follow-files").value = "";
    $("follow-message").value = "";
  } catch (e) {
    $("follow-status").textContent = "";
    showError("follow-error", messageOf(e));
  } finally {
    $("follow-button").disabled = false;
  }
}

// --- start -------------------------------------------------------------------

async function start() {
  $("nav-send").addEventListener("click", () => show("send"));
  $("nav-return").addEventListener("click", () => show("return"));
  $("send-form").addEventListener("submit", onSend);
  $("return-form").addEventListener("submit", onReturn);
  $("follow-up-form").addEventListener("submit", onFollowUp);
  const updateSend = watchSize("files", "message", "size-info", "send-button", "send-error");
  const updateFollow = watchSize("follow-files", "follow-message", "follow-size-info", "follow-button", "follow-error");
  $("send-button").disabled = true;
  try {
    consortium = await getConsortium(api);
  } catch (e) {
    $("consortium-loading").textContent = "";
    showError("send-error", `${messageOf(e)} The page cannot continue without the list of organisations.`);
    return;
  }
  $("consortium-loading").hidden = true;
  $("exclusion-help").hidden = consortium.max_exclusions === 0;
  renderExclusions($("orgs"), "exclusion-note", "quorum-text");
  renderExclusions($("follow-orgs"), "follow-exclusion-note", "follow-quorum-text");
  $("send-button").disabled = false;
  document.body.dataset.ready = "true";
  updateSend();
  updateFollow();
}

start();
