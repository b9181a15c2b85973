// Speaking into a live tour from the browser (protocol/voice.py): the microphone's 20 ms
// frames (an AudioWorklet, voice-capture.js) go straight to a worker (voice-encoder.js)
// that gates them, push-to-talk or a voice detector with a hangover, and encodes them with
// WebCodecs Opus; each packet comes back as a client voice message for the tour socket.
// Nothing is sent in silence, nor while this seat may not speak; the server checks the
// floor again on its side.

import { encoderConfig } from './voice-encoder.js';

const RATE = 48000;
const MAX_BUFFERED = 64 * 1024;  // a socket this far behind drops voice rather than lag
const CLOCK_MS = 1000;  // how often the worker hears the tour clock's offset

/** Why this browser cannot speak, or null when it can. @returns {Promise<string | null>} */
async function missing() {
  if (!navigator.mediaDevices?.getUserMedia) return 'no microphone access (needs https)';
  if (typeof AudioEncoder === 'undefined' || typeof AudioWorkletNode === 'undefined') {
    return 'no WebCodecs audio encoder';
  }
  const { supported } = await AudioEncoder.isConfigSupported(encoderConfig());
  return supported ? null : 'no Opus encoder';
}

export class VoiceSender {
  /** @param {(data: ArrayBuffer) => boolean} send puts a message on the tour socket (false:
   *  not now) @param {() => number} now the tour clock, seconds
   *  @param {'vad' | 'push_to_talk'} mode
   *  @param {boolean} echoCancellation where the page also plays the tour's voices */
  constructor(send, now, mode, echoCancellation) {
    this.sendMessage = send;
    this.now = now;
    this.mode = mode;
    this.echoCancellation = echoCancellation;
    this.canSpeak = false;  // this seat may speak now (a guide; a member with the floor)
    this.held = false;
    this.sent = 0;
    this.dropped = 0;
    /** @type {string | null} why the microphone could not be opened */
    this.failure = null;
    /** @type {Promise<boolean> | null} */
    this.opening = null;
    /** @type {AudioContext | null} */
    this.context = null;
    /** @type {MediaStream | null} */
    this.stream = null;
    /** @type {Worker | null} */
    this.worker = null;
    /** @type {ReturnType<typeof setInterval> | null} */
    this.clock = null;
  }

  /** Whether this seat may speak now; nothing goes out while it may not. */
  get allowed() { return this.canSpeak; }
  set allowed(value) {
    this.canSpeak = value;
    this.worker?.postMessage({ allowed: value });
  }

  /** 'vad' sends while the detector hears voice; 'push_to_talk' while the key is held. */
  get talkMode() { return this.mode; }
  set talkMode(value) {
    this.mode = value;
    this.worker?.postMessage({ mode: value });
  }

  /** The talk key (push-to-talk) is held. */
  get pressed() { return this.held; }
  set pressed(value) {
    this.held = value;
    this.worker?.postMessage({ pressed: value });
  }

  /** Opens the microphone and the encoder (once; later calls share the first). Resolves
   *  false, with ``failure`` set, where the browser has neither. */
  open() {
    this.opening ??= this.start().then(() => true, (error) => {
      this.failure = String(error?.message ?? error);
      this.close();
      return false;
    });
    return this.opening;
  }

  async start() {
    const lacking = await missing();
    if (lacking) throw new Error(lacking);
    this.stream = await navigator.mediaDevices.getUserMedia({ audio: {
      channelCount: 1, echoCancellation: this.echoCancellation, noiseSuppression: false,
      autoGainControl: false } });
    const worker = new Worker('/static/viewer/voice-encoder.js', { type: 'module' });
    this.worker = worker;
    worker.onmessage = (event) => this.fromWorker(event.data);
    const tell = () => worker.postMessage({ tourOffset: this.now() - Date.now() / 1000 });
    tell();
    this.clock = setInterval(tell, CLOCK_MS);
    worker.postMessage({ mode: this.mode, allowed: this.canSpeak, pressed: this.held });
    this.context = new AudioContext({ sampleRate: RATE });
    await this.context.audioWorklet.addModule('/static/viewer/voice-capture.js');
    const node = new AudioWorkletNode(this.context, 'redhall-capture',
      { numberOfInputs: 1, numberOfOutputs: 0, channelCount: 1, channelCountMode: 'explicit' });
    const channel = new MessageChannel();  // frames go worklet → worker directly
    node.port.postMessage({ port: channel.port1 }, [channel.port1]);
    worker.postMessage({ port: channel.port2 }, [channel.port2]);
    this.context.createMediaStreamSource(this.stream).connect(node);
    await this.context.resume();
  }

  /** @param {{message?: ArrayBuffer, failure?: string}} m */
  fromWorker(m) {
    if (m.failure) this.failure = m.failure;
    if (!m.message) return;
    if (this.sendMessage(m.message)) this.sent += 1;
    else this.dropped += 1;
  }

  /** The encoder's counts: frames captured, dropped, waiting.
   *  @returns {Promise<{frames: number, dropped: number, queued: number}>} */
  stats() {
    const worker = this.worker;
    if (!worker) return Promise.resolve({ frames: 0, dropped: 0, queued: 0 });
    return new Promise((resolve) => {
      const answer = (/** @type {MessageEvent} */ event) => {
        if (!event.data.stats) return;
        worker.removeEventListener('message', answer);
        resolve(event.data.stats);
      };
      worker.addEventListener('message', answer);
      worker.postMessage({ stats: true });
    });
  }

  close() {
    this.stream?.getTracks().forEach((track) => track.stop());
    this.context?.close();
    this.worker?.terminate();
    if (this.clock !== null) clearInterval(this.clock);
    this.stream = null;
    this.context = null;
    this.worker = null;
  }
}

/** A sender's ``send`` for a socket: drops voice while the socket is closed or backed up.
 *  @param {() => WebSocket | null | undefined} socket */
export function socketSender(socket) {
  return (/** @type {ArrayBuffer} */ data) => {
    const ws = socket();
    if (!ws || ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > MAX_BUFFERED) return false;
    ws.send(data);
    return true;
  };
}
