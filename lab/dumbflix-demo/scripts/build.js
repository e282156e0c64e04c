// `npm run build`: writes the production bundle to build/, like react-scripts build.
"use strict";

const fs = require("fs");
const path = require("path");
const { bundle, root } = require("./bundle");

const out = path.join(root, "build");
const result = bundle();

// Node 12 APIs only (no fs.rmSync, no fs.cpSync): the real app's build runs on Node 12
// (Debian 11, Ubuntu 22.04), and so must the stand-in's.
function copyTree(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    if (entry.isDirectory()) {
      copyTree(src, path.join(to, entry.name));
    } else if (entry.name !== "index.html") {
      fs.copyFileSync(src, path.join(to, entry.name));
    }
  }
}

if (fs.existsSync(out)) {
  fs.rmdirSync(out, { recursive: true });
}
fs.mkdirSync(path.join(out, "static", "js"), { recursive: true });
copyTree(path.join(root, "public"), out);
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
