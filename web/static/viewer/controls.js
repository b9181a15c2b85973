// How a member moves and points outside a headset: drag to look, click or tap a marker to
// open it, W/A/S/D or the arrow keys (or the on-screen buttons) to walk, Q/E to snap-turn,
// double-click the ground to teleport there, and a phone's own turning (device orientation).

import * as THREE from '/vendor/three/build/three.module.js';

const WALK_SPEED = 1.4;  // metres a second
const SNAP_TURN = Math.PI / 6;  // 30°
const EYE_HEIGHT = 1.6;
const DRAG_RADIANS_PER_PIXEL = 0.004;
const CLICK_SLOP = 6;  // pixels a press may move and still be a click
const PITCH_LIMIT = Math.PI / 2 - 0.05;
const DOUBLE_TAP_MS = 500;

export class Controls {
  /** @param {any} viewer the page's Viewer (main.js) */
  constructor(viewer) {
    this.viewer = viewer;
    /** @type {Set<string>} */
    this.keys = new Set();
    this.walk = 0;  // -1, 0, 1 from the on-screen buttons
    this.locked = false;  // a guide has locked movement (looking around stays free)
    this.raycaster = new THREE.Raycaster();
    /** @type {{x: number, y: number, moved: number} | null} */
    this.press = null;
    /** @type {{time: number, x: number, y: number} | null} */
    this.lastTap = null;
    /** @type {number | null} */
    this.orientationStart = null;
    const canvas = /** @type {HTMLCanvasElement} */ (viewer.canvas);
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', (e) => this.up(e));
    canvas.addEventListener('keydown', (e) => this.key(e, true));
    canvas.addEventListener('keyup', (e) => this.key(e, false));
    window.addEventListener('deviceorientation', (e) => this.orient(e));
    this.buttons();
  }

  buttons() {
    const tools = this.viewer.root.querySelector('#viewer-tools');
    const words = this.viewer.words;
    /** @param {string} label @param {() => void} press @param {() => void} [release] */
    const add = (label, press, release) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = label;
      button.addEventListener('pointerdown', press);
      if (release) {
        for (const name of ['pointerup', 'pointerleave', 'pointercancel']) {
          button.addEventListener(name, release);
        }
      }
      tools.append(button);
      return button;
    };
    add(words.turn_left, () => this.snapTurn(1));
    add(words.forward, () => { this.walk = 1; }, () => { this.walk = 0; });
    add(words.backward, () => { this.walk = -1; }, () => { this.walk = 0; });
    add(words.turn_right, () => this.snapTurn(-1));
  }

  /** @param {number} direction 1 left, -1 right */
  snapTurn(direction) {
    this.viewer.rig.rotation.y += direction * SNAP_TURN;
  }

  /** @param {PointerEvent} event */
  down(event) {
    this.press = { x: event.clientX, y: event.clientY, moved: 0 };
    try {
      this.viewer.canvas.setPointerCapture(event.pointerId);
    } catch {
      // a pointer that is already gone: the drag simply ends at the canvas's edge
    }
  }

  /** @param {PointerEvent} event */
  move(event) {
    if (!this.press) return;
    const dx = event.clientX - this.press.x;
    const dy = event.clientY - this.press.y;
    this.press.moved += Math.abs(dx) + Math.abs(dy);
    this.press.x = event.clientX;
    this.press.y = event.clientY;
    if (this.press.moved > CLICK_SLOP) this.look(dx, dy);
  }

  /** @param {number} dx @param {number} dy pixels */
  look(dx, dy) {
    const { rig, camera } = this.viewer;
    rig.rotation.y -= dx * DRAG_RADIANS_PER_PIXEL;
    camera.rotation.x = THREE.MathUtils.clamp(camera.rotation.x - dy * DRAG_RADIANS_PER_PIXEL,
      -PITCH_LIMIT, PITCH_LIMIT);
  }

  /** @param {PointerEvent} event */
  up(event) {
    const press = this.press;
    this.press = null;
    if (!press || press.moved > CLICK_SLOP) return;
    const [x, y] = [event.clientX, event.clientY];
    if (this.clickAt(x, y)) return;
    const now = performance.now();
    const last = this.lastTap;
    if (last && now - last.time < DOUBLE_TAP_MS && Math.hypot(x - last.x, y - last.y) < 24) {
      this.lastTap = null;
      this.teleportAt(x, y);  // a double tap (or double click) on the ground
    } else {
      this.lastTap = { time: now, x, y };
    }
  }

  /** The ray through a point of the canvas. @param {number} x @param {number} y */
  rayAt(x, y) {
    const box = this.viewer.canvas.getBoundingClientRect();
    const ndc = new THREE.Vector2((x - box.left) / box.width * 2 - 1,
      -((y - box.top) / box.height) * 2 + 1);
    this.raycaster.setFromCamera(ndc, this.viewer.camera);
    return this.raycaster.ray;
  }

  /** Opens the hotspot under a click or tap. @param {number} x @param {number} y */
  clickAt(x, y) {
    const hit = this.viewer.view.pick(this.rayAt(x, y));
    if (hit) this.viewer.visit.select(hit);
    return hit;
  }

  /** @param {number} x @param {number} y client pixels */
  teleportAt(x, y) {
    const ray = this.rayAt(x, y);
    this.raycaster.set(ray.origin, ray.direction);
    const props = this.viewer.view.world.getObjectByName('props');
    const hit = this.raycaster.intersectObject(props, true)[0];
    if (hit && hit.face && hit.face.normal.clone().transformDirection(hit.object.matrixWorld).y
        > 0.7) {
      this.teleport(hit.point);
    }
  }

  /** Moves the member to stand at ``ground`` (three.js frame). @param {THREE.Vector3} ground */
  teleport(ground) {
    if (this.locked) return;
    const presenting = this.viewer.renderer.xr.isPresenting;
    this.viewer.rig.position.set(ground.x, ground.y + (presenting ? 0 : EYE_HEIGHT), ground.z);
  }

  /** @param {KeyboardEvent} event @param {boolean} pressed */
  key(event, pressed) {
    const name = event.key.toLowerCase();
    if (pressed && (name === 'q' || name === 'e')) this.snapTurn(name === 'q' ? 1 : -1);
    else if (pressed) this.keys.add(name);
    else this.keys.delete(name);
    if (['arrowup', 'arrowdown', 'arrowleft', 'arrowright', ' '].includes(name)) {
      event.preventDefault();
    }
  }

  /** A phone turned in the hand turns the view. @param {DeviceOrientationEvent} event */
  orient(event) {
    if (event.alpha === null || event.beta === null) return;
    if (this.orientationStart === null) {
      this.orientationStart = event.alpha - THREE.MathUtils.radToDeg(this.viewer.rig.rotation.y);
    }
    this.viewer.rig.rotation.y = THREE.MathUtils.degToRad(event.alpha - this.orientationStart);
    this.viewer.camera.rotation.x = THREE.MathUtils.clamp(
      THREE.MathUtils.degToRad(event.beta - 90), -PITCH_LIMIT, PITCH_LIMIT);
  }

  /** @param {number} dt seconds */
  update(dt) {
    const k = this.keys;
    let forward = this.walk;
    if (k.has('w') || k.has('arrowup')) forward += 1;
    if (k.has('s') || k.has('arrowdown')) forward -= 1;
    let side = 0;
    if (k.has('d')) side += 1;
    if (k.has('a')) side -= 1;
    if (k.has('arrowleft')) this.viewer.rig.rotation.y += 1.5 * dt;
    if (k.has('arrowright')) this.viewer.rig.rotation.y -= 1.5 * dt;
    if ((!forward && !side) || this.locked) return;
    const heading = this.viewer.rig.rotation.y;
    const step = WALK_SPEED * dt;
    this.viewer.rig.position.x += (-Math.sin(heading) * forward + Math.cos(heading) * side) * step;
    this.viewer.rig.position.z += (-Math.cos(heading) * forward - Math.sin(heading) * side) * step;
  }
}
