// The browser viewer's entry: reads the page's settings, loads the package (verified entry
// by entry), builds the scene and draws it; then the member's controls, panels and facts.

import * as THREE from '/vendor/three/build/three.module.js';
import { PackageSource, TamperedEntry, BadSignature } from './package.js';
import { SceneView, toThree } from './scene.js';
import { Controls } from './controls.js';
import { Visit } from './visit.js';
import { ImmersiveVR } from './xr.js';
import { LiveTour } from './tour.js';
import { loadNarrator } from './narrator.js';

/** @typedef {{exhibit: string, version: string, scene: string, language: string,
 *   manifest: string, entries: string, facts: string, user: number, trusted: string[],
 *   three: string, profiles: string, tour: number | null,
 *   words: Record<string, string>}} ViewerConfig */

const HORIZONTAL_FOV = 75;  // degrees, as the engine's desktop lens

/** @param {string} text @param {Record<string, string | number>} values */
function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ''));
}

/** The vertical field of view three.js wants for the engine's horizontal one. */
function verticalFov(/** @type {number} */ aspect) {
  return 2 * Math.atan(Math.tan((HORIZONTAL_FOV * Math.PI / 180) / 2) / aspect) * 180 / Math.PI;
}

class Viewer {
  /** @param {HTMLElement} root @param {ViewerConfig} config */
  constructor(root, config) {
    this.root = root;
    this.config = config;
    this.words = config.words;
    this.status = /** @type {HTMLElement} */ (root.querySelector('#viewer-status'));
    this.canvas = /** @type {HTMLCanvasElement} */ (root.querySelector('#viewer-canvas'));
    this.source = new PackageSource(config, (done, total) => {
      if (root.dataset.state === 'loading') this.say(fill(this.words.verifying, { done, total }));
    });
    /** @type {SceneView | null} */
    this.view = null;
    this.frames = 0;
    this.started = performance.now();
    /** @type {number | null} ms from the page's start to the first frame drawn */
    this.firstFrame = null;
  }

  /** @param {string} text @param {string} [state] */
  say(text, state) {
    this.status.textContent = text;
    if (state) this.root.dataset.state = state;
  }

  async start() {
    try {
      this.renderer = new THREE.WebGLRenderer({ canvas: this.canvas, antialias: true,
        preserveDrawingBuffer: true });
    } catch {
      this.say(this.words.no_webgl, 'failed');
      return;
    }
    try {
      const manifest = await this.source.open();
      const ref = manifest.scenes.find((s) => s.id === this.config.scene);
      if (!ref) throw new Error(`no scene ${this.config.scene}`);
      const packaged = await this.source.json(ref.script);
      const levels = packaged.props.reduce(
        (/** @type {number} */ n, /** @type {{levels: unknown[]}} */ p) => n + p.levels.length, 0);
      this.source.expect(levels + 1 + (packaged.script.narrator?.model ? 1 : 0));
      this.view = new SceneView(packaged, this.source);
      await this.view.build();
      /** @type {import('./narrator.js').NarratorFigure | null} */
      this.narrator = await loadNarrator(this.source, packaged, this.view.world,
        () => performance.now() / 1000);
    } catch (error) {
      if (error instanceof TamperedEntry) {
        this.say(fill(this.words.tampered, { path: error.path }), 'refused');
      } else if (error instanceof BadSignature) {
        this.say(fill(this.words.tampered, { path: 'manifest.json' }), 'refused');
      } else {
        this.say(fill(this.words.failed, { reason: String(error?.message ?? error) }),
          'failed');
      }
      return;
    }
    this.camera = new THREE.PerspectiveCamera(75, 16 / 9, 0.05, 3000);
    this.rig = new THREE.Group();  // moved by walking and teleports; the head inside it
    this.rig.add(this.camera);
    this.view.scene.add(this.rig);
    this.place(this.view.packaged.script.spawn);
    this.resize();
    new ResizeObserver(() => this.resize()).observe(this.canvas);
    this.controls = new Controls(this);
    this.xr = new ImmersiveVR(this);
    this.visit = new Visit(this);
    await this.visit.start();
    if (this.config.tour) {
      this.tour = new LiveTour(this, this.config.tour);
      this.tour.connect();
    }
    this.holdFrames(false);
  }

  /** Puts the member at a camera of the script (spawn or a route stop).
   *  @param {import('./scene.js').Camera} at */
  place(at) {
    const eye = toThree(at.pos);
    const target = toThree(at.look_at);
    this.rig.position.copy(eye);
    this.rig.rotation.set(0, 0, 0);
    this.camera.position.set(0, 0, 0);
    this.camera.lookAt(target);  // the rig is unrotated: local and world agree
    const euler = new THREE.Euler().setFromQuaternion(this.camera.quaternion, 'YXZ');
    this.rig.rotation.y = euler.y;  // heading on the rig (snap turns), pitch on the head
    this.camera.rotation.set(euler.x, 0, 0);
  }

  resize() {
    const width = this.canvas.clientWidth || 640;
    const height = this.canvas.clientHeight || 360;
    if (this.renderer.xr.isPresenting) return;
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / height;
    this.camera.fov = verticalFov(this.camera.aspect);
    this.camera.updateProjectionMatrix();
  }

  /** @param {number} time ms */
  frame(time) {
    const dt = Math.min(0.1, this.last === undefined ? 0 : (time - this.last) / 1000);
    this.last = time;
    this.controls.update(dt);
    this.xr.update(dt);
    this.tour?.update(dt);
    this.visit.update();
    this.view.pulse(time / 1000);
    this.narrator?.update(dt, this.camera);
    this.renderer.render(this.view.scene, this.camera);
    this.frames += 1;
    if (this.firstFrame === null) {
      this.firstFrame = performance.now();
      this.say('', 'ready');
    }
  }

  // -- what tests and the benchmark read ------------------------------------------------
  /** Pixel (x, y) from the canvas's top-left where a scene point appears, if in view.
   *  @param {number[]} point */
  screenPosition(point) {
    const p = toThree(point);
    this.camera.updateMatrixWorld(true);
    const local = p.clone().applyMatrix4(this.camera.matrixWorldInverse);
    if (local.z >= 0) return null;  // behind the camera
    p.project(this.camera);
    return [(p.x + 1) / 2 * this.canvas.clientWidth, (1 - p.y) / 2 * this.canvas.clientHeight];
  }

  /** Draws one frame now and says what it cost. */
  renderInfo() {
    this.renderer.info.autoReset = false;
    this.renderer.info.reset();
    this.renderer.render(this.view.scene, this.camera);
    const { calls, triangles } = this.renderer.info.render;
    this.renderer.info.autoReset = true;
    return { calls, triangles };
  }

  /** Stops the frame loop, after drawing one frame, or starts it. While it stands
   *  still, frames are drawn only by showMarkers and renderInfo: tests compare exact frames,
   *  and a page drawing in software answers them at once instead of after its next frame.
   *  @param {boolean} held */
  holdFrames(held) {
    this.renderer.setAnimationLoop(held ? null : (time) => this.frame(time));
    if (held) this.renderer.render(this.view.scene, this.camera);
  }

  /** Markers shown or not, drawn at once (tests compare frames with and without them).
   *  @param {boolean} shown */
  showMarkers(shown) {
    this.view.markers.visible = shown;
    this.renderer.render(this.view.scene, this.camera);
  }
}

const root = document.getElementById('viewer');
const configText = document.getElementById('viewer-config')?.textContent;
if (root && configText) {
  const viewer = new Viewer(root, JSON.parse(configText));
  Object.defineProperty(window, 'redhallViewer', { value: viewer });
  viewer.start();
}
