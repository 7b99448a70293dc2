// Paths the tests need. Missing files are failures, never skips: ctest sets
// the variables; run by hand, the defaults point into the checkout.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
export const sourceDir = path.resolve(here, "../../..");

export const sharedVectorsDir =
  process.env.CONCLAVE_SHARED_VECTORS ?? path.resolve(sourceDir, "../shared/vectors");
export const pinnedVectorsDir = path.join(sourceDir, "tests/vectors/p256tag");

export function readRequired(file) {
  if (!existsSync(file)) throw new Error(`required file missing: ${file}`);
  return readFileSync(file);
}

// The C++ helper (tests/interop/age_interop_tool.cc). Required: the interop
// tests fail without it.
export function interopTool() {
  const tool = process.env.CONCLAVE_AGE_INTEROP_TOOL;
  if (!tool) throw new Error("CONCLAVE_AGE_INTEROP_TOOL is not set (run through ctest, or set it to build/<dir>/bin/age_interop_tool)");
  if (!existsSync(tool)) throw new Error(`CONCLAVE_AGE_INTEROP_TOOL does not exist: ${tool}`);
  return tool;
}
