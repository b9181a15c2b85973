// One member's visit to a scene, as the engine runs it (engine/view.py): hotspots open a
// narration panel (subtitles in the package's font subset, narration audio), route stops,
// the quiz, progress, and the participation facts each of these makes.

import { FactOutbox } from './facts.js';

const FONT_FAMILY = 'RedHall Subset';
const KEEP_EVERY = 5;  // seconds between saves of the visit's time
const MAX_TICK = 60;  // seconds

/** @param {Record<string, string> | undefined} texts @param {string} lang */
function localized(texts, lang) {
  if (!texts) return '';
  return texts[lang] || texts['zh-CN'] || Object.values(texts)[0] || '';
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag @param {string} [text] @param {string} [className]
 * @returns {HTMLElementTagNameMap[K]}
 */
function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

export class Visit {
  /** @param {any} viewer the page's Viewer (main.js) */
  constructor(viewer) {
    this.viewer = viewer;
    this.config = viewer.config;
    this.lang = viewer.config.language;
    this.words = viewer.words;
    /** @type {import('./scene.js').SceneScript} */
    this.script = viewer.view.packaged.script;
    this.audio = viewer.view.packaged.audio ?? {};
    this.panel = /** @type {HTMLElement} */ (viewer.root.querySelector('#viewer-panel'));
    this.outbox = new FactOutbox(this.config.facts, (ok) => {
      this.viewer.root.dataset.delivery = ok ? 'delivered' : 'waiting';
    });
    this.common = { exhibit: this.config.exhibit, exhibit_version: this.config.version,
      scene: this.script.id };
    /** @type {string | null} */
    this.current = null;
    this.openedAt = 0;
    this.stopIndex = -1;
    this.sinceKept = 0;
    /** @type {HTMLAudioElement | null} */
    this.playing = null;
    /** @type {Promise<unknown>} facts in the order they happened */
    this.chain = Promise.resolve();
  }

  async start() {
    const key = `${this.config.user}/${this.config.exhibit}/${this.config.version}/${this.script.id}`;
    const { state, resumed, ended } = await this.outbox.visit(key);
    if (ended) {  // the last visit, never left: it ends when it was last seen
      const open = ended.open;
      ended.open = null;
      ended.left = 'late';
      if (open) {
        await this.outbox.emit(ended, this.common, 'hotspot_viewed', { hotspot: open.hotspot,
          dwell_seconds: Math.max(0, ended.seconds - open.openedAt) });
      }
      await this.outbox.emit(ended, this.common, 'scene_left', { seconds: ended.seconds });
    }
    this.state = state;
    this.progressLine = element('p', '', 'viewer-progress');
    this.progressLine.id = 'viewer-progress';
    this.viewer.root.append(this.progressLine);
    this.stopButtons();
    this.leaveButton();
    await this.loadFont();
    if (!resumed) {
      this.emit('scene_entered', {});
    } else if (this.state.open) {  // the hotspot open when the page went: its dwell ends now
      this.current = this.state.open.hotspot;
      this.openedAt = this.state.open.openedAt;
      this.closeHotspot();
    } else {
      this.outbox.deliver();  // what a reload cut off
    }
    this.refresh();
    window.addEventListener('online', () => this.outbox.deliver());
    setInterval(() => this.outbox.deliver(), 15000);
  }

  /** Subtitles are drawn in the package's own font subset (it holds every character the
   *  exhibit shows, which a phone's fonts may not). */
  async loadFont() {
    const manifest = this.viewer.source.manifest;
    try {
      const data = await this.viewer.source.read(manifest.font);
      const face = new FontFace(FONT_FAMILY, data);
      await face.load();
      document.fonts.add(face);
      this.viewer.root.dataset.font = 'loaded';
    } catch (error) {
      this.viewer.root.dataset.font = 'missing';
      console.warn('the package font could not be used', error);
    }
  }

  /** @param {string} kind @param {Record<string, any>} fields */
  emit(kind, fields) {
    this.chain = this.chain.then(() => this.outbox.emit(this.state, this.common, kind, fields));
    return this.chain;
  }

  stopButtons() {
    if (!this.script.route.length) return;
    const tools = this.viewer.root.querySelector('#viewer-tools');
    const previous = element('button', this.words.previous_stop);
    const next = element('button', this.words.next_stop);
    previous.addEventListener('click', () => this.goToStop(Math.max(0, this.stopIndex - 1)));
    next.addEventListener('click', () => this.goToStop(
      Math.min(this.script.route.length - 1, this.stopIndex + 1)));
    next.id = 'viewer-next-stop';
    tools.prepend(previous);
    tools.append(next);
  }

  leaveButton() {
    const button = element('button', this.words.leave);
    button.id = 'viewer-leave';
    button.addEventListener('click', async () => {
      await this.leave();
      location.assign(`/exhibits/${this.config.exhibit}`);
    });
    this.viewer.root.querySelector('#viewer-tools').append(button);
  }

  refresh() {
    const seen = this.state.seen.length;
    const total = this.script.hotspots.length;
    this.progressLine.textContent = `${this.words.progress.replace('{seen}', String(seen))
      .replace('{total}', String(total))} · ${this.words.stops} ${this.state.stops.length}/${
      this.script.route.length}`;
  }

  /** @param {string} title @param {HTMLElement[]} body */
  showPanel(title, body) {
    this.panel.replaceChildren();
    const heading = element('h2', title);
    const close = element('button', this.words.close);
    close.addEventListener('click', () => this.closePanel());
    this.panel.append(heading, ...body, close);
    this.panel.hidden = false;
    this.changed();
  }

  /** A headset shows the panel too, at arm's length. */
  changed() {
    this.viewer.xr?.panel.mirror(this.panel);
  }

  /** Opens a hotspot: its narration, audio and any quiz item on it. @param {string} id */
  select(id) {
    const hotspot = this.script.hotspots.find((h) => h.id === id);
    if (!hotspot) return;
    this.closeHotspot();
    let text = localized(hotspot.text, this.lang);
    if (hotspot.disputed) text = `【${this.words.disputed}】 ${text}`;
    const sources = hotspot.sources.map((i) => this.script.sources[i]?.title ?? '').join('；');
    const body = [element('p', text, 'subtitle'),
      element('p', `${this.words.sources}：${sources}`, 'sources')];
    this.showPanel(localized(hotspot.title, this.lang), body);
    this.viewer.view.highlight(id);
    this.current = id;
    this.openedAt = this.state.seconds;
    this.state.open = { hotspot: id, openedAt: this.openedAt };  // closed after a reload
    if (!this.state.seen.includes(id)) this.state.seen.push(id);
    this.chain = this.chain.then(() => this.outbox.keep(this.state));
    this.play(id);
    this.refresh();
    const item = this.remaining().find((q) => q.hotspot === id);
    if (item) this.offerQuiz(item);
  }

  /** Narration of a hotspot or a stop (``stop:<id>``), from its verified entry.
   *  @param {string} owner */
  async play(owner) {
    const tracks = this.audio[owner] ?? {};
    const path = tracks[this.lang] ?? tracks['zh-CN'];
    if (!path) return;
    const data = await this.viewer.source.read(path);
    const url = URL.createObjectURL(new Blob([data], { type: 'audio/ogg' }));
    this.playing?.pause();
    this.playing = new Audio(url);
    this.playing.dataset.owner = owner;
    this.viewer.narrator?.speak(owner, this.playing, path);  // its mouth, from where it stands
    this.playing.play().catch(() => {});  // a browser may wait for a gesture; the panel stays
  }

  closeHotspot() {
    if (this.current === null) return;
    const dwell = Math.max(0, this.state.seconds - this.openedAt);
    const hotspot = this.current;
    this.current = null;
    this.state.open = null;
    this.emit('hotspot_viewed', { hotspot, dwell_seconds: dwell });
  }

  closePanel() {
    this.closeHotspot();
    this.panel.hidden = true;
    this.playing?.pause();
    this.viewer.narrator?.silence();
    this.viewer.view.highlight(null);
    this.changed();
  }

  /** @param {number} index */
  goToStop(index) {
    const stop = this.script.route[index];
    if (!stop) return;
    this.stopIndex = index;
    this.viewer.place(stop.camera);
    if (!this.state.stops.includes(stop.id)) {
      this.state.stops.push(stop.id);
      this.emit('stop_reached', { stop: stop.id });
    }
    this.closeHotspot();
    this.showPanel(localized(stop.say, this.lang), []);
    this.play(`stop:${stop.id}`);  // a stop's narration, keyed as the engine keys it
    this.refresh();
    if (index === this.script.route.length - 1 && this.remaining().length) {
      this.offerQuiz(this.remaining()[0]);
    }
  }

  remaining() {
    return this.script.quiz.filter((q) => !(q.id in this.state.answers));
  }

  /** The quiz item on the panel; in a live tour ``send`` takes the choice to the guide.
   *  @param {import('./scene.js').QuizItem} item
   *  @param {(choice: number) => void} [send] */
  offerQuiz(item, send) {
    const form = element('form', undefined, 'quiz');
    form.dataset.item = item.id;
    const set = element('fieldset');
    set.append(element('legend', localized(item.prompt, this.lang)));
    const choices = element('div', undefined, 'choices');
    item.choices.forEach((choice, index) => {
      const button = element('button', localized(choice, this.lang));
      button.type = 'button';
      button.dataset.choice = String(index);
      button.addEventListener('click', () => {
        if (!send) {
          this.answer(item.id, index);
          return;
        }
        send(index);
        for (const b of choices.querySelectorAll('button')) b.setAttribute('disabled', '');
        button.setAttribute('aria-pressed', 'true');
      });
      choices.append(button);
    });
    set.append(choices);
    form.append(set);
    this.panel.querySelector('form.quiz')?.remove();
    this.panel.querySelector('.verdict')?.remove();
    this.panel.insertBefore(form, this.panel.lastElementChild);
    this.panel.hidden = false;
    this.changed();
  }

  /** The first answer to an item counts. @param {string} itemId @param {number} choice */
  answer(itemId, choice) {
    const item = this.script.quiz.find((q) => q.id === itemId);
    if (!item || !Number.isInteger(choice) || choice < 0 || choice >= item.choices.length) {
      return null;
    }
    const first = !(itemId in this.state.answers);
    if (first) this.state.answers[itemId] = choice;
    const correct = this.state.answers[itemId] === item.answer;
    const verdict = correct ? this.words.right : this.words.wrong;
    const form = this.panel.querySelector(`form.quiz[data-item="${itemId}"]`);
    const result = element('p', `${verdict} ${localized(item.explain, this.lang)}`, 'verdict');
    result.setAttribute('role', 'status');
    if (form) form.replaceWith(result);
    else this.showPanel(verdict, [element('p', localized(item.explain, this.lang))]);
    this.changed();
    if (first) this.emit('quiz_answered', { item: itemId, response: choice, correct });
    this.checkCompleted();
    const next = this.remaining()[0];
    if (next && this.current && next.hotspot === this.current) this.offerQuiz(next);
    return correct;
  }

  score() {
    const items = this.script.quiz;
    if (!items.length) return 0;
    return items.filter((q) => this.state.answers[q.id] === q.answer).length / items.length;
  }

  checkCompleted() {
    if (this.state.completed || this.remaining().length) return;
    this.state.completed = true;
    this.emit('scene_completed', { hotspots_viewed: this.state.seen.length,
      hotspots_total: this.script.hotspots.length, quiz_score: this.score(),
      seconds: this.state.seconds });
  }

  /** Leaves the scene: the open hotspot closes, then the scene. */
  leave() {
    this.closePanel();
    this.state.left = true;  // the next visit is a new one
    this.emit('scene_left', { seconds: this.state.seconds });
    return this.chain.then(() => this.outbox.deliver());
  }

  /** Counts the time spent in the scene: the clock's advance since the last frame, a
   *  minute at most (a device asleep longer does not count as present). */
  update() {
    const now = performance.now();
    const dt = Math.min(MAX_TICK, Math.max(0, (now - (this.lastTick ?? now)) / 1000));
    this.lastTick = now;
    if (!this.state) return;
    this.state.seconds += dt;
    this.sinceKept += dt;
    if (this.sinceKept >= KEEP_EVERY) {
      this.sinceKept = 0;
      this.chain = this.chain.then(() => this.outbox.keep(this.state));
    }
  }
}
