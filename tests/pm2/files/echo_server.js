// Tiny HTTP app for the pm2_app tests: answers every request with what it was
// started with (pid, uid, cwd, argv, environment), so a test can check over HTTP
// that pm2 runs the spec it was asked to run.
'use strict';
const http = require('http');

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port < 1) {
  console.error('echo_server: PORT is not set (got ' + JSON.stringify(process.env.PORT) + ')');
  process.exit(2);
}

http.createServer((req, res) => {
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify({
    pid: process.pid,
    uid: process.getuid(),
    cwd: process.cwd(),
    argv: process.argv.slice(2),
    env: process.env,
    url: req.url,
  }));
}).listen(port, '127.0.0.1');
