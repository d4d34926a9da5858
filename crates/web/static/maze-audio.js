// The maze's sound: one AudioWorkletNode running the Rust maze engine (WebAssembly). The
// page compiles the module once and hands it to the worklet (as the single-photo page does),
// then posts the layout, each photo's score as it arrives, and the listener every frame.

const encoder = new TextEncoder();
export const bytes = (value) => encoder.encode(typeof value === 'string' ? value : JSON.stringify(value));

export class MazeAudio {
  constructor() {
    this.ctx = null;
    this.node = null;
    this.module = null;
    this.created = null;           // resolves when the engine accepted the layout
    this.stats = { left: 0, right: 0, voices: 0, underruns: 0, underrunMs: 0, wasmBytes: 0, frame: 0 };
    this.firstSoundAt = null;      // performance.now() when the first non-silent quantum came back
    this.onSound = () => {};
    this.onScored = () => {};
    this.meterLog = null;          // [left, right] pairs while a test records them
    this.pastUnderruns = { events: 0, ms: 0 }; // counted by engines since stopped
  }

  async start() {
    // 'playback': a bigger output buffer (Chromium: 23 ms instead of 10, output latency
    // ~70 ms), so a voice's graph being built on the audio thread or a busy machine does
    // not drop out; a walker does not notice 70 ms, an instrument would.
    this.ctx = new AudioContext({ latencyHint: 'playback' });
    const health = await (await fetch('/api/health')).json();
    if (!health.wasm_engine) throw new Error('this server has no WebAssembly engine (run scripts/build-wasm.sh, then rebuild)');
    this.module = await WebAssembly.compileStreaming(fetch('/pkg/photophone_wasm_bg.wasm'));
    await this.ctx.audioWorklet.addModule('/maze-worklet.js');
  }

  // A fresh engine for a maze (the old node is dropped with its voices), with the scores
  // known so far ([index, bytes] pairs).
  load(layout, scores = []) {
    this.stop();
    this.node = new AudioWorkletNode(this.ctx, 'photophone-maze', {
      numberOfInputs: 0,
      outputChannelCount: [2],
      processorOptions: { module: this.module, underrunThresholdMs: underrunThreshold(this.ctx) },
    });
    this.node.connect(this.ctx.destination);
    this.firstSoundAt = null;
    this.created = new Promise((resolve) => { this.resolveCreated = resolve; });
    this.node.port.onmessage = (event) => this.onMessage(event.data);
    this.post({ type: 'layout', json: bytes(layout), scores });
    return this.created;
  }

  onMessage(m) {
    if (m.type === 'stats') {
      this.stats = { ...m, underruns: m.underruns + this.pastUnderruns.events, underrunMs: m.underrunMs + this.pastUnderruns.ms };
      this.meterLog?.push([m.left, m.right]);
    } else if (m.type === 'sound' && this.firstSoundAt === null) {
      this.firstSoundAt = performance.now();
      this.onSound();
    } else if (m.type === 'created') {
      this.resolveCreated(m.ok);
    } else if (m.type === 'scored') {
      this.onScored(m.index, m.ok);
    }
  }

  post(message) {
    const transfer = message.json ? [message.json.buffer] : [];
    this.node?.port.postMessage(message, transfer);
  }

  // Silence until the next maze's engine starts.
  stop() {
    if (!this.node) return;
    this.post({ type: 'stop' });
    this.pastUnderruns = { events: this.stats.underruns, ms: this.stats.underrunMs };
    this.node?.disconnect();
    this.node = null;
    this.stats = { ...this.stats, left: 0, right: 0, voices: 0 };
  }

  score(index, json) { this.post({ type: 'score', index, json }); }
  listener(x, y, heading) { this.post({ type: 'listener', x, y, heading }); }

  resume() { return this.ctx?.state === 'suspended' ? this.ctx.resume() : Promise.resolve(); }

  // Chromium's own count at the output (AudioContext.playbackStats), where there is one.
  playbackStats() {
    const s = this.ctx?.playbackStats;
    return s ? { underrunEvents: s.underrunEvents, underrunDuration: s.underrunDuration, totalDuration: s.totalDuration } : null;
  }
}

// An underrun loses at least one device buffer; half of one (≥ 5 ms) is above clock jitter.
function underrunThreshold(ctx) {
  return Math.max(5, 500 * (ctx.baseLatency || 0.01));
}

// The same engine rendering a scripted walk offline (OfflineAudioContext + this worklet):
// what `photophone walk` renders natively, for comparing the two.
export async function renderWalk(module, { layout, scores, walk, seconds, sampleRate, maxVoices }) {
  const frames = Math.round(seconds * sampleRate);
  const ctx = new OfflineAudioContext(2, frames, sampleRate);
  await ctx.audioWorklet.addModule('/maze-worklet.js');
  const node = new AudioWorkletNode(ctx, 'photophone-maze', {
    numberOfInputs: 0,
    outputChannelCount: [2],
    processorOptions: {
      module,
      layout: bytes(layout),
      scores: scores.map(([i, s]) => [i, bytes(s)]),
      walk: bytes(walk),
      maxVoices,
    },
  });
  node.connect(ctx.destination);
  const buffer = await ctx.startRendering();
  return [buffer.getChannelData(0), buffer.getChannelData(1)];
}
