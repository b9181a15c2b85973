// The Opus encoder of a speaking page, in a worker of its own: a page busy drawing its
// scene must not hold up the voice. The capture worklet (voice-capture.js) hands it 20 ms
// frames directly; the gate (push-to-talk, or an energy voice detector with a hangover, as
// engine/voice/vad.py) picks those that go out; each Opus packet comes back to the page as
// a finished client voice message (protocol/voice.py) for the tour socket.

const VOICE_KIND = 0x56;
const VOICE_VERSION = 1;
const HEADER = 12;  // u8 kind | u8 version | u16 seq | f64 capture
const MAX_PAYLOAD = 400;
const RATE = 48000;
const FRAME = 960;
const FRAME_SECONDS = 0.020;
const MAX_QUEUE = 50;  // frames waiting in the encoder: a second behind drops, not lags
const OFFSET_CREEP = 1e-5;  // s per frame: the audio clock's offset may grow, slowly
const FLOOR_START_DB = -60;
const MIN_SPEECH_DB = -45;  // quieter than this is never speech
const ABOVE_FLOOR_DB = 12;
const HANGOVER_FRAMES = 15;  // 300 ms: word endings and short pauses are not clipped
const FLOOR_RISE = 0.005;  // per frame: a few seconds of steady noise become the floor

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

/** @returns {AudioEncoderConfig} */
export function encoderConfig() {
  return /** @type {AudioEncoderConfig} */ ({ codec: 'opus', sampleRate: RATE,
    numberOfChannels: 1, bitrate: 20000,
    opus: { frameDuration: 20000, useinbandfec: true } });
}

const inWorker = typeof WorkerGlobalScope !== 'undefined' && self instanceof WorkerGlobalScope;

if (inWorker) {
  const gate = new VoiceGate('vad');
  let allowed = false;
  let tourOffset = 0;  // the tour clock minus this machine's
  /** @type {number | null} */
  let audioOffset = null;  // the tour clock minus the audio clock
  let seq = 0;
  let frames = 0;
  let dropped = 0;
  /** @type {number[]} capture times of the frames in the encoder, oldest first */
  const captures = [];
  const encoder = new AudioEncoder({
    output: (chunk) => {
      const capture = captures.shift();
      if (capture === undefined || chunk.byteLength < 1 || chunk.byteLength > MAX_PAYLOAD) return;
      const payload = new Uint8Array(chunk.byteLength);
      chunk.copyTo(payload);
      const message = voiceMessage(seq, capture, payload);
      seq = (seq + 1) & 0xffff;
      self.postMessage({ message }, [message]);
    },
    error: (error) => self.postMessage({ failure: String(error.message) }),
  });
  encoder.configure(encoderConfig());

  /** When a frame began on the tour clock: its audio-clock start plus the clocks' offset.
   *  A frame arrives late when this thread is busy, never early, so the smallest offset
   *  seen is the truest; it may creep up, as two clocks drift apart. @param {number} start */
  const captureTime = (start) => {
    const seen = Date.now() / 1000 + tourOffset - (start + FRAME_SECONDS);
    audioOffset = audioOffset === null ? seen : Math.min(audioOffset + OFFSET_CREEP, seen);
    return start + audioOffset;
  };

  /** @param {{samples: Float32Array<ArrayBuffer>, start: number}} frame */
  const captured = ({ samples, start }) => {
    const capture = captureTime(start);
    frames += 1;
    const open = gate.send(samples);  // the detector learns even while silent
    if (!allowed || !open || encoder.state !== 'configured') return;
    if (encoder.encodeQueueSize > MAX_QUEUE) {
      dropped += 1;
      return;
    }
    const data = new AudioData({ format: 'f32-planar', sampleRate: RATE, numberOfFrames: FRAME,
      numberOfChannels: 1, timestamp: Math.round(frames * FRAME_SECONDS * 1e6), data: samples });
    captures.push(capture);
    encoder.encode(data);
    data.close();
  };

  self.onmessage = (event) => {
    const m = event.data;
    if (m.port) m.port.onmessage = (/** @type {MessageEvent} */ e) => captured(e.data);
    if (m.mode === 'vad' || m.mode === 'push_to_talk') gate.mode = m.mode;
    if (typeof m.allowed === 'boolean') allowed = m.allowed;
    if (typeof m.pressed === 'boolean') gate.pressed = m.pressed;
    if (Number.isFinite(m.tourOffset)) tourOffset = m.tourOffset;
    if (m.stats) self.postMessage({ stats: { frames, dropped, queued: captures.length } });
  };
}
