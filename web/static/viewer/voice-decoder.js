// The voices' decoder, in a worker of its own so the page's drawing never holds it up: a
// WebCodecs AudioDecoder per speaker; each decoded 20 ms packet goes to the AudioWorklet
// (through the port the page hands over) with its speaker and sequence number.

import { readVoiceFrame } from './voice.js';

const RATE = 48000;
/** @type {MessagePort | null} */
let worklet = null;
/** @type {Map<number, AudioDecoder>} */
const decoders = new Map();
/** @type {Map<number, number>} each speaker's newest packet count */
const newest = new Map();
let decoded = 0;
/** @type {string[]} */
const failures = [];

/** The speaker's packet count past 65535 (seq wraps; a decoder drops output whose
 *  timestamps run backwards). @param {number} seat @param {number} seq */
function unwrapped(seat, seq) {
  const last = newest.get(seat);
  let count = seq;
  if (last !== undefined) {
    const step = (seq - (last & 0xffff)) & 0xffff;
    count = step < 0x8000 ? last + step : last - ((0x10000 - step) & 0xffff);
  }
  if (last === undefined || count > last) newest.set(seat, count);
  return count;
}

/** @param {number} seat @param {AudioData} audio */
function output(seat, audio) {
  const samples = new Float32Array(audio.numberOfFrames);
  try {
    audio.copyTo(samples, { planeIndex: 0, format: 'f32-planar' });
  } catch (error) {
    failures.push(String(error));
    return;
  } finally {
    audio.close();
  }
  const seq = Math.round(audio.timestamp / 20000) & 0xffff;
  decoded += 1;
  worklet?.postMessage({ seat, seq, samples }, [samples.buffer]);
}

/** @param {number} seat */
function decoder(seat) {
  let found = decoders.get(seat);
  if (!found) {
    found = new AudioDecoder({
      output: (audio) => output(seat, audio),
      error: (error) => {  // a fresh decoder for the next packet
        failures.push(String(error?.message ?? error));
        decoders.delete(seat);
      },
    });
    found.configure({ codec: 'opus', sampleRate: RATE, numberOfChannels: 1 });
    decoders.set(seat, found);
  }
  return found;
}

self.onmessage = (event) => {
  const message = event.data;
  if (message.port) {
    worklet = message.port;
  } else if (message.frame) {
    for (const entry of readVoiceFrame(message.frame)) {
      if (entry.seat === message.ownSeat) continue;
      decoder(entry.seat).decode(new EncodedAudioChunk({ type: 'key',
        timestamp: unwrapped(entry.seat, entry.seq) * 20000, data: entry.payload }));
    }
  } else if (message.stats) {
    let pending = 0;
    for (const d of decoders.values()) pending += d.decodeQueueSize;
    self.postMessage({ decoded, pending, failures: failures.slice(0, 10) });
  }
};
