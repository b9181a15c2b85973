// The narrator (数字人讲解员) standing in the scene and speaking its narration, as the
// engine's (engine/narrator.py): it plays its idle animation, blinks at seeded random
// intervals, turns its head toward the member within a neck's limits and, while one of its
// narrations plays, shapes its mouth from the lip-sync track at the audio's own playback
// time, turns and gestures toward the hotspot explained, and is heard from where it stands.
//
// The figure faces +z in glTF (Y up), so -y of the scene's Z-up frame once stood upright.

import * as THREE from '/vendor/three/build/three.module.js';
import { GLTFLoader } from '/vendor/three/examples/jsm/loaders/GLTFLoader.js';
import { TamperedEntry } from './package.js';
import { Blinker, approach, envelope, lipSyncTrack, mouthAt, seedOf } from './narrator-face.js';

const HEAD_YAW_LIMIT = 60;  // degrees either side of the chest
const HEAD_PITCH_LIMIT = 20;
const BODY_TURN_LIMIT = 75;  // how far a gesture turns the body from where it stands facing
const HEAD_RATE = 6;  // 1/s: how quickly the head follows
const GESTURE_RAMP = 0.6;  // seconds to raise (and lower) the arm, as the animation does
const HEARD_FULLY = 4;  // metres within which the narration is heard at full loudness
const FADING = 0.5;  // how quickly it fades beyond (the panner's inverse roll-off)
const RESUME_WAIT = 1000;  // ms to let a suspended audio context start before playing plain
const DEG = Math.PI / 180;
const MOUTHS = ['viseme_A', 'viseme_E', 'viseme_O', 'viseme_S'];

/**
 * @typedef {[number, number, number]} Vec3
 * @typedef {{position: Vec3, facing: number | Vec3, model?: string | null,
 *            hotspots?: string[] | null, stops?: string[] | null}} NarratorSpec
 */

/** The heading (0 faces +y, 90 faces -x) a narrator standing at ``position`` faces.
 *  @param {number | number[]} facing @param {number[]} position */
export function headingOf(facing, position) {
  if (typeof facing === 'number') return facing;
  return Math.atan2(-(facing[0] - position[0]), facing[1] - position[1]) / DEG;
}

/** @param {number} degrees */
function wrap(degrees) {
  return ((degrees + 180) % 360 + 360) % 360 - 180;
}

/** @param {number} value @param {number} limit */
function clamp(value, limit) {
  return Math.max(-limit, Math.min(limit, value));
}

/** A joint of the figure by its glTF name (three.js drops the dots: hand.R is handR).
 *  @param {THREE.Object3D} root @param {string} name @returns {THREE.Bone | null} */
function bone(root, name) {
  const wanted = name.replace(/[[\].:/]/g, '');
  /** @type {THREE.Bone | null} */
  let found = null;
  root.traverse((node) => {
    if (!found && /** @type {THREE.Bone} */ (node).isBone && node.name === wanted) {
      found = /** @type {THREE.Bone} */ (node);
    }
  });
  return found;
}

export class NarratorFigure {
  /**
   * @param {{scene: THREE.Group, animations: THREE.AnimationClip[]}} gltf the rigged figure
   * @param {import('./scene.js').PackagedScene} packaged the scene it stands in
   * @param {import('./package.js').PackageSource} source where its lip-sync tracks are read
   * @param {THREE.Object3D} world the scene's Z-up frame
   * @param {() => number} now the clock, seconds
   */
  constructor(gltf, packaged, source, world, now) {
    this.spec = /** @type {NarratorSpec} */ (packaged.script.narrator);
    this.packaged = packaged;
    this.source = source;
    this.now = now;
    this.facing = headingOf(this.spec.facing, this.spec.position);
    this.figure = new THREE.Group();
    this.figure.name = 'narrator';
    this.figure.position.set(...this.spec.position);
    const upright = new THREE.Group();
    upright.rotation.x = Math.PI / 2;  // glTF's Y up to the scene's Z up
    upright.add(gltf.scene);
    this.figure.add(upright);
    world.add(this.figure);
    this.turnBody(0);
    this.head = bone(gltf.scene, 'head');
    this.headRest = this.head?.quaternion.clone() ?? new THREE.Quaternion();
    const hand = bone(gltf.scene, 'hand.R');
    this.figure.updateMatrixWorld(true);
    this.headHeight = this.head ? this.localOf(this.head).z : 1.6;
    this.handAside = hand ? Math.abs(this.localOf(hand).x) : 0;
    /** @type {THREE.Mesh[]} the meshes with the mouth and blink morph targets */
    this.faces = [];
    gltf.scene.traverse((node) => {
      const mesh = /** @type {THREE.Mesh} */ (node);
      if (mesh.morphTargetDictionary && 'blink' in mesh.morphTargetDictionary) {
        this.faces.push(mesh);
      }
    });
    this.mixer = new THREE.AnimationMixer(gltf.scene);
    const idle = gltf.animations.find((clip) => clip.name === 'idle');
    if (idle) {
      // the face's morphs are the narrator's own (seeded blinks, the mouth): not the clip's
      const body = new THREE.AnimationClip('idle', idle.duration, idle.tracks.filter(
        (track) => !track.name.endsWith('.morphTargetInfluences')));
      this.mixer.clipAction(body).play();
    }
    const gesture = gltf.animations.find((clip) => clip.name === 'gesture');
    this.gesture = gesture ? this.mixer.clipAction(gesture) : null;
    this.gesture?.setLoop(THREE.LoopOnce, 1);
    this.gestureLength = gesture?.duration ?? 0;
    /** @type {number | null} when the gesture started */
    this.gestureAt = null;
    this.gestureTurn = 0;
    this.gestures = 0;
    this.bodyTurn = 0;
    this.headYaw = 0;
    this.headPitch = 0;
    this.blinker = new Blinker(seedOf(packaged.script.id), now());
    this.blink = 0;
    /** @type {HTMLMediaElement | null} the narration being spoken */
    this.element = null;
    /** @type {import('./narrator-face.js').LipSyncTrack | null} */
    this.track = null;
    /** @type {string | null} */
    this.owner = null;
    /** @type {THREE.PositionalAudio | null} */
    this.sound = null;
    this.eye = new THREE.Vector3();
    /** @type {THREE.Camera | null} the member's eyes, where the narration is heard */
    this.listenerCamera = null;
  }

  /** A node's position in the figure's own Z-up frame. @param {THREE.Object3D} node */
  localOf(node) {
    return this.figure.worldToLocal(node.getWorldPosition(new THREE.Vector3()));
  }

  /** @param {number} turn degrees from where it stands facing */
  turnBody(turn) {
    this.bodyTurn = turn;
    this.figure.rotation.z = (this.facing + 180 + turn) * DEG;  // the figure faces -y
  }

  // -- what it speaks ------------------------------------------------------------------
  /** Whether narration ``owner`` (a hotspot id or ``stop:<id>``) is the narrator's.
   *  @param {string} owner */
  speaks(owner) {
    if (owner.startsWith('stop:')) {
      return this.spec.stops == null || this.spec.stops.includes(owner.slice(5));
    }
    return this.spec.hotspots == null || this.spec.hotspots.includes(owner);
  }

  /** Where narration ``owner`` points: its hotspot, or a stop's first hotspot.
   *  @param {string} owner @returns {number[] | null} */
  explained(owner) {
    const script = this.packaged.script;
    let id = owner;
    if (owner.startsWith('stop:')) {
      const stop = script.route.find((s) => s.id === owner.slice(5));
      id = stop?.hotspots?.[0] ?? '';
    }
    return script.hotspots.find((h) => h.id === id)?.at ?? null;
  }

  /**
   * Speaks ``element`` (narration ``owner``, the package's ``path``) if it is the
   * narrator's: mouth from its lip-sync track, a turn and gesture toward what it explains,
   * heard from where it stands. Returns whether it speaks it.
   * @param {string} owner @param {HTMLMediaElement} element @param {string} path
   */
  speak(owner, element, path) {
    if (!this.speaks(owner)) {
      this.silence();
      return false;
    }
    this.element = element;
    this.owner = owner;
    this.track = null;
    this.startGesture(this.explained(owner));
    this.loadTrack(element, path);
    this.hearFromHere(element);
    return true;
  }

  /** @param {HTMLMediaElement} element @param {string} path */
  async loadTrack(element, path) {
    const trackPath = this.packaged.lipsync?.[path];
    if (!trackPath) return;  // a package from before lip-sync tracks: the mouth stays still
    try {
      const track = lipSyncTrack(await this.source.json(trackPath));
      if (!track) console.warn(`${trackPath} is not a lip-sync track`);
      if (this.element === element) this.track = track;
    } catch (error) {
      console.warn(`${trackPath} could not be read`, error);
    }
  }

  /** @param {number[] | null} toward a scene point, or null to gesture ahead */
  startGesture(toward) {
    if (!this.gesture) return;
    this.gesture.reset().play();
    this.gestureAt = this.now();
    this.gestures += 1;
    this.gestureTurn = 0;
    if (toward) {
      const [x, y] = this.spec.position;
      const bearing = headingOf(toward, this.spec.position);
      // the arm points straight ahead from the right shoulder: turn so that the line from
      // the hand, not from the middle of the body, meets the point
      const distance = Math.hypot(toward[0] - x, toward[1] - y);
      const aside = Math.asin(Math.min(this.handAside / Math.max(distance, 1e-6), 1)) / DEG;
      this.gestureTurn = clamp(wrap(bearing + aside - this.facing), BODY_TURN_LIMIT);
    }
  }

  /** The narration through a panner at the narrator's head (three.js PositionalAudio), once
   *  the page's audio may play; until then, or without Web Audio, it plays as it is.
   *  @param {HTMLMediaElement} element */
  async hearFromHere(element) {
    const camera = this.listenerCamera;
    if (!camera || typeof AudioContext === 'undefined') return;
    try {
      if (!this.sound) {
        const listener = new THREE.AudioListener();
        camera.add(listener);
        this.sound = new THREE.PositionalAudio(listener);
        this.sound.setRefDistance(HEARD_FULLY);
        this.sound.setRolloffFactor(FADING);
        (this.head ?? this.figure).add(this.sound);
        if (!this.head) this.sound.position.set(0, 0, this.headHeight);
      }
      const context = this.sound.context;
      if (context.state !== 'running') {
        await Promise.race([context.resume(), new Promise((done) => {
          setTimeout(done, RESUME_WAIT);
        })]);
      }
      // routed only into a running context: a suspended one would silence the narration
      if (context.state !== 'running' || this.element !== element) return;
      this.sound.disconnect();
      this.sound.setMediaElementSource(element);
    } catch (error) {
      console.warn('the narration plays without position', error);
    }
  }

  /** Stops speaking (the panel was closed); the gesture finishes on its own. */
  silence() {
    this.element = null;
    this.owner = null;
    this.track = null;
  }

  /** Seconds into the narration being spoken: the audio's own playback time. */
  speechTime() {
    return this.element ? this.element.currentTime : null;
  }

  /** The mouth targets' weights now. @returns {Record<string, number>} */
  mouth() {
    const seconds = this.speechTime();
    if (!this.track || seconds === null) {
      return Object.fromEntries(MOUTHS.map((name) => [name, 0]));
    }
    return mouthAt(this.track, seconds);
  }

  // -- every frame ---------------------------------------------------------------------
  /** @param {number} dt seconds @param {THREE.Camera} camera the member's eyes */
  update(dt, camera) {
    this.listenerCamera = camera;
    const now = this.now();
    this.blink = this.blinker.weight(now);
    const weights = { ...this.mouth(), blink: this.blink };
    for (const face of this.faces) {
      for (const [name, weight] of Object.entries(weights)) {
        const index = face.morphTargetDictionary[name];
        if (index !== undefined) face.morphTargetInfluences[index] = weight;
      }
    }
    const gesture = this.gestureShare(now);
    this.turnBody(this.gestureTurn * gesture);
    if (this.head) this.head.quaternion.copy(this.headRest);  // the clips pose it afresh
    this.mixer.update(dt);
    this.figure.updateMatrixWorld();
    const [yaw, pitch] = this.towardViewer(camera);
    // while gesturing the head follows the arm toward the hotspot, then comes back
    this.headYaw = approach(this.headYaw, yaw * (1 - gesture), HEAD_RATE, dt);
    this.headPitch = approach(this.headPitch, pitch * (1 - gesture), HEAD_RATE, dt);
    if (this.head) {
      // in glTF's frame: heading about +Y, and +pitch looks down for a figure facing +z
      this.head.quaternion.premultiply(new THREE.Quaternion().setFromEuler(
        new THREE.Euler(this.headPitch * DEG, this.headYaw * DEG, 0, 'YXZ')));
    }
  }

  /** How far into the gesture (0..1) it is. @param {number} now */
  gestureShare(now) {
    if (this.gestureAt === null) return 0;
    const seconds = now - this.gestureAt;
    if (seconds >= this.gestureLength) {
      this.gestureAt = null;
      return 0;
    }
    return envelope(seconds, this.gestureLength, GESTURE_RAMP);
  }

  /** Head yaw and pitch (degrees, clamped) that face the viewer's eyes.
   *  @param {THREE.Camera} camera @returns {[number, number]} */
  towardViewer(camera) {
    const eye = this.figure.worldToLocal(camera.getWorldPosition(this.eye));
    const [dx, dy, dz] = [eye.x, eye.y, eye.z - this.headHeight];
    const yaw = Math.atan2(dx, -dy) / DEG;  // the figure faces -y
    const pitch = -Math.atan2(dz, Math.hypot(dx, dy)) / DEG;  // +pitch looks down
    return [clamp(yaw, HEAD_YAW_LIMIT), clamp(pitch, HEAD_PITCH_LIMIT)];
  }

  // -- what tests read -----------------------------------------------------------------
  /** The morph weights as set on the face meshes, and the head's pose. */
  state() {
    const face = this.faces[0];
    /** @type {Record<string, number>} */
    const morphs = {};
    if (face) {
      for (const [name, index] of Object.entries(face.morphTargetDictionary)) {
        morphs[name] = face.morphTargetInfluences[index];
      }
    }
    return { owner: this.owner, seconds: this.speechTime(), track: this.track !== null,
      morphs, headYaw: this.headYaw, headPitch: this.headPitch, bodyTurn: this.bodyTurn,
      gesturing: this.gestureAt !== null, gestures: this.gestures,
      gestureTurn: this.gestureTurn,
      positional: this.element !== null && /** @type {MediaElementAudioSourceNode} */ (
        this.sound?.source)?.mediaElement === this.element };
  }
}

/**
 * The scene's narrator from its figure in the package, or null when the scene has none
 * (or its figure cannot be read: the scene is shown without it). A figure whose bytes are
 * not the manifest's is refused like any other entry.
 * @param {import('./package.js').PackageSource} source
 * @param {import('./scene.js').PackagedScene} packaged @param {THREE.Object3D} world
 * @param {() => number} now seconds
 */
export async function loadNarrator(source, packaged, world, now) {
  const spec = packaged.script.narrator;
  if (!spec) return null;
  if (!spec.model) {
    console.warn(`scene ${packaged.script.id} has a narrator but names no figure for it`);
    return null;
  }
  try {
    const gltf = await new GLTFLoader().parseAsync(await source.read(spec.model), '');
    return new NarratorFigure(gltf, packaged, source, world, now);
  } catch (error) {
    if (error instanceof TamperedEntry) throw error;
    console.warn('the narrator figure could not be shown', error);
    return null;
  }
}
