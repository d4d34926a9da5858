// The maze's AudioWorklet: the Rust maze engine (WebAssembly) renders every 128-frame
// quantum on the audio thread; the page sends the layout, scores and the listener's pose.
// It reports back the ears' meters, the voices playing, the first sound, and underruns.
import '/worklet-shim.js'; // must load before the glue
import { initSync, MazeEngine } from '/pkg/photophone_wasm.js';

const REPORT_QUANTA = 8; // a stats message every 8 quanta (~23 ms)
const CLOCK_WINDOW_MS = 100;

class MazeProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const o = options.processorOptions;
    this.wasm = initSync({ module: o.module });
    this.engine = null;
    this.heard = false;
    this.meter = { left: 0, right: 0, quanta: 0 };
    this.clock = new Clock(o.underrunThresholdMs ?? 8);
    if (o.layout) this.startOffline(o);
    this.port.onmessage = (event) => this.onMessage(event.data);
  }

  // An OfflineAudioContext renders before any message could arrive: everything up front.
  startOffline(o) {
    this.create(o.layout);
    if (o.maxVoices) this.engine?.set_max_voices(o.maxVoices);
    for (const [index, json] of o.scores) this.engine?.set_score(index, json);
    if (o.walk) this.engine?.set_walk(o.walk);
  }

  create(layoutJson) {
    this.engine?.free();
    this.engine = MazeEngine.create(sampleRate, layoutJson) ?? null;
    this.heard = false;
    return this.engine !== null;
  }

  onMessage(m) {
    if (m.type === 'layout') {
      const ok = this.create(m.json);
      // Scores that came with the layout start with the engine's first quantum (on its
      // first beat), not a beat later.
      for (const [index, json] of m.scores ?? []) this.engine?.set_score(index, json);
      this.port.postMessage({ type: 'created', ok });
    } else if (m.type === 'stop') {
      this.engine?.free(); // its voices' memory goes back to the WebAssembly heap
      this.engine = null;
      this.stopped = true;
    } else if (!this.engine) {
      return; // no maze yet (or it was refused): nothing to steer
    } else if (m.type === 'listener') {
      this.engine.set_listener(m.x, m.y, m.heading);
    } else if (m.type === 'score') {
      const ok = this.engine.set_score(m.index, m.json);
      this.port.postMessage({ type: 'scored', index: m.index, ok });
    } else if (m.type === 'walk') {
      this.port.postMessage({ type: 'walking', ok: this.engine.set_walk(m.json) });
    } else if (m.type === 'max_voices') {
      this.engine.set_max_voices(m.n);
    }
  }

  process(_inputs, outputs) {
    if (this.stopped) return false; // the node can go
    this.clock.tick(currentFrame, sampleRate);
    const out = outputs[0];
    if (!this.engine) return true; // outputs start zeroed: silence
    this.engine.render(out[0], out[1] ?? out[0]);
    this.measure();
    return true;
  }

  measure() {
    const l = this.engine.meter_left();
    const r = this.engine.meter_right();
    const m = this.meter;
    m.left += l * l;
    m.right += r * r;
    if (!this.heard && (l > 1e-4 || r > 1e-4)) {
      this.heard = true;
      this.port.postMessage({ type: 'sound', frame: currentFrame });
    }
    if (++m.quanta < REPORT_QUANTA) return;
    this.port.postMessage({
      type: 'stats',
      left: Math.sqrt(m.left / m.quanta),
      right: Math.sqrt(m.right / m.quanta),
      voices: this.engine.active_voices(),
      frame: currentFrame,
      underruns: this.clock.events,
      underrunMs: this.clock.lostMs,
      lagMs: this.clock.lagMs,
      wasmBytes: this.wasm.memory.buffer.byteLength,
    });
    m.left = m.right = m.quanta = 0;
  }
}

// Underruns seen from the audio thread: the audio clock (frames rendered) against the wall
// clock. Quanta are rendered in bursts, so wall − audio time jitters within a device buffer;
// its floor (the least lag within a 100-ms window) steps up from one window to the next only
// when the output lost time, which is what an underrun is. The two clocks also drift apart
// slowly (a device's crystal, a fake device's timer: ~500 ppm measured), a few hundredths of
// a millisecond per window, which is not a step. (Date.now(): no performance.now() here.)
class Clock {
  constructor(thresholdMs) {
    this.thresholdMs = thresholdMs;
    this.start = null;
    this.floor = null;
    this.firstFloor = null;
    this.windowMin = Infinity;
    this.windowEnd = 0;
    this.events = 0;
    this.lostMs = 0;
  }

  // Wall minus audio clock since the start, ms (grows with underruns and drift).
  get lagMs() {
    return this.floor === null ? 0 : this.floor - this.firstFloor;
  }

  tick(frame, rate) {
    const now = Date.now();
    if (this.start === null) this.start = { now, frame };
    const lag = now - this.start.now - ((frame - this.start.frame) / rate) * 1000;
    this.windowMin = Math.min(this.windowMin, lag);
    if (now < this.windowEnd) return;
    if (this.windowEnd > 0) this.close();
    this.windowEnd = now + CLOCK_WINDOW_MS;
  }

  close() {
    const min = this.windowMin;
    this.windowMin = Infinity;
    this.firstFloor ??= min;
    if (this.floor !== null && min > this.floor + this.thresholdMs) {
      this.events += 1;
      this.lostMs += min - this.floor;
    }
    this.floor = min;
  }
}

registerProcessor('photophone-maze', MazeProcessor);
