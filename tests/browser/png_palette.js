#!/usr/bin/env node
// Re-encode a screenshot as a palette PNG (at most 256 colours), so the few shown in
// the README stay small. The pages are flat colours and anti-aliased text, so the
// most frequent colours make a good palette; every other colour maps to its nearest.
//
//   node png_palette.js IN.png OUT.png
//
// Needs nothing but Node: reads 8-bit non-interlaced RGB/RGBA PNGs (what Chromium
// writes), writes colour type 3.
'use strict';

const fs = require('fs');
const zlib = require('zlib');

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function readPng(buf) {
  if (!buf.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG');
  let pos = 8;
  let width;
  let height;
  let colourType;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const depth = data[8];
      colourType = data[9];
      if (depth !== 8 || (colourType !== 2 && colourType !== 6) || data[12] !== 0) {
        throw new Error(`unsupported PNG (depth ${depth}, colour type ${colourType}, interlace ${data[12]})`);
      }
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      break;
    }
    pos += 12 + len;
  }
  const bpp = colourType === 6 ? 4 : 3;
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const px = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = y * stride;
    const prev = out - stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? px[out + x - bpp] : 0;
      const b = y > 0 ? px[prev + x] : 0;
      const c = x >= bpp && y > 0 ? px[prev + x - bpp] : 0;
      let v = line[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      px[out + x] = v & 0xff;
    }
  }
  return { width, height, bpp, px };
}

function crc32(buf) {
  let c = ~0;
  for (let i = 0; i < buf.length; i++) {
    c ^= buf[i];
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function toPalette({ width, height, bpp, px }, colours = 256) {
  const counts = new Map();
  for (let i = 0; i < px.length; i += bpp) {
    const rgb = (px[i] << 16) | (px[i + 1] << 8) | px[i + 2];
    counts.set(rgb, (counts.get(rgb) || 0) + 1);
  }
  const palette = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, colours).map((e) => e[0]);
  const index = new Map(palette.map((rgb, i) => [rgb, i]));
  const nearest = (rgb) => {
    let best = 0;
    let bestD = Infinity;
    const r = rgb >> 16;
    const g = (rgb >> 8) & 0xff;
    const b = rgb & 0xff;
    for (let i = 0; i < palette.length; i++) {
      const p = palette[i];
      const dr = r - (p >> 16);
      const dg = g - ((p >> 8) & 0xff);
      const db = b - (p & 0xff);
      const d = 3 * dr * dr + 4 * dg * dg + 2 * db * db;
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    }
    index.set(rgb, best);
    return best;
  };
  const raw = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0;
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * bpp;
      const rgb = (px[i] << 16) | (px[i + 1] << 8) | px[i + 2];
      const k = index.get(rgb);
      raw[y * (width + 1) + 1 + x] = k === undefined ? nearest(rgb) : k;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 3;
  const plte = Buffer.alloc(palette.length * 3);
  palette.forEach((rgb, i) => {
    plte[i * 3] = rgb >> 16;
    plte[i * 3 + 1] = (rgb >> 8) & 0xff;
    plte[i * 3 + 2] = rgb & 0xff;
  });
  return Buffer.concat([
    SIGNATURE, chunk('IHDR', ihdr), chunk('PLTE', plte),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0)),
  ]);
}

function shrink(inFile, outFile, colours = 256) {
  const out = toPalette(readPng(fs.readFileSync(inFile)), colours);
  fs.writeFileSync(outFile, out);
  return out.length;
}

module.exports = { readPng, toPalette, shrink };

if (require.main === module) {
  const [inFile, outFile] = process.argv.slice(2);
  if (!inFile || !outFile) {
    console.error('usage: node png_palette.js IN.png OUT.png');
    process.exit(2);
  }
  const before = fs.statSync(inFile).size;
  const after = shrink(inFile, outFile);
  console.log(`${outFile}: ${after} bytes (was ${before})`);
}
