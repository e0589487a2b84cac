// web/js/plot.js — channel curves over time on a canvas: chosen channels as
// coloured lines (0..1), the emotion segments as a coloured band on top, and
// a cursor at the playing time. Clicking or dragging seeks.

import { INDEX } from './channels.js';

const CURVE_COLORS = ['#2f6db5', '#d9480f', '#2b8a3e', '#ae3ec9', '#e67700', '#0b7285', '#c2255c', '#5c940d'];

/** A stable colour per emotion name (class names get fixed hues by family). */
const EMOTION_COLORS = {
  neutral: '#adb5bd', joy: '#fab005', gratitude: '#ffd43b', laughter: '#f59f00', excitement: '#ff922b',
  agreement: '#94d82d', sadness: '#4dabf7', crying: '#1c7ed6', sulk: '#748ffc', apology: '#91a7ff',
  worry: '#9775fa', anger: '#fa5252', refusal: '#e8590c', surprise: '#20c997', fluster: '#f783ac', shy: '#faa2c1',
};
export function emotionColor(name) {
  if (EMOTION_COLORS[name]) return EMOTION_COLORS[name];
  let h = 0;
  for (const c of String(name)) h = (h * 31 + c.codePointAt(0)) % 360;
  return `hsl(${h} 60% 60%)`;
}

export class Plot {
  constructor(canvas, { onSeek } = {}) {
    this.canvas = canvas;
    this.onSeek = onSeek;
    this.anim = null;
    this.channels = ['jawOpen', 'mouthClose', 'mouthSmileLeft', 'eyeBlinkLeft', 'browInnerUp'];
    this.time = 0;
    this.base = document.createElement('canvas'); // curves, redrawn only when data or size change
    let dragging = false;
    const seek = (ev) => {
      if (!this.anim || !this.onSeek) return;
      const r = canvas.getBoundingClientRect();
      const x = Math.min(Math.max(ev.clientX - r.left, 0), r.width);
      this.onSeek((x / r.width) * this.duration());
    };
    canvas.addEventListener('pointerdown', (ev) => { dragging = true; canvas.setPointerCapture(ev.pointerId); seek(ev); });
    canvas.addEventListener('pointermove', (ev) => { if (dragging) seek(ev); });
    canvas.addEventListener('pointerup', () => { dragging = false; });
    new ResizeObserver(() => this.redraw()).observe(canvas);
  }

  duration() { return this.anim ? this.anim.numFrames / this.anim.fps : 0; }
  colorOf(name) { return CURVE_COLORS[this.channels.indexOf(name) % CURVE_COLORS.length]; }

  setAnimation(anim) { this.anim = anim; this.redraw(); }
  setChannels(names) { this.channels = names.slice(); this.redraw(); }

  redraw() {
    const c = this.canvas, dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(c.clientWidth * dpr)), h = Math.max(1, Math.round(c.clientHeight * dpr));
    c.width = w; c.height = h;
    this.base.width = w; this.base.height = h;
    const g = this.base.getContext('2d');
    g.fillStyle = '#fff'; g.fillRect(0, 0, w, h);
    const band = 18 * dpr, top = band + 4 * dpr, bottom = h - 4 * dpr;
    g.strokeStyle = '#eceae5'; g.lineWidth = 1;
    for (const v of [0, 0.25, 0.5, 0.75, 1]) {
      const y = bottom - v * (bottom - top);
      g.beginPath(); g.moveTo(0, y); g.lineTo(w, y); g.stroke();
    }
    const a = this.anim;
    if (a && a.numFrames > 0) {
      const dur = this.duration();
      for (const s of a.segments || []) { // the emotion band
        const x0 = (s.start / dur) * w, x1 = (s.end / dur) * w;
        g.fillStyle = emotionColor(s.emotion);
        g.fillRect(x0, 0, Math.max(1, x1 - x0), band);
        g.fillStyle = '#222'; g.font = `${11 * dpr}px system-ui, sans-serif`;
        const label = `${s.emotion}${s.intensity !== undefined ? ' ' + Math.round(s.intensity * 100) : ''}`;
        if (x1 - x0 > 30 * dpr) g.fillText(label, x0 + 4 * dpr, 13 * dpr, x1 - x0 - 6 * dpr);
      }
      g.lineWidth = 1.5 * dpr;
      for (const name of this.channels) {
        const ch = INDEX[name];
        if (ch === undefined) continue;
        g.strokeStyle = this.colorOf(name);
        g.beginPath();
        for (let i = 0; i < a.numFrames; i++) {
          const x = ((i / a.fps) / dur) * w, y = bottom - a.frames[i * 52 + ch] * (bottom - top);
          if (i) g.lineTo(x, y); else g.moveTo(x, y);
        }
        g.stroke();
      }
    }
    this.draw();
  }

  /** Draws the cursor at time t (seconds). */
  draw(t = this.time) {
    this.time = t;
    const c = this.canvas, g = c.getContext('2d');
    if (!c.width) return;
    g.drawImage(this.base, 0, 0);
    const dur = this.duration();
    if (dur > 0) {
      const x = Math.min(1, t / dur) * c.width;
      g.strokeStyle = '#111'; g.lineWidth = 1.5 * (window.devicePixelRatio || 1);
      g.beginPath(); g.moveTo(x, 0); g.lineTo(x, c.height); g.stroke();
    }
  }
}
