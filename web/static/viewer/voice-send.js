// Speaking into a live tour from the browser (protocol/voice.py): the microphone's 20 ms
// frames (an AudioWorklet, voice-capture.js) go through a gate, push-to-talk or an energy
// voice detector with a hangover, then a WebCodecs Opus encoder, and each packet goes out
// on the tour socket as one client voice message. Nothing is sent in silence, nor while
// this seat may not speak; the server checks the floor again on its side.

const VOICE_KIND = 0x56;
const VOICE_VERSION = 1;
const HEADER = 12;  // u8 kind | u8 version | u16 seq | f64 capture
const MAX_PAYLOAD = 400;
const RATE = 48000;
const FRAME = 960;
const FRAME_SECONDS = 0.020;
const CAPTURE_DRIFT = 0.1;  // re-anchor the frame count when it strays this far (seconds)
const MAX_BUFFERED = 64 * 1024;  // a socket this far behind drops voice rather than lag
// the voice detector, as the engine's (engine/voice/vad.py)
const FLOOR_START_DB = -60;
const MIN_SPEECH_DB = -45;
const ABOVE_FLOOR_DB = 12;
const HANGOVER_FRAMES = 15;  // 300 ms: word endings and short pauses are not clipped
const FLOOR_RISE = 0.005;

/** One client voice message. @param {number} seq @param {number} capture tour clock, s
 *  @param {Uint8Array} payload one Opus packet, 1..400 bytes @returns {ArrayBuffer} */
export function voiceMessage(seq, capture, payload) {
  const data = new ArrayBuffer(HEADER + payload.length);
  const view = new DataView(data);
  view.setUint8(0, VOICE_KIND);
  view.setUint8(1, VOICE_VERSION);
  view.setUint16(2, seq & 0xffff, true);
  view.setFloat64(4, capture, true);
  new Uint8Array(data, HEADER).set(payload);
  return data;
}

/** A frame's RMS level in dBFS (−120 for digital silence). @param {Float32Array} frame */
export function levelDb(frame) {
  let sum = 0;
  for (let i = 0; i < frame.length; i += 1) sum += frame[i] * frame[i];
  const rms = frame.length ? Math.sqrt(sum / frame.length) : 0;
  return rms > 1e-6 ? 20 * Math.log10(rms) : -120;
}

/** Whether a frame goes out: while the talk key is held ('push_to_talk'), or while the
 *  detector hears voice and for a hangover after ('vad'). */
export class VoiceGate {
  /** @param {'vad' | 'push_to_talk'} mode */
  constructor(mode) {
    this.mode = mode;
    this.pressed = false;
    this.floor = FLOOR_START_DB;
    this.hang = 0;
  }

  /** @param {Float32Array} frame */
  send(frame) {
    const level = levelDb(frame);
    const speech = level > Math.max(this.floor + ABOVE_FLOOR_DB, MIN_SPEECH_DB);
    // the noise floor falls to quiet frames at once and creeps up under steady noise
    this.floor = level < this.floor ? level : this.floor + FLOOR_RISE * (level - this.floor);
    if (this.mode === 'push_to_talk') return this.pressed;
    if (speech) {
      this.hang = HANGOVER_FRAMES;
      return true;
    }
    if (this.hang > 0) {
      this.hang -= 1;
      return true;
    }
    return false;
  }
}

/** Why this browser cannot speak, or null when it can. @returns {Promise<string | null>} */
async function missing() {
  if (!navigator.mediaDevices?.getUserMedia) return 'no microphone access (needs https)';
  if (typeof AudioEncoder === 'undefined' || typeof AudioData === 'undefined') {
    return 'no WebCodecs audio encoder';
  }
  const { supported } = await AudioEncoder.isConfigSupported(encoderConfig());
  return supported ? null : 'no Opus encoder';
}

/** @returns {AudioEncoderConfig} */
function encoderConfig() {
  return /** @type {AudioEncoderConfig} */ ({ codec: 'opus', sampleRate: RATE,
    numberOfChannels: 1, bitrate: 20000,
    opus: { frameDuration: 20000, useinbandfec: true } });
}

export class VoiceSender {
  /** @param {(data: ArrayBuffer) => boolean} send puts a message on the tour socket (false:
   *  not now) @param {() => number} now the tour clock, seconds
   *  @param {'vad' | 'push_to_talk'} mode */
  constructor(send, now, mode) {
    this.sendMessage = send;
    this.now = now;
    this.gate = new VoiceGate(mode);
    this.allowed = false;  // this seat may speak now (a guide; a member with the floor)
    this.seq = 0;
    this.sent = 0;
    this.talking = false;
    /** @type {string | null} why the microphone could not be opened */
    this.failure = null;
    /** @type {Promise<boolean> | null} */
    this.opening = null;
    /** @type {number[]} capture times of the frames in the encoder, oldest first */
    this.captures = [];
    this.anchor = 0;
    this.count = 0;
    this.frames = 0;
    /** @type {AudioContext | null} */
    this.context = null;
    /** @type {MediaStream | null} */
    this.stream = null;
    /** @type {AudioEncoder | null} */
    this.encoder = null;
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
      channelCount: 1, echoCancellation: true, noiseSuppression: false, autoGainControl: false } });
    this.encoder = new AudioEncoder({
      output: (chunk) => this.packet(chunk),
      error: (error) => { this.failure = String(error.message); },
    });
    this.encoder.configure(encoderConfig());
    this.context = new AudioContext({ sampleRate: RATE });
    await this.context.audioWorklet.addModule('/static/viewer/voice-capture.js');
    const node = new AudioWorkletNode(this.context, 'redhall-capture',
      { numberOfInputs: 1, numberOfOutputs: 0, channelCount: 1, channelCountMode: 'explicit' });
    node.port.onmessage = (event) => this.frame(event.data);
    this.context.createMediaStreamSource(this.stream).connect(node);
    await this.context.resume();
  }

  /** A 20 ms microphone frame: encoded when the gate lets it through.
   *  @param {Float32Array} samples */
  frame(samples) {
    const capture = this.captureTime();
    this.frames += 1;
    const open = this.gate.send(samples);  // the detector learns even while silent
    this.talking = this.allowed && open;
    const encoder = this.encoder;
    if (!this.talking || !encoder || encoder.state !== 'configured') return;
    if (encoder.encodeQueueSize > 10) return;  // the encoder fell behind: drop, don't lag
    const data = new AudioData({ format: 'f32-planar', sampleRate: RATE, numberOfFrames: FRAME,
      numberOfChannels: 1, timestamp: Math.round(this.frames * FRAME_SECONDS * 1e6),
      data: samples });
    this.captures.push(capture);
    encoder.encode(data);
    data.close();
  }

  /** When the frame just delivered began, on the tour clock: counted in frames, as the
   *  sound card's clock runs, re-anchored if the count strays from the tour clock. */
  captureTime() {
    const heard = this.now() - FRAME_SECONDS;
    let capture = this.anchor + this.count * FRAME_SECONDS;
    if (Math.abs(capture - heard) > CAPTURE_DRIFT) {
      this.anchor = heard;
      this.count = 0;
      capture = heard;
    }
    this.count += 1;
    return capture;
  }

  /** One Opus packet from the encoder (20 ms each, in the order encoded).
   *  @param {EncodedAudioChunk} chunk */
  packet(chunk) {
    const capture = this.captures.shift();
    if (capture === undefined || chunk.byteLength < 1 || chunk.byteLength > MAX_PAYLOAD) return;
    const payload = new Uint8Array(chunk.byteLength);
    chunk.copyTo(payload);
    if (this.sendMessage(voiceMessage(this.seq, capture, payload))) {
      this.seq = (this.seq + 1) & 0xffff;
      this.sent += 1;
    }
  }

  close() {
    this.talking = false;
    this.stream?.getTracks().forEach((track) => track.stop());
    this.context?.close();
    if (this.encoder && this.encoder.state !== 'closed') this.encoder.close();
    this.stream = null;
    this.context = null;
    this.encoder = null;
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
