#!/usr/bin/env node
// scripts/make_test_avatar.mjs — generates the small test avatar the browser
// tests and the player's "Test avatar" button use: a stylised head in glTF 2.0
// (one .gltf file, buffers embedded) whose meshes carry ARKit-named morph
// targets — all 52 channels, spread over several meshes as on a real rig
// (Head, Nose, Brows, EyeLeft/EyeRight, EyelidLeft/EyelidRight, Lips,
// MouthCavity, Teeth, Tongue). Morph targets are sparse accessors (only the
// vertices a channel moves are stored), so the file stays small.
//
//   node scripts/make_test_avatar.mjs [OUT]      (default web/assets/test-avatar.gltf)
//
// No dependencies, no downloads; the output is byte-for-byte deterministic
// (the browser test regenerates it and compares with the committed file).
// Units are metres, +Y up, the face looks along +Z; the subject's left is +X.

import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = resolve(process.argv[2] || `${ROOT}/web/assets/test-avatar.gltf`);

const NAMES = [
  'eyeBlinkLeft', 'eyeLookDownLeft', 'eyeLookInLeft', 'eyeLookOutLeft', 'eyeLookUpLeft', 'eyeSquintLeft', 'eyeWideLeft',
  'eyeBlinkRight', 'eyeLookDownRight', 'eyeLookInRight', 'eyeLookOutRight', 'eyeLookUpRight', 'eyeSquintRight', 'eyeWideRight',
  'jawForward', 'jawLeft', 'jawRight', 'jawOpen', 'mouthClose', 'mouthFunnel', 'mouthPucker', 'mouthLeft', 'mouthRight',
  'mouthSmileLeft', 'mouthSmileRight', 'mouthFrownLeft', 'mouthFrownRight', 'mouthDimpleLeft', 'mouthDimpleRight',
  'mouthStretchLeft', 'mouthStretchRight', 'mouthRollLower', 'mouthRollUpper', 'mouthShrugLower', 'mouthShrugUpper',
  'mouthPressLeft', 'mouthPressRight', 'mouthLowerDownLeft', 'mouthLowerDownRight', 'mouthUpperUpLeft', 'mouthUpperUpRight',
  'browDownLeft', 'browDownRight', 'browInnerUp', 'browOuterUpLeft', 'browOuterUpRight', 'cheekPuff', 'cheekSquintLeft',
  'cheekSquintRight', 'noseSneerLeft', 'noseSneerRight', 'tongueOut',
];

const clamp01 = (x) => Math.min(1, Math.max(0, x));
const smooth = (x) => { const t = clamp01(x); return t * t * (3 - 2 * t); };

// ---- geometry ----------------------------------------------------------------------

/** A UV ellipsoid patch: polar angle th0..th1 (0 = +Y), azimuth ph0..ph1 (0 = +Z). */
function ellipsoid({ c, r, rings = 16, segs = 24, th0 = 0, th1 = Math.PI, ph0 = -Math.PI, ph1 = Math.PI, color = null }) {
  const pos = [], nrm = [], col = [], idx = [], uv = [];
  for (let i = 0; i <= rings; i++) {
    const th = th0 + ((th1 - th0) * i) / rings;
    for (let j = 0; j <= segs; j++) {
      const ph = ph0 + ((ph1 - ph0) * j) / segs;
      const u = [Math.sin(th) * Math.sin(ph), Math.cos(th), Math.sin(th) * Math.cos(ph)];
      pos.push([c[0] + r[0] * u[0], c[1] + r[1] * u[1], c[2] + r[2] * u[2]]);
      const n = [u[0] / r[0], u[1] / r[1], u[2] / r[2]], l = Math.hypot(...n) || 1;
      nrm.push([n[0] / l, n[1] / l, n[2] / l]);
      uv.push([i / rings, j / segs]);
      if (color) col.push(color(u));
    }
  }
  for (let i = 0; i < rings; i++)
    for (let j = 0; j < segs; j++) {
      const a = i * (segs + 1) + j, b = a + segs + 1;
      idx.push(a, b, a + 1, a + 1, b, b + 1);
    }
  return { pos, nrm, col: color ? col : null, idx, uv };
}

/** An axis-aligned box centred at c with half sizes h (flat normals). */
function box(c, h) {
  const pos = [], nrm = [], idx = [];
  const faces = [[0, 1], [0, -1], [1, 1], [1, -1], [2, 1], [2, -1]];
  for (const [axis, sgn] of faces) {
    const u = (axis + 1) % 3, v = (axis + 2) % 3, base = pos.length;
    for (const [a, b] of [[-1, -1], [1, -1], [1, 1], [-1, 1]]) {
      const p = [0, 0, 0];
      p[axis] = sgn; p[u] = a; p[v] = b;
      pos.push([c[0] + h[0] * p[0], c[1] + h[1] * p[1], c[2] + h[2] * p[2]]);
      const n = [0, 0, 0]; n[axis] = sgn; nrm.push(n);
    }
    if (sgn > 0) idx.push(base, base + 1, base + 2, base, base + 2, base + 3);
    else idx.push(base, base + 2, base + 1, base, base + 3, base + 2);
  }
  return { pos, nrm, col: null, idx };
}

function merge(...parts) {
  const out = { pos: [], nrm: [], col: parts.some((p) => p.col) ? [] : null, idx: [] };
  for (const p of parts) {
    const base = out.pos.length;
    out.pos.push(...p.pos);
    out.nrm.push(...p.nrm);
    if (out.col) out.col.push(...(p.col || p.pos.map(() => [1, 1, 1, 1])));
    out.idx.push(...p.idx.map((i) => i + base));
  }
  return out;
}

// ---- the face: where things are --------------------------------------------------------

const HEAD_C = [0, 0, 0], HEAD_R = [0.08, 0.11, 0.09];
const MOUTH_Y = -0.05, MOUTH_Z = 0.0835, MOUTH_W = 0.027;
const EYE_Y = 0.022, EYE_X = 0.034, EYE_Z = 0.0705, EYE_R = 0.0165;
const JAW_DROP = 0.03; // metres at jawOpen 1

/** How much a head point belongs to the jaw (below the mouth, toward the chin). */
const jawWeight = (p) => smooth((MOUTH_Y + 0.004 - p[1]) / 0.03) * smooth((p[2] + 0.02) / 0.06);

/** Displacement of a point that rides on the jaw, for channel ch at weight 1. */
function jawMotion(ch, p, k = 1) {
  switch (ch) {
    case 'jawOpen': return [0, -JAW_DROP * k, -0.006 * k];
    case 'jawForward': return [0, 0, 0.012 * k];
    case 'jawLeft': return [0.012 * k, 0, 0];
    case 'jawRight': return [-0.012 * k, 0, 0];
    default: return null;
  }
}

/** Lip motion: upper (+1) or lower (-1) lip point p. Returns [dx,dy,dz] or null. */
function lipMotion(ch, p, lip) {
  const sx = p[0] / MOUTH_W;                  // -1 (subject right) .. +1 (subject left)
  const left = smooth(sx * 1.5), right = smooth(-sx * 1.5), corner = Math.min(1, Math.abs(sx));
  const side = (s) => (s > 0 ? left : right) * corner;
  const lower = lip < 0;
  const jm = lower ? jawMotion(ch, p) : null;
  if (jm) return jm;
  switch (ch) {
    case 'mouthClose': return lower ? [0, JAW_DROP * 0.95, 0.005] : [0, -0.001, 0.002];
    case 'mouthFunnel': return [-0.35 * p[0], lower ? -0.006 : 0.004, 0.008];
    case 'mouthPucker': return [-0.45 * p[0], lower ? 0.002 : -0.001, 0.013];
    case 'mouthLeft': return [0.012, 0, 0];
    case 'mouthRight': return [-0.012, 0, 0];
    case 'mouthSmileLeft': case 'mouthSmileRight': {
      const k = side(ch.endsWith('Left') ? 1 : -1);
      return [0.006 * k * Math.sign(p[0]), 0.012 * k, -0.004 * k];
    }
    case 'mouthFrownLeft': case 'mouthFrownRight': {
      const k = side(ch.endsWith('Left') ? 1 : -1);
      return [0, -0.011 * k, 0];
    }
    case 'mouthDimpleLeft': case 'mouthDimpleRight': {
      const k = side(ch.endsWith('Left') ? 1 : -1);
      return [0.009 * k * Math.sign(p[0]), 0.002 * k, -0.006 * k];
    }
    case 'mouthStretchLeft': case 'mouthStretchRight': {
      const k = side(ch.endsWith('Left') ? 1 : -1);
      return [0.011 * k * Math.sign(p[0]), -0.004 * k, -0.002 * k];
    }
    case 'mouthRollLower': return lower ? [0, 0.004, -0.007] : null;
    case 'mouthRollUpper': return lower ? null : [0, -0.004, -0.007];
    case 'mouthShrugLower': return lower ? [0, 0.006, 0.004] : null;
    case 'mouthShrugUpper': return lower ? null : [0, 0.005, 0.003];
    case 'mouthPressLeft': case 'mouthPressRight': {
      const k = (ch.endsWith('Left') ? smooth(sx * 2 + 0.5) : smooth(-sx * 2 + 0.5));
      return [0, -0.5 * (p[1] - MOUTH_Y) * k, -0.002 * k];
    }
    case 'mouthLowerDownLeft': case 'mouthLowerDownRight': {
      if (!lower) return null;
      const k = ch.endsWith('Left') ? smooth(sx * 2 + 0.6) : smooth(-sx * 2 + 0.6);
      return [0, -0.013 * k, 0.001 * k];
    }
    case 'mouthUpperUpLeft': case 'mouthUpperUpRight': {
      if (lower) return null;
      const k = ch.endsWith('Left') ? smooth(sx * 2 + 0.6) : smooth(-sx * 2 + 0.6);
      return [0, 0.011 * k, 0.001 * k];
    }
    default: return null;
  }
}

// Each part: geometry, material, and a morph function (channel, point, vertex) -> [dx,dy,dz] | null.
const parts = [];

// Head: jaw, cheeks, chin; the rest of the face sits on it.
{
  const g = ellipsoid({ c: HEAD_C, r: HEAD_R, rings: 24, segs: 32 });
  parts.push({
    name: 'Head', geom: g, material: 'skin',
    morph: (ch, p) => {
      const front = smooth((p[2] - 0.02) / 0.04);
      const jm = jawMotion(ch, p, jawWeight(p));
      if (jm) return jm;
      const cheek = (s) => front * smooth(1 - Math.hypot(p[0] - s * 0.05, (p[1] + 0.02) * 1.2) / 0.03);
      switch (ch) {
        case 'cheekPuff': {
          const k = cheek(1) + cheek(-1);
          return [0.012 * k * Math.sign(p[0]), 0, 0.006 * k];
        }
        case 'cheekSquintLeft': return [0, 0.009 * cheek(1), 0.003 * cheek(1)];
        case 'cheekSquintRight': return [0, 0.009 * cheek(-1), 0.003 * cheek(-1)];
        case 'mouthShrugLower': { // the chin bunches up
          const k = front * smooth(1 - Math.hypot(p[0], p[1] + 0.085) / 0.025);
          return [0, 0.006 * k, 0.005 * k];
        }
        case 'mouthSmileLeft': case 'mouthSmileRight': { // cheek bulge beside the corner
          const s = ch.endsWith('Left') ? 1 : -1;
          const k = front * smooth(1 - Math.hypot(p[0] - s * 0.038, p[1] + 0.04) / 0.02);
          return [0, 0.006 * k, 0.004 * k];
        }
        default: return null;
      }
    },
  });
}

// Nose: a wedge-like ellipsoid; sneer lifts a wing.
{
  const g = ellipsoid({ c: [0, -0.012, 0.086], r: [0.014, 0.026, 0.016], rings: 12, segs: 16 });
  parts.push({
    name: 'Nose', geom: g, material: 'skin',
    morph: (ch, p) => {
      if (ch !== 'noseSneerLeft' && ch !== 'noseSneerRight') return null;
      const s = ch.endsWith('Left') ? 1 : -1;
      const k = smooth(s * p[0] / 0.012) * smooth((-0.01 - p[1]) / 0.02);
      return [0.002 * s * k, 0.007 * k, 0.001 * k];
    },
  });
}

// Brows: a box per side, split into inner / middle / outer so the ends move apart.
{
  const pieces = [];
  for (const s of [1, -1]) for (let i = 0; i < 4; i++)
    pieces.push(box([s * (0.016 + i * 0.0095), 0.052 + (i === 1 || i === 2 ? 0.003 : 0), 0.075 - i * 0.003], [0.0055, 0.0028, 0.004]));
  parts.push({
    name: 'Brows', geom: merge(...pieces), material: 'brow',
    morph: (ch, p) => {
      const s = Math.sign(p[0]), t = clamp01((Math.abs(p[0]) - 0.01) / 0.04); // 0 inner .. 1 outer
      switch (ch) {
        case 'browInnerUp': return [0, 0.011 * (1 - t), 0];
        case 'browDownLeft': case 'browDownRight':
          if (s !== (ch.endsWith('Left') ? 1 : -1)) return null;
          return [-s * 0.003 * (1 - t), -0.008 * (1 - 0.5 * t), 0.001];
        case 'browOuterUpLeft': case 'browOuterUpRight':
          if (s !== (ch.endsWith('Left') ? 1 : -1)) return null;
          return [0, 0.011 * t, 0];
        default: return null;
      }
    },
  });
}

// Eyes: white spheres with a blue iris and a pupil (vertex colours); gaze
// channels rotate them (as a linear morph, good to about 25 degrees).
const rotY = (v, a) => [v[0] * Math.cos(a) + v[2] * Math.sin(a), v[1], -v[0] * Math.sin(a) + v[2] * Math.cos(a)];
const rotX = (v, a) => [v[0], v[1] * Math.cos(a) - v[2] * Math.sin(a), v[1] * Math.sin(a) + v[2] * Math.cos(a)];
for (const [s, sfx] of [[1, 'Left'], [-1, 'Right']]) {
  const c = [s * EYE_X, EYE_Y, EYE_Z];
  const g = ellipsoid({
    c, r: [EYE_R, EYE_R, EYE_R], rings: 12, segs: 16,
    color: (u) => (u[2] > 0.93 ? [0.05, 0.05, 0.06, 1] : u[2] > 0.78 ? [0.22, 0.42, 0.66, 1] : [0.96, 0.96, 0.94, 1]),
  });
  const A = 0.42; // radians at weight 1
  parts.push({
    name: `Eye${sfx}`, geom: g, material: 'eye',
    morph: (ch, p) => {
      if (!ch.endsWith(sfx) || !ch.startsWith('eyeLook')) return null;
      const v = [p[0] - c[0], p[1] - c[1], p[2] - c[2]];
      let q;
      if (ch.startsWith('eyeLookUp')) q = rotX(v, -A);
      else if (ch.startsWith('eyeLookDown')) q = rotX(v, A);
      else if (ch.startsWith('eyeLookIn')) q = rotY(v, -s * A);  // toward the nose
      else q = rotY(v, s * A);                                   // out
      return [q[0] - v[0], q[1] - v[1], q[2] - v[2]];
    },
  });
}

// Eyelids: an upper and a lower shell in front of each eye. Blink brings the
// upper edge down past the middle, wide lifts it, squint lifts the lower lid.
for (const [s, sfx] of [[1, 'Left'], [-1, 'Right']]) {
  const c = [s * EYE_X, EYE_Y, EYE_Z], R = EYE_R * 1.1, rings = 6, segs = 14;
  const UP_REST = 0.95, UP_BLINK = 1.72, UP_WIDE = 0.62, LOW_REST = 2.2, LOW_SQUINT = 1.82;
  const at = (th, ph) => [c[0] + R * Math.sin(th) * Math.sin(ph), c[1] + R * Math.cos(th), c[2] + R * Math.sin(th) * Math.cos(ph)];
  const upper = ellipsoid({ c, r: [R, R, R], rings, segs, th0: 0.05, th1: UP_REST, ph0: -1.5, ph1: 1.5 });
  const lower = ellipsoid({ c, r: [R, R, R], rings, segs, th0: LOW_REST, th1: Math.PI - 0.05, ph0: -1.5, ph1: 1.5 });
  const nUp = upper.pos.length;
  const g = merge(upper, lower);
  parts.push({
    name: `Eyelid${sfx}`, geom: g, material: 'lid',
    morph: (ch, p, vi) => {
      const isUpper = vi < nUp;
      const local = isUpper ? vi : vi - nUp, i = Math.floor(local / (segs + 1)), j = local % (segs + 1);
      const f = i / rings, ph = -1.5 + (3 * j) / segs;
      const thRest = isUpper ? 0.05 + (UP_REST - 0.05) * f : LOW_REST + (Math.PI - 0.05 - LOW_REST) * f;
      const moveTo = (th) => { const a = at(th, ph), b = at(thRest, ph); return [a[0] - b[0], a[1] - b[1], a[2] - b[2]]; };
      if (ch === `eyeBlink${sfx}` && isUpper) return moveTo(0.05 + (UP_BLINK - 0.05) * f);
      if (ch === `eyeWide${sfx}` && isUpper) return moveTo(0.05 + (UP_WIDE - 0.05) * f);
      if (ch === `eyeSquint${sfx}` && !isUpper) return moveTo(LOW_SQUINT + (Math.PI - 0.05 - LOW_SQUINT) * f);
      if (ch === `cheekSquint${sfx}` && !isUpper) return moveTo(LOW_REST - 0.2 + (Math.PI - 0.05 - LOW_REST + 0.2) * f);
      return null;
    },
  });
}

// Lips: an upper and a lower half-ellipsoid meeting at the mouth line.
{
  const upper = ellipsoid({ c: [0, MOUTH_Y + 0.004, MOUTH_Z], r: [MOUTH_W, 0.0065, 0.009], rings: 5, segs: 16, ph0: -1.6, ph1: 1.6 });
  const lower = ellipsoid({ c: [0, MOUTH_Y - 0.0045, MOUTH_Z], r: [MOUTH_W * 0.95, 0.0075, 0.0095], rings: 5, segs: 16, ph0: -1.6, ph1: 1.6 });
  const nUp = upper.pos.length;
  parts.push({
    name: 'Lips', geom: merge(upper, lower), material: 'lips',
    morph: (ch, p, vi) => lipMotion(ch, p, vi < nUp ? 1 : -1),
  });
}

// The mouth cavity: a dark disc between the lips; its lower half follows the lower lip.
{
  const g = ellipsoid({ c: [0, MOUTH_Y, MOUTH_Z - 0.001], r: [MOUTH_W * 0.92, 0.0025, 0.004], rings: 4, segs: 12, ph0: -1.5, ph1: 1.5 });
  parts.push({
    name: 'MouthCavity', geom: g, material: 'cavity',
    morph: (ch, p) => lipMotion(ch, p, p[1] >= MOUTH_Y ? 1 : -1),
  });
}

// Teeth: an upper and a lower row just behind the lips; the lower row rides on the jaw.
{
  const upper = box([0, MOUTH_Y + 0.0035, MOUTH_Z - 0.0005], [MOUTH_W * 0.7, 0.0035, 0.002]);
  const lower = box([0, MOUTH_Y - 0.0035, MOUTH_Z - 0.0008], [MOUTH_W * 0.62, 0.0032, 0.002]);
  const nUp = upper.pos.length;
  parts.push({
    name: 'Teeth', geom: merge(upper, lower), material: 'teeth',
    morph: (ch, p, vi) => (vi >= nUp ? jawMotion(ch, p) : null),
  });
}

// Tongue: inside the mouth; tongueOut pushes it forward and down over the lower lip.
{
  const g = ellipsoid({ c: [0, MOUTH_Y - 0.004, MOUTH_Z - 0.0015], r: [MOUTH_W * 0.55, 0.002, 0.006], rings: 6, segs: 10 });
  parts.push({
    name: 'Tongue', geom: g, material: 'tongue',
    morph: (ch, p) => {
      if (ch === 'tongueOut') return [0, -0.012 - 0.4 * (p[2] - MOUTH_Z), 0.02];
      const jm = jawMotion(ch, p, 0.8);
      return jm;
    },
  });
}

// ---- glTF writer ---------------------------------------------------------------------------

const materials = {
  skin: [0.93, 0.72, 0.6, 1], brow: [0.25, 0.16, 0.11, 1], eye: [1, 1, 1, 1], lid: [0.9, 0.68, 0.56, 1],
  lips: [0.76, 0.3, 0.32, 1], cavity: [0.22, 0.05, 0.07, 1], teeth: [0.97, 0.96, 0.92, 1], tongue: [0.85, 0.42, 0.47, 1],
};
const matNames = Object.keys(materials);

const chunks = [];
let byteLength = 0;
const bufferViews = [], accessors = [];
function addView(typed, target) {
  const bytes = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  const pad = (4 - (byteLength % 4)) % 4;
  if (pad) { chunks.push(new Uint8Array(pad)); byteLength += pad; }
  const view = { buffer: 0, byteOffset: byteLength, byteLength: bytes.length };
  if (target) view.target = target;
  chunks.push(bytes);
  byteLength += bytes.length;
  bufferViews.push(view);
  return bufferViews.length - 1;
}
const round6 = (x) => Math.fround(x);
function minMax(vecs) {
  const min = [Infinity, Infinity, Infinity], max = [-Infinity, -Infinity, -Infinity];
  for (const v of vecs) for (let k = 0; k < 3; k++) { min[k] = Math.min(min[k], round6(v[k])); max[k] = Math.max(max[k], round6(v[k])); }
  return { min, max };
}
function addVec3(vecs, withBounds = false) {
  const a = new Float32Array(vecs.length * 3);
  vecs.forEach((v, i) => a.set(v, i * 3));
  const acc = { bufferView: addView(a, 34962), componentType: 5126, count: vecs.length, type: 'VEC3' };
  if (withBounds) Object.assign(acc, minMax(vecs));
  accessors.push(acc);
  return accessors.length - 1;
}
function addVec4(vecs) {
  const a = new Float32Array(vecs.length * 4);
  vecs.forEach((v, i) => a.set(v, i * 4));
  accessors.push({ bufferView: addView(a, 34962), componentType: 5126, count: vecs.length, type: 'VEC4' });
  return accessors.length - 1;
}
function addIndices(idx) {
  const a = new Uint16Array(idx);
  accessors.push({ bufferView: addView(a, 34963), componentType: 5123, count: idx.length, type: 'SCALAR' });
  return accessors.length - 1;
}
function addSparseTarget(n, entries) {
  const ind = new Uint16Array(entries.map((e) => e[0]));
  const val = new Float32Array(entries.length * 3);
  entries.forEach((e, i) => val.set(e[1], i * 3));
  const disp = [[0, 0, 0], ...entries.map((e) => e[1])];
  accessors.push({
    componentType: 5126, count: n, type: 'VEC3', ...minMax(disp),
    sparse: { count: entries.length, indices: { bufferView: addView(ind), componentType: 5123 }, values: { bufferView: addView(val) } },
  });
  return accessors.length - 1;
}

const meshes = [], nodes = [];
let channelsCovered = new Set();
for (const part of parts) {
  const { geom } = part;
  if (geom.pos.length > 65535) throw new Error(`${part.name}: too many vertices`);
  const targets = [], targetNames = [];
  for (const ch of NAMES) {
    const entries = [];
    geom.pos.forEach((p, i) => {
      const d = part.morph(ch, p, i);
      if (d && Math.hypot(...d) > 2e-5) entries.push([i, d.map((x) => Math.fround(x))]);
    });
    if (entries.length) {
      targets.push({ POSITION: addSparseTarget(geom.pos.length, entries) });
      targetNames.push(ch);
      channelsCovered.add(ch);
    }
  }
  const prim = {
    attributes: { POSITION: addVec3(geom.pos, true), NORMAL: addVec3(geom.nrm) },
    indices: addIndices(geom.idx), material: matNames.indexOf(part.material), mode: 4,
  };
  if (geom.col) prim.attributes.COLOR_0 = addVec4(geom.col);
  if (targets.length) prim.targets = targets;
  const mesh = { name: part.name, primitives: [prim] };
  if (targets.length) { mesh.weights = targets.map(() => 0); mesh.extras = { targetNames }; }
  meshes.push(mesh);
  nodes.push({ name: part.name, mesh: meshes.length - 1 });
}
const missing = NAMES.filter((n) => !channelsCovered.has(n));
if (missing.length) throw new Error(`channels without a morph target: ${missing.join(', ')}`);

const bin = new Uint8Array(byteLength);
let off = 0;
for (const c of chunks) { bin.set(c, off); off += c.length; }

const gltf = {
  asset: {
    version: '2.0',
    generator: 'animasync scripts/make_test_avatar.mjs',
    copyright: 'animasync project; generated, not authored',
    extras: { comment: 'Generated by `node scripts/make_test_avatar.mjs web/assets/test-avatar.gltf`: do not edit; rerun the script.' },
  },
  scene: 0,
  scenes: [{ name: 'TestAvatar', nodes: [nodes.length] }],
  nodes: [...nodes, { name: 'TestAvatar', children: nodes.map((_, i) => i), translation: [0, 1.6, 0] }],
  meshes,
  materials: matNames.map((name) => ({
    name, pbrMetallicRoughness: { baseColorFactor: materials[name], metallicFactor: 0, roughnessFactor: name === 'eye' ? 0.25 : 0.65 },
  })),
  accessors,
  bufferViews,
  buffers: [{ byteLength, uri: `data:application/octet-stream;base64,${Buffer.from(bin).toString('base64')}` }],
};

mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, JSON.stringify(gltf) + '\n');
const targetsTotal = meshes.reduce((n, m) => n + (m.extras ? m.extras.targetNames.length : 0), 0);
console.log(`${OUT}: ${meshes.length} meshes, ${targetsTotal} morph targets covering all ${NAMES.length} ARKit channels, ${(byteLength / 1024).toFixed(0)} KiB of buffers`);
