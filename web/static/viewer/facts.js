// Participation facts as the engine emits them (engine/facts.py): each id is
// uuid5(visit session, "<scene>/<sequence>"), so a retry or a reload never makes a second
// copy. A fact and the visit's new sequence number are written to IndexedDB in one
// transaction before anything else happens, and delivered to POST /api/participation when
// the server can be reached; a fact leaves the outbox only once the server has stored it.

const DB_NAME = 'redhall-viewer';
const OUTBOX = 'outbox';
const VISITS = 'visits';
const BATCH = 200;
export const RESUME_WITHIN_MS = 30 * 60 * 1000;  // a reload within this continues the visit

/** @param {string} uuid */
function uuidBytes(uuid) {
  const hex = uuid.replace(/-/g, '');
  return Uint8Array.from({ length: 16 }, (_, i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16));
}

/** RFC 4122 name-based id (SHA-1), as Python's uuid.uuid5. @param {string} namespace
 *  @param {string} name */
export async function uuid5(namespace, name) {
  const text = new TextEncoder().encode(name);
  const data = new Uint8Array(16 + text.length);
  data.set(uuidBytes(namespace));
  data.set(text, 16);
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-1', data)).slice(0, 16);
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** @returns {Promise<IDBDatabase>} */
function openDatabase() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(OUTBOX, { keyPath: 'id' });
      request.result.createObjectStore(VISITS, { keyPath: 'key' });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** @template T @param {IDBRequest<T>} request @returns {Promise<T>} */
function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** @param {IDBTransaction} tx @returns {Promise<void>} */
function committed(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

/**
 * @typedef {{key: string, session: string, sequence: number, seconds: number,
 *   seen: string[], stops: string[], answers: Record<string, number>, completed: boolean,
 *   touched: number, left?: boolean | 'late',
 *   open?: {hotspot: string, openedAt: number} | null}} VisitState
 */

export class FactOutbox {
  /** @param {string} endpoint POST address @param {(ok: boolean) => void} [onDelivery] */
  constructor(endpoint, onDelivery) {
    this.endpoint = endpoint;
    this.onDelivery = onDelivery ?? (() => {});
    this.db = openDatabase();
    /** @type {Promise<number> | null} */
    this.sending = null;
    this.delivered = 0;
  }

  /** The visit kept under ``key`` if it was touched recently, else a new one; ``ended``
   *  is a kept visit the member never left (the tab closed, the phone died): its
   *  scene_left is still to be recorded, as of when it was last touched.
   *  @param {string} key
   *  @returns {Promise<{state: VisitState, resumed: boolean, ended: VisitState | null}>} */
  async visit(key) {
    const db = await this.db;
    /** @type {VisitState | undefined} */
    const kept = await done(db.transaction(VISITS).objectStore(VISITS).get(key));
    if (kept && !kept.left && Date.now() - kept.touched < RESUME_WITHIN_MS) {
      return { state: kept, resumed: true, ended: null };
    }
    return { state: { key, session: crypto.randomUUID(), sequence: 0, seconds: 0, seen: [],
      stops: [], answers: {}, completed: false, touched: Date.now() }, resumed: false,
    ended: kept && !kept.left ? kept : null };
  }

  /** Keeps the visit's state (time and progress) without a fact. @param {VisitState} state */
  async keep(state) {
    const db = await this.db;
    const tx = db.transaction(VISITS, 'readwrite');
    tx.objectStore(VISITS).put({ ...state, touched: Date.now() });
    await committed(tx);
  }

  /**
   * Records one fact of ``state``'s visit durably (with the visit's state), then tries to
   * deliver. @param {VisitState} state @param {Record<string, any>} common
   * @param {string} kind @param {Record<string, any>} fields
   */
  async emit(state, common, kind, fields) {
    state.sequence += 1;
    const id = await uuid5(state.session, `${common.scene}/${state.sequence}`);
    const at = kind === 'scene_left' && state.left === 'late' ? state.touched : Date.now();
    const fact = { id, at: at / 1000, session: state.session, ...common, kind, ...fields };
    const db = await this.db;
    const tx = db.transaction([OUTBOX, VISITS], 'readwrite');
    tx.objectStore(OUTBOX).put({ id, fact, order: `${state.session}/${String(
      state.sequence).padStart(8, '0')}` });
    tx.objectStore(VISITS).put({ ...state, touched: state.left === 'late' ? state.touched
      : Date.now() });
    await committed(tx);
    this.deliver();
    return fact;
  }

  /** Sends what waits, oldest first, in batches; one delivery at a time. */
  deliver() {
    this.sending ??= this.send().finally(() => { this.sending = null; });
    return this.sending;
  }

  async send() {
    const db = await this.db;
    /** @type {{id: string, fact: any, order: string}[]} */
    const waiting = await done(db.transaction(OUTBOX).objectStore(OUTBOX).getAll());
    waiting.sort((a, b) => (a.fact.at - b.fact.at) || a.order.localeCompare(b.order));
    let sent = 0;
    for (let start = 0; start < waiting.length; start += BATCH) {
      const batch = waiting.slice(start, start + BATCH);
      let reply;
      try {
        reply = await fetch(this.endpoint, { method: 'POST', credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ facts: batch.map((b) => b.fact) }) });
      } catch {
        this.onDelivery(false);
        return sent;  // offline: they wait for the next try
      }
      if (!reply.ok) {
        this.onDelivery(false);
        return sent;
      }
      const tx = db.transaction(OUTBOX, 'readwrite');
      for (const item of batch) tx.objectStore(OUTBOX).delete(item.id);
      await committed(tx);
      sent += batch.length;
      this.delivered += batch.length;
    }
    if (sent) this.onDelivery(true);
    return sent;
  }

  /** How many facts wait for delivery. */
  async pending() {
    const db = await this.db;
    return done(db.transaction(OUTBOX).objectStore(OUTBOX).count());
  }
}
