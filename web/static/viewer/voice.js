// Hearing a live tour's voices (protocol/voice.py): the server relays each speaker's Opus
// packets in shared frames; a worker decodes them (a WebCodecs AudioDecoder per speaker,
// voice-decoder.js) away from the page's drawing, and hands the 20 ms packets straight to
// an AudioWorklet that keeps a jitter buffer per speaker and mixes them (voice-worklet.js).

export const VOICE_FRAME_KIND = 0x41;
const VOICE_VERSION = 1;
const FRAME_HEADER = 4;
const ENTRY_HEADER = 14;
const RATE = 48000;
const KEEP_SECONDS = 120;  // what was played is kept this long (for checks), no longer

/** Entries of a server voice frame. @param {ArrayBuffer} data */
export function readVoiceFrame(data) {
  const view = new DataView(data);
  /** @type {{seat: number, seq: number, capture: number, payload: Uint8Array}[]} */
  const entries = [];
  if (data.byteLength < FRAME_HEADER || view.getUint8(0) !== VOICE_FRAME_KIND
      || view.getUint8(1) !== VOICE_VERSION) return entries;
  const count = view.getUint16(2, true);
  let at = FRAME_HEADER;
  for (let i = 0; i < count && at + ENTRY_HEADER <= data.byteLength; i += 1) {
    const length = view.getUint16(at + 12, true);
    if (at + ENTRY_HEADER + length > data.byteLength) break;
    entries.push({ seat: view.getUint16(at, true), seq: view.getUint16(at + 2, true),
      capture: view.getFloat64(at + 4, true),
      payload: new Uint8Array(data, at + ENTRY_HEADER, length) });
    at += ENTRY_HEADER + length;
  }
  return entries;
}

export class VoicePlayer {
  constructor() {
    /** @type {AudioContext | null} */
    this.context = null;
    /** @type {AudioWorkletNode | null} */
    this.node = null;
    /** @type {Worker | null} */
    this.worker = null;
    /** @type {Float32Array[]} */
    this.played = [];
    this.playedSamples = 0;
    this.received = 0;
  }

  /** Starts the audio (a page may need a tap first: browsers' autoplay rule). */
  async start() {
    if (this.context) return this.context.resume();
    this.context = new AudioContext({ sampleRate: RATE });
    await this.context.audioWorklet.addModule('/static/viewer/voice-worklet.js');
    this.node = new AudioWorkletNode(this.context, 'redhall-voice',
      { numberOfInputs: 0, outputChannelCount: [1] });
    this.node.connect(this.context.destination);
    this.node.port.onmessage = (event) => this.keep(event.data);
    this.worker = new Worker('/static/viewer/voice-decoder.js', { type: 'module' });
    const channel = new MessageChannel();  // decoded packets go worker → worklet directly
    this.node.port.postMessage({ port: channel.port1 }, [channel.port1]);
    this.worker.postMessage({ port: channel.port2 }, [channel.port2]);
    return this.context.resume();
  }

  /** @param {Float32Array} chunk */
  keep(chunk) {
    if (this.playedSamples === 0 && !chunk.some((v) => v !== 0)) return;  // before any voice
    this.played.push(chunk);
    this.playedSamples += chunk.length;
    while (this.playedSamples > KEEP_SECONDS * RATE) {
      this.playedSamples -= /** @type {Float32Array} */ (this.played.shift()).length;
    }
  }

  /** A voice frame from the server. @param {ArrayBuffer} data @param {number} ownSeat */
  receive(data, ownSeat) {
    if (!this.worker) return;
    this.received += 1;
    this.worker.postMessage({ frame: data, ownSeat }, [data]);
  }

  /** The decoder's counts: packets decoded, waiting, and why any decoder failed.
   *  @returns {Promise<{decoded: number, pending: number, failures: string[]}>} */
  stats() {
    const worker = this.worker;
    if (!worker) return Promise.resolve({ decoded: 0, pending: 0, failures: [] });
    return new Promise((resolve) => {
      const answer = (/** @type {MessageEvent} */ event) => {
        worker.removeEventListener('message', answer);
        resolve(event.data);
      };
      worker.addEventListener('message', answer);
      worker.postMessage({ stats: true });
    });
  }

  /** What was played, as 16-bit PCM in base64 (what a test compares with the source). */
  heardBase64() {
    const pcm = new Int16Array(this.playedSamples);
    let at = 0;
    for (const chunk of this.played) {
      for (let i = 0; i < chunk.length; i += 1) pcm[at + i] = Math.round(chunk[i] * 32767);
      at += chunk.length;
    }
    let text = '';
    const bytes = new Uint8Array(pcm.buffer);
    for (let i = 0; i < bytes.length; i += 0x8000) {
      text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    }
    return btoa(text);
  }
}
