// A packaged scene in three.js, as the engine builds it (engine/scene_graph.py): props with
// their levels of detail, the sun, ambient light, sky colour, fog and hotspot markers.
//
// Scene scripts are metres, Z up (x east, y north); three.js is Y up. Everything of the
// scene sits under one group turned -90° about X, so positions are written as the script
// gives them; glTF models are Y up, so each is turned back +90° inside its prop.

import * as THREE from '/vendor/three/build/three.module.js';
import { GLTFLoader } from '/vendor/three/examples/jsm/loaders/GLTFLoader.js';

export const SKY_COLOURS = {
  day: [0.62, 0.74, 0.90], dawn: [0.86, 0.72, 0.62], dusk: [0.78, 0.56, 0.47],
  overcast: [0.72, 0.74, 0.77], night: [0.05, 0.06, 0.10], interior: [0.20, 0.19, 0.18],
};
export const MARKER_COLOUR = new THREE.Color(1.0, 0.78, 0.1);
export const HIGHLIGHT_COLOUR = new THREE.Color(1.0, 0.25, 0.15);
const MARKER_RADIUS = 0.12;
const DEG = Math.PI / 180;

/**
 * @typedef {[number, number, number]} Vec3
 * @typedef {{path: string, ratio: number, triangles: number}} ModelLevel
 * @typedef {{id: string, levels: ModelLevel[], position: Vec3, rotation: Vec3, scale: Vec3,
 *            bounds: [Vec3, Vec3]}} PackagedProp
 * @typedef {{id: string, at: Vec3, radius: number, title: Record<string, string>,
 *            text: Record<string, string>, sources: number[], disputed?: boolean}} Hotspot
 * @typedef {{pos: Vec3, look_at: Vec3}} Camera
 * @typedef {{id: string, camera: Camera, say: Record<string, string>, hotspots: string[]}} Stop
 * @typedef {{id: string, hotspot?: string | null, prompt: Record<string, string>,
 *            choices: Record<string, string>[], answer: number,
 *            explain: Record<string, string>}} QuizItem
 * @typedef {{sky: keyof SKY_COLOURS,
 *            sun: {heading: number, pitch: number, color: string, intensity: number},
 *            ambient: {color: string, intensity: number},
 *            fog?: {color: string, density: number} | null}} Environment
 * @typedef {{id: string, title: Record<string, string>, environment: Environment,
 *            spawn: Camera, hotspots: Hotspot[], route: Stop[], quiz: QuizItem[],
 *            credit: Record<string, number>, sources: {title: string}[],
 *            narrator?: import('./narrator.js').NarratorSpec | null}} SceneScript
 * @typedef {{script: SceneScript, props: PackagedProp[],
 *            audio: Record<string, Record<string, string>>,
 *            lipsync?: Record<string, string>}} PackagedScene
 */

/** A scene-frame point (Z up) in three.js's frame (Y up). @param {number[]} p */
export function toThree(p) {
  return new THREE.Vector3(p[0], p[2], -p[1]);
}

/** Heading, pitch, roll in degrees (Panda3D's order: roll, then pitch, then heading). */
export function hprEuler(/** @type {number[]} */ [h, p, r]) {
  return new THREE.Euler(p * DEG, r * DEG, h * DEG, 'ZXY');
}

/** How big a prop's detail looks, as the engine reckons it (long thin props count as
 *  ten times their thickness). @param {PackagedProp} prop */
function lodRadius(prop) {
  const [[x0, y0, z0], [x1, y1, z1]] = prop.bounds;
  const halfDiagonal = Math.hypot(x1 - x0, y1 - y0, z1 - z0) / 2;
  const thinnest = Math.min(x1 - x0, y1 - y0, z1 - z0);
  return Math.max(Math.min(halfDiagonal, 10 * thinnest) * Math.max(...prop.scale), 0.5);
}

/** The distance from which level ``index`` shows (the engine's switch distances). */
export function levelDistance(/** @type {PackagedProp} */ prop, /** @type {number} */ index) {
  return index === 0 ? 0 : Math.max(lodRadius(prop) * 12 * 4 ** (index - 1), 25.0);
}

/**
 * @param {import('./package.js').PackageSource} source
 * @param {GLTFLoader} loader @param {string} path
 * @returns {Promise<THREE.Object3D>}
 */
async function loadModel(source, loader, path) {
  const data = await source.read(path);
  const gltf = await loader.parseAsync(data, '');
  const upright = new THREE.Group();
  upright.rotation.x = Math.PI / 2;  // glTF's Y up to the scene's Z up
  upright.add(gltf.scene);
  upright.traverse((node) => {
    node.matrixAutoUpdate = node === upright;  // static geometry
    node.updateMatrix();
  });
  return upright;
}

/**
 * @param {import('./package.js').PackageSource} source @param {GLTFLoader} loader
 * @param {PackagedProp} prop
 */
async function placeProp(source, loader, prop) {
  const lod = new THREE.LOD();
  lod.name = `prop:${prop.id}`;
  const models = await Promise.all(prop.levels.map((level) => loadModel(source, loader,
    level.path)));
  models.forEach((model, index) => lod.addLevel(model, levelDistance(prop, index)));
  lod.position.set(...prop.position);
  lod.rotation.copy(hprEuler(prop.rotation));
  lod.scale.set(...prop.scale);
  return lod;
}

/** @param {string} hex @param {number} [scale] */
function colour(hex, scale = 1) {
  return new THREE.Color(hex).multiplyScalar(scale);
}

export class SceneView {
  /**
   * @param {PackagedScene} packaged
   * @param {import('./package.js').PackageSource} source
   */
  constructor(packaged, source) {
    this.packaged = packaged;
    this.source = source;
    this.scene = new THREE.Scene();
    this.world = new THREE.Group();  // the scene's Z-up frame
    this.world.rotation.x = -Math.PI / 2;
    this.world.name = packaged.script.id;
    this.scene.add(this.world);
    this.markers = new THREE.Group();
    this.markers.name = 'hotspots';
    /** @type {Map<string, THREE.Mesh>} */
    this.markerById = new Map();
    this.sky = SKY_COLOURS[packaged.script.environment.sky] ?? SKY_COLOURS.day;
  }

  /** Loads every prop level and lays out lights, sky, fog and markers. */
  async build() {
    const loader = new GLTFLoader();
    const props = await Promise.all(this.packaged.props.map((prop) => placeProp(this.source,
      loader, prop)));
    const holder = new THREE.Group();
    holder.name = 'props';
    props.forEach((p) => holder.add(p));
    this.world.add(holder);
    this.lights();
    this.hotspotMarkers();
    this.scene.updateMatrixWorld(true);
  }

  lights() {
    const env = this.packaged.script.environment;
    this.scene.background = new THREE.Color(...this.sky);
    const { heading, pitch } = env.sun;
    const forward = new THREE.Vector3(-Math.sin(heading * DEG) * Math.cos(pitch * DEG),
      Math.cos(heading * DEG) * Math.cos(pitch * DEG), Math.sin(pitch * DEG));
    const sun = new THREE.DirectionalLight(colour(env.sun.color), env.sun.intensity * 2.2);
    sun.position.copy(forward.multiplyScalar(-100));
    sun.target.position.set(0, 0, 0);
    this.world.add(sun, sun.target);
    this.world.add(new THREE.AmbientLight(colour(env.ambient.color),
      env.ambient.intensity * 2.4));
    if (env.fog) this.scene.fog = new THREE.FogExp2(colour(env.fog.color), env.fog.density);
  }

  hotspotMarkers() {
    const geometry = new THREE.SphereGeometry(MARKER_RADIUS, 16, 12);
    for (const hotspot of this.packaged.script.hotspots) {
      const marker = new THREE.Mesh(geometry, new THREE.MeshBasicMaterial({
        color: MARKER_COLOUR, fog: false }));
      marker.name = `hotspot:${hotspot.id}`;
      marker.position.set(...hotspot.at);
      this.markers.add(marker);
      this.markerById.set(hotspot.id, marker);
    }
    this.world.add(this.markers);
  }

  /** @param {string | null} id */
  highlight(id) {
    for (const [key, marker] of this.markerById) {
      /** @type {THREE.MeshBasicMaterial} */ (marker.material).color.copy(
        key === id ? HIGHLIGHT_COLOUR : MARKER_COLOUR);
    }
  }

  /** The markers' gentle pulse, as in the engine. @param {number} time seconds */
  pulse(time) {
    const scale = 1.0 + 0.15 * Math.sin(time * 3.0);
    for (const marker of this.markerById.values()) marker.scale.setScalar(scale);
  }

  /**
   * The nearest hotspot a ray (three.js frame) passes within its radius of.
   * @param {THREE.Ray} ray @returns {string | null}
   */
  pick(ray) {
    let best = null;
    let nearest = Infinity;
    for (const hotspot of this.packaged.script.hotspots) {
      const centre = toThree(hotspot.at);
      const sphere = new THREE.Sphere(centre, hotspot.radius ?? 0.6);
      const hit = ray.intersectSphere(sphere, new THREE.Vector3());
      if (hit) {
        const distance = hit.distanceTo(ray.origin);
        if (distance < nearest) [best, nearest] = [hotspot.id, distance];
      }
    }
    return best;
  }
}
