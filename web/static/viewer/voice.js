// Hearing a live tour's voices (protocol/voice.py): the server relays each speaker's Opus
// packets in shared frames; each speaker gets a WebCodecs AudioDecoder, and the decoded
// 20 ms packets go to an AudioWorklet that keeps a jitter buffer per speaker and mixes them.

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
    /** @type {Map<number, AudioDecoder>} */
    this.decoders = new Map();
    /** @type {Float32Array[]} */
    this.played = [];
    this.playedSamples = 0;
    this.decoded = 0;
    this.received = 0;
    /** @type {string[]} why decoders failed (a damaged packet, say) */
    this.failures = [];
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

  /** @param {number} seat */
  decoder(seat) {
    let decoder = this.decoders.get(seat);
    if (!decoder) {
      decoder = new AudioDecoder({
        output: (audio) => this.output(seat, audio),
        error: (error) => {  // a fresh decoder for the next packet
          this.failures.push(String(error?.message ?? error));
          this.decoders.delete(seat);
        },
      });
      decoder.configure({ codec: 'opus', sampleRate: RATE, numberOfChannels: 1 });
      this.decoders.set(seat, decoder);
    }
    return decoder;
  }

  /** @param {number} seat @param {AudioData} audio */
  output(seat, audio) {
    const samples = new Float32Array(audio.numberOfFrames);
    audio.copyTo(samples, { planeIndex: 0, format: 'f32-planar' });
    const seq = Math.round(audio.timestamp / 20000) & 0xffff;
    audio.close();
    this.decoded += 1;
    this.node?.port.postMessage({ seat, seq, samples }, [samples.buffer]);
  }

  /** A voice frame from the server. @param {ArrayBuffer} data @param {number} ownSeat */
  receive(data, ownSeat) {
    if (!this.node) return;
    for (const entry of readVoiceFrame(data)) {
      if (entry.seat === ownSeat) continue;
      this.received += 1;
      this.decoder(entry.seat).decode(new EncodedAudioChunk({ type: 'key',
        timestamp: entry.seq * 20000, data: entry.payload }));
    }
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
