// The peer for bench/tours: a Colyseus 0.16 room with the same pose workload as a RedHall
// tour. Each participant's pose (the same 46-byte message RedHall clients send) arrives
// as a bytes message and is written into the room's schema state; Colyseus sends the
// state patch to every client at a 20 Hz patch rate (its own delta encoding, one patch
// encoded once and shared by all, no interest management).
// usage: node server.js PORT
const { Server, Room } = require("@colyseus/core");
const { WebSocketTransport } = require("@colyseus/ws-transport");
const { Schema, MapSchema, defineTypes, Encoder } = require("@colyseus/schema");

Encoder.BUFFER_SIZE = 16 * 1024 * 1024; // a full state of a thousand poses is over the 8 KB default

class Participant extends Schema {}
const FIELDS = ["seq", "flags",
  "hx", "hy", "hz", "hqx", "hqy", "hqz", "hqw",
  "lx", "ly", "lz", "lqx", "lqy", "lqz", "lqw",
  "rx", "ry", "rz", "rqx", "rqy", "rqz", "rqw"];
defineTypes(Participant, Object.fromEntries(FIELDS.map((f) => [f, f === "seq" ? "uint16" :
  f === "flags" ? "uint8" : "int16"])));

class TourState extends Schema {
  constructor() { super(); this.participants = new MapSchema(); }
}
defineTypes(TourState, { participants: { map: Participant } });

const POSE = 1;

class TourRoom extends Room {
  onCreate() {
    this.maxClients = 100000;
    this.setPatchRate(50);
    this.setState(new TourState());
    this.onMessage(POSE, (client, bytes) => {
      const p = this.state.participants.get(client.sessionId);
      if (!p || bytes.length !== 46 || bytes[0] !== 0x50) return;
      p.flags = bytes[1];
      p.seq = bytes.readUInt16LE(2);
      for (let i = 0; i < 21; i++) p[FIELDS[2 + i]] = bytes.readInt16LE(4 + 2 * i);
    });
  }
  onJoin(client) { this.state.participants.set(client.sessionId, new Participant()); }
  onLeave(client) { this.state.participants.delete(client.sessionId); }
}

const port = Number(process.argv[2]);
const server = new Server({ transport: new WebSocketTransport(), greet: false });
server.define("tour", TourRoom);
server.listen(port).then(() => console.log(`colyseus listening on ${port}`));
