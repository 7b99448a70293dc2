// Module resolution hook: web/lib/*.js import the packages age-encryption
// depends on by their names, as a bundler for the intake page will resolve
// them. In these tests they come from tests/interop/node_modules, so a bare
// specifier that does not resolve from its importer is retried from here.
const interopPackageJson = new URL("../package.json", import.meta.url).href;

function isBare(specifier) {
  return !/^(\.{0,2}\/|[a-z][a-z0-9+.-]*:)/i.test(specifier);
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if (err?.code !== "ERR_MODULE_NOT_FOUND" || !isBare(specifier)) throw err;
    return nextResolve(specifier, { ...context, parentURL: interopPackageJson });
  }
}
