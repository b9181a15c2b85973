// Observer clients for the Colyseus side of bench/tours, on the official colyseus.js
// client: each sends a numbered pose at 20 Hz and times every other observer's pose from
// send to arrival in its state (all observers share this process's clock). Prints one
// JSON line: latencies (ms) and the share of observer poses seen, as generator.py does.
// Measuring starts WARMUP_S after the room holds TOTAL participants (the load generator's
// and these), and lasts SECONDS.
// usage: node observers.js URL ROOM_ID COUNT TOTAL WARMUP_S SECONDS
const { Client, getStateCallbacks } = require("colyseus.js");

const [url, roomId, count, total, warmup, seconds] = process.argv.slice(2);
const POSE = 1;
const now = () => performance.now();

async function main() {
  const client = new Client(url);
  const rooms = [];
  for (let i = 0; i < Number(count); i++) rooms.push(await client.joinById(roomId));
  const mine = new Set(rooms.map((r) => r.sessionId));
  const sentAt = new Map(); // sessionId:seq -> time
  const lastSeen = new Map();
  const latencies = [];
  let exact = 0, superseded = 0, expected = 0, measuring = false;
  for (const room of rooms) {
    const $ = getStateCallbacks(room);
    $(room.state).participants.onAdd((participant, sessionId) => {
      if (!mine.has(sessionId) || sessionId === room.sessionId) return;
      $(participant).listen("seq", (seq) => {
        const key = `${room.sessionId}>${sessionId}`;
        const last = lastSeen.get(key);
        const sent = sentAt.get(`${sessionId}:${seq}`);
        if (measuring && sent !== undefined && last !== seq) {
          latencies.push(now() - sent);
          exact += 1;
          if (last !== undefined && ((seq - last) & 0xffff) === 2) superseded += 1;
        }
        lastSeen.set(key, seq);
      });
    });
  }
  const seqs = rooms.map(() => 0);
  const pose = Buffer.alloc(46);
  pose[0] = 0x50;
  const tick = setInterval(() => {
    rooms.forEach((room, i) => {
      seqs[i] = (seqs[i] + 1) & 0xffff;
      pose.writeUInt16LE(seqs[i], 2);
      pose.writeInt16LE(Math.floor(Math.random() * 300), 4);
      pose.writeInt16LE(160, 6);
      pose.writeInt16LE(Math.floor(Math.random() * 300), 8);
      pose.writeInt16LE(32767, 16);
      sentAt.set(`${room.sessionId}:${seqs[i]}`, now());
      if (measuring) expected += rooms.length - 1;
      room.sendBytes(POSE, pose);
    });
  }, 50);
  while (rooms[0].state.participants.size < Number(total)) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  setTimeout(() => { measuring = true; }, Number(warmup) * 1000);
  setTimeout(() => {
    clearInterval(tick);
    latencies.sort((a, b) => a - b);
    const pct = (q) => latencies.length ? latencies[Math.min(latencies.length - 1,
      Math.floor(q * latencies.length))] : null;
    console.log(JSON.stringify({ observers: rooms.length, p50_ms: pct(0.5), p99_ms: pct(0.99),
      delivered: expected ? Math.min(1, (exact + superseded) / expected) : 0 }));
    process.exit(0);
  }, (Number(warmup) + Number(seconds)) * 1000);
}
main().catch((e) => { console.error(e); process.exit(1); });
