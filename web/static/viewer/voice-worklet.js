// The voices' jitter buffer and mixer, on the audio thread. Each speaker's decoded 20 ms
// packets wait in order of their sequence number; a speaker starts (or starts again after
// running dry) once DEPTH packets wait, a missing packet is played as silence when later
// ones are there, a burst after a stall is skipped down to DEPTH (the delay stays short),
// and every speaker playing is summed into the one output.

const DEPTH = 3;  // 60 ms held before a talk spurt plays
const MAX_QUEUE = 50;  // a second: beyond that the oldest go (a listener far behind)
const CATCH_UP = 25;  // half a second waiting after a stall: skip to DEPTH behind the newest
const REPORT = 128 * 40;  // samples of what was played per message back (40 render quanta)

class Speaker {
  constructor() {
    /** @type {Map<number, Float32Array>} */
    this.packets = new Map();
    this.next = -1;  // the seq to play next
    this.playing = false;
    /** @type {Float32Array | null} */
    this.current = null;
    this.offset = 0;
  }

  /** @param {number} seq @param {Float32Array} samples */
  add(seq, samples) {
    if (this.next >= 0 && ((seq - this.next) & 0xffff) > 0x8000) return;  // late: played past
    this.packets.set(seq, samples);
    if (this.packets.size > MAX_QUEUE) {
      const oldest = this.oldest();
      this.packets.delete(oldest);
    }
  }

  oldest() {
    let best = -1;
    let bestGap = Infinity;
    const from = this.next >= 0 ? this.next : 0;
    for (const seq of this.packets.keys()) {
      const gap = (seq - from) & 0xffff;
      if (gap < bestGap) [best, bestGap] = [seq, gap];
    }
    return best;
  }

  /** Adds this speaker's next samples into ``out``. @param {Float32Array} out */
  mixInto(out) {
    if (!this.playing) {
      if (this.packets.size < DEPTH) return;
      this.playing = true;
      this.next = this.oldest();
    }
    for (let i = 0; i < out.length; i += 1) {
      if (!this.current || this.offset >= this.current.length) {
        if (!this.packets.size) {
          this.playing = false;  // ran dry: wait for DEPTH again
          this.current = null;
          return;
        }
        if (this.packets.size > CATCH_UP) {  // latency stays bounded after a stall
          while (this.packets.size > DEPTH) this.packets.delete(this.oldest());
          this.next = this.oldest();
        }
        const packet = this.packets.get(this.next);
        this.packets.delete(this.next);
        this.next = (this.next + 1) & 0xffff;
        this.current = packet ?? new Float32Array(960);  // lost: 20 ms of silence
        this.offset = 0;
      }
      out[i] += this.current[this.offset];
      this.offset += 1;
    }
  }
}

class VoiceMixer extends AudioWorkletProcessor {
  constructor() {
    super();
    /** @type {Map<number, Speaker>} */
    this.speakers = new Map();
    this.report = new Float32Array(REPORT);
    this.reported = 0;
    /** @param {MessageEvent} event */
    const packet = (event) => {
      const { seat, seq, samples } = event.data;
      if (!this.speakers.has(seat)) this.speakers.set(seat, new Speaker());
      this.speakers.get(seat).add(seq, samples);
    };
    this.port.onmessage = (event) => {
      if (event.data.port) event.data.port.onmessage = packet;  // from the decoder's worker
      else packet(event);
    };
  }

  /** @param {Float32Array[][]} _inputs @param {Float32Array[][]} outputs */
  process(_inputs, outputs) {
    const out = outputs[0][0];
    out.fill(0);
    for (const speaker of this.speakers.values()) speaker.mixInto(out);
    for (let i = 0; i < out.length; i += 1) out[i] = Math.max(-1, Math.min(1, out[i]));
    this.report.set(out, this.reported);
    this.reported += out.length;
    if (this.reported >= REPORT) {
      this.port.postMessage(this.report);
      this.report = new Float32Array(REPORT);
      this.reported = 0;
    }
    return true;
  }
}

registerProcessor('redhall-voice', VoiceMixer);
