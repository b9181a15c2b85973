// The AudioWorkletGlobalScope that voice-worklet.js runs in: TypeScript ships no library
// for it, so the few names the mixer uses are declared here (from the Web Audio spec).

declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}

declare function registerProcessor(
  name: string,
  processorCtor: new (options?: unknown) => AudioWorkletProcessor,
): void;

/** The audio context's clock, in frames and in seconds, and its sample rate. */
declare var currentFrame: number;
declare var currentTime: number;
declare var sampleRate: number;
