// `npm run build`: writes the production bundle to build/, like react-scripts build.
"use strict";

const fs = require("fs");
const path = require("path");
const { bundle, root } = require("./bundle");

const out = path.join(root, "build");
const result = bundle();

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.join(out, "static", "js"), { recursive: true });
fs.cpSync(path.join(root, "public"), out, {
  recursive: true,
  filter: (src) => path.basename(src) !== "index.html",
});
fs.writeFileSync(path.join(out, "index.html"), result.html);
fs.writeFileSync(path.join(out, result.jsPath), result.js);
fs.writeFileSync(
  path.join(out, "asset-manifest.json"),
  JSON.stringify({ files: { "main.js": result.jsPath, "index.html": "/index.html" } }, null, 2) + "\n",
);

console.log("Creating an optimized production build...");
console.log("Compiled successfully.\n");
console.log("  build" + result.jsPath);
console.log("\nThe build folder is ready to be deployed.");
