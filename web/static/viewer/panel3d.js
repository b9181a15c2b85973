// The narration panel inside a headset: what the page's panel shows (title, subtitles,
// quiz choices) drawn in the package's font on a canvas, held at arm's length in front of
// the member; a controller ray on a choice answers it with the trigger.

import * as THREE from '/vendor/three/build/three.module.js';

const WIDTH_M = 0.9;
const HEIGHT_M = 0.6;
const PIXELS = 1024;
const ARM = 0.75;  // metres in front of the eyes
const FONT = '"RedHall Subset", sans-serif';
const PAD = 40;
const CHOICE_HEIGHT = 64;

export class ArmPanel {
  /** @param {any} viewer the page's Viewer (main.js) */
  constructor(viewer) {
    this.viewer = viewer;
    this.canvas = document.createElement('canvas');
    this.canvas.width = PIXELS;
    this.canvas.height = Math.round(PIXELS * HEIGHT_M / WIDTH_M);
    this.texture = new THREE.CanvasTexture(this.canvas);
    this.texture.colorSpace = THREE.SRGBColorSpace;
    this.mesh = new THREE.Mesh(new THREE.PlaneGeometry(WIDTH_M, HEIGHT_M),
      new THREE.MeshBasicMaterial({ map: this.texture, transparent: true, fog: false }));
    this.mesh.name = 'arm-panel';
    this.mesh.visible = false;
    viewer.view.scene.add(this.mesh);
    /** @type {{top: number, bottom: number, button: HTMLElement}[]} */
    this.choices = [];
  }

  /** Draws what the page's panel shows and holds it before the eyes.
   *  @param {HTMLElement} panel */
  mirror(panel) {
    if (!this.viewer.renderer.xr.isPresenting) return;
    if (panel.hidden) {
      this.mesh.visible = false;
      return;
    }
    const g = /** @type {CanvasRenderingContext2D} */ (this.canvas.getContext('2d'));
    g.fillStyle = 'rgba(15, 15, 15, 0.9)';
    g.fillRect(0, 0, this.canvas.width, this.canvas.height);
    g.fillStyle = '#ffffff';
    let y = PAD + 36;
    const title = panel.querySelector('h2')?.textContent ?? '';
    g.font = `bold 40px ${FONT}`;
    g.fillText(title, PAD, y);
    y += 20;
    g.font = `28px ${FONT}`;
    for (const p of panel.querySelectorAll('p, legend')) {
      y = this.wrap(g, p.textContent ?? '', y + 40);
    }
    this.choices = [];
    for (const button of panel.querySelectorAll('form.quiz button')) {
      y += 16;
      g.fillStyle = '#f2c14e';
      g.fillRect(PAD, y, this.canvas.width - 2 * PAD, CHOICE_HEIGHT - 8);
      g.fillStyle = '#1f1f1f';
      g.fillText(button.textContent ?? '', PAD + 16, y + 38);
      g.fillStyle = '#ffffff';
      this.choices.push({ top: y, bottom: y + CHOICE_HEIGHT - 8,
        button: /** @type {HTMLElement} */ (button) });
      y += CHOICE_HEIGHT;
    }
    this.texture.needsUpdate = true;
    this.holdBeforeEyes();
  }

  /** @param {CanvasRenderingContext2D} g @param {string} text @param {number} y */
  wrap(g, text, y) {
    let line = '';
    for (const char of text) {
      if (g.measureText(line + char).width > this.canvas.width - 2 * PAD) {
        g.fillText(line, PAD, y);
        line = '';
        y += 36;
      }
      line += char;
    }
    g.fillText(line, PAD, y);
    return y;
  }

  holdBeforeEyes() {
    const head = this.viewer.renderer.xr.getCamera();
    const position = new THREE.Vector3().setFromMatrixPosition(head.matrixWorld);
    const forward = new THREE.Vector3(0, 0, -1).transformDirection(head.matrixWorld);
    forward.y = 0;
    forward.normalize();
    this.mesh.position.copy(position).addScaledVector(forward, ARM);
    this.mesh.position.y = position.y - 0.1;
    this.mesh.lookAt(position.x, this.mesh.position.y, position.z);
    this.mesh.visible = true;
  }

  /** Where on the panel (three.js frame) choice ``index`` is drawn: what a test aims at.
   *  @param {number} index */
  choicePoint(index) {
    const choice = this.choices[index];
    if (!choice) return null;
    const y = HEIGHT_M / 2 - ((choice.top + choice.bottom) / 2 / this.canvas.height) * HEIGHT_M;
    this.mesh.updateMatrixWorld(true);
    return new THREE.Vector3(0, y, 0).applyMatrix4(this.mesh.matrixWorld).toArray();
  }

  /** Presses the quiz choice a controller's ray is on, if any. @param {THREE.Ray} ray */
  answerAlong(ray) {
    if (!this.mesh.visible || !this.choices.length) return false;
    const raycaster = new THREE.Raycaster(ray.origin, ray.direction);
    const hit = raycaster.intersectObject(this.mesh)[0];
    if (!hit || !hit.uv) return false;
    const y = (1 - hit.uv.y) * this.canvas.height;
    const choice = this.choices.find((c) => y >= c.top && y <= c.bottom);
    if (!choice) return false;
    choice.button.click();
    return true;
  }
}
