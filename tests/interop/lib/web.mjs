// Loads web/lib/conclave-recipient.js with its package imports resolved
// from tests/interop/node_modules (see resolve-hook.mjs).
import { register } from "node:module";

register("./resolve-hook.mjs", import.meta.url);

export const web = await import("../../../web/lib/conclave-recipient.js");
