// tests/browser/screenshots.mjs — makes the screenshots in docs/screenshots
// (shown in the README and docs/WEB.md): the player with an animation, the
// preset editor, and the 2D face beside the 3D avatar at a few emotions. The
// 3D avatar is ../shared/assets/brunette-t.glb when it is there (a Ready
// Player Me rig, CC BY-NC 4.0, never copied into the project), else the
// generated test avatar. Not a test: run it by hand against a server.
//
//   animasync serve --port 8080 &
//   node tests/browser/screenshots.mjs http://127.0.0.1:8080 docs/screenshots

import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { chromium } = await import(pathToFileURL(join(ROOT, 'web/node_modules/playwright-core/index.mjs')).href);
const [base, outDir = join(ROOT, 'docs/screenshots')] = process.argv.slice(2);
if (!base) { console.error('usage: node screenshots.mjs BASE_URL [OUT_DIR]'); process.exit(2); }
mkdirSync(outDir, { recursive: true });

const rpm = resolve(ROOT, '../shared/assets/brunette-t.glb');
const avatar = existsSync(rpm) ? rpm : join(ROOT, 'web/assets/test-avatar.gltf');
console.log(`3D avatar: ${avatar}`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--autoplay-policy=no-user-gesture-required', '--mute-audio'],
});
const ready = (page) => page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 20000 });

// the 2D face and the 3D avatar side by side at a few emotions
{
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await page.goto(`${base}/player.html?view=both`);
  await ready(page);
  await page.setInputFiles('#avatar-file', avatar);
  await page.waitForFunction(() => document.body.dataset.avatar === 'loaded', null, { timeout: 60000 });
  for (const [emotion, level] of [['neutral', 3], ['joy', 5], ['sadness', 5], ['anger', 5], ['surprise', 5], ['shy', 5]]) {
    await page.evaluate(async ({ emotion, level }) => {
      const r = await fetch('/api/compile', { method: 'POST', body: JSON.stringify({ emotion, level }) });
      window.__animasync.player.showWeights((await r.json()).weights);
    }, { emotion, level });
    await page.waitForTimeout(200);
    const file = join(outDir, `face-${emotion}.png`);
    await page.locator('#views').screenshot({ path: file });
    console.log(file);
  }
  await page.close();
}

// the player mid-animation
{
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(`${base}/player.html?view=both`);
  await ready(page);
  await page.setInputFiles('#avatar-file', avatar);
  await page.waitForFunction(() => document.body.dataset.avatar === 'loaded', null, { timeout: 60000 });
  await page.click('#say-go');
  await page.waitForFunction(() => Number(document.body.dataset.animFrames) > 0, null, { timeout: 30000 });
  await page.click('#play'); // pause, then pick a frame in the first sentence
  await page.evaluate(() => window.__animasync.player.seekFrame(Math.round(window.__animasync.player.anim.numFrames * 0.3)));
  await page.waitForTimeout(200);
  const file = join(outDir, 'player.png');
  await page.screenshot({ path: file });
  console.log(file);
  await page.close();
}

// the preset editor at joy L5, with the contract run
{
  const page = await browser.newPage({ viewport: { width: 1500, height: 1150 } });
  await page.goto(`${base}/editor.html?emotion=joy&level=5`);
  await ready(page);
  await page.waitForFunction(() => document.body.dataset.gridReady === '1', null, { timeout: 20000 });
  await page.click('#check');
  await page.waitForFunction(() => ['pass', 'fail'].includes(document.body.dataset.checkDone), null, { timeout: 60000 });
  const file = join(outDir, 'editor.png');
  await page.screenshot({ path: file });
  console.log(file);
  await page.close();
}
await browser.close();
