// `npm start`: the development server, like react-scripts start. Listens on
// $PORT (default 3000), sends index.html for client-side routes and, like
// react-scripts 3.4.1, exits as soon as stdin closes unless CI=true.
"use strict";

const fs = require("fs");
const http = require("http");
const path = require("path");
const { bundle, root } = require("./bundle");

const port = parseInt(process.env.PORT || "3000", 10);
const host = process.env.HOST || "0.0.0.0";
const types = { ".html": "text/html; charset=utf-8", ".js": "application/javascript; charset=utf-8",
  ".json": "application/json", ".txt": "text/plain; charset=utf-8", ".ico": "image/x-icon" };

const compiled = bundle();

function send(res, status, type, body, head) {
  res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}

const server = http.createServer((req, res) => {
  const head = req.method === "HEAD";
  if (req.method !== "GET" && !head) {
    return send(res, 405, types[".txt"], "method not allowed\n", head);
  }
  const pathname = decodeURIComponent(new URL(req.url, "http://localhost").pathname);
  if (pathname === compiled.jsPath) {
    return send(res, 200, types[".js"], compiled.js, head);
  }
  const file = path.join(root, "public", path.normalize(pathname));
  if (pathname !== "/" && pathname !== "/index.html" && file.startsWith(path.join(root, "public") + path.sep) &&
      fs.existsSync(file) && fs.statSync(file).isFile()) {
    return send(res, 200, types[path.extname(file)] || "application/octet-stream", fs.readFileSync(file), head);
  }
  if (path.extname(pathname)) {
    return send(res, 404, types[".txt"], "Cannot GET " + pathname + "\n", head);
  }
  // history API fallback: every route without a file extension gets the page
  return send(res, 200, types[".html"], compiled.html, head);
});

server.listen(port, host, () => {
  console.log("Compiled successfully!\n");
  console.log("You can now view dumbflix-frontend in the browser.\n");
  console.log("  Local:            http://localhost:" + port);
});

function stop() {
  server.close();
  process.exit();
}
["SIGINT", "SIGTERM"].forEach((sig) => process.on(sig, stop));

if (process.env.CI !== "true") {
  // react-scripts 3.4.1 does the same: without a terminal on stdin it quits at once
  process.stdin.on("end", stop);
  process.stdin.resume();
}
