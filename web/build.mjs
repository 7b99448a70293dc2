// Bundles the intake page into one directory: index.html, app.js, app.css.
// No source maps, no external URLs, deterministic output (same inputs, same
// bytes), so the page's hash can be published and compared (docs/intake.md).
// index.html pins app.js and app.css by Subresource Integrity hashes, so the
// SHA-256 of index.html alone identifies the whole page.
//
//   node build.mjs --out DIR
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const outIndex = args.indexOf("--out");
if (outIndex < 0 || !args[outIndex + 1]) {
  console.error("usage: node build.mjs --out DIR");
  process.exit(2);
}
const out = path.resolve(args[outIndex + 1]);

const result = await build({
  entryPoints: [path.join(here, "src/app.js")],
  bundle: true,
  format: "iife",
  target: ["es2020"],
  platform: "browser",
  minify: true,
  sourcemap: false,
  legalComments: "none",
  charset: "ascii",
  write: false,
  logLevel: "warning",
});
const js = result.outputFiles[0].contents;
const css = readFileSync(path.join(here, "src/app.css"));

// Refuse anything that would reach another host: the page must work from the
// daemon alone (brief §8).
for (const [name, bytes] of [["app.js", js], ["app.css", css]]) {
  const text = Buffer.from(bytes).toString("latin1");
  if (/url\(\s*['"]?(https?:)?\/\//i.test(text) || /@import/i.test(text)) {
    throw new Error(`${name} refers to an external resource`);
  }
}

const sri = (bytes) => "sha256-" + createHash("sha256").update(bytes).digest("base64");
const html = readFileSync(path.join(here, "src/index.html"), "utf8")
  .replace("%APP_JS_SRI%", sri(js))
  .replace("%APP_CSS_SRI%", sri(css));
if (html.includes("%APP_")) throw new Error("index.html: unreplaced placeholder");
if (/(src|href)\s*=\s*["']?(https?:)?\/\//i.test(html)) throw new Error("index.html refers to another host");

// Start from an empty directory so a removed file does not linger in the
// embedded page.
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, "index.html"), html);
writeFileSync(path.join(out, "app.js"), js);
writeFileSync(path.join(out, "app.css"), css);
const digest = createHash("sha256").update(html).digest("hex");
console.log(`intake page: ${readdirSync(out).sort().join(", ")}; index.html sha256 ${digest}`);
