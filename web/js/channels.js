// web/js/channels.js — the 52 ARKit blendshape channels in canonical order
// (as include/animasync/core.h lists them), the face regions the editor
// groups its sliders by, and helpers to move between name-keyed objects and
// 52-value arrays.

export const NAMES = [
  'eyeBlinkLeft', 'eyeLookDownLeft', 'eyeLookInLeft', 'eyeLookOutLeft', 'eyeLookUpLeft', 'eyeSquintLeft', 'eyeWideLeft',
  'eyeBlinkRight', 'eyeLookDownRight', 'eyeLookInRight', 'eyeLookOutRight', 'eyeLookUpRight', 'eyeSquintRight', 'eyeWideRight',
  'jawForward', 'jawLeft', 'jawRight', 'jawOpen',
  'mouthClose', 'mouthFunnel', 'mouthPucker', 'mouthLeft', 'mouthRight',
  'mouthSmileLeft', 'mouthSmileRight', 'mouthFrownLeft', 'mouthFrownRight',
  'mouthDimpleLeft', 'mouthDimpleRight', 'mouthStretchLeft', 'mouthStretchRight',
  'mouthRollLower', 'mouthRollUpper', 'mouthShrugLower', 'mouthShrugUpper',
  'mouthPressLeft', 'mouthPressRight', 'mouthLowerDownLeft', 'mouthLowerDownRight',
  'mouthUpperUpLeft', 'mouthUpperUpRight',
  'browDownLeft', 'browDownRight', 'browInnerUp', 'browOuterUpLeft', 'browOuterUpRight',
  'cheekPuff', 'cheekSquintLeft', 'cheekSquintRight',
  'noseSneerLeft', 'noseSneerRight',
  'tongueOut',
];

export const NUM_CHANNELS = NAMES.length;

/** name -> index */
export const INDEX = Object.freeze(Object.fromEntries(NAMES.map((n, i) => [n, i])));

/** The left/right mirror of a channel name (itself for centre channels). */
export function mirrorName(name) {
  if (name.endsWith('Left')) return name.slice(0, -4) + 'Right';
  if (name.endsWith('Right')) return name.slice(0, -5) + 'Left';
  if (name === 'jawLeft') return 'jawRight';
  if (name === 'jawRight') return 'jawLeft';
  if (name === 'mouthLeft') return 'mouthRight';
  if (name === 'mouthRight') return 'mouthLeft';
  return name;
}

/** Face regions, top to bottom, for grouped sliders. */
export const REGIONS = [
  { name: 'Brows', channels: ['browInnerUp', 'browDownLeft', 'browDownRight', 'browOuterUpLeft', 'browOuterUpRight'] },
  { name: 'Eyelids', channels: ['eyeBlinkLeft', 'eyeBlinkRight', 'eyeSquintLeft', 'eyeSquintRight', 'eyeWideLeft', 'eyeWideRight'] },
  { name: 'Gaze', channels: ['eyeLookUpLeft', 'eyeLookUpRight', 'eyeLookDownLeft', 'eyeLookDownRight',
      'eyeLookInLeft', 'eyeLookInRight', 'eyeLookOutLeft', 'eyeLookOutRight'] },
  { name: 'Cheeks and nose', channels: ['cheekSquintLeft', 'cheekSquintRight', 'cheekPuff', 'noseSneerLeft', 'noseSneerRight'] },
  { name: 'Jaw', channels: ['jawOpen', 'jawForward', 'jawLeft', 'jawRight'] },
  { name: 'Mouth corners', channels: ['mouthSmileLeft', 'mouthSmileRight', 'mouthFrownLeft', 'mouthFrownRight',
      'mouthDimpleLeft', 'mouthDimpleRight', 'mouthStretchLeft', 'mouthStretchRight'] },
  { name: 'Lips', channels: ['mouthClose', 'mouthFunnel', 'mouthPucker', 'mouthLeft', 'mouthRight',
      'mouthRollUpper', 'mouthRollLower', 'mouthShrugUpper', 'mouthShrugLower', 'mouthPressLeft', 'mouthPressRight',
      'mouthUpperUpLeft', 'mouthUpperUpRight', 'mouthLowerDownLeft', 'mouthLowerDownRight'] },
  { name: 'Tongue', channels: ['tongueOut'] },
];

/** A 52-value Float32Array from a {name: value} object (missing names are 0). */
export function fromObject(obj) {
  const w = new Float32Array(NUM_CHANNELS);
  for (const [k, v] of Object.entries(obj || {})) {
    const i = INDEX[k];
    if (i !== undefined) w[i] = +v;
  }
  return w;
}

/** {name: value} from 52 values; zeros are kept only when keepZeros. */
export function toObject(w, keepZeros = false) {
  const o = {};
  NAMES.forEach((n, i) => { if (keepZeros || w[i] !== 0) o[n] = w[i]; });
  return o;
}

/** Reorders a frame given with its own channel names into canonical order. */
export function remapper(names) {
  const map = names.map((n) => INDEX[n] ?? -1);
  return (frame, out) => {
    out.fill(0);
    for (let k = 0; k < map.length; k++) if (map[k] >= 0) out[map[k]] = frame[k];
    return out;
  };
}
