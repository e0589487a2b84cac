// web/js/face2d.js — the built-in 2D face: an SVG drawing whose every part is
// computed from the 52 ARKit weights, so an animation can be judged without
// any 3D asset. Each of the 52 channels moves something visible (the
// browser test proves it channel by channel):
//
//   eyeBlink*        upper lid closes          eyeWide*        upper lid opens wider
//   eyeSquint*       lower lid rises           eyeLook*        iris moves (in = toward the nose)
//   brow*            brow ends rise or fall, forehead and frown lines
//   cheekSquint*     cheek rises, lower lid bulges   cheekPuff  face outline and cheeks swell
//   noseSneer*       nostril wing rises, wrinkle on that side
//   jawOpen          chin and lower lip drop   jawLeft/Right   chin, lower lip, teeth shift
//   jawForward       chin extends, lower teeth in front of upper (underbite)
//   mouthClose       lips close against an open jaw   mouthFunnel/Pucker  lips round and pout
//   mouthLeft/Right  whole mouth shifts        mouthSmile/Frown/Dimple/Stretch*  corner moves
//   mouthRoll*       lip rolls in (thinner)    mouthShrug*     lip pushed up, chin bunches
//   mouthPress*      lip thins and presses     mouthLowerDown* / mouthUpperUp*  lip moves on that side
//   tongueOut        tongue out over the lower lip
//
// The face is drawn as a camera sees it: the subject's left ("...Left"
// channels) is on the viewer's right.

import { INDEX, NUM_CHANNELS } from './channels.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
let instances = 0;

const COLORS = {
  skin: '#f2c9a8', skinShade: '#e3ae8b', hair: '#3b2a20', brow: '#4b3324', lips: '#c45a5f',
  lipsLower: '#cf6a6d', cavity: '#4a1418', teeth: '#f8f6ef', tongue: '#d8707c', iris: '#4f7aa6',
  line: '#7a4a36', blush: '#f08a8a',
};

const f1 = (x) => Math.round(x * 10) / 10;
const pt = (p) => `${f1(p[0])} ${f1(p[1])}`;

/** A smooth open curve through points (Catmull-Rom as cubic Beziers),
 *  continuing a path (no M). */
function curveThrough(points) {
  let d = '';
  for (let i = 0; i < points.length - 1; i++) {
    const p0 = points[Math.max(i - 1, 0)], p1 = points[i], p2 = points[i + 1];
    const p3 = points[Math.min(i + 2, points.length - 1)];
    const c1 = [p1[0] + (p2[0] - p0[0]) / 6, p1[1] + (p2[1] - p0[1]) / 6];
    const c2 = [p2[0] - (p3[0] - p1[0]) / 6, p2[1] - (p3[1] - p1[1]) / 6];
    d += ` C ${pt(c1)} ${pt(c2)} ${pt(p2)}`;
  }
  return d;
}

/** A smooth closed curve through points. */
function closedCurve(points) {
  const n = points.length;
  let d = `M ${pt(points[0])}`;
  for (let i = 0; i < n; i++) {
    const p0 = points[(i - 1 + n) % n], p1 = points[i], p2 = points[(i + 1) % n], p3 = points[(i + 2) % n];
    const c1 = [p1[0] + (p2[0] - p0[0]) / 6, p1[1] + (p2[1] - p0[1]) / 6];
    const c2 = [p2[0] - (p3[0] - p1[0]) / 6, p2[1] - (p3[1] - p1[1]) / 6];
    d += ` C ${pt(c1)} ${pt(c2)} ${pt(p2)}`;
  }
  return d + ' Z';
}

function el(tag, attrs = {}, parent = null) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

export class Face2D {
  /** container: an element the SVG is appended to. */
  constructor(container, { title = 'face' } = {}) {
    const id = `face${++instances}`;
    this.id = id;
    const svg = el('svg', { viewBox: '0 0 400 480', class: 'face2d', role: 'img', 'aria-label': title });
    this.svg = svg;
    const defs = el('defs', {}, svg);
    const clipEyeL = el('clipPath', { id: `${id}-eyeL` }, defs);
    const clipEyeR = el('clipPath', { id: `${id}-eyeR` }, defs);
    const clipMouth = el('clipPath', { id: `${id}-mouth` }, defs);
    const p = (attrs, parent = svg) => el('path', attrs, parent);
    this.e = {};
    const e = this.e;
    e.hair = p({ fill: COLORS.hair });
    e.neck = p({ fill: COLORS.skinShade });
    e.earL = el('ellipse', { fill: COLORS.skinShade, cx: 52, cy: 245, rx: 18, ry: 34 }, svg);
    e.earR = el('ellipse', { fill: COLORS.skinShade, cx: 348, cy: 245, rx: 18, ry: 34 }, svg);
    e.face = p({ fill: COLORS.skin, stroke: COLORS.skinShade, 'stroke-width': 2 });
    e.fringe = p({ fill: COLORS.hair });
    e.foreheadLines = p({ fill: 'none', stroke: COLORS.line, 'stroke-width': 1.6, 'stroke-linecap': 'round' });
    e.frownLines = p({ fill: 'none', stroke: COLORS.line, 'stroke-width': 1.8, 'stroke-linecap': 'round' });
    for (const s of ['L', 'R']) {
      e[`blush${s}`] = el('ellipse', { fill: COLORS.blush }, svg);
      e[`eyeClip${s}`] = p({}, s === 'L' ? clipEyeL : clipEyeR);
      e[`white${s}`] = p({ fill: '#fbfbf8' });
      const g = el('g', { 'clip-path': `url(#${id}-eye${s})` }, svg);
      e[`iris${s}`] = el('circle', { r: 12.5, fill: COLORS.iris }, g);
      e[`pupil${s}`] = el('circle', { r: 5.5, fill: '#111' }, g);
      e[`glint${s}`] = el('circle', { r: 2.6, fill: '#fff' }, g);
      e[`upperLid${s}`] = p({ fill: 'none', stroke: '#2b1b14', 'stroke-width': 3.2, 'stroke-linecap': 'round' });
      e[`lowerLid${s}`] = p({ fill: 'none', stroke: '#9b6a55', 'stroke-width': 1.6, 'stroke-linecap': 'round' });
      e[`crease${s}`] = p({ fill: 'none', stroke: COLORS.line, 'stroke-width': 1.4, opacity: 0.45 });
      e[`bulge${s}`] = p({ fill: 'none', stroke: COLORS.line, 'stroke-width': 1.5, 'stroke-linecap': 'round' });
      e[`brow${s}`] = p({ fill: 'none', stroke: COLORS.brow, 'stroke-width': 9, 'stroke-linecap': 'round' });
      e[`sneer${s}`] = p({ fill: 'none', stroke: COLORS.line, 'stroke-width': 1.6, 'stroke-linecap': 'round' });
      e[`fold${s}`] = p({ fill: 'none', stroke: COLORS.line, 'stroke-width': 1.8, 'stroke-linecap': 'round' });
      e[`dimple${s}`] = p({ fill: 'none', stroke: COLORS.line, 'stroke-width': 2, 'stroke-linecap': 'round' });
      e[`wing${s}`] = p({ fill: 'none', stroke: '#b77f62', 'stroke-width': 2.4, 'stroke-linecap': 'round' });
    }
    e.noseBridge = p({ fill: 'none', stroke: '#d29c7b', 'stroke-width': 2, 'stroke-linecap': 'round' });
    e.noseBase = p({ fill: 'none', stroke: '#b77f62', 'stroke-width': 2.4, 'stroke-linecap': 'round' });
    e.chinCrease = p({ fill: 'none', stroke: COLORS.line, 'stroke-width': 1.6, 'stroke-linecap': 'round' });
    e.chinBumps = p({ fill: 'none', stroke: COLORS.line, 'stroke-width': 1.2, 'stroke-linecap': 'round' });
    // the mouth: cavity, teeth and tongue clipped to the opening, then the lips
    e.mouthClip = p({}, clipMouth);
    e.cavity = p({ fill: COLORS.cavity });
    const gm = el('g', { 'clip-path': `url(#${id}-mouth)` }, svg);
    e.tongue = el('ellipse', { fill: COLORS.tongue }, gm);
    e.lowerTeeth = el('rect', { fill: COLORS.teeth, rx: 3 }, gm);
    e.upperTeeth = el('rect', { fill: COLORS.teeth, rx: 3 }, gm);
    e.underbite = el('rect', { fill: COLORS.teeth, rx: 3 }, gm);
    e.upperLip = p({ fill: COLORS.lips });
    e.lowerLip = p({ fill: COLORS.lipsLower });
    e.lipLine = p({ fill: 'none', stroke: '#7a2830', 'stroke-width': 1.6, 'stroke-linecap': 'round' });
    e.puckerLines = p({ fill: 'none', stroke: '#8e3940', 'stroke-width': 1.2, 'stroke-linecap': 'round' });
    e.tongueOut = p({ fill: COLORS.tongue, stroke: '#b44f5c', 'stroke-width': 1.2 });
    container.appendChild(svg);
    this.weights = new Float32Array(NUM_CHANNELS);
    this.update(this.weights);
  }

  /** Draws the face for 52 weights (an array in ARKit order). */
  update(weights) {
    const w = (name) => Math.min(1, Math.max(0, +weights[INDEX[name]] || 0));
    const e = this.e;
    const attr = (node, attrs) => { for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, typeof v === 'number' ? f1(v) : v); };

    // ---- jaw and face outline ----
    const jo = w('jawOpen'), jf = w('jawForward');
    const jx = 22 * (w('jawLeft') - w('jawRight')); // subject's left is the viewer's right (+x)
    const J = 46 * jo;                              // chin drop in px at jawOpen 1
    const puff = w('cheekPuff');
    const outline = [
      [200, 36], [300, 70], [340, 140], [352, 220],
      [350 + 14 * puff, 290], [330 + 20 * puff + 0.3 * jx, 350 + 0.3 * J],
      [292 + 0.6 * jx, 402 + 0.6 * J], [245 + jx, 432 + J + 6 * jf],
      [200 + jx, 442 + J + 10 * jf],
      [155 + jx, 432 + J + 6 * jf], [108 + 0.6 * jx, 402 + 0.6 * J],
      [70 - 20 * puff + 0.3 * jx, 350 + 0.3 * J], [50 - 14 * puff, 290],
      [48, 220], [60, 140], [100, 70],
    ];
    attr(e.face, { d: closedCurve(outline) });
    attr(e.neck, { d: `M 140 380 L 260 380 L 268 480 L 132 480 Z` });
    attr(e.hair, { d: closedCurve([[200, 14], [320, 40], [372, 140], [368, 250], [340, 250], [330, 150], [200, 92], [70, 150], [60, 250], [32, 250], [28, 140], [80, 40]]) });
    attr(e.fringe, { d: 'M 46 230 C 36 110 110 28 200 28 C 292 28 364 110 354 230 L 342 228 C 338 160 310 112 262 96 C 222 84 160 92 128 112 C 92 134 66 176 60 228 Z' });

    // ---- brows ----
    const iu = w('browInnerUp');
    const bdL = w('browDownLeft'), bdR = w('browDownRight');
    for (const [s, side] of [[1, 'L'], [-1, 'R']]) {
      const bd = s > 0 ? bdL : bdR, ou = w(s > 0 ? 'browOuterUpLeft' : 'browOuterUpRight');
      const inner = [200 + s * (30 - 5 * bd), 168 - 26 * iu + 15 * bd];
      const outer = [200 + s * 106, 170 - 24 * ou + 6 * bd];
      const mid = [200 + s * 72, 150 - 14 * ou - 8 * iu + 11 * bd];
      attr(e[`brow${side}`], { d: `M ${pt(inner)} Q ${pt(mid)} ${pt(outer)}` });
    }
    attr(e.foreheadLines, { d: 'M 160 118 Q 200 110 240 118 M 168 132 Q 200 125 232 132', opacity: 0.9 * iu });
    attr(e.frownLines, { d: 'M 192 168 L 189 188 M 208 168 L 211 188', opacity: Math.min(1, 0.9 * (bdL + bdR)) });

    // ---- eyes ----
    for (const [s, side, sfx] of [[1, 'L', 'Left'], [-1, 'R', 'Right']]) {
      const ex = 200 + s * 64, ey = 218;
      const blink = w(`eyeBlink${sfx}`), wide = w(`eyeWide${sfx}`), sq = w(`eyeSquint${sfx}`);
      const cs = w(`cheekSquint${sfx}`);
      const a = 30 * (1 - 0.1 * sq);
      const upApex = ey - 15 * (1 + 0.6 * wide) * (1 - blink) + 2 * blink;
      let lowApex = ey + 11 * (1 - 0.6 * sq - 0.3 * cs);
      lowApex = Math.max(lowApex, upApex);
      const L = [ex - a, ey], R = [ex + a, ey];
      const upper = `M ${pt(L)} Q ${pt([ex, 2 * upApex - ey])} ${pt(R)}`;
      const opening = `${upper} Q ${pt([ex, 2 * lowApex - ey])} ${pt(L)} Z`;
      attr(e[`eyeClip${side}`], { d: opening });
      attr(e[`white${side}`], { d: opening });
      attr(e[`upperLid${side}`], { d: upper });
      attr(e[`lowerLid${side}`], { d: `M ${pt(L)} Q ${pt([ex, 2 * lowApex - ey])} ${pt(R)}` });
      const creaseY = Math.min(upApex, ey) - 9 - 5 * wide;
      attr(e[`crease${side}`], { d: `M ${pt([ex - a + 4, ey - 6])} Q ${pt([ex, 2 * creaseY - ey + 6])} ${pt([ex + a - 2, ey - 7])}` });
      const lookIn = w(`eyeLookIn${sfx}`), lookOut = w(`eyeLookOut${sfx}`);
      const lookUp = w(`eyeLookUp${sfx}`), lookDown = w(`eyeLookDown${sfx}`);
      // "in" is toward the nose: for the subject's left eye (viewer right) that is -x
      const ix = ex + s * 14 * (lookOut - lookIn), iy = ey - 1 + 9 * (lookDown - lookUp);
      attr(e[`iris${side}`], { cx: ix, cy: iy });
      attr(e[`pupil${side}`], { cx: ix, cy: iy });
      attr(e[`glint${side}`], { cx: ix + 4, cy: iy - 4 });
      const by = ey + 18 - 5 * cs - 3 * sq;
      attr(e[`bulge${side}`], { d: `M ${pt([ex - 20, by])} Q ${pt([ex, by + 7])} ${pt([ex + 20, by])}`, opacity: Math.min(1, 0.9 * cs + 0.5 * sq) });
      // cheeks: rise with the squint, swell with a puff
      attr(e[`blush${side}`], {
        cx: 200 + s * (92 + 10 * puff), cy: 300 - 24 * cs, rx: 28 + 6 * cs + 14 * puff, ry: 17 + 5 * cs + 10 * puff,
        opacity: 0.18 + 0.35 * cs + 0.25 * puff,
      });
    }

    // ---- nose ----
    const snL = w('noseSneerLeft'), snR = w('noseSneerRight');
    attr(e.noseBridge, { d: 'M 190 215 Q 186 255 182 282' });
    attr(e.noseBase, { d: `M ${pt([180, 302 - 3 * snR])} Q 200 ${f1(312 - 2 * (snL + snR))} ${pt([220, 302 - 3 * snL])}` });
    for (const [s, side, sn] of [[1, 'L', snL], [-1, 'R', snR]]) {
      const wx = 200 + s * 24, wy = 296 - 10 * sn;
      attr(e[`wing${side}`], { d: `M ${pt([wx - s * 4, wy + 8])} Q ${pt([wx + s * 10, wy + 2])} ${pt([wx + s * 2, wy - 12])}` });
      attr(e[`sneer${side}`], { d: `M ${pt([200 + s * 10, 250])} Q ${pt([200 + s * 20, 258])} ${pt([200 + s * 28, 254])} M ${pt([200 + s * 12, 262])} Q ${pt([200 + s * 22, 269])} ${pt([200 + s * 30, 265])}`, opacity: sn });
    }

    // ---- mouth ----
    const pk = w('mouthPucker'), fn = w('mouthFunnel'), cl = w('mouthClose');
    const ru = w('mouthRollUpper'), rl = w('mouthRollLower'), su = w('mouthShrugUpper'), sl = w('mouthShrugLower');
    const prL = w('mouthPressLeft'), prR = w('mouthPressRight');
    const mx = 200 + 26 * (w('mouthLeft') - w('mouthRight')) + 0.3 * jx;
    const my = 352;
    const lipDrop = Math.max(0, J - 46 * cl);        // mouthClose keeps the lips together on an open jaw
    const lowerX = 0.6 * jx;                        // the lower lip rides on the jaw
    const side = (s) => {
      const sfx = s > 0 ? 'Left' : 'Right';
      const sm = w(`mouthSmile${sfx}`), fr = w(`mouthFrown${sfx}`), dm = w(`mouthDimple${sfx}`);
      const st = w(`mouthStretch${sfx}`), pr = s > 0 ? prL : prR;
      const ld = w(`mouthLowerDown${sfx}`), uu = w(`mouthUpperUp${sfx}`);
      const corner = [mx + s * (52 + 16 * sm + 20 * st + 12 * dm - 26 * pk - 20 * fn - 4 * pr) + 0.3 * lowerX,
                      my - 24 * sm + 20 * fr + 8 * st - 2 * dm + 0.2 * lipDrop];
      const thin = 1 - 0.45 * pr;
      return { sm, fr, dm, st, pr, ld, uu, corner, thin };
    };
    const SL = side(1), SR = side(-1);
    const avg = (k) => (SL[k] + SR[k]) / 2;
    const tU = (11 + 5 * pk + 4 * fn + 3 * su + 3 * cl) * (1 - 0.75 * ru);
    const tL = (14 + 6 * pk + 4 * fn + 5 * sl + 5 * jf + 3 * cl) * (1 - 0.75 * rl);
    const lift = 7 * sl + 4 * cl;                   // shrug and close push the lower lip up
    const upInner = (s, S, k) => [mx + s * k * (1 - 0.35 * fn - 0.3 * pk), my - 15 * S.uu - 5 * fn - 4 * su + 2 * S.pr];
    const loInner = (s, S, k) => [mx + lowerX + s * k * (1 - 0.35 * fn - 0.3 * pk), my + lipDrop + 17 * S.ld + 8 * fn - lift - 2 * S.pr];
    // upper lip: inner edge and outer edge, viewer left (subject right) to right
    const uiR = upInner(-1, SR, 24), uiL = upInner(1, SL, 24);
    const uiM = [mx, my - 7.5 * (SL.uu + SR.uu) - 5 * fn - 4 * su];
    const upperInner = [SR.corner, uiR, uiM, uiL, SL.corner];
    const upperOuter = [SL.corner,
      [uiL[0] + 2, uiL[1] - tU * SL.thin - 2], [mx + 11, uiM[1] - tU * avg('thin') - 3], [mx, uiM[1] - tU * avg('thin') + 1],
      [mx - 11, uiM[1] - tU * avg('thin') - 3], [uiR[0] - 2, uiR[1] - tU * SR.thin - 2], SR.corner];
    // lower lip: inner edge never above the upper inner edge
    let liR = loInner(-1, SR, 24), liL = loInner(1, SL, 24);
    let liM = [mx + lowerX, my + lipDrop + 8.5 * (SL.ld + SR.ld) + 8 * fn - lift];
    liR[1] = Math.max(liR[1], uiR[1]); liL[1] = Math.max(liL[1], uiL[1]); liM[1] = Math.max(liM[1], uiM[1]);
    const lowerInner = [SL.corner, liL, liM, liR, SR.corner];
    const lowerOuter = [SR.corner, [liR[0] - 3, liR[1] + tL * SR.thin], [liM[0], liM[1] + tL * avg('thin') + 2],
      [liL[0] + 3, liL[1] + tL * SL.thin], SL.corner];
    const cavity = `M ${pt(SR.corner)}${curveThrough(upperInner)}${curveThrough(lowerInner)} Z`;
    attr(e.mouthClip, { d: cavity });
    attr(e.cavity, { d: cavity });
    attr(e.upperLip, { d: `M ${pt(SR.corner)}${curveThrough(upperInner)}${curveThrough(upperOuter)} Z` });
    attr(e.lowerLip, { d: `M ${pt(SL.corner)}${curveThrough(lowerInner)}${curveThrough(lowerOuter)} Z` });
    attr(e.lipLine, { d: `M ${pt(SR.corner)}${curveThrough(upperInner)}`, opacity: 0.5 + 0.5 * Math.max(prL, prR) });
    const teethTop = uiM[1] - 4;
    attr(e.upperTeeth, { x: mx - 30, y: teethTop, width: 60, height: 13 });
    const lowTop = my + J - 9 - 6 * jf;
    attr(e.lowerTeeth, { x: mx + lowerX - 27, y: lowTop, width: 54, height: 14 });
    // jawForward: the lower teeth come in front of the upper ones
    attr(e.underbite, { x: mx + lowerX - 26, y: teethTop + 8 - 4 * jf + J, width: 52, height: 10, opacity: jf });
    const to = w('tongueOut');
    attr(e.tongue, { cx: mx + lowerX, cy: liM[1] - 3, rx: 24, ry: 9 });
    const tipY = liM[1] + 6 + 44 * to;
    attr(e.tongueOut, {
      d: `M ${pt([mx + lowerX - 17, liM[1] - 4])} C ${pt([mx + lowerX - 20, tipY])} ${pt([mx + lowerX + 20, tipY])} ${pt([mx + lowerX + 17, liM[1] - 4])} Z`,
      opacity: to > 0.01 ? 1 : 0,
    });
    attr(e.puckerLines, {
      d: `M ${pt([mx - 8, uiM[1] - tU + 3])} L ${pt([mx - 7, uiM[1] - 2])} M ${pt([mx + 8, uiM[1] - tU + 3])} L ${pt([mx + 7, uiM[1] - 2])}` +
         ` M ${pt([mx - 9 + lowerX, liM[1] + 3])} L ${pt([mx - 10 + lowerX, liM[1] + tL - 3])} M ${pt([mx + 9 + lowerX, liM[1] + 3])} L ${pt([mx + 10 + lowerX, liM[1] + tL - 3])}`,
      opacity: Math.min(1, pk + 0.6 * fn),
    });
    for (const [s, sd, S, sn] of [[1, 'L', SL, snL], [-1, 'R', SR, snR]]) {
      const c = S.corner;
      attr(e[`fold${sd}`], {
        d: `M ${pt([200 + s * 30, 296 - 10 * sn])} Q ${pt([200 + s * 62, 318 - 4 * S.sm])} ${pt([c[0] + s * 12, c[1] + 4])}`,
        opacity: Math.min(1, 0.6 * S.sm + 0.5 * sn + 0.3 * S.st),
      });
      attr(e[`dimple${sd}`], { d: `M ${pt([c[0] + s * 7, c[1] - 6])} Q ${pt([c[0] + s * 12, c[1]])} ${pt([c[0] + s * 7, c[1] + 6])}`, opacity: S.dm });
    }
    const chinY = liM[1] + tL + 18 + 4 * jf - 5 * sl;
    attr(e.chinCrease, { d: `M ${pt([mx + lowerX - 22, chinY])} Q ${pt([mx + lowerX, chinY + 6])} ${pt([mx + lowerX + 22, chinY])}`, opacity: Math.min(1, 0.2 + 0.7 * sl + 0.3 * jf) });
    attr(e.chinBumps, {
      d: `M ${pt([mx + lowerX - 14, chinY + 14])} q 4 -4 8 0 M ${pt([mx + lowerX + 6, chinY + 14])} q 4 -4 8 0 M ${pt([mx + lowerX - 4, chinY + 22])} q 4 -4 8 0`,
      opacity: sl,
    });
    this.weights = Float32Array.from(weights);
  }
}
