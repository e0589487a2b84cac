// tests/browser/test_pages.mjs — the player and the preset editor in headless
// Chromium (Debian's /usr/bin/chromium driven by playwright-core from
// web/node_modules), against a running `animasync serve`. Judged from
// screenshots (pixel comparisons, tests/browser/png.mjs):
//
//   player: the 2D face renders; neutral vs joy L5 differ in the mouth and eye
//     regions; every one of the 52 channels visibly moves something (and a
//     "...Left" channel on the subject's left = the viewer's right); the Say
//     box synthesizes and plays an animation in real time; frame step; a
//     closed-lip frame differs from an open one (and shows less open mouth);
//     the plot draws and its cursor moves; dropped anim.json + WAV load; the
//     generated test avatar renders in the 3D view (from a file and from a
//     URL), all 52 channels bound, and morphs change it.
//   editor: class/level pick, sliders move the face, left/right link, the
//     VAD grid, the quality contract (pass, then a made violation fails),
//     save through the API (the server then compiles with it), export, import.
//   both: no console error, no page error, no failed request.
//
// usage: node test_pages.mjs BASE_URL WORK_DIR [--screenshots DIR]

import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, resolve, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { decodePng, diff, countColor } from './png.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { chromium } = await import(pathToFileURL(join(ROOT, 'web/node_modules/playwright-core/index.mjs')).href);

const [base, work] = process.argv.slice(2);
if (!base || !work) { console.error('usage: node test_pages.mjs BASE_URL WORK_DIR'); process.exit(2); }

// ---- a tiny test kit -----------------------------------------------------------------
let checks = 0, failures = 0;
function check(cond, what) {
  checks++;
  if (!cond) { failures++; console.error(`FAIL: ${what}`); }
}
const t0 = Date.now();
const log = (msg) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${msg}`);

// regions of the 2D face (fractions of the 400 x 480 drawing)
const EYES = { x0: 0.15, y0: 0.36, x1: 0.85, y1: 0.53 };
const MOUTH = { x0: 0.25, y0: 0.64, x1: 0.75, y1: 0.88 };
const CAVITY_RGB = [0x4a, 0x14, 0x18];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--autoplay-policy=no-user-gesture-required'],
});

/** A page that records every console error, page error and failed request. */
async function openPage(path, viewport = { width: 1400, height: 1000 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  await page.goto(base + path);
  await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 20000 });
  return { page, problems, context };
}

const shot = async (locator) => decodePng(await locator.screenshot());

// ---- player -------------------------------------------------------------------------------
async function testPlayer() {
  const { page, problems, context } = await openPage('/player.html');
  const face = page.locator('#face2d');
  const show = (w) => page.evaluate((w) => window.__animasync.player.showWeights(w), w);
  const compile = (req) => page.evaluate(async (req) => {
    const r = await fetch('/api/compile', { method: 'POST', body: JSON.stringify(req) });
    return (await r.json()).weights;
  }, req);

  // neutral vs joy L5: mouth and eyes differ
  const neutralW = await compile({ emotion: 'neutral' }), joyW = await compile({ emotion: 'joy', level: 5 });
  await show(neutralW);
  const neutral = await shot(face);
  await show(joyW);
  const joy = await shot(face);
  const dm = diff(neutral, joy, MOUTH), de = diff(neutral, joy, EYES);
  check(dm.changed > 300, `neutral vs joy L5: mouth region changes (${dm.changed} pixels)`);
  check(de.changed > 60, `neutral vs joy L5: eye region changes (${de.changed} pixels)`);
  // the face renders at all: skin, hair and eye-white colours are there
  check(countColor(neutral, [0xf2, 0xc9, 0xa8], undefined, 12) > neutral.width * neutral.height * 0.2, 'the 2D face renders (skin)');
  log(`player: neutral vs joy L5 — mouth ${dm.changed} px, eyes ${de.changed} px changed`);

  // every channel moves something; "...Left" lands on the viewer's right
  const zero = new Array(52).fill(0);
  await show(zero);
  const rest = await shot(face);
  const names = await page.evaluate(async () => (await import('./js/channels.js')).NAMES);
  let weakest = Infinity, weakestName = '';
  for (let i = 0; i < 52; i++) {
    const w = zero.slice();
    w[i] = 1;
    await show(w);
    const d = diff(rest, await shot(face));
    check(d.changed >= 40, `channel ${names[i]} visibly moves the 2D face (${d.changed} pixels)`);
    if (d.changed < weakest) { weakest = d.changed; weakestName = names[i]; }
    const lateral = /(Left|Right)$/.test(names[i]) && !/^(jaw|mouth)(Left|Right)$/.test(names[i]);
    if (lateral) {
      const left = names[i].endsWith('Left');
      check(left ? d.cx > 0.5 : d.cx < 0.5, `${names[i]} changes the ${left ? "viewer's right" : "viewer's left"} side (centroid x ${d.cx.toFixed(2)})`);
    }
  }
  log(`player: all 52 channels move the 2D face (weakest: ${weakestName}, ${weakest} px)`);

  // Say: synthesize and play in real time
  await page.fill('#say-text', '[joy:80] Hello, my friend! Please bring me some bread. [sadness:60] Maybe not.');
  await page.fill('#say-seed', '3');
  await page.click('#say-go');
  await page.waitForFunction(() => Number(document.body.dataset.animFrames) > 0, null, { timeout: 30000 });
  await page.waitForFunction(() => document.body.dataset.playing === '1', null, { timeout: 5000 });
  // past the audio start-up latency, sample (wall clock, audio clock, frame shown) 1 s apart
  await page.waitForFunction(() => window.__animasync.player.audio.currentTime > 0.2, null, { timeout: 5000 });
  const sample = () => page.evaluate(() => ({ wall: performance.now() / 1000, audio: window.__animasync.player.audio.currentTime, frame: Number(document.body.dataset.frame) }));
  const s0 = await sample();
  await page.waitForTimeout(1000);
  const s1 = await sample();
  const rate = (s1.frame - s0.frame) / (s1.wall - s0.wall);
  // loose bounds: a loaded CI machine (the ASan run, tests in parallel) may drop display frames
  check(rate > 15 && rate < 45, `playback advances at about 30 frames per second (${rate.toFixed(1)})`);
  for (const s of [s0, s1]) check(Math.abs(s.frame - s.audio * 30) <= 6, `the frame shown follows the audio clock (frame ${s.frame} at ${s.audio.toFixed(3)} s)`);
  const info = await page.evaluate(() => {
    const p = window.__animasync.player;
    return { frames: p.anim.numFrames, fps: p.anim.fps, useAudio: p.useAudio, audioTime: p.audio.currentTime, duration: p.audio.duration, segments: p.anim.segments.length };
  });
  check(info.fps === 30 && info.segments >= 2, `the say result has 30 fps and its segments (${JSON.stringify(info)})`);
  check(info.useAudio && info.audioTime > 0.5, `the audio clock drives playback (audio at ${info.audioTime.toFixed(2)} s)`);
  check(Math.abs(info.duration - info.frames / info.fps) < 0.1, `audio and animation last as long (${info.duration.toFixed(3)} s vs ${(info.frames / info.fps).toFixed(3)} s)`);
  log(`player: say -> ${info.frames} frames, played at ${rate.toFixed(1)} fps on the audio clock`);
  await page.click('#play'); // pause
  await page.waitForFunction(() => document.body.dataset.playing === '0');

  // frame step
  const before = Number(await page.evaluate(() => document.body.dataset.frame));
  await page.click('#next');
  await page.click('#next');
  await page.click('#prev');
  const after = Number(await page.evaluate(() => document.body.dataset.frame));
  check(after === before + 1, `frame step: ${before} -> ${after}`);

  // a closed-lip frame vs an open one
  const { open, closed } = await page.evaluate(() => {
    const a = window.__animasync.player.anim, F = a.frames;
    let open = 0, closed = -1, best = -1;
    for (let i = 0; i < a.numFrames; i++) if (F[i * 52 + 17] > F[open * 52 + 17]) open = i; // jawOpen
    // a bilabial closure: lips together (mouthClose / mouthPress) while speaking
    for (let i = 0; i < a.numFrames; i++) {
      const lips = Math.max(F[i * 52 + 18], F[i * 52 + 35], F[i * 52 + 36]);
      if (lips > best) { best = lips; closed = i; }
    }
    return { open, closed, openJaw: F[open * 52 + 17], closedLips: best };
  });
  await page.evaluate((i) => window.__animasync.player.seekFrame(i), open);
  const openImg = await shot(face);
  await page.evaluate((i) => window.__animasync.player.seekFrame(i), closed);
  const closedImg = await shot(face);
  const dl = diff(openImg, closedImg, MOUTH);
  const cavOpen = countColor(openImg, CAVITY_RGB, MOUTH, 30), cavClosed = countColor(closedImg, CAVITY_RGB, MOUTH, 30);
  check(dl.changed > 200, `closed-lip frame ${closed} differs from open frame ${open} in the mouth (${dl.changed} px)`);
  check(cavOpen > cavClosed + 100, `the open frame shows more open mouth than the closed one (${cavOpen} vs ${cavClosed} px)`);
  log(`player: open frame ${open} vs closed frame ${closed}: ${dl.changed} px differ, mouth opening ${cavOpen} vs ${cavClosed} px`);

  // the plot draws and its cursor moves
  const plot = page.locator('#plot');
  await page.evaluate(() => window.__animasync.player.seekFrame(0));
  const p0 = await shot(plot);
  await page.evaluate(() => window.__animasync.player.seekFrame(Math.floor(window.__animasync.player.anim.numFrames / 2)));
  const p1 = await shot(plot);
  const white = countColor(p0, [255, 255, 255], undefined, 2);
  check(white < p0.width * p0.height * 0.97, 'the plot draws curves and segments');
  check(diff(p0, p1).changed > 50, 'the plot cursor moves with the time');

  // dropped files: an anim.json and its WAV from the API
  const doc = await page.evaluate(async () => {
    const r = await fetch('/api/say', { method: 'POST', body: JSON.stringify({ text: '[surprise:70] Oh! Really?', seed: 5 }) });
    const d = await r.json();
    const wav = await (await fetch(d.audio_url)).arrayBuffer();
    return { json: JSON.stringify(d), wav: Array.from(new Uint8Array(wav)) };
  });
  const parsed = JSON.parse(doc.json);
  writeFileSync(join(work, 'anim.json'), doc.json);
  writeFileSync(join(work, parsed.audio), Buffer.from(doc.wav));
  await page.setInputFiles('#anim-files', [join(work, 'anim.json'), join(work, parsed.audio)]);
  await page.waitForFunction((n) => Number(document.body.dataset.animFrames) === n, parsed.frames.length, { timeout: 10000 });
  const loaded = await page.evaluate(() => ({ msg: document.getElementById('load-msg').textContent, audio: window.__animasync.player.useAudio }));
  check(loaded.audio && loaded.msg.includes('anim.json'), `dropped anim.json + WAV load (${loaded.msg})`);

  // 3D: the generated avatar from a file, then from a URL
  await page.selectOption('#view-mode', 'both');
  await page.setInputFiles('#avatar-file', join(work, 'test-avatar.gltf'));
  await page.waitForFunction(() => document.body.dataset.avatar, null, { timeout: 20000 });
  const av = await page.evaluate(() => window.__animasync.player.avatar?.info());
  check(av && av.channels === 52 && av.meshes.length >= 5, `the test avatar binds all 52 channels on several meshes (${JSON.stringify(av)})`);
  const view3d = page.locator('#face3d canvas');
  await show(zero);
  const a0 = await shot(view3d);
  const bg = countColor(a0, [0xe9, 0xee, 0xf5], undefined, 6);
  const covered = 1 - bg / (a0.width * a0.height);
  check(covered > 0.08, `the 3D view renders the avatar (${(covered * 100).toFixed(1)}% of the view)`);
  const w3 = zero.slice();
  w3[17] = 1; w3[0] = 1; w3[7] = 1; w3[43] = 1; // jawOpen, both blinks, browInnerUp
  await show(w3);
  const a1 = await shot(view3d);
  const d3 = diff(a0, a1, undefined, 16);
  check(d3.changed > 300, `morph targets move the 3D avatar (${d3.changed} px)`);
  log(`player: 3D test avatar covers ${(covered * 100).toFixed(1)}% of the view; jawOpen+blink+browInnerUp change ${d3.changed} px`);
  await page.evaluate(() => { document.body.dataset.avatar = ''; });
  await page.click('#avatar-test');
  await page.waitForFunction(() => document.body.dataset.avatar, null, { timeout: 20000 });
  check(await page.evaluate(() => document.body.dataset.avatar === 'loaded' && window.__animasync.player.avatar.info().channels === 52), 'the avatar loads by URL (assets/test-avatar.gltf)');

  check(problems.length === 0, `player: no console error or failed request:\n  ${problems.join('\n  ')}`);
  await context.close();
}

// ---- editor --------------------------------------------------------------------------------
async function testEditor() {
  const { page, problems, context } = await openPage('/editor.html?emotion=neutral', { width: 1500, height: 1100 });
  const face = page.locator('#face');
  const gridReady = () => page.waitForFunction(() => document.body.dataset.gridReady === '1', null, { timeout: 20000 });
  await gridReady();
  const neutral = await shot(face);
  await page.selectOption('#emotion', 'joy');
  await page.selectOption('#level', '5');
  await gridReady();
  const joy = await shot(face);
  const dm = diff(neutral, joy, MOUTH), de = diff(neutral, joy, EYES);
  check(dm.changed > 300 && de.changed > 60, `editor: neutral vs joy L5 differ in mouth (${dm.changed}) and eyes (${de.changed})`);
  const grid = await page.evaluate(() => [...document.querySelectorAll('#grid .caption')].map((c) => c.textContent));
  check(grid.length === 9 && / Δ 0\.000$/.test(grid[4]), `the VAD grid has 9 faces, the centre is the preset (${grid[4]})`);
  const gridImgs = [];
  for (const i of [0, 4, 8]) gridImgs.push(await shot(page.locator('#grid .face-box').nth(i)));
  check(diff(gridImgs[0], gridImgs[2]).changed > 20, 'grid corners (V-, A+) and (V+, A-) differ');

  // a slider moves the face; the badge says unsaved
  const setNum = async (name, v) => {
    const input = page.locator(`input[type=number][data-channel="${name}"]`);
    await input.fill(String(v));
    await input.dispatchEvent('change');
  };
  await setNum('jawOpen', 0.8);
  const opened = await shot(face);
  check(diff(joy, opened, MOUTH).changed > 300, 'the jawOpen slider opens the mouth');
  check(await page.evaluate(() => document.body.dataset.dirty === '1' && document.getElementById('dirty-badge').textContent === 'unsaved changes'), 'edits are marked unsaved');
  // link left/right
  await page.check('#link-lr');
  await setNum('mouthSmileLeft', 0.9);
  const right = await page.inputValue('input[type=number][data-channel="mouthSmileRight"]');
  check(Number(right) === 0.9, `linked: mouthSmileRight follows mouthSmileLeft (${right})`);
  await page.uncheck('#link-lr');
  await setNum('eyeBlinkLeft', 0.7);
  await page.click('#copy-lr');
  check(Number(await page.inputValue('input[type=number][data-channel="eyeBlinkRight"]')) === 0.7, 'L -> R copies the left side');
  await setNum('eyeBlinkLeft', 0);
  await setNum('eyeBlinkRight', 0);

  // the quality contract: the built-in bank passes, a made violation fails
  await page.click('#revert');
  await page.click('#check');
  await page.waitForFunction(() => ['pass', 'fail', 'error'].includes(document.body.dataset.checkDone), null, { timeout: 60000 });
  check(await page.evaluate(() => document.body.dataset.checkDone) === 'pass', 'the quality contract passes on the built-in bank');
  await setNum('mouthSmileLeft', 0.9);
  await setNum('mouthFrownLeft', 0.9);
  await page.click('#check');
  await page.waitForFunction(() => ['pass', 'fail', 'error'].includes(document.body.dataset.checkDone), null, { timeout: 60000 });
  const failRows = await page.locator('#metrics tr.fail').count();
  check(await page.evaluate(() => document.body.dataset.checkDone) === 'fail' && failRows >= 1, `smile + frown both 0.9 fails the contract (${failRows} failing rows)`);
  await page.click('#revert');

  // save: the server compiles with the saved bank from then on
  await setNum('jawOpen', 0.5);
  await page.click('#save');
  await page.waitForFunction(() => document.getElementById('msg').textContent.startsWith('saved to'), null, { timeout: 10000 });
  const served = await page.evaluate(async () => {
    const r = await fetch('/api/compile', { method: 'POST', body: JSON.stringify({ emotion: 'joy', level: 5 }) });
    return (await r.json()).weights[17];
  });
  check(Math.abs(served - 0.5) < 1e-3, `after Save the server compiles joy L5 with jawOpen 0.5 (${served})`);
  check(existsSync(join(work, 'presets.json')) && JSON.parse(readFileSync(join(work, 'presets.json'), 'utf8')).presets.length === 46, 'Save wrote the presets file (46 presets)');
  check(await page.evaluate(() => document.body.dataset.dirty === '0'), 'after Save nothing is unsaved');

  // export, then import a one-preset document
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
  const exported = JSON.parse(readFileSync(await download.path(), 'utf8'));
  check(exported.format === 'animasync-presets' && exported.presets.length === 46, `export writes all 46 presets (${exported.presets?.length})`);
  const imp = join(work, 'import.json');
  writeFileSync(imp, JSON.stringify({ presets: [{ emotion: 'joy', level: 5, weights: { tongueOut: 0.6, jawOpen: 0.4 } }] }));
  await page.setInputFiles('#import', imp);
  await page.waitForFunction(() => document.getElementById('msg').textContent.startsWith('imported'));
  check(Number(await page.inputValue('input[type=number][data-channel="tongueOut"]')) === 0.6, 'import loads the document into the editor');
  const imported = await shot(face);
  check(diff(opened, imported, MOUTH).changed > 100, 'the imported preset shows on the face');

  check(problems.length === 0, `editor: no console error or failed request:\n  ${problems.join('\n  ')}`);
  await context.close();
}

try {
  await testPlayer();
  await testEditor();
} catch (err) {
  failures++;
  console.error(`FAIL: ${err.stack || err}`);
} finally {
  await browser.close();
}
console.log(`browser tests: ${checks} checks, ${failures} failed, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(failures ? 1 : 0);
