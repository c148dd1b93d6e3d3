// Builds the playground and the /docs and /redoc assets into app/static/ (committed, so the
// service needs no Node): `npm ci && npm run build` here, or `make web` at the top.
//
//   app/static/index.html            the playground page (GET /), naming the hashed files below
//   app/static/<name>-<hash>.<ext>   bundles, styles, vendored Swagger UI and Redoc, favicon
//   app/static/manifest.json         logical name -> hashed file (the app reads it)
//   app/static/examples.json         the examples menu, for tests/web/test_examples.py
//   app/static/THIRD_PARTY_LICENSES.txt
//
// Hashed names let the app serve every asset with a year-long immutable Cache-Control.

import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { EXAMPLES } from "./src/examples.js";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "app", "static");
const modules = join(here, "node_modules");

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const manifest = {};

function hashed(name, bytes) {
  const hash = createHash("sha256").update(bytes).digest("hex").slice(0, 10);
  const ext = name.endsWith(".standalone.js") ? ".standalone.js" : extname(name);
  return `${basename(name, ext)}-${hash}${ext}`;
}

function vendor(logical, source) {
  const bytes = readFileSync(source);
  const file = hashed(logical, bytes);
  writeFileSync(join(out, file), bytes);
  manifest[logical] = file;
}

const result = await esbuild.build({
  entryPoints: [join(here, "src", "playground.js")],
  bundle: true,
  format: "esm",
  splitting: true,
  minify: true,
  target: ["es2022"],
  outdir: out,
  entryNames: "[name]-[hash]",
  chunkNames: "[name]-[hash]",
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
});
for (const [path, meta] of Object.entries(result.metafile.outputs)) {
  const file = basename(path);
  if (meta.entryPoint && meta.entryPoint.endsWith("src/playground.js")) manifest["playground.js"] = file;
  else if (file.startsWith("playground-") && file.endsWith(".css")) manifest["playground.css"] = file;
  else manifest[`chunk:${file.replace(/-[A-Z0-9]+\.js$/, "")}`] = file; // loaded by import()
}

vendor("favicon.svg", join(here, "src", "favicon.svg"));
vendor("swagger-ui-bundle.js", join(modules, "swagger-ui-dist", "swagger-ui-bundle.js"));
vendor("swagger-ui.css", join(modules, "swagger-ui-dist", "swagger-ui.css"));
// Redoc's sidebar shows a logo from its CDN: the one request it makes off this host. The bundle
// is otherwise copied as published.
const redocBundle = join(modules, "redoc", "bundles", "redoc.standalone.js");
const REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg";
const redocSource = readFileSync(redocBundle, "utf8");
if (!redocSource.includes(REDOC_LOGO)) throw new Error("Redoc's logo URL moved: check the bundle");
const localBundle = join(here, "node_modules", ".redoc.standalone.local.js");
writeFileSync(localBundle, redocSource.replaceAll(REDOC_LOGO, "/static/" + manifest["favicon.svg"]));
vendor("redoc.standalone.js", localBundle);

const page = readFileSync(join(here, "src", "index.html"), "utf8").replace(
  /\{\{([\w.-]+)\}\}/g, (_, name) => {
    if (!(name in manifest)) throw new Error(`index.html names ${name}, which was not built`);
    return manifest[name];
  });
writeFileSync(join(out, "index.html"), page);
writeFileSync(join(out, "examples.json"), JSON.stringify(EXAMPLES, null, 1) + "\n");

const licensed = {
  "@viz-js/viz (Graphviz: EPL-1.0)": "@viz-js/viz/LICENSE",
  uplot: "uplot/LICENSE",
  "swagger-ui-dist (Apache-2.0)": "swagger-ui-dist/swagger-ui-bundle.js.LICENSE.txt",
  redoc: "redoc/LICENSE",
  "redoc bundled packages": "redoc/bundles/redoc.standalone.js.LICENSE.txt",
};
let licenses = "Third-party software in this folder's bundles, with their licenses.\n";
for (const [name, path] of Object.entries(licensed)) {
  let text;
  try {
    text = readFileSync(join(modules, path), "utf8");
  } catch {
    text = `(see the package ${name} on the npm registry)`;
  }
  const version = JSON.parse(readFileSync(join(modules, name.split(" ")[0], "package.json"))).version;
  licenses += `\n===== ${name} ${version} =====\n\n${text.trim()}\n`;
}
writeFileSync(join(out, "THIRD_PARTY_LICENSES.txt"), licenses);
writeFileSync(join(out, "manifest.json"), JSON.stringify(manifest, null, 1) + "\n");

let total = 0;
for (const file of readdirSync(out).sort()) {
  const size = readFileSync(join(out, file)).length;
  total += size;
  console.log(`${String(size).padStart(9)}  ${file}`);
}
console.log(`${String(total).padStart(9)}  total in app/static/`);
