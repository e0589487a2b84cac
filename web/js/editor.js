// web/js/editor.js — the preset editor: pick a class and level, edit its 52
// weights with sliders grouped by face region (optionally linked left/right),
// watch the face, compare the authored preset with what the compiler gives at
// the anchor and at nearby VAD points, run the quality contract on the edited
// bank, and save it (PUT /api/presets) or export / import JSON.
//
// The bank is kept as one document of the data/presets.json schema; the
// compare grid and the contract run send that document with each request, so
// the server's own bank changes only on Save.
//
// URL parameters: ?emotion=NAME&level=L to open a preset.

import { NAMES, INDEX, REGIONS, mirrorName, fromObject } from './channels.js';
import { Face2D } from './face2d.js';
import { api } from './api.js';

const $ = (id) => document.getElementById(id);
const round4 = (x) => Math.round(x * 1e4) / 1e4;

class Editor {
  constructor(emotions, doc) {
    this.emotions = emotions;              // GET /api/emotions
    this.classes = emotions.classes;
    this.bank = new Map();                 // "emotion:level" -> number[52]
    this.saved = new Map();                // the same as last loaded or saved
    this.meta = doc;                       // the document's other fields
    this.loadDoc(doc, true);
    this.face = new Face2D($('face'), { title: 'edited preset' });
    this.faceAuthored = new Face2D($('face-authored'), { title: 'authored preset' });
    this.faceCompiled = new Face2D($('face-compiled'), { title: 'compiler at the anchor' });
    this.gridFaces = [];
    this.gridCaptions = [];
    for (let i = 0; i < 9; i++) {
      const cell = document.createElement('div');
      const box = document.createElement('div');
      box.className = 'face-box small-face';
      const cap = document.createElement('div');
      cap.className = 'caption';
      cell.append(box, cap);
      $('grid').appendChild(cell);
      this.gridFaces.push(new Face2D(box, { title: `VAD grid ${i}` }));
      this.gridCaptions.push(cap);
    }
    this.sliders = {};
    this.buildSliders();
    this.compareTimer = 0;
    this.compareSeq = 0;
  }

  key(e = this.emotion, l = this.level) { return `${e}:${l}`; }

  /** Loads presets from a document; complete = it holds the whole bank. */
  loadDoc(doc, complete) {
    if (!doc || !Array.isArray(doc.presets)) throw new Error('not a preset document (needs a "presets" array)');
    for (const p of doc.presets) {
      const cls = this.classes.find((c) => c.name === p.emotion);
      if (!cls) throw new Error(`unknown class "${p.emotion}"`);
      const level = p.emotion === 'neutral' ? 3 : p.level;
      if (!cls.levels.includes(level)) throw new Error(`${p.emotion}: level ${p.level} is not one of ${cls.levels.join(', ')}`);
      for (const name of Object.keys(p.weights || {}))
        if (INDEX[name] === undefined) throw new Error(`${p.emotion} L${level}: unknown channel "${name}"`);
      const w = Array.from(fromObject(p.weights), round4);
      this.bank.set(this.key(p.emotion, level), w);
      if (complete) this.saved.set(this.key(p.emotion, level), w.slice());
    }
  }

  /** The bank as a data/presets.json document, in bank order. */
  toDoc() {
    const presets = [];
    for (const c of this.classes)
      for (const level of c.levels) {
        const w = this.bank.get(this.key(c.name, level));
        if (!w) continue;
        const weights = {};
        NAMES.forEach((n, i) => { if (w[i] !== 0) weights[n] = round4(w[i]); });
        presets.push({ emotion: c.name, level, weights });
      }
    return { format: 'animasync-presets', version: 1, comment: 'edited with the animasync preset editor', presets };
  }

  isDirty(key) {
    const a = this.bank.get(key), b = this.saved.get(key);
    return !b || a.some((x, i) => x !== b[i]);
  }
  anyDirty() { return [...this.bank.keys()].some((k) => this.isDirty(k)); }

  current() { return this.bank.get(this.key()); }

  select(emotion, level) {
    const cls = this.classes.find((c) => c.name === emotion) || this.classes[0];
    this.emotion = cls.name;
    this.level = cls.levels.includes(level) ? level : cls.levels[Math.floor(cls.levels.length / 2)];
    $('emotion').value = this.emotion;
    $('level').innerHTML = cls.levels.map((l) => `<option value="${l}">L${l}</option>`).join('');
    $('level').value = String(this.level);
    this.refresh();
  }

  buildSliders() {
    const root = $('sliders');
    for (const region of REGIONS) {
      const fs = document.createElement('fieldset');
      fs.innerHTML = `<legend>${region.name}</legend>`;
      for (const name of region.channels) {
        const row = document.createElement('div');
        row.className = 'slider';
        row.innerHTML = `<span title="${name}">${name}</span><input type="range" min="0" max="1" step="0.01" data-channel="${name}">` +
          `<input type="number" min="0" max="1" step="0.01" data-channel="${name}">`;
        const [range, num] = row.querySelectorAll('input');
        range.addEventListener('input', () => this.set(name, Number(range.value)));
        num.addEventListener('change', () => this.set(name, Math.min(1, Math.max(0, Number(num.value) || 0))));
        this.sliders[name] = { row, range, num };
        fs.appendChild(row);
      }
      root.appendChild(fs);
    }
  }

  /** Sets one channel of the current preset (and its mirror when linked). */
  set(name, value) {
    const w = this.current();
    w[INDEX[name]] = round4(value);
    if ($('link-lr').checked) w[INDEX[mirrorName(name)]] = round4(value);
    this.refresh();
  }

  copySide(fromLeft) {
    const w = this.current();
    NAMES.forEach((n, i) => {
      const m = mirrorName(n);
      const isSource = fromLeft ? (n.endsWith('Left') || n === 'jawLeft' || n === 'mouthLeft') : (n.endsWith('Right') || n === 'jawRight' || n === 'mouthRight');
      if (isSource && m !== n) w[INDEX[m]] = w[i];
    });
    this.refresh();
  }

  refresh() {
    const w = this.current(), saved = this.saved.get(this.key());
    for (const name of NAMES) {
      const s = this.sliders[name], v = w[INDEX[name]];
      s.range.value = String(v);
      if (document.activeElement !== s.num) s.num.value = String(v);
      s.row.classList.toggle('changed', !!saved && saved[INDEX[name]] !== v);
    }
    this.face.update(w);
    this.faceAuthored.update(w);
    for (const opt of $('emotion').options) {
      const c = this.classes.find((x) => x.name === opt.value);
      opt.textContent = c.name + (c.levels.some((l) => this.isDirty(this.key(c.name, l))) ? ' •' : '');
    }
    const dirty = this.anyDirty();
    $('dirty-badge').textContent = dirty ? 'unsaved changes' : 'saved';
    $('dirty-badge').className = `badge ${dirty ? 'dirty' : 'saved'}`;
    document.body.dataset.dirty = dirty ? '1' : '0';
    this.scheduleCompare();
  }

  scheduleCompare() {
    clearTimeout(this.compareTimer);
    document.body.dataset.gridReady = '0';
    this.compareTimer = setTimeout(() => this.compare(), 200);
  }

  /** Compiles the edited bank at the anchor and at the 3x3 VAD neighbourhood. */
  async compare() {
    const seq = ++this.compareSeq;
    const cls = this.classes.find((c) => c.name === this.emotion);
    const [v, a, d] = cls.anchors[this.level - 1];
    const step = Number($('grid-step').value);
    const doc = this.toDoc(), authored = this.current().slice();
    const clamp = (x) => Math.min(1, Math.max(0, x));
    const cells = [];
    for (const da of [step, 0, -step]) for (const dv of [-step, 0, step]) cells.push([clamp(v + dv), clamp(a + da), d]);
    try {
      const faces = await Promise.all(cells.map((vad) =>
        api.compile({ emotion: this.emotion, level: this.level, vad, presets: doc })));
      if (seq !== this.compareSeq) return; // a newer edit superseded this run
      const maxDiff = (w) => Math.max(...w.map((x, i) => Math.abs(x - authored[i])));
      faces.forEach((f, i) => {
        this.gridFaces[i].update(f.weights);
        const [cv, ca] = cells[i];
        this.gridCaptions[i].textContent = `V ${cv.toFixed(2)} A ${ca.toFixed(2)} · Δ ${maxDiff(f.weights).toFixed(3)}`;
      });
      const centre = faces[4].weights;
      this.faceCompiled.update(centre);
      $('compiled-caption').textContent = `compiler at the anchor (V ${v.toFixed(2)} A ${a.toFixed(2)} D ${d.toFixed(2)}) · max |Δ| ${maxDiff(centre).toExponential(1)}`;
      document.body.dataset.gridReady = '1';
    } catch (err) {
      if (seq === this.compareSeq) this.msg(err.message, true);
    }
  }

  async check() {
    $('check-msg').textContent = 'running…';
    $('check').disabled = true;
    document.body.dataset.checkDone = '0';
    try {
      const t0 = performance.now();
      const rep = await api.check({ presets: this.toDoc() });
      const failed = rep.metrics.filter((m) => !m.pass);
      $('check-msg').textContent = (rep.pass ? 'all metrics pass' : `${failed.length} of ${rep.metrics.length} fail`) +
        ` (${Math.round(performance.now() - t0)} ms)`;
      $('check-msg').className = `msg grow ${rep.pass ? '' : 'error'}`;
      $('metrics').innerHTML = '<tr><th>metric</th><th>value</th><th>bound</th><th></th><th>where</th></tr>' +
        rep.metrics.map((m) => `<tr class="${m.pass ? 'pass' : 'fail'}"><td>${m.name}</td><td>${Number(m.value).toPrecision(4)}</td>` +
          `<td>${m.bound} ${m.threshold}</td><td class="res">${m.pass ? 'pass' : 'FAIL'}</td><td>${escapeHtml(m.detail)}</td></tr>`).join('');
      document.body.dataset.checkDone = rep.pass ? 'pass' : 'fail';
    } catch (err) {
      $('check-msg').textContent = err.message;
      $('check-msg').className = 'msg grow error';
      document.body.dataset.checkDone = 'error';
    } finally {
      $('check').disabled = false;
    }
  }

  async save() {
    try {
      const res = await api.savePresets(this.toDoc());
      for (const [k, w] of this.bank) this.saved.set(k, w.slice());
      this.msg(`saved to ${res.saved}; the server uses it from now on`);
      this.refresh();
    } catch (err) {
      this.msg(`not saved: ${err.message}`, true);
    }
  }

  exportJson() {
    const blob = new Blob([JSON.stringify(this.toDoc(), null, 1) + '\n'], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = 'presets.json';
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  async importJson(file) {
    try {
      const doc = JSON.parse(await file.text());
      this.loadDoc(doc, false);
      this.msg(`imported ${doc.presets.length} presets from ${file.name} (not saved yet)`);
      this.refresh();
    } catch (err) {
      this.msg(`${file.name}: ${err.message}`, true);
    }
  }

  msg(text, error = false) {
    $('msg').textContent = text;
    $('msg').className = error ? 'msg error' : 'msg';
  }
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
}

(async () => {
  let emotions, doc;
  try {
    [emotions, doc] = await Promise.all([api.emotions(), api.presets()]);
  } catch (err) {
    $('server-status').textContent = 'no server';
    document.querySelector('main').innerHTML = `<section class="panel"><p class="msg error">The editor needs \`animasync serve\`: ${escapeHtml(err.message)}</p></section>`;
    return;
  }
  $('server-status').textContent = `server: ${location.host}`;
  $('emotion').innerHTML = emotions.classes.map((c) => `<option value="${c.name}">${c.name}</option>`).join('');
  const editor = new Editor(emotions, doc);
  window.__animasync = { editor };
  const params = new URLSearchParams(location.search);
  editor.select(params.get('emotion') || 'joy', Number(params.get('level')) || 3);
  $('emotion').addEventListener('change', () => editor.select($('emotion').value, editor.level));
  $('level').addEventListener('change', () => editor.select(editor.emotion, Number($('level').value)));
  $('copy-lr').addEventListener('click', () => editor.copySide(true));
  $('copy-rl').addEventListener('click', () => editor.copySide(false));
  $('revert').addEventListener('click', () => { editor.bank.set(editor.key(), editor.saved.get(editor.key()).slice()); editor.refresh(); });
  $('zero').addEventListener('click', () => { editor.current().fill(0); editor.refresh(); });
  $('save').addEventListener('click', () => editor.save());
  $('export').addEventListener('click', () => editor.exportJson());
  $('import').addEventListener('change', (ev) => ev.target.files[0] && editor.importJson(ev.target.files[0]));
  $('check').addEventListener('click', () => editor.check());
  $('grid-step').addEventListener('change', () => editor.scheduleCompare());
  window.addEventListener('beforeunload', (ev) => { if (editor.anyDirty()) ev.preventDefault(); });
  document.body.dataset.ready = '1';
})();
