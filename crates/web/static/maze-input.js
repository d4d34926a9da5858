// Walking and looking: keyboard (W A S D, arrows turn, Shift runs), mouse (pointer lock, or
// drag), touch (drag to look; the pad, or a second finger, to walk).

const LOOK_DEG_PER_PX = 0.15;
const TURN_DEG_PER_S = 100;

export class Input {
  constructor(canvas, pad) {
    this.keys = new Set();
    this.look = { dx: 0, dy: 0 };   // degrees of yaw and pitch since the last frame
    this.padVector = [0, 0];        // [strafe, forward] in -1..1
    this.fingers = 0;               // touches on the view (2+: walk forward)
    this.onInfo = () => {};
    this.keyboard();
    this.mouse(canvas);
    this.touch(canvas, pad);
  }

  keyboard() {
    window.addEventListener('keydown', (e) => {
      if (e.target instanceof HTMLInputElement) return;
      if (e.code === 'KeyI' && !e.repeat) this.onInfo();
      if (e.code.startsWith('Arrow')) e.preventDefault();
      this.keys.add(e.code);
    });
    window.addEventListener('keyup', (e) => this.keys.delete(e.code));
    window.addEventListener('blur', () => this.keys.clear());
  }

  mouse(canvas) {
    let dragging = false;
    canvas.addEventListener('click', () => canvas.requestPointerLock?.()?.catch?.(() => {}));
    canvas.addEventListener('mousedown', () => { dragging = true; });
    window.addEventListener('mouseup', () => { dragging = false; });
    window.addEventListener('mousemove', (e) => {
      if (document.pointerLockElement !== canvas && !dragging) return;
      this.look.dx += e.movementX * LOOK_DEG_PER_PX;
      this.look.dy += e.movementY * LOOK_DEG_PER_PX;
    });
  }

  touch(canvas, pad) {
    const last = new Map();
    canvas.addEventListener('touchstart', (e) => {
      pad.hidden = false;
      for (const t of e.changedTouches) last.set(t.identifier, [t.clientX, t.clientY]);
      this.fingers = e.touches.length;
    }, { passive: true });
    canvas.addEventListener('touchmove', (e) => {
      for (const t of e.changedTouches) {
        const before = last.get(t.identifier);
        if (!before) continue;
        this.look.dx += (t.clientX - before[0]) * LOOK_DEG_PER_PX * 1.5;
        this.look.dy += (t.clientY - before[1]) * LOOK_DEG_PER_PX * 1.5;
        last.set(t.identifier, [t.clientX, t.clientY]);
      }
    }, { passive: true });
    const end = (e) => {
      for (const t of e.changedTouches) last.delete(t.identifier);
      this.fingers = e.touches.length;
    };
    canvas.addEventListener('touchend', end);
    canvas.addEventListener('touchcancel', end);
    this.padControl(pad);
  }

  padControl(pad) {
    const knob = pad.firstElementChild;
    const set = (t) => {
      const r = pad.getBoundingClientRect();
      const x = Math.max(-1, Math.min(1, (t.clientX - r.left - r.width / 2) / (r.width / 2)));
      const y = Math.max(-1, Math.min(1, (t.clientY - r.top - r.height / 2) / (r.height / 2)));
      this.padVector = [x, -y];
      knob.style.transform = `translate(${x * 40}px, ${y * 40}px)`;
    };
    pad.addEventListener('touchstart', (e) => { e.preventDefault(); set(e.targetTouches[0]); });
    pad.addEventListener('touchmove', (e) => { e.preventDefault(); set(e.targetTouches[0]); });
    pad.addEventListener('touchend', () => { this.padVector = [0, 0]; knob.style.transform = ''; });
  }

  // This frame's intent: metres forward and to the right, degrees of yaw and pitch.
  take(dt) {
    const k = this.keys;
    const on = (...codes) => (codes.some((c) => k.has(c)) ? 1 : 0);
    const speed = (k.has('ShiftLeft') || k.has('ShiftRight') ? 4.5 : 2.2) * dt;
    let forward = on('KeyW', 'ArrowUp') - on('KeyS', 'ArrowDown') + this.padVector[1] + (this.fingers >= 2 ? 1 : 0);
    let right = on('KeyD') - on('KeyA') + this.padVector[0];
    const norm = Math.max(1, Math.hypot(forward, right));
    forward /= norm;
    right /= norm;
    const turn = (on('ArrowRight') - on('ArrowLeft')) * TURN_DEG_PER_S * dt;
    const out = { forward: forward * speed, right: right * speed, yaw: this.look.dx + turn, pitch: -this.look.dy };
    this.look.dx = this.look.dy = 0;
    return out;
  }
}
