// A live tour in the browser: the same wire as the engine (protocol/tour.py, JSON control
// messages; protocol/tour_poses.py, binary pose frames) on /api/tours/{id}/live. The member
// follows the guide's stop changes, gathers, follow-me and lock; sees the others as
// avatars, the highlighted hotspot and the guide's laser; answers the guide's quiz; and
// raises a hand; hears the guide and, given the floor, speaks (hold the talk button or
// Space). Poses and positions on the wire are the scene's frame (metres, Z up).

import * as THREE from '/vendor/three/build/three.module.js';
import { toThree } from './scene.js';
import { VoicePlayer, VOICE_FRAME_KIND } from './voice.js';
import { VoiceSender, socketSender } from './voice-send.js';

export const TOUR_PROTOCOL = 3;
const POSE_KIND = 0x50;
const FRAME_KIND = 0x46;
const ENTRY_SIZE = 47;
const FRAME_HEADER = 12;
const POSE_INTERVAL_MS = 100;
const CM = 100;
const Q = 32767;
const MAX_AVATARS = 64;
const GUIDE_ROLES = ['guide', 'co_guide'];

/** The voice words the page carries beside the viewer's own (view.html).
 *  @returns {Record<string, string>} */
function voiceWords() {
  const element = document.getElementById('viewer-voice-words');
  return element ? JSON.parse(element.textContent ?? '{}') : {};
}

/** Head positions (scene frame) of each seat in a server pose frame.
 *  @param {ArrayBuffer} data @returns {Map<number, [number, number, number]>} */
export function readFrame(data) {
  const view = new DataView(data);
  /** @type {Map<number, [number, number, number]>} */
  const heads = new Map();
  if (data.byteLength < FRAME_HEADER || view.getUint8(0) !== FRAME_KIND) return heads;
  const count = view.getUint16(2, true);
  if (data.byteLength < FRAME_HEADER + count * ENTRY_SIZE) return heads;
  for (let i = 0; i < count; i += 1) {
    const at = FRAME_HEADER + i * ENTRY_SIZE;
    const seat = view.getUint16(at, true);
    const head = at + 5;
    heads.set(seat, [view.getInt16(head, true) / CM, view.getInt16(head + 2, true) / CM,
      view.getInt16(head + 4, true) / CM]);
  }
  return heads;
}

/** A pose message (46 bytes): head position and heading, hands untracked.
 *  @param {number} seq @param {number[]} head scene frame @param {number} heading radians */
export function poseMessage(seq, head, heading) {
  const data = new ArrayBuffer(46);
  const view = new DataView(data);
  view.setUint8(0, POSE_KIND);
  view.setUint8(1, 0);
  view.setUint16(2, seq & 0xffff, true);
  const clamp = (/** @type {number} */ v) => Math.max(-32767, Math.min(32767, Math.round(v)));
  head.forEach((v, i) => view.setInt16(4 + i * 2, clamp(v * CM), true));
  const quaternion = [0, 0, Math.sin(heading / 2), Math.cos(heading / 2)];
  quaternion.forEach((v, i) => view.setInt16(10 + i * 2, clamp(v * Q), true));
  for (let i = 0; i < 7; i += 1) {  // both hands: identity at the origin, untracked
    view.setInt16(18 + i * 2, i === 6 ? Q : 0, true);
    view.setInt16(32 + i * 2, i === 6 ? Q : 0, true);
  }
  return data;
}

export class LiveTour {
  /** @param {any} viewer the page's Viewer (main.js) @param {number} tourId */
  constructor(viewer, tourId) {
    this.viewer = viewer;
    this.tourId = tourId;
    this.seat = -1;
    this.role = 'member';
    this.follow = false;
    this.locked = false;
    this.hand = false;
    this.seq = 0;
    /** @type {Map<number, {seat: number, name: string, role: string}>} */
    this.people = new Map();
    /** @type {Map<number, [number, number, number]>} */
    this.heads = new Map();
    /** @type {any} */
    this.quiz = null;
    this.status = document.createElement('p');
    this.status.id = 'viewer-tour';
    this.status.className = 'viewer-progress viewer-tour';
    viewer.root.append(this.status);
    this.avatars = new THREE.InstancedMesh(new THREE.CapsuleGeometry(0.18, 1.2, 4, 8),
      new THREE.MeshStandardMaterial({ color: 0x3a6ea5 }), MAX_AVATARS);
    this.avatars.count = 0;
    this.avatars.frustumCulled = false;
    this.avatars.name = 'avatars';
    viewer.view.scene.add(this.avatars);
    this.laser = new THREE.Line(new THREE.BufferGeometry().setFromPoints(
      [new THREE.Vector3(), new THREE.Vector3()]), new THREE.LineBasicMaterial({ color: 0xff2020 }));
    this.laser.visible = false;
    this.laser.frustumCulled = false;
    viewer.view.scene.add(this.laser);
    this.handButton();
    this.voice = new VoicePlayer();
    this.listenButton();
    /** @type {{holders: number[], open: boolean, muted: number[]}} */
    this.floor = { holders: [], open: false, muted: [] };
    this.mutedAll = false;
    this.speaker = new VoiceSender(socketSender(() => this.socket), () => this.serverNow(),
      'push_to_talk', true);  // the page plays the others' voices: keep them out
    this.talkButton();
  }

  /** Whether this seat may speak now: as the server decides (server/live/floor.py). */
  maySpeak() {
    if (this.seat < 0 || this.floor.muted.includes(this.seat)) return false;
    if (GUIDE_ROLES.includes(this.role)) return true;
    if (this.role !== 'member' || this.mutedAll) return false;
    return this.floor.open || this.floor.holders.includes(this.seat);
  }

  /** Hold to talk (the button, or Space): shown while this seat may speak. */
  talkButton() {
    const words = voiceWords();
    const button = document.createElement('button');
    button.type = 'button';
    button.id = 'viewer-talk';
    button.textContent = words.talk ?? 'Talk';
    button.hidden = true;
    button.setAttribute('aria-pressed', 'false');
    const press = (/** @type {boolean} */ down) => {
      if (down && !this.maySpeak()) return;
      this.speaker.pressed = down;
      button.setAttribute('aria-pressed', String(down));
      this.viewer.root.dataset.talk = down ? 'on' : 'off';
      if (down) this.openMicrophone();
    };
    button.style.touchAction = 'none';  // a held finger talks; it neither scrolls nor zooms
    button.addEventListener('contextmenu', (event) => event.preventDefault());  // long press
    button.addEventListener('pointerdown', () => press(true));
    for (const name of ['pointerup', 'pointercancel', 'pointerleave']) {
      button.addEventListener(name, () => press(false));
    }
    const typing = (/** @type {EventTarget | null} */ target) => target instanceof HTMLElement
      && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
    document.addEventListener('keydown', (event) => {
      if (event.key !== ' ' || event.repeat || typing(event.target) || !this.maySpeak()) return;
      press(true);
    });
    document.addEventListener('keyup', (event) => {
      if (event.key === ' ' && this.speaker.pressed) press(false);
    });
    this.viewer.root.querySelector('#viewer-tools').append(button);
    this.talk = button;
    const free = document.createElement('button');  // hands-free: the voice detector talks
    free.type = 'button';
    free.id = 'viewer-hands-free';
    free.textContent = words.hands_free ?? 'Hands-free';
    free.hidden = true;
    free.setAttribute('aria-pressed', 'false');
    free.addEventListener('click', () => {
      const on = this.speaker.talkMode !== 'vad';
      this.speaker.talkMode = on ? 'vad' : 'push_to_talk';
      free.setAttribute('aria-pressed', String(on));
      if (on) this.openMicrophone();
    });
    this.viewer.root.querySelector('#viewer-tools').append(free);
    this.handsFree = free;
  }

  /** The microphone opens on the first talk; without one the page says so once. */
  async openMicrophone() {
    if (await this.speaker.open() || this.viewer.root.querySelector('#viewer-voice-note')) return;
    const note = document.createElement('p');
    note.id = 'viewer-voice-note';
    note.className = 'viewer-progress';
    note.setAttribute('role', 'status');
    note.textContent = (voiceWords().no_microphone ?? '{reason}')
      .replace('{reason}', this.speaker.failure ?? '');
    this.viewer.root.append(note);
    this.viewer.root.dataset.microphone = 'missing';
    this.talk.hidden = true;
    this.handsFree.hidden = true;
  }

  /** The floor or mute-all changed: the talk button follows. */
  floorChanged() {
    const may = this.maySpeak();
    this.speaker.allowed = may;
    this.talk.hidden = !may || this.viewer.root.dataset.microphone === 'missing';
    this.handsFree.hidden = this.talk.hidden;
    if (!may && this.speaker.pressed) {
      this.speaker.pressed = false;
      this.talk.setAttribute('aria-pressed', 'false');
      this.viewer.root.dataset.talk = 'off';
    }
    this.viewer.root.dataset.floor = may ? 'speak' : 'listen';
  }

  /** Hearing the guide starts with a tap where a browser asks for one (autoplay rule). */
  listenButton() {
    const button = document.createElement('button');
    button.type = 'button';
    button.id = 'viewer-listen';
    button.textContent = this.viewer.words.listen;
    button.addEventListener('click', async () => {
      await this.voice.start();
      button.setAttribute('aria-pressed', 'true');
      this.viewer.root.dataset.voice = 'on';
    });
    this.viewer.root.querySelector('#viewer-tools').append(button);
  }

  connect() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    this.socket = new WebSocket(`${scheme}//${location.host}/api/tours/${this.tourId}/live`);
    this.socket.binaryType = 'arraybuffer';
    this.socket.addEventListener('open', () => this.send({ type: 'hello',
      version: TOUR_PROTOCOL, token: 'session-cookie' }));
    this.socket.addEventListener('message', (event) => {
      if (event.data instanceof ArrayBuffer) {
        if (new Uint8Array(event.data, 0, 1)[0] === VOICE_FRAME_KIND) {
          this.voice.receive(event.data, this.seat);
        } else {
          this.frame(event.data);
        }
      }
      else this.message(JSON.parse(event.data));
    });
    this.socket.addEventListener('close', () => {
      this.viewer.root.dataset.tour = 'closed';
    });
    this.poses = setInterval(() => this.sendPose(), POSE_INTERVAL_MS);
  }

  /** @param {Record<string, any>} message */
  send(message) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  handButton() {
    const button = document.createElement('button');
    button.type = 'button';
    button.id = 'viewer-hand';
    button.textContent = this.viewer.words.raise_hand;
    button.setAttribute('aria-pressed', 'false');
    button.addEventListener('click', () => {
      this.send({ type: 'hand', raised: !this.hand });
    });
    this.viewer.root.querySelector('#viewer-tools').append(button);
    this.button = button;
  }

  /** @param {Record<string, any>} m */
  message(m) {
    switch (m.type) {
      case 'welcome':
        this.seat = m.seat;
        this.role = m.role;
        if (Number.isFinite(m.server_time)) this.clockOffset = m.server_time - Date.now() / 1000;
        this.snapshot(m.snapshot);
        this.viewer.root.dataset.tour = 'joined';
        break;
      case 'joined':
        this.people.set(m.participant.seat, m.participant);
        break;
      case 'left':
        this.people.delete(m.seat);
        this.heads.delete(m.seat);
        break;
      case 'stop':
        this.goTo(m.scene, m.stop);
        break;
      case 'gathering':
        setTimeout(() => this.viewer.controls.teleport(toThree(m.at)),
          Math.max(0, (m.deadline - this.serverNow()) * 1000));
        break;
      case 'setting':
        if (m.name === 'follow') this.follow = m.on;
        if (m.name === 'locked') {
          this.locked = m.on;
          this.viewer.controls.locked = m.on;
        }
        if (m.name === 'muted') {
          this.mutedAll = m.on;
          this.floorChanged();
        }
        break;
      case 'floor':
        this.floor = m.floor;
        this.floorChanged();
        break;
      case 'role':
        if (m.seat === this.seat) {
          this.role = m.role;
          this.floorChanged();
        }
        break;
      case 'highlighted':
        this.viewer.view.highlight(m.hotspot);
        this.viewer.root.dataset.highlight = m.hotspot ?? '';
        break;
      case 'laser':
        this.showLaser(m.origin, m.target);
        break;
      case 'quiz':
        this.showQuiz(m.quiz);
        break;
      case 'hand_changed':
      case 'hand':
        if (m.seat === this.seat) this.setHand(Boolean(m.raised));
        break;
      default:
        break;
    }
    this.refresh();
  }

  /** @param {Record<string, any>} s */
  snapshot(s) {
    for (const p of s.participants) this.people.set(p.seat, p);
    this.follow = s.follow;
    this.locked = s.locked;
    this.viewer.controls.locked = s.locked;
    if (s.stop) this.goTo(s.scene, s.stop);
    if (s.highlight) this.viewer.view.highlight(s.highlight);
    if (s.laser) this.showLaser(s.laser[0], s.laser[1]);
    if (s.quiz) this.showQuiz(s.quiz);
    const mine = s.participants.find((/** @type {any} */ p) => p.seat === this.seat);
    if (mine) this.setHand(Boolean(mine.hand));
    this.mutedAll = Boolean(s.muted);
    if (s.floor) this.floor = s.floor;
    this.floorChanged();
  }

  serverNow() {
    return Date.now() / 1000 + (this.clockOffset ?? 0);
  }

  /** The guide's stop: in this scene, go there; in another, open that scene's page.
   *  @param {string} scene @param {string} stop */
  goTo(scene, stop) {
    const script = this.viewer.view.packaged.script;
    if (scene !== script.id) {
      const url = new URL(location.href);
      url.searchParams.set('scene', scene);
      location.assign(url.href);
      return;
    }
    const index = script.route.findIndex((/** @type {any} */ s) => s.id === stop);
    if (index >= 0) this.viewer.visit.goToStop(index);
    this.viewer.root.dataset.stop = stop;
  }

  /** @param {number[] | null} origin @param {number[] | null} [target] */
  showLaser(origin, target) {
    if (!origin || !target) {
      this.laser.visible = false;
      return;
    }
    this.laser.geometry.setFromPoints([toThree(origin), toThree(target)]);
    this.laser.visible = true;
  }

  /** The guide's question: the member answers once. @param {any} quiz */
  showQuiz(quiz) {
    this.quiz = quiz;
    if (!quiz || quiz.closed) return;
    const item = this.viewer.view.packaged.script.quiz.find(
      (/** @type {any} */ q) => q.id === quiz.item);
    if (item) this.viewer.visit.offerQuiz(item, (/** @type {number} */ choice) => this.send(
      { type: 'answer', item: item.id, choice }));
  }

  /** @param {boolean} raised */
  setHand(raised) {
    this.hand = raised;
    this.button.setAttribute('aria-pressed', String(raised));
    this.viewer.root.dataset.hand = raised ? 'raised' : 'lowered';
  }

  refresh() {
    const guide = [...this.people.values()].find((p) => p.role === 'guide');
    this.status.textContent = `${this.viewer.words.tour} · ${this.people.size} · ${
      guide ? guide.name : ''}`;
  }

  /** @param {ArrayBuffer} data */
  frame(data) {
    for (const [seat, head] of readFrame(data)) {
      if (seat !== this.seat) this.heads.set(seat, head);
    }
    const matrix = new THREE.Matrix4();
    let i = 0;
    for (const head of this.heads.values()) {
      if (i >= MAX_AVATARS) break;
      const at = toThree(head);
      matrix.makeTranslation(at.x, at.y - 0.75, at.z);  // the capsule's middle below the eyes
      this.avatars.setMatrixAt(i, matrix);
      i += 1;
    }
    this.avatars.count = i;
    this.avatars.instanceMatrix.needsUpdate = true;
    this.viewer.root.dataset.avatars = String(i);
  }

  sendPose() {
    if (this.seat < 0 || this.socket?.readyState !== WebSocket.OPEN) return;
    const eye = new THREE.Vector3();
    this.viewer.camera.getWorldPosition(eye);
    const scene = [eye.x, -eye.z, eye.y];  // three.js frame back to the scene's
    const heading = this.viewer.rig.rotation.y;
    this.seq += 1;
    this.socket.send(poseMessage(this.seq, scene, heading));
  }

  /** Follow-me: stay near the guide's avatar. @param {number} dt */
  update(dt) {
    if (!this.follow) return;
    const guide = [...this.people.values()].find((p) => p.role === 'guide');
    const head = guide && this.heads.get(guide.seat);
    if (!head) return;
    const target = toThree(head);
    const rig = this.viewer.rig.position;
    const gap = new THREE.Vector3(target.x - rig.x, 0, target.z - rig.z);
    if (gap.length() > 2) rig.addScaledVector(gap.normalize(), Math.min(gap.length() - 2, 3 * dt));
  }
}
