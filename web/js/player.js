// web/js/player.js — the player page: loads an animation (from /api/say, a
// URL, or dropped anim.json / anim.csv + WAV files) and plays it on the 2D
// face and the 3D avatar, driven by the audio clock (the wall clock when
// there is no audio). Play/pause, seek, frame step, speed; channel curves
// with a cursor and the emotion segments as a band.
//
// URL parameters: ?anim=URL (an anim.json to load), ?avatar=URL (a 3D
// avatar), ?view=2d|3d|both.

import { NAMES, NUM_CHANNELS, remapper } from './channels.js';
import { Face2D } from './face2d.js';
import { Plot, emotionColor } from './plot.js';
import { api, serverAvailable } from './api.js';

const $ = (id) => document.getElementById(id);

// ---- animations ------------------------------------------------------------------

/** An animation from an anim.json document: frames in canonical ARKit order. */
export function animFromJson(doc, source = '') {
  if (!doc || !Array.isArray(doc.frames) || !Array.isArray(doc.names)) throw new Error(`${source}: not an anim.json document (needs "names" and "frames")`);
  const fps = +doc.fps;
  if (!(fps > 0)) throw new Error(`${source}: "fps" must be a positive number`);
  const T = doc.frames.length, frames = new Float32Array(T * NUM_CHANNELS);
  const remap = remapper(doc.names), row = new Float32Array(NUM_CHANNELS);
  doc.frames.forEach((f, i) => frames.set(remap(f, row), i * NUM_CHANNELS));
  return { fps, numFrames: T, frames, segments: doc.segments || [], audio: doc.audio || null, source };
}

/** An animation from anim.csv text: "time," + channel names, one row per frame. */
export function animFromCsv(text, source = '') {
  const lines = text.trim().split(/\r?\n/);
  const head = lines[0].split(',');
  if (head[0] !== 'time') throw new Error(`${source}: not an anim.csv (the header must start with "time,")`);
  const remap = remapper(head.slice(1)), row = new Float32Array(NUM_CHANNELS);
  const rows = lines.slice(1).map((l) => l.split(',').map(Number));
  const frames = new Float32Array(rows.length * NUM_CHANNELS);
  rows.forEach((r, i) => frames.set(remap(r.slice(1), row), i * NUM_CHANNELS));
  const fps = rows.length > 1 ? Math.round(1 / (rows[1][0] - rows[0][0])) : 30;
  return { fps, numFrames: rows.length, frames, segments: [], audio: null, source };
}

// ---- the player ---------------------------------------------------------------------

class Player {
  constructor() {
    this.face = new Face2D($('face2d'), { title: 'animated face' });
    this.avatar = null;        // Avatar3D once the 3D view is used
    this.avatarLoading = null;
    this.anim = null;
    this.audio = new Audio();
    this.audio.preload = 'auto';
    this.audioUrl = null;      // blob: URL we own
    this.useAudio = false;     // the audio clock drives playback
    this.playing = false;
    this.pausedAt = 0;         // media time while paused
    this.wallStart = 0;        // wall clock: performance.now() and media time at play
    this.wallMedia = 0;
    this.speed = 1;
    this.frame = new Float32Array(NUM_CHANNELS);
    this.lastFrame = -1;
    this.plot = new Plot($('plot'), { onSeek: (t) => this.seek(t) });
    this.audio.addEventListener('ended', () => { if (this.playing) this.pause(this.duration()); });
    requestAnimationFrame(() => this.tick());
  }

  duration() { return this.anim ? this.anim.numFrames / this.anim.fps : 0; }

  /** The media time now, in seconds. */
  time() {
    if (!this.playing) return this.pausedAt;
    if (this.useAudio) return this.audio.currentTime;
    return this.wallMedia + ((performance.now() - this.wallStart) / 1000) * this.speed;
  }

  frameAt(t) {
    if (!this.anim) return 0;
    return Math.min(this.anim.numFrames - 1, Math.max(0, Math.floor(t * this.anim.fps + 1e-6)));
  }

  async setAudio(url) {
    if (this.audioUrl) URL.revokeObjectURL(this.audioUrl);
    this.audioUrl = null;
    this.useAudio = false;
    this.audio.removeAttribute('src');
    if (!url) return;
    // as a blob: URL, so seeking works whatever the server does with ranges
    const blob = url instanceof Blob ? url : await (await fetch(url)).blob();
    this.audioUrl = URL.createObjectURL(blob);
    this.audio.src = this.audioUrl;
    this.useAudio = true;
  }

  async load(anim, audio) {
    this.pause(0);
    this.anim = anim;
    await this.setAudio(audio);
    this.plot.setAnimation(anim);
    $('seek').max = String(Math.max(1, anim.numFrames - 1));
    this.lastFrame = -1;
    this.seek(0);
    document.body.dataset.animFrames = String(anim.numFrames);
  }

  play() {
    if (!this.anim || this.playing) return;
    if (this.pausedAt >= this.duration() - 1e-6) this.pausedAt = 0;
    this.playing = true;
    this.wallStart = performance.now();
    this.wallMedia = this.pausedAt;
    if (this.useAudio) {
      this.audio.currentTime = this.pausedAt;
      this.audio.playbackRate = this.speed;
      this.audio.play().catch((err) => {
        // no audio output (or autoplay refused): fall back to the wall clock
        console.warn(`audio does not play (${err.message}); using the wall clock`);
        this.useAudio = false;
        this.wallStart = performance.now();
        this.wallMedia = this.pausedAt;
      });
    }
    $('play').textContent = '❚❚ Pause';
  }

  pause(at) {
    const t = at !== undefined ? at : this.time();
    this.playing = false;
    this.audio.pause();
    this.pausedAt = Math.min(Math.max(0, t), this.duration());
    $('play').textContent = '▶ Play';
  }

  seek(t) {
    t = Math.min(Math.max(0, t), this.duration());
    if (this.playing) {
      this.wallStart = performance.now();
      this.wallMedia = t;
      if (this.useAudio) this.audio.currentTime = t;
    } else {
      this.pausedAt = t;
    }
    this.render(t, true);
  }

  seekFrame(i) {
    if (!this.anim) return;
    this.pause(this.pausedAt);
    i = Math.min(Math.max(0, i), this.anim.numFrames - 1);
    this.seek(i / this.anim.fps);
  }

  setSpeed(x) {
    const t = this.time();
    this.speed = x;
    this.audio.playbackRate = x;
    if (this.playing) { this.wallStart = performance.now(); this.wallMedia = t; }
  }

  /** Shows one face (52 weights) without an animation, e.g. a compiled emotion. */
  showWeights(w) {
    this.frame.set(w);
    this.face.update(this.frame);
    if (this.avatar) this.avatar.update(this.frame);
    this.updateBars();
  }

  render(t, force = false) {
    if (!this.anim) return;
    const i = this.frameAt(t);
    if (i !== this.lastFrame || force) {
      this.lastFrame = i;
      this.showWeights(this.anim.frames.subarray(i * NUM_CHANNELS, (i + 1) * NUM_CHANNELS));
      if (document.activeElement !== $('seek')) $('seek').value = String(i);
      const seg = (this.anim.segments || []).find((s) => t >= s.start && t < s.end);
      $('frame-info').textContent = seg ? `${seg.emotion} ${seg.intensity !== undefined ? Math.round(seg.intensity * 100) : ''}` : '';
      $('frame-info').style.color = seg ? emotionColor(seg.emotion) : '';
      document.body.dataset.frame = String(i);
    }
    $('time').textContent = `${t.toFixed(3)} s · frame ${i} / ${this.anim.numFrames}`;
    this.plot.draw(t);
  }

  tick() {
    if (this.anim) {
      let t = this.time();
      if (this.playing && t >= this.duration()) { this.pause(this.duration()); t = this.duration(); }
      this.render(t);
    }
    document.body.dataset.playing = this.playing ? '1' : '0';
    requestAnimationFrame(() => this.tick());
  }

  updateBars() {
    const order = [...this.frame.keys()].sort((a, b) => this.frame[b] - this.frame[a]).slice(0, 12);
    $('bars').innerHTML = order.map((ch) =>
      `<span>${NAMES[ch]}</span><span class="bar"><i style="width:${(this.frame[ch] * 100).toFixed(1)}%"></i></span><span>${this.frame[ch].toFixed(3)}</span>`).join('');
  }

  // ---- 3D ----
  async ensureAvatar() {
    if (this.avatar) return this.avatar;
    if (!this.avatarLoading) {
      this.avatarLoading = import('./avatar3d.js').then((m) => {
        this.avatar = new m.Avatar3D($('face3d'));
        this.avatar.update(this.frame);
        return this.avatar;
      }).catch((err) => {
        this.avatarLoading = null;
        throw new Error(`the 3D view needs three.js: run \`npm ci\` in web/ (${err.message})`);
      });
    }
    return this.avatarLoading;
  }

  async loadAvatar(source) {
    const msg = $('avatar-msg');
    msg.className = 'msg';
    msg.textContent = 'loading…';
    try {
      const av = await this.ensureAvatar();
      const info = await av.load(source);
      av.update(this.frame);
      const name = typeof source === 'string' ? source : source.name;
      msg.textContent = `${name}: ${info.meshes.length} meshes driven (${info.meshes.join(', ')}), ` +
        `${info.channels} of 52 channels` + (info.missing.length ? `; missing: ${info.missing.join(', ')}` : '');
      $('avatar-info').textContent = `${info.channels}/52 channels · ${info.meshes.length} meshes`;
      document.body.dataset.avatar = 'loaded';
      if ($('view-mode').value === '2d') this.setView('both');
      return info;
    } catch (err) {
      msg.className = 'msg error';
      msg.textContent = err.message || String(err);
      console.warn(err);
      document.body.dataset.avatar = 'error';
      return null;
    }
  }

  setView(mode) {
    $('view-mode').value = mode;
    $('views').className = `views mode-${mode}`;
    if (mode !== '2d') this.ensureAvatar().then((av) => av.resize()).catch((err) => {
      $('avatar-msg').className = 'msg error';
      $('avatar-msg').textContent = err.message;
    });
  }
}

// ---- wiring ------------------------------------------------------------------------

const player = new Player();
window.__animasync = { player, animFromJson, animFromCsv };

function setMsg(id, text, error = false) {
  $(id).textContent = text;
  $(id).className = error ? 'msg error' : 'msg';
}

async function say() {
  const req = { text: $('say-text').value };
  if ($('say-engine').value !== 'espeak') req.engine = $('say-engine').value;
  if ($('say-voice').value.trim()) req.voice = $('say-voice').value.trim();
  if ($('say-seed').value !== '') req.seed = Number($('say-seed').value);
  setMsg('say-msg', 'synthesizing…');
  $('say-go').disabled = true;
  try {
    const t0 = performance.now();
    const doc = await api.say(req);
    const anim = animFromJson(doc, '/api/say');
    await player.load(anim, doc.audio_url);
    setMsg('say-msg', `${anim.numFrames} frames, ${(anim.numFrames / anim.fps).toFixed(2)} s, in ${Math.round(performance.now() - t0)} ms`);
    player.play();
  } catch (err) {
    setMsg('say-msg', err.message, true);
  } finally {
    $('say-go').disabled = false;
  }
}

async function loadFiles(files) {
  const list = [...files];
  const animFile = list.find((f) => /\.(json|csv)$/i.test(f.name));
  const audioFile = list.find((f) => /\.(wav|ogg|mp3|flac)$/i.test(f.name));
  const avatarFile = list.find((f) => /\.(glb|gltf|vrm)$/i.test(f.name));
  try {
    if (avatarFile) await player.loadAvatar(avatarFile);
    if (animFile) {
      const text = await animFile.text();
      const anim = /\.csv$/i.test(animFile.name) ? animFromCsv(text, animFile.name) : animFromJson(JSON.parse(text), animFile.name);
      await player.load(anim, audioFile || null);
      setMsg('load-msg', `${animFile.name}: ${anim.numFrames} frames at ${anim.fps} fps` +
        (audioFile ? `, audio ${audioFile.name}` : anim.audio ? ` (drop ${anim.audio} too for sound)` : ''));
    } else if (audioFile && player.anim) {
      await player.setAudio(audioFile);
      setMsg('load-msg', `audio ${audioFile.name}`);
    }
  } catch (err) {
    setMsg('load-msg', err.message, true);
  }
}

async function loadAnimUrl(url) {
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    const abs = new URL(url, location.href);
    const anim = /\.csv$/i.test(abs.pathname) ? animFromCsv(await res.text(), url) : animFromJson(await res.json(), url);
    await player.load(anim, anim.audio ? new URL(anim.audio, abs).href : null);
    setMsg('load-msg', `${url}: ${anim.numFrames} frames`);
  } catch (err) {
    setMsg('load-msg', err.message, true);
  }
}

$('say-go').addEventListener('click', say);
$('play').addEventListener('click', () => (player.playing ? player.pause() : player.play()));
$('prev').addEventListener('click', () => player.seekFrame(player.frameAt(player.time()) - 1));
$('next').addEventListener('click', () => player.seekFrame(player.frameAt(player.time()) + 1));
$('seek').addEventListener('input', () => { if (player.anim) player.seek(Number($('seek').value) / player.anim.fps); });
$('speed').addEventListener('change', () => player.setSpeed(Number($('speed').value)));
$('view-mode').addEventListener('change', () => player.setView($('view-mode').value));
$('avatar-load').addEventListener('click', () => $('avatar-url').value && player.loadAvatar($('avatar-url').value));
$('avatar-test').addEventListener('click', () => player.loadAvatar('assets/test-avatar.gltf'));
$('avatar-file').addEventListener('change', (ev) => ev.target.files[0] && player.loadAvatar(ev.target.files[0]));
$('anim-files').addEventListener('change', (ev) => loadFiles(ev.target.files));
$('anim-load').addEventListener('click', () => $('anim-url').value && loadAnimUrl($('anim-url').value));
document.addEventListener('keydown', (ev) => {
  if (['INPUT', 'TEXTAREA', 'SELECT'].includes(ev.target.tagName)) return;
  if (ev.key === ' ') { ev.preventDefault(); $('play').click(); }
  if (ev.key === 'ArrowLeft') $('prev').click();
  if (ev.key === 'ArrowRight') $('next').click();
});
document.addEventListener('dragover', (ev) => { ev.preventDefault(); document.body.classList.add('dragging'); });
document.addEventListener('dragleave', () => document.body.classList.remove('dragging'));
document.addEventListener('drop', (ev) => {
  ev.preventDefault();
  document.body.classList.remove('dragging');
  if (ev.dataTransfer.files.length) loadFiles(ev.dataTransfer.files);
});

// curve chips: the chosen channels, click to remove; the select adds one
function renderChips() {
  $('chips').innerHTML = '';
  for (const name of player.plot.channels) {
    const chip = document.createElement('span');
    chip.className = 'chip on';
    chip.style.background = player.plot.colorOf(name);
    chip.textContent = `${name} ✕`;
    chip.title = 'remove';
    chip.addEventListener('click', () => { player.plot.setChannels(player.plot.channels.filter((n) => n !== name)); renderChips(); });
    $('chips').appendChild(chip);
  }
}
for (const n of NAMES) $('add-channel').insertAdjacentHTML('beforeend', `<option>${n}</option>`);
$('add-channel').addEventListener('change', () => {
  const n = $('add-channel').value;
  if (n && !player.plot.channels.includes(n)) player.plot.setChannels([...player.plot.channels, n]);
  $('add-channel').value = '';
  renderChips();
});
renderChips();

// start-up: server status, URL parameters
(async () => {
  const params = new URLSearchParams(location.search);
  const online = await serverAvailable();
  $('server-status').textContent = online ? `server: ${location.host}` : 'no server: load files, the Say box needs `animasync serve`';
  if (!online) $('say-go').disabled = true;
  if (params.get('view')) player.setView(params.get('view'));
  if (params.get('avatar')) await player.loadAvatar(params.get('avatar'));
  if (params.get('anim')) await loadAnimUrl(params.get('anim'));
  document.body.dataset.ready = '1';
})();
