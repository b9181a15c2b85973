// The microphone's samples, 20 ms at a time: an AudioWorklet gets 128-sample blocks from
// the microphone's MediaStreamSource and hands the page whole 960-sample frames (48 kHz),
// the size of one Opus packet (protocol/voice.py).

const FRAME = 960;

class Capture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.frame = new Float32Array(FRAME);
    this.filled = 0;
  }

  /** @param {Float32Array[][]} inputs */
  process(inputs) {
    const samples = inputs[0]?.[0];
    if (!samples) return true;
    let at = 0;
    while (at < samples.length) {
      const take = Math.min(samples.length - at, FRAME - this.filled);
      this.frame.set(samples.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled === FRAME) {
        this.port.postMessage(this.frame, [this.frame.buffer]);
        this.frame = new Float32Array(FRAME);
        this.filled = 0;
      }
    }
    return true;
  }
}

registerProcessor('redhall-capture', Capture);
