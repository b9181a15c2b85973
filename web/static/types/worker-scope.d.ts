// The viewer's voice workers (voice-decoder.js, voice-encoder.js) are checked in the same
// program as the pages, under the DOM library, where `self` is a Window. The two names of
// a dedicated worker's scope they use are declared here: the scope's class (to tell a
// worker from a page) and postMessage with a transfer list.

declare class WorkerGlobalScope extends EventTarget {}

interface Window {
  /** In a dedicated worker: posts to the page that started it, moving ``transfer``. */
  postMessage(message: unknown, transfer: Transferable[]): void;
}
