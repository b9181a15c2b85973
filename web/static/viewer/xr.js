// Immersive VR (WebXR ``immersive-vr``) on standalone headsets: a hotspot looked at for a
// moment opens (gaze), controller rays that open hotspots and answer the quiz on a panel held at arm's length (trigger), a teleport arc
// on the thumbstick pushed forward, snap turns on it pushed sideways, and a vignette while
// moving. Controller models come from RedHall's own copy of the WebXR input profiles.

import * as THREE from '/vendor/three/build/three.module.js';
import { XRControllerModelFactory } from
  '/vendor/three/examples/jsm/webxr/XRControllerModelFactory.js';
import { ArmPanel } from './panel3d.js';

const STICK_PUSHED = 0.75;
const STICK_RESTING = 0.3;
const SNAP_TURN = Math.PI / 6;
const ARC_SPEED = 7;  // m/s the arc is thrown at
const GRAVITY = 9.8;
const ARC_STEPS = 40;
const GAZE_DWELL_SECONDS = 1.5;  // as the engine's
const BLINK_SECONDS = 0.25;  // the view darkens and clears over this on a teleport or turn

export class ImmersiveVR {
  /** @param {any} viewer the page's Viewer (main.js) */
  constructor(viewer) {
    this.viewer = viewer;
    /** @type {XRSession | null} */
    this.session = null;
    this.renderer = viewer.renderer;
    this.renderer.xr.enabled = true;
    this.renderer.xr.setReferenceSpaceType('local-floor');
    this.raycaster = new THREE.Raycaster();
    this.panel = new ArmPanel(viewer);
    /** @type {THREE.Group[]} */
    this.controllers = [];
    /** per controller: whether its stick was pushed (edges only) */
    this.pushed = [{ turn: false, arc: false }, { turn: false, arc: false }];
    /** @type {THREE.Vector3 | null} */
    this.arcTarget = null;
    this.teleports = 0;
    /** @type {string | null} */
    this.gazeTarget = null;
    this.gazeTime = 0;
    const factory = new XRControllerModelFactory().setPath(
      viewer.config.profiles.replace(/\/$/, ''));
    for (const index of [0, 1]) {
      const controller = this.renderer.xr.getController(index);
      controller.add(this.rayLine());
      controller.addEventListener('select', () => this.select(controller));
      viewer.rig.add(controller);
      const grip = this.renderer.xr.getControllerGrip(index);
      grip.add(factory.createControllerModel(grip));
      viewer.rig.add(grip);
      this.controllers.push(controller);
    }
    // comfort: a teleport or snap turn is a blink (the eyes never see the world jump)
    this.blink = new THREE.Mesh(new THREE.SphereGeometry(0.3, 16, 8),
      new THREE.MeshBasicMaterial({ color: 0x000000, side: THREE.BackSide, transparent: true,
        opacity: 0, depthTest: false, fog: false }));
    this.blink.renderOrder = 999;
    this.blink.visible = false;
    this.blinks = 0;
    viewer.camera.add(this.blink);
    this.arc = new THREE.Line(new THREE.BufferGeometry().setFromPoints(
      Array.from({ length: ARC_STEPS }, () => new THREE.Vector3())),
      new THREE.LineBasicMaterial({ color: 0x44ddff }));
    this.arc.visible = false;
    this.arc.frustumCulled = false;
    viewer.view.scene.add(this.arc);
    this.button();
  }

  rayLine() {
    const line = new THREE.Line(new THREE.BufferGeometry().setFromPoints(
      [new THREE.Vector3(0, 0, 0), new THREE.Vector3(0, 0, -1)]),
      new THREE.LineBasicMaterial({ color: 0xffffff }));
    line.scale.z = 5;
    return line;
  }

  async button() {
    if (!navigator.xr || !await navigator.xr.isSessionSupported('immersive-vr')) return;
    const button = document.createElement('button');
    button.type = 'button';
    button.id = 'viewer-enter-vr';
    button.textContent = this.viewer.words.enter_vr;
    button.addEventListener('click', () => this.enter());
    this.viewer.root.querySelector('#viewer-tools').append(button);
  }

  async enter() {
    const session = await navigator.xr.requestSession('immersive-vr',
      { optionalFeatures: ['local-floor'] });
    this.session = session;
    const rig = this.viewer.rig;
    rig.position.y -= 1.6;  // the headset brings its own eye height
    this.viewer.camera.rotation.set(0, 0, 0);
    session.addEventListener('end', () => {
      this.session = null;
      rig.position.y += 1.6;
      this.viewer.root.dataset.xr = 'ended';
    });
    await this.renderer.xr.setSession(session);
    this.viewer.root.dataset.xr = 'presenting';
  }

  /** The ray of a controller, in the three.js frame. @param {THREE.Object3D} controller */
  rayOf(controller) {
    controller.updateMatrixWorld(true);
    const origin = new THREE.Vector3().setFromMatrixPosition(controller.matrixWorld);
    const direction = new THREE.Vector3(0, 0, -1).transformDirection(controller.matrixWorld);
    return new THREE.Ray(origin, direction);
  }

  /** The trigger: a choice on the panel if the ray is on one, else a hotspot.
   *  @param {THREE.Object3D} controller */
  select(controller) {
    const ray = this.rayOf(controller);
    if (this.panel.answerAlong(ray)) return;
    const hit = this.viewer.view.pick(ray);
    if (hit) this.viewer.visit.select(hit);
  }

  /** Where a ballistic arc from the controller first meets ground facing up.
   *  @param {THREE.Object3D} controller */
  throwArc(controller) {
    const ray = this.rayOf(controller);
    const props = this.viewer.view.world.getObjectByName('props');
    const points = [];
    let at = ray.origin.clone();
    const velocity = ray.direction.clone().multiplyScalar(ARC_SPEED);
    const dt = 0.05;
    /** @type {THREE.Vector3 | null} */
    let landing = null;
    for (let i = 0; i < ARC_STEPS; i += 1) {
      points.push(at.clone());
      if (landing) continue;
      const next = at.clone().addScaledVector(velocity, dt);
      velocity.y -= GRAVITY * dt;
      const segment = next.clone().sub(at);
      this.raycaster.set(at, segment.clone().normalize());
      this.raycaster.far = segment.length();
      const hit = this.raycaster.intersectObject(props, true)[0];
      if (hit && hit.face && hit.face.normal.clone().transformDirection(hit.object.matrixWorld)
        .y > 0.7) {
        landing = hit.point.clone();
        points[points.length - 1] = landing;
      }
      at = next;
    }
    this.raycaster.far = Infinity;
    this.arc.geometry.setFromPoints(points);
    this.arc.visible = true;
    return landing;
  }

  /** A hotspot looked at for GAZE_DWELL_SECONDS opens, once per look. @param {number} dt */
  gaze(dt) {
    // the page's camera carries the headset's pose within the rig while presenting
    const target = this.viewer.view.pick(this.rayOf(this.viewer.camera));
    if (target !== this.gazeTarget) {
      this.gazeTarget = target;
      this.gazeTime = 0;
    } else if (target !== null && this.gazeTime >= 0) {
      this.gazeTime += dt;
      if (this.gazeTime >= GAZE_DWELL_SECONDS) {
        this.gazeTime = -1;  // not again until the eyes leave it
        if (this.viewer.visit.current !== target) this.viewer.visit.select(target);
      }
    }
  }

  startBlink() {
    this.blinks += 1;
    this.blinkLeft = BLINK_SECONDS;
    this.blink.visible = true;
  }

  /** @param {number} dt */
  fadeBlink(dt) {
    if (!this.blink.visible) return;
    this.blinkLeft = Math.max(0, (this.blinkLeft ?? 0) - dt);
    /** @type {THREE.MeshBasicMaterial} */ (this.blink.material).opacity =
      this.blinkLeft / BLINK_SECONDS;
    if (this.blinkLeft === 0) this.blink.visible = false;
  }

  /** Reads the gaze and each controller's thumbstick once a frame. @param {number} dt */
  update(dt) {
    this.fadeBlink(dt);
    if (!this.session) return;
    this.gaze(dt);
    this.session.inputSources.forEach((source, index) => {
      const axes = source.gamepad?.axes;
      if (!axes || axes.length < 4 || index > 1) return;
      const [x, y] = [axes[2], axes[3]];
      const state = this.pushed[index];
      if (Math.abs(x) > STICK_PUSHED && !state.turn) {
        state.turn = true;
        this.viewer.rig.rotation.y -= Math.sign(x) * SNAP_TURN;
        this.startBlink();
      } else if (Math.abs(x) < STICK_RESTING) {
        state.turn = false;
      }
      if (y < -STICK_PUSHED) {
        state.arc = true;
        this.arcTarget = this.throwArc(this.controllers[index]);
      } else if (state.arc && Math.abs(y) < STICK_RESTING) {
        state.arc = false;
        this.arc.visible = false;
        if (this.arcTarget) {
          this.viewer.controls.teleport(this.arcTarget);
          this.teleports += 1;
          this.startBlink();
        }
        this.arcTarget = null;
      }
    });
  }
}
