#!/usr/bin/env node
// A static file server for checking the page mocks under the pages' real headers.
//
//   node serve_static.js ROOT [PORT]     (PORT 0 or absent: a free one)
//
// Listens on 127.0.0.1 only, prints "listening http://127.0.0.1:PORT/" on stdout once
// ready, and serves ROOT's files with the headers mod_habitual sends on its pages
// (the Content-Security-Policy above all, so an inline script or style in a mock is
// caught by axe_check.js as a CSP violation). GET and HEAD only; no directory
// listings; nothing outside ROOT. Stops on SIGTERM/SIGINT.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
            "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const root = process.argv[2] && path.resolve(process.argv[2]);
const port = Number(process.argv[3] || 0);
if (!root || !fs.statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
  console.error('usage: node serve_static.js ROOT [PORT]');
  process.exit(2);
}

const server = http.createServer((req, res) => {
  const headers = {
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cache-Control': 'no-store',
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...headers, Allow: 'GET, HEAD', 'Content-Type': 'text/plain' });
    res.end('405\n');
    return;
  }
  let file;
  try {
    const p = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    file = path.join(root, path.normalize(p));
  } catch {
    file = null;
  }
  const st = file && file.startsWith(root + path.sep) && fs.statSync(file, { throwIfNoEntry: false });
  if (!st || !st.isFile()) {
    res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' });
    res.end('404\n');
    return;
  }
  res.writeHead(200, {
    ...headers,
    'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream',
    'Content-Length': st.size,
  });
  if (req.method === 'HEAD') res.end();
  else fs.createReadStream(file).pipe(res);
});

server.listen(port, '127.0.0.1', () => {
  console.log(`listening http://127.0.0.1:${server.address().port}/`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
