// An exhibition package as the browser reads it: the signed manifest, then each entry by
// its content hash, checked with WebCrypto before anything uses it. Entries are kept in the
// Cache API under their hash address, so a second visit reads them from the device.

const CACHE_NAME = 'redhall-entries-v1';
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** An entry whose bytes are not the ones the manifest names. */
export class TamperedEntry extends Error {
  /** @param {string} path */
  constructor(path) {
    super(`${path} does not match the signed manifest`);
    this.path = path;
  }
}

/** The manifest's signature verifies against none of the server's trusted keys. */
export class BadSignature extends Error {}

/**
 * @typedef {{path: string, sha256: string, size: number}} Entry
 * @typedef {{id: string, version: string, font: string, languages: string[],
 *            scenes: {id: string, script: string, title: Record<string, string>}[],
 *            entries: Entry[]}} Manifest
 */

/** @param {ArrayBuffer} data */
async function sha256Hex(data) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** @param {string} text */
function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/**
 * Whether ``signature`` over ``bytes`` verifies against one of ``trusted`` (raw Ed25519
 * public keys, base64). Browsers without Ed25519 in WebCrypto rely on the server's check
 * at upload: null.
 * @param {ArrayBuffer} bytes @param {Uint8Array<ArrayBuffer>} signature @param {string[]} trusted
 * @returns {Promise<boolean | null>}
 */
async function verifySignature(bytes, signature, trusted) {
  for (const text of trusted) {
    let key;
    try {
      key = await crypto.subtle.importKey('raw', fromBase64(text), { name: 'Ed25519' }, false,
        ['verify']);
    } catch {
      return null;
    }
    if (await crypto.subtle.verify({ name: 'Ed25519' }, key, signature, bytes)) return true;
  }
  return trusted.length ? false : null;
}

export class PackageSource {
  /**
   * @param {{manifest: string, entries: string, trusted: string[]}} where
   * @param {(done: number, total: number) => void} [onProgress]
   */
  constructor(where, onProgress) {
    this.where = where;
    this.onProgress = onProgress ?? (() => {});
    /** @type {Manifest | null} */
    this.manifest = null;
    /** @type {Map<string, Entry>} */
    this.byPath = new Map();
    this.done = 0;
    /** @type {boolean | null} */
    this.signed = null;
    /** entries fetched over the network in this visit (the rest came from the cache) */
    this.fetched = 0;
    this.total = 0;
  }

  /** Fetches and checks the manifest. @returns {Promise<Manifest>} */
  async open() {
    const reply = await fetch(this.where.manifest, { credentials: 'same-origin' });
    if (!reply.ok) throw new Error(`${reply.status} ${await reply.text()}`);
    const bytes = await reply.arrayBuffer();
    if (bytes.byteLength > MAX_MANIFEST_BYTES) throw new Error('the manifest is too large');
    const signature = reply.headers.get('X-Manifest-Signature');
    if (signature) {
      this.signed = await verifySignature(bytes, fromBase64(signature), this.where.trusted);
      if (this.signed === false) throw new BadSignature('the manifest signature does not verify');
    }
    const manifest = /** @type {Manifest} */ (JSON.parse(new TextDecoder().decode(bytes)));
    if (!Array.isArray(manifest.entries)) throw new Error('the manifest lists no entries');
    for (const entry of manifest.entries) {
      if (!/^[0-9a-f]{64}$/.test(entry.sha256)) throw new TamperedEntry(entry.path);
      this.byPath.set(entry.path, entry);
    }
    this.manifest = manifest;
    return manifest;
  }

  /** How many entries a visit will check (the progress shown). @param {number} count */
  expect(count) {
    this.total = count;
  }

  /**
   * An entry's bytes, from the cache or the server, checked against the manifest's hash.
   * @param {string} path @returns {Promise<ArrayBuffer>}
   */
  async read(path) {
    const entry = this.byPath.get(path);
    if (!entry) throw new Error(`the package has no entry ${path}`);
    const url = new URL(this.where.entries + entry.sha256, location.href).href;
    const cache = 'caches' in self ? await caches.open(CACHE_NAME) : null;
    let data = null;
    const kept = cache ? await cache.match(url) : undefined;
    if (kept) {
      data = await kept.arrayBuffer();
      if (data.byteLength !== entry.size || await sha256Hex(data) !== entry.sha256) {
        await cache?.delete(url);  // damaged on the device: fetch it again
        data = null;
      }
    }
    if (data === null) {
      const reply = await fetch(url, { credentials: 'same-origin' });
      if (!reply.ok) throw new Error(`${path}: ${reply.status}`);
      const length = Number(reply.headers.get('Content-Length') ?? entry.size);
      if (!reply.headers.get('Content-Encoding') && length > entry.size) {
        throw new TamperedEntry(path);  // larger than the manifest says: not read at all
      }
      data = await reply.arrayBuffer();
      this.fetched += 1;
      if (data.byteLength !== entry.size || await sha256Hex(data) !== entry.sha256) {
        throw new TamperedEntry(path);
      }
      await cache?.put(url, new Response(data.slice(0), {
        headers: { 'Content-Type': reply.headers.get('Content-Type') ?? '' } }));
    }
    this.done += 1;
    this.onProgress(this.done, this.total || this.byPath.size);
    return data;
  }

  /** An entry parsed as JSON. @param {string} path */
  async json(path) {
    return JSON.parse(new TextDecoder().decode(await this.read(path)));
  }
}
