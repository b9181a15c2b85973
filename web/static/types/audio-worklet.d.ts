// The AudioWorkletGlobalScope that voice-worklet.js runs in: TypeScript ships no library
// for it, so the few names the mixer uses are declared here (from the Web Audio spec).

declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}

declare function registerProcessor(
  name: string,
  processorCtor: new (options?: unknown) => AudioWorkletProcessor,
): void;
