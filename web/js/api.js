// web/js/api.js — calls to the `animasync serve` JSON API (docs/WEB.md).
// Every function resolves to the parsed JSON answer or throws an Error whose
// message is the server's {"error": "..."} text.

async function call(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!res.ok) throw new Error((json && json.error) || `${method} ${path}: HTTP ${res.status}`);
  return json;
}

export const api = {
  emotions: () => call('GET', '/api/emotions'),
  /** {emotion, level|intensity, vad?, strength?, presets?} -> {names, weights} */
  compile: (req) => call('POST', '/api/compile', req),
  /** {text, voice?, engine?, seed?} -> anim.json document + id + audio_url */
  say: (req) => call('POST', '/api/say', req),
  presets: () => call('GET', '/api/presets'),
  savePresets: (doc) => call('PUT', '/api/presets', doc),
  /** {presets?, queries?, grid?, seed?} -> {metrics: [...], pass} */
  check: (req) => call('POST', '/api/check', req || {}),
};

/** True when the page is served by `animasync serve` (the API answers). */
export async function serverAvailable() {
  try { await api.emotions(); return true; } catch { return false; }
}
