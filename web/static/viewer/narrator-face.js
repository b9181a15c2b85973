// What the narrator's face does at a moment, as the engine reckons it
// (engine/narrator_face.py): mouth shapes from a lip-sync track, seeded blinks, the
// gesture's envelope and a damped follower. Numbers only; narrator.js sets the morphs.

export const MOUTH_TARGETS = { A: 'viseme_A', E: 'viseme_E', O: 'viseme_O', S: 'viseme_S' };
const BLINK_SECONDS = 0.16;
const BLINK_GAP = [2.0, 6.0];  // seconds between blinks, drawn at random (seeded)
const MAX_FRAMES = 100 * 600;  // as protocol/lipsync.py

/** @typedef {{rate: number, openness: number[], visemes: string}} LipSyncTrack */

/**
 * A lip-sync track (protocol/lipsync.py) if ``data`` is one, else null: a package's
 * entry is verified by hash, but an old or odd one must leave the mouth still, not throw.
 * @param {any} data @returns {LipSyncTrack | null}
 */
export function lipSyncTrack(data) {
  if (!data || data.kind !== 'redhall-lipsync' || data.version !== 1) return null;
  const { rate, openness, visemes } = data;
  if (!Number.isInteger(rate) || rate < 10 || rate > 100) return null;
  if (!Array.isArray(openness) || typeof visemes !== 'string') return null;
  if (openness.length !== visemes.length || openness.length > MAX_FRAMES) return null;
  if (!/^[XAEOS]*$/.test(visemes)) return null;
  if (!openness.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) return null;
  return { rate, openness, visemes };
}

/**
 * Weights 0..1 of the mouth morph targets ``seconds`` after the audio's start: frame i
 * holds from i / rate, shapes blend linearly between two frames; closed before the start,
 * after the end and on X (rest) frames.
 * @param {LipSyncTrack} track @param {number} seconds @returns {Record<string, number>}
 */
export function mouthAt(track, seconds) {
  /** @type {Record<string, number>} */
  const weights = { viseme_A: 0, viseme_E: 0, viseme_O: 0, viseme_S: 0 };
  const count = track.openness.length;
  if (!Number.isFinite(seconds) || seconds < 0 || count === 0) return weights;
  const position = seconds * track.rate;
  const index = Math.floor(position);
  if (index >= count) return weights;
  const blend = position - index;
  for (const [frame, share] of [[index, 1 - blend], [index + 1, blend]]) {
    if (frame < count && share > 0) {
      const target = MOUTH_TARGETS[/** @type {keyof MOUTH_TARGETS} */ (track.visemes[frame])];
      if (target) weights[target] += share * track.openness[frame] / 255;
    }
  }
  for (const name of Object.keys(weights)) weights[name] = Math.min(weights[name], 1);
  return weights;
}

/** A small seeded generator (mulberry32): the same numbers every visit.
 *  @param {number} seed @returns {() => number} in [0, 1) */
function seeded(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6D2B79F5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a text: a scene's id makes its blink seed. @param {string} text */
export function seedOf(text) {
  let hash = 0x811C9DC5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Blinks at random intervals from a seeded generator: the same scene blinks the same way
 *  every visit, and two narrators do not blink in step. */
export class Blinker {
  /** @param {number} seed @param {number} start seconds */
  constructor(seed, start) {
    this.random = seeded(seed);
    this.next = start + this.uniform(0.5, BLINK_GAP[1]);
  }

  /** @param {number} low @param {number} high */
  uniform(low, high) {
    return low + (high - low) * this.random();
  }

  /** How closed the eyes are at ``now`` (0 open .. 1 shut); time only moves on.
   *  @param {number} now seconds */
  weight(now) {
    while (now >= this.next + BLINK_SECONDS) {
      this.next += BLINK_SECONDS + this.uniform(BLINK_GAP[0], BLINK_GAP[1]);
    }
    const into = now - this.next;
    if (into < 0) return 0;
    return 1 - Math.abs(2 * into / BLINK_SECONDS - 1);  // closes, then opens
  }
}

/** 0 -> 1 over ``ramp`` seconds, 1 until ``ramp`` before ``length``, then back to 0
 *  (smoothstep ramps): how far a gesture has turned the narrator.
 *  @param {number} seconds @param {number} length @param {number} ramp */
export function envelope(seconds, length, ramp) {
  if (seconds <= 0 || seconds >= length) return 0;
  const edge = Math.min(seconds, length - seconds, ramp) / ramp;
  return edge * edge * (3 - 2 * edge);
}

/** ``value`` moved toward ``target`` as a critically damped follower would in ``dt``.
 *  @param {number} value @param {number} target @param {number} rate @param {number} dt */
export function approach(value, target, rate, dt) {
  return target + (value - target) * Math.exp(-rate * Math.max(dt, 0));
}
