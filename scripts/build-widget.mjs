// Builds the widget with esbuild: cookieconsent/widget/src -> cookieconsent/widget/bundle.
//
//   node scripts/build-widget.mjs           write the bundle
//   node scripts/build-widget.mjs --check   fail when the committed bundle differs from a fresh build
//
// The output is committed, so serving the widget never needs Node. Each file starts with the
// SHA-256 of the sources it was built from; tests/test_widget_build.py recomputes it in Python.
//   core.js   the script every page loads: state, choices, Consent Mode, the first layer.
//             The server calls it with the site's configuration: `(function(__cc_config){…})(…);`.
//   tags.js   an ES module the core imports as it starts: gating and clean-up.
//   prefs.js  an ES module imported on demand: the preferences dialog and the data panel.
//   layers.js an ES module imported with the full texts when the regime is not plain opt-in:
//             the first layers of opt-in-specific, opt-in-stats-exempt, opt-out and notice.
//   declaration.js  an ES module the tags module imports on pages with data-role="declaration".
import {createHash} from "node:crypto";
import {readFileSync, readdirSync, writeFileSync} from "node:fs";
import {dirname, join} from "node:path";
import {fileURLToPath} from "node:url";
import * as esbuild from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "cookieconsent", "widget", "src");
const output = join(root, "cookieconsent", "widget", "bundle");
const check = process.argv.includes("--check");

/** SHA-256 over every source file, by name then content, in name order. */
export function sourcesDigest() {
  const hash = createHash("sha256");
  for (const name of readdirSync(source).filter((file) => /\.(js|css)$/.test(file)).sort()) {
    hash.update(name + "\0");
    hash.update(readFileSync(join(source, name)));
    hash.update("\0");
  }
  return hash.digest("hex");
}

async function css(name) {
  const result = await esbuild.transform(readFileSync(join(source, name), "utf8"), {
    loader: "css", minify: true, legalComments: "none",
  });
  return result.code.trim();
}

const digest = sourcesDigest();
const header = `/*! cookieconsent widget | built from sources sha256:${digest} */\n`;
// Internal property names start with "_" and are shortened; the cache keeps both files in step.
const mangleCache = {};
const common = {
  bundle: true, minify: true, write: false, target: "es2019", charset: "utf8",
  legalComments: "none", mangleProps: /^_/, mangleCache, logLevel: "warning",
};
const core = await esbuild.build({
  ...common, entryPoints: [join(source, "core.js")], format: "iife",
  define: {__cc_css: JSON.stringify(await css("widget.css"))},
});
Object.assign(mangleCache, core.mangleCache);
const tags = await esbuild.build({...common, entryPoints: [join(source, "tags.js")], format: "esm"});
Object.assign(mangleCache, tags.mangleCache);
const controls = await css("controls.css");
const prefs = await esbuild.build({
  ...common, entryPoints: [join(source, "prefs.js")], format: "esm",
  define: {__cc_prefs_css: JSON.stringify(controls + await css("prefs.css"))},
});
Object.assign(mangleCache, prefs.mangleCache);
const layers = await esbuild.build({
  ...common, entryPoints: [join(source, "layers.js")], format: "esm",
  define: {__cc_layers_css: JSON.stringify(controls)},
});
Object.assign(mangleCache, layers.mangleCache);
const declaration = await esbuild.build({
  ...common, entryPoints: [join(source, "declaration.js")], format: "esm",
});
const files = {
  "core.js": header + "(function(__cc_config){" + core.outputFiles[0].text.trim() + "})",
  "tags.js": header + tags.outputFiles[0].text,
  "prefs.js": header + prefs.outputFiles[0].text,
  "layers.js": header + layers.outputFiles[0].text,
  "declaration.js": header + declaration.outputFiles[0].text,
};

const stale = [];
for (const [name, text] of Object.entries(files)) {
  const path = join(output, name);
  let current;
  try {
    current = readFileSync(path, "utf8");
  } catch {
    current = null;
  }
  if (current === text) continue;
  if (check) stale.push(name);
  else writeFileSync(path, text);
}
if (stale.length) {
  console.error(`widget bundle out of date: ${stale.join(", ")}; run: npm run build`);
  process.exit(1);
}
console.log(`widget bundle ${check ? "matches" : "built from"} sources sha256:${digest}`);
