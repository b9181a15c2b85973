// The guide's live console: speaks the tour websocket protocol (protocol/tour.py) from the
// browser as the engine does. The hello's token names the session cookie the socket was
// opened with; the page sends no poses (the server does not need a guide's pose).
import { fill, messages } from "/static/js/portal.js";
import { VoiceSender, socketSender } from "/static/viewer/voice-send.js";

const words = messages();
const setup = JSON.parse(document.getElementById("console-setup").textContent);
const $ = (id) => document.getElementById(id);
const PROTOCOL = 3;
const RESUMABLE = [1001, 1006, 1011, 1013, 4008];
const MAX_FLOOR = 4; // members who may hold the floor at once (protocol/tour.py)
const VOICE_FRAME = 0x41; // a binary voice frame's first byte (protocol/voice.py)
const SPEAKING_MS = 400; // a seat shows as speaking this long after its last packet
// the floor controls need their words; a catalogue without them shows none
const FLOOR_WORDS = Boolean(words.give_floor && words.open_floor);

const tour = {
  phase: "lobby", scene: setup.scenes[0]?.id ?? "", stop: null, follow: false, locked: false,
  muted: false, highlight: null, quiz: null, participants: new Map(), hands: [], seat: null,
  clockOffset: 0, resume: null, floor: { holders: [], open: false, muted: [] },
  speaking: new Map(), // seat -> when its voice was last heard (ms)
};
let socket = null;
let gatherTimer = null;
let chart = null;
// the guide's voice: while "speak" is on, the voice detector sends what the guide says
const speaker = new VoiceSender(socketSender(() => socket),
                                () => Date.now() / 1000 + tour.clockOffset, "vad",
                                false);  // the console plays no voices: nothing to cancel
let speaking = false;

function send(message) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function sceneOf(id) {
  return setup.scenes.find((scene) => scene.id === id);
}

function nameOf(seat) {
  return tour.participants.get(seat)?.name ?? fill(words.seat, { n: seat });
}

function showError(text) {
  const box = $("console-error");
  box.textContent = words.refused + text;
  box.hidden = false;
}

// -- drawing -------------------------------------------------------------------------

function button(label, onClick, className = "") {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = label;
  if (className) element.className = className;
  element.addEventListener("click", onClick);
  return element;
}

function drawControls() {
  const live = tour.phase === "live";
  const connected = socket?.readyState === WebSocket.OPEN;
  $("start").disabled = !connected || tour.phase !== "lobby";
  $("end").disabled = !connected || tour.phase === "ended";
  for (const id of ["gather", "follow", "lock", "mute", "highlight", "unhighlight",
                    "quiz-start"]) {
    $(id).disabled = !connected || !live;
  }
  $("quiz-close").disabled = !connected || !live || !tour.quiz || tour.quiz.closed;
  $("voice").disabled = !connected || tour.phase === "ended" || Boolean(speaker.failure);
  $("voice").setAttribute("aria-pressed", String(speaking));
  // a guide always may speak, unless muted one by one (a co-guide can be)
  speaker.allowed = speaking && connected && tour.phase !== "ended"
    && !tour.floor.muted.includes(tour.seat);
  for (const stop of document.querySelectorAll("button.stop")) {
    stop.disabled = !connected || !live;
    const here = stop.dataset.scene === tour.scene && stop.dataset.stop === tour.stop;
    stop.setAttribute("aria-pressed", String(here));
  }
  for (const [id, on] of [["follow", tour.follow], ["lock", tour.locked], ["mute", tour.muted]]) {
    $(id).setAttribute("aria-pressed", String(on));
  }
  const open = $("floor-open");
  if (open) {
    open.disabled = !connected || tour.phase === "ended";
    open.setAttribute("aria-pressed", String(tour.floor.open));
  }
  $("phase").textContent = words[`phase_${tour.phase}`];
  $("phase").className = `badge phase-${tour.phase}`;
  const scene = sceneOf(tour.scene);
  const stop = scene?.stops.find((s) => s.id === tour.stop);
  $("where").textContent = scene ? `${scene.title}${stop ? " · " + stop.say : ""}` : "";
  $("highlighted").textContent = tour.highlight
    ? scene?.hotspots.find((h) => h.id === tour.highlight)?.title ?? tour.highlight : "";
}

function fillSelect(select, items, label) {
  const chosen = select.value;
  select.replaceChildren(...items.map((item) => {
    const option = document.createElement("option");
    option.value = item.id;
    option.textContent = label(item);
    option.selected = item.id === chosen;
    return option;
  }));
}

function drawScene() {
  const scene = sceneOf(tour.scene);
  fillSelect($("hotspot"), scene?.hotspots ?? [], (h) => h.title);
  fillSelect($("quiz-item"), scene?.quiz ?? [], (q) => q.prompt);
}

function drawRoster() {
  const list = $("roster");
  const people = [...tour.participants.values()].filter((p) => p.seat !== tour.seat);
  $("people-count").textContent = String(people.filter((p) => p.present).length);
  if (!people.length) {
    const empty = document.createElement("li");
    empty.className = "muted";
    empty.textContent = words.nobody;
    list.replaceChildren(empty);
    return;
  }
  list.replaceChildren(...people.map((person) => {
    const item = document.createElement("li");
    item.dataset.seat = person.seat;
    item.dataset.presence = person.presence;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = person.name;
    const state = document.createElement("span");
    state.className = `badge presence-${person.presence}`;
    state.textContent = `${words[person.role]} · ${words[person.presence]}`;
    item.append(who, state);
    if (person.hand) {
      const hand = document.createElement("span");
      hand.className = "badge warn";
      hand.textContent = words.hand_up;
      item.append(hand);
    }
    if (FLOOR_WORDS) item.append(...floorBadges(person));
    // an ended tour has nobody left to hand over to or remove
    if (person.present && person.role !== "guide" && tour.phase !== "ended") {
      const actions = document.createElement("span");
      actions.className = "actions";
      if (person.role === "member") {
        actions.append(button(fill(words.hand_over, { name: person.name }),
                              () => send({ type: "hand_over", seat: person.seat, lead: false })));
      }
      if (FLOOR_WORDS) actions.append(...floorButtons(person));
      actions.append(button(fill(words.remove, { name: person.name }), () => {
        if (window.confirm(fill(words.confirm_remove, { name: person.name }))) {
          send({ type: "remove", seat: person.seat });
        }
      }, "danger"));
      item.append(actions);
    }
    return item;
  }));
}

// -- the floor: who may speak besides the guides ---------------------------------------

function floorBadges(person) {
  const badges = [];
  const badge = (text, className) => {
    const element = document.createElement("span");
    element.className = `badge ${className}`;
    element.textContent = text;
    badges.push(element);
  };
  if (tour.floor.holders.includes(person.seat)) badge(words.has_floor, "ok floor");
  if (tour.floor.muted.includes(person.seat)) badge(words.muted_one, "warn muted-one");
  if (tour.speaking.has(person.seat)) badge(words.speaking, "ok speaking");
  return badges;
}

function floorButtons(person) {
  const buttons = [];
  const name = person.name;
  if (person.role === "member") {
    const holds = tour.floor.holders.includes(person.seat);
    const floor = holds
      ? button(fill(words.take_floor, { name }), () => send({ type: "floor_take", seat: person.seat }))
      : button(fill(words.give_floor, { name }), () => send({ type: "floor_give", seat: person.seat }));
    floor.disabled = !holds && tour.floor.holders.length >= MAX_FLOOR;
    buttons.push(floor);
  }
  if (person.role !== "spectator") {
    const muted = tour.floor.muted.includes(person.seat);
    const mute = button(fill(muted ? words.unmute_one : words.mute_one, { name }),
                        () => send({ type: "mute_seat", seat: person.seat, muted: !muted }));
    mute.setAttribute("aria-pressed", String(muted));
    buttons.push(mute);
  }
  return buttons;
}

/** Marks the seats heard in a voice frame as speaking (a frame: u8 0x41, u8 version,
 *  u16 count, then count × (u16 seat, u16 seq, f64 capture, u16 length, payload)). */
function heardVoice(data) {
  const view = new DataView(data);
  if (view.byteLength < 4 || view.getUint8(0) !== VOICE_FRAME) return;
  const now = Date.now();
  let offset = 4;
  const fresh = [];
  for (let i = view.getUint16(2, true); i > 0 && offset + 14 <= view.byteLength; i -= 1) {
    const seat = view.getUint16(offset, true);
    if (!tour.speaking.has(seat)) fresh.push(seat);
    tour.speaking.set(seat, now);
    offset += 14 + view.getUint16(offset + 12, true);
  }
  if (fresh.length) drawRoster();
}

function quietDown() {
  const now = Date.now();
  let changed = false;
  for (const [seat, heard] of tour.speaking) {
    if (now - heard > SPEAKING_MS) {
      tour.speaking.delete(seat);
      changed = true;
    }
  }
  if (changed) drawRoster();
}

function drawHands() {
  const list = $("hands");
  if (!tour.hands.length) {
    const empty = document.createElement("li");
    empty.className = "muted";
    empty.textContent = words.no_hands;
    list.replaceChildren(empty);
    return;
  }
  list.replaceChildren(...tour.hands.map((seat) => {
    const item = document.createElement("li");
    item.dataset.seat = seat;
    const name = nameOf(seat);
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = name;
    // taking a hand gives the member the floor (the server lowers it); dismissing only
    // lowers it
    const take = button(fill(words.take, { name }), () => send({ type: "floor_give", seat }),
                        "primary");
    take.disabled = tour.floor.holders.length >= MAX_FLOOR;
    const dismiss = button(fill(words.dismiss, { name }), () => send({ type: "lower_hand", seat }));
    const actions = document.createElement("span");
    actions.className = "actions";
    actions.append(take, dismiss);
    item.append(who, actions);
    return item;
  }));
}

function drawNoQuestions() {
  const list = $("questions");
  if (list.children.length) return;
  const empty = document.createElement("li");
  empty.className = "muted";
  empty.textContent = words.no_questions;
  list.replaceChildren(empty);
}

function addQuestion(seat, text) {
  const list = $("questions");
  list.querySelector(".muted")?.remove();
  const item = document.createElement("li");
  const who = document.createElement("strong");
  who.textContent = `${nameOf(seat)}: `;
  item.append(who, document.createTextNode(text));
  list.prepend(item);
}

function drawQuiz() {
  const quiz = tour.quiz;
  const body = $("quiz-table").querySelector("tbody");
  // no item put yet: say so, instead of an empty chart and an empty table
  $("quiz-chart").hidden = !quiz;
  $("quiz-table").hidden = !quiz;
  if (!quiz) {
    $("quiz-state").textContent = words.no_quiz;
    body.replaceChildren();
    chart?.clear();
    return;
  }
  const scene = setup.scenes.find((s) => s.quiz.some((q) => q.id === quiz.item));
  const item = scene?.quiz.find((q) => q.id === quiz.item);
  const labels = quiz.counts.map((_, n) => item?.choices[n] ?? fill(words.choice, { n: n + 1 }));
  $("quiz-state").textContent = quiz.closed
    ? fill(words.quiz_closed, { answered: quiz.answered, eligible: quiz.eligible,
                                answer: quiz.answer === null ? "?" : quiz.answer + 1 })
    : fill(words.quiz_open, { answered: quiz.answered, eligible: quiz.eligible });
  body.replaceChildren(...quiz.counts.map((count, n) => {
    const row = document.createElement("tr");
    const label = document.createElement("td");
    label.textContent = `${n + 1}. ${labels[n]}`;
    if (quiz.closed && quiz.answer === n) label.textContent += ` (${words.right_answer})`;
    const number = document.createElement("td");
    number.textContent = String(count);
    row.append(label, number);
    return row;
  }));
  if (!window.echarts) return;
  chart ??= window.echarts.init($("quiz-chart"), null, { renderer: "svg" });
  chart.resize();  // it may have been drawn while hidden
  chart.setOption({
    animation: false,
    grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", inverse: true,
             data: labels.map((label, n) => `${n + 1}. ${label}`.slice(0, 24)) },
    series: [{ type: "bar", data: quiz.counts.map((count, n) => ({
      value: count,
      itemStyle: { color: quiz.closed && quiz.answer === n ? "#1b5e20" : "#a3131a" } })),
      label: { show: true, position: "right" } }],
  }, true);
}

function drawGathering(deadline) {
  clearInterval(gatherTimer);
  const tick = () => {
    const left = Math.max(0, Math.ceil(deadline - (Date.now() / 1000 + tour.clockOffset)));
    $("gathering").textContent = left > 0 ? fill(words.gathering_in, { n: left }) : words.gathered;
    if (left <= 0) clearInterval(gatherTimer);
  };
  tick();
  gatherTimer = setInterval(tick, 250);
}

function drawAll() {
  drawControls();
  drawScene();
  drawRoster();
  drawHands();
  drawQuiz();
}

// -- the protocol ----------------------------------------------------------------------

function person(participant) {
  return { ...participant, presence: participant.present ? "present" : "left" };
}

const handlers = {
  welcome(message) {
    const snap = message.snapshot;
    tour.seat = message.seat;
    tour.resume = message.resume;
    tour.clockOffset = message.server_time - Date.now() / 1000;
    Object.assign(tour, { phase: snap.phase, scene: snap.scene, stop: snap.stop,
                          follow: snap.follow, locked: snap.locked, muted: snap.muted,
                          highlight: snap.highlight, quiz: snap.quiz, hands: snap.hands,
                          floor: snap.floor });
    tour.participants = new Map(snap.participants.map((p) => [p.seat, person(p)]));
    $("connection").textContent = words.connected;
    $("connection").className = "badge ok";
    drawAll();
  },
  joined({ participant }) {
    tour.participants.set(participant.seat, person(participant));
    drawRoster();
  },
  left({ seat, reason }) {
    const who = tour.participants.get(seat);
    if (who) {
      who.present = false;
      who.hand = false;
      who.presence = reason === "dropped" ? "dropped" : "left";
    }
    drawRoster();
  },
  returned({ seat }) {
    const who = tour.participants.get(seat);
    if (who) Object.assign(who, { present: true, presence: "present" });
    drawRoster();
  },
  phase({ phase }) {
    tour.phase = phase;
    if (phase === "ended") {  // everyone's attendance closes with the tour
      for (const who of tour.participants.values()) {
        Object.assign(who, { present: false, hand: false, presence: "left" });
      }
      tour.hands = [];
      drawHands();
      drawRoster();
    }
    drawControls();
  },
  stop({ scene, stop }) {
    const moved = scene !== tour.scene;
    Object.assign(tour, { scene, stop, highlight: null });
    if (moved) drawScene();
    drawControls();
  },
  gathering({ deadline }) {
    drawGathering(deadline);
  },
  setting({ name, on }) {
    tour[name] = on;
    drawControls();
  },
  highlighted({ hotspot }) {
    tour.highlight = hotspot;
    drawControls();
  },
  quiz({ quiz }) {
    tour.quiz = quiz;
    drawQuiz();
    drawControls();
  },
  hand({ seat, raised, queue }) {
    tour.hands = queue;
    const who = tour.participants.get(seat);
    if (who) who.hand = raised;
    drawHands();
    drawRoster();
  },
  question({ seat, text }) {
    addQuestion(seat, text);
  },
  chat({ seat, text }) {
    addQuestion(seat, text);
  },
  floor({ floor }) {
    tour.floor = floor;
    drawControls();
    drawRoster();
    drawHands();
  },
  role({ seat, role }) {
    const who = tour.participants.get(seat);
    if (who) who.role = role;
    drawRoster();
  },
  error({ message }) {
    showError(message);
  },
};

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}${setup.socket}`);
  socket.binaryType = "arraybuffer";
  socket.addEventListener("open", () => {
    send({ type: "hello", version: PROTOCOL, token: setup.token, resume: tour.resume });
  });
  socket.addEventListener("message", (event) => {
    if (typeof event.data !== "string") { // pose frames: the console shows no avatars
      if (FLOOR_WORDS) heardVoice(event.data);
      return;
    }
    const message = JSON.parse(event.data);
    handlers[message.type]?.(message);
  });
  socket.addEventListener("close", (event) => {
    $("connection").textContent = words.closed;
    // the server lets an ended tour's sockets go: that is no fault to warn about
    $("connection").className = tour.phase === "ended" ? "badge" : "badge warn";
    drawControls();
    // a lost or too slow connection comes back to its held seat; an ended tour, a refusal
    // or this console opened elsewhere (4000) stays shut
    if (tour.phase !== "ended" && RESUMABLE.includes(event.code) && tour.resume) {
      setTimeout(connect, 2000);
    }
  });
}

// -- the controls --------------------------------------------------------------------

/** "Speak" on: the microphone opens (once) and the guide's voice goes out while they talk;
 *  without a microphone or an Opus encoder the note says why, and the console goes on. */
async function toggleVoice() {
  speaking = !speaking;
  drawControls();
  if (!speaking || await speaker.open()) return;
  speaking = false;
  $("voice-note").textContent = fill(words.no_microphone, { reason: speaker.failure ?? "" });
  $("voice-note").className = "alert";
  drawControls();
}

function wire() {
  $("start").addEventListener("click", () => send({ type: "start" }));
  $("end").addEventListener("click", () => {
    if (window.confirm(words.confirm_end)) send({ type: "end" });
  });
  for (const stop of document.querySelectorAll("button.stop")) {
    stop.addEventListener("click", () => send({ type: "goto_stop", scene: stop.dataset.scene,
                                                stop: stop.dataset.stop }));
  }
  $("gather").addEventListener("click", () => {
    const scene = sceneOf(tour.scene);
    const stop = scene?.stops.find((s) => s.id === tour.stop);
    const countdown = Math.min(60, Math.max(0, Number($("countdown").value) || 0));
    send({ type: "gather", countdown, at: stop?.at ?? scene?.spawn ?? [0, 0, 0] });
  });
  $("follow").addEventListener("click", () => send({ type: "follow", on: !tour.follow }));
  $("lock").addEventListener("click", () => send({ type: "lock", locked: !tour.locked }));
  $("mute").addEventListener("click", () => send({ type: "mute_all", muted: !tour.muted }));
  if (FLOOR_WORDS) {  // beside "mute all": the open floor lets every member speak, four at once
    const open = button(words.open_floor, () => send({ type: "floor_open", open: !tour.floor.open }));
    open.id = "floor-open";
    open.setAttribute("aria-pressed", "false");
    $("mute").after(open);
    setInterval(quietDown, 200);
  }
  $("highlight").addEventListener("click", () => {
    if ($("hotspot").value) send({ type: "highlight", hotspot: $("hotspot").value });
  });
  $("unhighlight").addEventListener("click", () => send({ type: "highlight", hotspot: null }));
  $("quiz-start").addEventListener("click", () => {
    if ($("quiz-item").value) send({ type: "quiz_start", item: $("quiz-item").value });
  });
  $("quiz-close").addEventListener("click", () => send({ type: "quiz_close" }));
  $("voice").addEventListener("click", toggleVoice);
  window.addEventListener("resize", () => chart?.resize());
}

wire();
drawAll();
drawNoQuestions();
connect();
