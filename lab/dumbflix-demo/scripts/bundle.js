// The demo's whole "webpack": concatenates src/ in a fixed order and names the
// bundle after an md4 content hash, the hash webpack 4 uses. On Node >= 17
// (OpenSSL 3) md4 needs NODE_OPTIONS=--openssl-legacy-provider, so this fails
// without it exactly like the real app's build and dev server do
// (error:0308010C:digital envelope routines::unsupported).
"use strict";

const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const sources = ["src/config/api.js", "src/data/films.js", "src/pages.js", "src/index.js"];

function bundle() {
  const js = sources
    .map((file) => "// " + file + "\n" + fs.readFileSync(path.join(root, file), "utf8"))
    .join("\n");
  const hash = crypto.createHash("md4").update(js).digest("hex").slice(0, 8);
  const jsPath = "/static/js/main." + hash + ".chunk.js";
  const template = fs.readFileSync(path.join(root, "public", "index.html"), "utf8");
  const html = template
    .replace(/%PUBLIC_URL%/g, "")
    .replace("</body>", '  <script src="' + jsPath + '"></script>\n  </body>');
  return { html, js, jsPath };
}

module.exports = { bundle, root };
