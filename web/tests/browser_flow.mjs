// Drives the intake page in headless Chromium (Debian's /usr/bin/chromium
// through playwright-core; no browser download) as a whistleblower would.
// Used by tests/e2e/intake_browser_e2e_test.cc against the real conclaved
// and by page.test.mjs against a fake server.
//
//   node browser_flow.mjs submit --url U (--file F)... [--message M]
//        [--exclude ORGNAME]... [--no-contact] [--drop-first-chunk] --out R.json
//   node browser_flow.mjs status --url U --receipt R --out S.json
//   node browser_flow.mjs follow-up --url U --receipt R [--file F]...
//        [--message M] [--exclude ORGNAME]... --out R.json
//
// Each writes one JSON object: what the page showed, plus `offsite` (every
// request the page made to another origin; must be empty) and
// `console_errors`. Exit 0 when the flow ran to an answer the page showed
// (success or a refusal shown to the person), 1 when the page broke.
import { chromium } from "playwright-core";
import { existsSync, writeFileSync } from "node:fs";

export const CHROMIUM = process.env.CONCLAVE_CHROMIUM ?? "/usr/bin/chromium";
const TIMEOUT = 180_000;

export async function withPage(url, fn) {
  if (!existsSync(CHROMIUM)) throw new Error(`chromium not found at ${CHROMIUM} (Debian package chromium)`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    // A fresh context is a fresh profile: no cookies, no storage.
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    const origin = new URL(url).origin;
    const offsite = [];
    const consoleErrors = [];
    page.on("request", (r) => {
      const u = r.url();
      if (!u.startsWith(origin + "/") && !u.startsWith("blob:") && !u.startsWith("data:")) offsite.push(u);
    });
    page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
    page.on("pageerror", (e) => consoleErrors.push(String(e)));
    const response = await page.goto(url);
    const headers = response ? await response.allHeaders() : {};
    await page.waitForSelector("body[data-ready='true'], #send-error:not([hidden])");
    const result = await fn(page);
    return { ...result, offsite, console_errors: consoleErrors, headers };
  } finally {
    await browser.close();
  }
}

// Waits for whichever of the selectors becomes visible first; its index.
async function firstVisible(page, selectors) {
  await page.waitForSelector(selectors.map((s) => `${s}:not([hidden])`).join(", "), { state: "visible" });
  for (let i = 0; i < selectors.length; i++) {
    if (await page.isVisible(selectors[i])) return i;
  }
  return -1;
}

async function excludeOrgs(page, container, names) {
  for (const name of names) {
    await page.locator(container).getByRole("checkbox", { name: `Exclude ${name}`, exact: true }).check();
  }
}

export async function submit(page, { files = [], message = "", exclude = [], contact = true, dropFirstChunk = false }) {
  let dropped = 0;
  if (dropFirstChunk) {
    // A network drop in the middle of the upload: the first chunk's PUT fails.
    await page.route(/\/api\/v1\/uploads\/[0-9a-f]{32}\?offset=/, async (route) => {
      if (dropped === 0 && route.request().method() === "PUT") {
        dropped++;
        await route.abort("connectionreset");
      } else {
        await route.continue();
      }
    });
  }
  const startError = await page.textContent("#send-error");
  if (await page.isVisible("#send-error")) return { ok: false, error: startError };
  await excludeOrgs(page, "#orgs", exclude);
  if (files.length) await page.setInputFiles("#files", files);
  if (message) await page.fill("#message", message);
  if (!contact) await page.uncheck("#want-contact");
  const limitText = await page.textContent("#size-info");
  if (await page.isDisabled("#send-button")) {
    return { ok: false, error: await page.textContent("#send-error"), size_info: limitText };
  }
  await page.click("#send-button");
  const which = await firstVisible(page, ["#done", "#send-error"]);
  if (which !== 0) return { ok: false, error: await page.textContent("#send-error"), dropped };
  let receipt = null;
  if (await page.isVisible("#receipt-box")) {
    receipt = (await page.textContent("#receipt")).trim();
    // The proof is shown only after the person confirms the receipt.
    if (await page.isVisible("#acceptance-box")) throw new Error("acceptance shown before the receipt was confirmed");
    await page.check("#receipt-confirm");
  }
  await page.waitForSelector("#acceptance-box", { state: "visible" });
  const download = page.waitForEvent("download");
  await page.click("#download-acceptance");
  const saved = await download;
  const proofPath = await saved.path();
  const { readFileSync } = await import("node:fs");
  return {
    ok: true,
    receipt,
    submission_id: (await page.textContent("#submission-id")).trim(),
    leaf_index: Number((await page.textContent("#leaf-index")).trim()),
    acceptance: await page.textContent("#acceptance"),
    proof_file: readFileSync(proofPath, "utf8"),
    proof_file_name: saved.suggestedFilename(),
    dropped,
    size_info: limitText,
  };
}

export async function openStatus(page, receipt) {
  await page.click("#nav-return");
  await page.fill("#return-receipt", receipt);
  await page.click("#return-button");
  const which = await firstVisible(page, ["#status-view", "#return-error"]);
  if (which !== 0) return { ok: false, error: (await page.textContent("#return-error")).trim() };
  return { ok: true, ...(await readStatus(page)) };
}

export async function readStatus(page) {
  const submissions = await page.$$eval("#submissions > li", (items) => items.map((li) => ({
    submission_id: li.dataset.submissionId,
    state: li.dataset.state,
    organisations_approved: Number(li.dataset.approved),
    text: li.textContent,
  })));
  const replies = await page.$$eval("#replies > li", (items) => items.map((li) => ({
    reply_id: li.dataset.replyId,
    decrypted: li.dataset.decrypted === "true",
    text: li.querySelector(".reply-text").textContent,
  })));
  return { submissions, replies };
}

export async function followUp(page, receipt, { files = [], message = "", exclude = [] }) {
  const status = await openStatus(page, receipt);
  if (!status.ok) return status;
  await excludeOrgs(page, "#follow-orgs", exclude);
  if (files.length) await page.setInputFiles("#follow-files", files);
  if (message) await page.fill("#follow-message", message);
  await page.click("#follow-button");
  const which = await firstVisible(page, ["#follow-done", "#follow-error"]);
  if (which !== 0) return { ok: false, error: (await page.textContent("#follow-error")).trim() };
  const text = (await page.textContent("#follow-done-text")).trim();
  const after = await readStatus(page);
  return {
    ok: true,
    submission_id: /Number ([0-9a-f]{64})/.exec(text)?.[1] ?? null,
    leaf_index: Number(/position (\d+)/.exec(text)?.[1] ?? NaN),
    text,
    acceptance: await page.textContent("#follow-acceptance"),
    ...after,
  };
}

function parseArgs(argv) {
  const opts = { file: [], exclude: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const take = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case "--url": opts.url = take(); break;
      case "--file": opts.file.push(take()); break;
      case "--message": opts.message = take(); break;
      case "--exclude": opts.exclude.push(take()); break;
      case "--receipt": opts.receipt = take(); break;
      case "--out": opts.out = take(); break;
      case "--no-contact": opts.noContact = true; break;
      case "--drop-first-chunk": opts.dropFirstChunk = true; break;
      default: throw new Error(`unknown argument ${a}`);
    }
  }
  if (!opts.url || !opts.out) throw new Error("--url and --out are required");
  return opts;
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  const opts = parseArgs(rest);
  let result;
  if (command === "submit") {
    result = await withPage(opts.url, (page) => submit(page, {
      files: opts.file, message: opts.message, exclude: opts.exclude, contact: !opts.noContact,
      dropFirstChunk: opts.dropFirstChunk,
    }));
  } else if (command === "status") {
    if (!opts.receipt) throw new Error("--receipt is required");
    result = await withPage(opts.url, (page) => openStatus(page, opts.receipt));
  } else if (command === "follow-up") {
    if (!opts.receipt) throw new Error("--receipt is required");
    result = await withPage(opts.url, (page) => followUp(page, opts.receipt, {
      files: opts.file, message: opts.message, exclude: opts.exclude,
    }));
  } else {
    throw new Error(`unknown command ${command}: submit, status or follow-up`);
  }
  writeFileSync(opts.out, JSON.stringify(result, null, 2) + "\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error(`browser_flow: ${e.stack ?? e}`);
    process.exit(1);
  });
}
