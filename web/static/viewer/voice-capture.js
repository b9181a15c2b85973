// The microphone's samples, 20 ms at a time: an AudioWorklet gets 128-sample blocks from
// the microphone's MediaStreamSource and hands the encoder's worker whole 960-sample frames (48 kHz),
// the size of one Opus packet (protocol/voice.py), each with when its first sample was
// captured on the audio clock (the page may be busy drawing when the frames reach it).

const FRAME = 960;

class Capture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.frame = new Float32Array(FRAME);
    this.filled = 0;
    this.start = 0;
    /** @type {MessagePort | null} the encoder's worker, once the page connects it */
    this.out = null;
    this.port.onmessage = (event) => { this.out = event.data.port; };
  }

  /** @param {Float32Array[][]} inputs */
  process(inputs) {
    const samples = inputs[0]?.[0];
    if (!samples || !this.out) return true;
    let at = 0;
    while (at < samples.length) {
      if (this.filled === 0) this.start = currentTime + at / sampleRate;
      const take = Math.min(samples.length - at, FRAME - this.filled);
      this.frame.set(samples.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled === FRAME) {
        this.out.postMessage({ samples: this.frame, start: this.start }, [this.frame.buffer]);
        this.frame = new Float32Array(FRAME);
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor('redhall-capture', Capture);
