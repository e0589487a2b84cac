// tests/browser/png.mjs — just enough PNG decoding for the browser tests'
// pixel comparisons: 8-bit RGB or RGBA, non-interlaced (what Chromium's
// screenshots are), via Node's zlib. Plus region statistics on the pixels.

import { inflateSync } from 'node:zlib';

/** Decodes a PNG buffer to {width, height, data: Uint8Array RGBA}. */
export function decodePng(buf) {
  if (buf.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let pos = 8, width = 0, height = 0, colorType = 0, depth = 0, interlace = 0;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos), type = buf.toString('ascii', pos + 4, pos + 8);
    const body = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0); height = body.readUInt32BE(4);
      depth = body[8]; colorType = body[9]; interlace = body[12];
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  if (depth !== 8 || (colorType !== 6 && colorType !== 2) || interlace) throw new Error(`unsupported PNG (depth ${depth}, colour type ${colorType}, interlace ${interlace})`);
  const bpp = colorType === 6 ? 4 : 3, stride = width * bpp;
  const raw = inflateSync(Buffer.concat(idat));
  const out = new Uint8Array(width * height * 4);
  const prev = new Uint8Array(stride), cur = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? cur[x - bpp] : 0, b = prev[x], c = x >= bpp ? prev[x - bpp] : 0;
      let v = line[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      cur[x] = v & 255;
    }
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      out[o] = cur[x * bpp]; out[o + 1] = cur[x * bpp + 1]; out[o + 2] = cur[x * bpp + 2];
      out[o + 3] = bpp === 4 ? cur[x * bpp + 3] : 255;
    }
    prev.set(cur);
  }
  return { width, height, data: out };
}

/** A region in fractions of the image: {x0, y0, x1, y1} in 0..1. */
function bounds(img, r = { x0: 0, y0: 0, x1: 1, y1: 1 }) {
  return [Math.floor(r.x0 * img.width), Math.floor(r.y0 * img.height), Math.ceil(r.x1 * img.width), Math.ceil(r.y1 * img.height)];
}

/** Compares two same-size images over a region: mean absolute RGB difference
 *  (0..255), the number of pixels that differ by more than `tol` in any
 *  channel, and the centroid (fractions) of those pixels. */
export function diff(a, b, region, tol = 24) {
  // element screenshots of equal boxes may differ by a pixel of layout rounding
  if (Math.abs(a.width - b.width) > 2 || Math.abs(a.height - b.height) > 2)
    throw new Error(`image sizes differ: ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  const common = { width: Math.min(a.width, b.width), height: Math.min(a.height, b.height) };
  const [x0, y0, x1, y1] = bounds(common, region);
  let sum = 0, changed = 0, cx = 0, cy = 0, n = 0;
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) {
      const o = (y * a.width + x) * 4, q = (y * b.width + x) * 4;
      const d0 = Math.abs(a.data[o] - b.data[q]), d1 = Math.abs(a.data[o + 1] - b.data[q + 1]), d2 = Math.abs(a.data[o + 2] - b.data[q + 2]);
      sum += d0 + d1 + d2;
      n++;
      if (Math.max(d0, d1, d2) > tol) { changed++; cx += x; cy += y; }
    }
  return { mean: sum / (3 * Math.max(1, n)), changed, cx: changed ? cx / changed / common.width : 0.5, cy: changed ? cy / changed / common.height : 0.5 };
}

/** Pixels in a region within `tol` of an [r, g, b] colour. */
export function countColor(img, rgb, region, tol = 40) {
  const [x0, y0, x1, y1] = bounds(img, region);
  let n = 0;
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) {
      const o = (y * img.width + x) * 4;
      if (Math.abs(img.data[o] - rgb[0]) <= tol && Math.abs(img.data[o + 1] - rgb[1]) <= tol && Math.abs(img.data[o + 2] - rgb[2]) <= tol) n++;
    }
  return n;
}
