// web/js/avatar3d.js — the 3D view: three.js (from npm, served from
// web/node_modules/three) loads any glTF / GLB / VRM avatar and drives every
// mesh that carries ARKit-named morph targets (head, teeth, eyes, ...) from
// the 52 weights. Morph names are matched without regard to case or
// punctuation and may carry a prefix ("blendShape1.jawOpen", "ARKit_jawOpen").
// The camera frames the meshes that have morph targets (the head).

import * as THREE from 'three';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { NAMES } from './channels.js';

const LOWER = NAMES.map((n) => n.toLowerCase());

/** The ARKit channel a morph target name stands for, or -1. */
export function arkitChannelOf(morphName) {
  const k = String(morphName).toLowerCase().replace(/[^a-z]/g, '');
  let best = -1, bestLen = 0;
  LOWER.forEach((n, i) => {
    if (k.endsWith(n) && n.length > bestLen) { best = i; bestLen = n.length; }
  });
  return best;
}

export class Avatar3D {
  constructor(container) {
    this.container = container;
    this.renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(window.devicePixelRatio || 1);
    container.appendChild(this.renderer.domElement);
    this.scene = new THREE.Scene();
    this.scene.background = new THREE.Color(0xe9eef5);
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x8a8f99, 2.0));
    const key = new THREE.DirectionalLight(0xffffff, 2.2);
    key.position.set(1.5, 2, 3);
    this.scene.add(key);
    const fill = new THREE.DirectionalLight(0xffffff, 0.8);
    fill.position.set(-2, 0.5, 1);
    this.scene.add(fill);
    this.camera = new THREE.PerspectiveCamera(25, 1, 0.01, 100);
    this.camera.position.set(0, 1.6, 1.2);
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.addEventListener('change', () => this.render());
    this.model = null;
    this.bindings = []; // {mesh, pairs: [[morphIndex, channel], ...]}
    this.weights = new Float32Array(NAMES.length);
    this.frames = 0;    // renders so far (tests wait for one)
    new ResizeObserver(() => this.resize()).observe(container);
    this.resize();
  }

  resize() {
    const w = Math.max(1, this.container.clientWidth), h = Math.max(1, this.container.clientHeight);
    this.renderer.setSize(w, h, false);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    this.render();
  }

  /** Loads an avatar from a URL or a File (.glb, .gltf with embedded buffers, .vrm). */
  async load(source) {
    const loader = new GLTFLoader();
    let gltf;
    if (typeof source === 'string') {
      gltf = await loader.loadAsync(source);
    } else {
      const buf = await source.arrayBuffer();
      gltf = await new Promise((resolve, reject) => loader.parse(buf, '', resolve, reject));
    }
    this.setModel(gltf.scene || gltf.scenes[0]);
    return this.info();
  }

  setModel(root) {
    if (this.model) this.scene.remove(this.model);
    this.model = root;
    this.scene.add(root);
    root.updateMatrixWorld(true);
    this.bindings = [];
    const box = new THREE.Box3();
    root.traverse((obj) => {
      if (!obj.isMesh || !obj.morphTargetDictionary) return;
      const pairs = [];
      for (const [name, index] of Object.entries(obj.morphTargetDictionary)) {
        const ch = arkitChannelOf(name);
        if (ch >= 0) pairs.push([index, ch]);
      }
      if (pairs.length) {
        this.bindings.push({ mesh: obj, pairs });
        box.expandByObject(obj);
        obj.frustumCulled = false; // morphs move vertices outside the rest-pose bounds
      }
    });
    if (box.isEmpty()) box.setFromObject(root);
    const center = box.getCenter(new THREE.Vector3()), size = box.getSize(new THREE.Vector3());
    const extent = Math.max(size.y, size.x, 1e-3) * 1.2;
    const dist = extent / (2 * Math.tan(THREE.MathUtils.degToRad(this.camera.fov) / 2));
    this.camera.near = dist / 100;
    this.camera.far = dist * 100;
    this.camera.position.set(center.x, center.y, center.z + size.z / 2 + dist);
    this.camera.updateProjectionMatrix();
    this.controls.target.copy(center);
    this.controls.update();
    this.update(this.weights);
  }

  /** What was bound: meshes driven, channels found, channels missing. */
  info() {
    const found = new Set();
    for (const b of this.bindings) for (const [, ch] of b.pairs) found.add(ch);
    return {
      meshes: this.bindings.map((b) => b.mesh.name || '(unnamed)'),
      channels: found.size,
      missing: NAMES.filter((_, i) => !found.has(i)),
    };
  }

  /** Sets every bound morph target from 52 weights and renders. */
  update(weights) {
    this.weights.set(weights);
    for (const { mesh, pairs } of this.bindings)
      for (const [index, ch] of pairs) mesh.morphTargetInfluences[index] = weights[ch];
    this.render();
  }

  render() {
    this.renderer.render(this.scene, this.camera);
    this.frames++;
  }
}
