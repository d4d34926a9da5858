// The maze engine's cost per 128-frame quantum at 48 kHz as WebAssembly in Chromium, for N
// voices playing at once: the same ring of photos 6 m around the listener as
// crates/maze/examples/maze_cost.rs (the native figures), the same real photos' scores
// (composed by the server's /api/analyze). Timed on the page's main thread, which runs the
// same WebAssembly as the AudioWorklet (an AudioWorklet cannot be timed from outside).
// Usage: node tools/webtest/maze_cost.mjs URL PHOTO_DIR [VOICES…]   (bench/maze.sh starts the server)
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

const [url, photoDir, ...counts] = process.argv.slice(2);
const voices = counts.length ? counts.map(Number) : [8, 32, 64];
const photos = fs.readdirSync(photoDir).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  const page = await browser.newPage();
  await page.goto(url);
  const scores = [];
  for (const f of photos) {
    const bytes = fs.readFileSync(path.join(photoDir, f));
    const r = await fetch(`${url}api/analyze?seconds=30&seed=0`, { method: 'POST', body: bytes });
    if (r.ok) scores.push(JSON.stringify((await r.json()).score));
  }
  for (const n of voices) {
    const result = await page.evaluate(async ({ n, scores }) => {
      const wasm = await import('/pkg/photophone_wasm.js');
      await wasm.default();
      const ring = Array.from({ length: n }, (_, i) => {
        const a = (i / n) * 2 * Math.PI;
        return { file: `${i}.jpg`, x: 16 + 6 * Math.sin(a), y: 16 + 6 * Math.cos(a), facing: 0, width_m: 1.6, height_m: 1.2, centre_height_m: 1.6 };
      });
      const w = (x0, y0, x1, y1) => ({ x0, y0, x1, y1 });
      const layout = { seed: 0, cell_m: 4, columns: 8, rows: 8, wall_height_m: 3,
        walls: [w(0, 0, 32, 0), w(0, 0, 0, 32), w(0, 32, 32, 32), w(32, 0, 32, 32)],
        start: { x: 16, y: 16, heading: 0 }, photos: ring };
      const enc = new TextEncoder();
      const engine = wasm.MazeEngine.create(48000, enc.encode(JSON.stringify(layout)));
      engine.set_max_voices(n);
      for (let i = 0; i < n; i++) engine.set_score(i, enc.encode(scores[i % scores.length]));
      const l = new Float32Array(128), r = new Float32Array(128);
      for (let q = 0; q < 3750; q++) { engine.set_listener(16, 16, (q * 0.05) % 360); engine.render(l, r); }
      const times = [];
      for (let q = 0; q < 3000; q++) {
        engine.set_listener(16, 16, (q * 0.05) % 360);
        const t = performance.now();
        engine.render(l, r);
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      return { voices: engine.active_voices(), median: times[1500], p95: times[2850] };
    }, { n, scores });
    console.log(`${String(n).padStart(6)}  ${result.median.toFixed(3)}, ${result.p95.toFixed(3)} ms  (${result.voices} voices playing; half a quantum is 1.33 ms)`);
  }
} finally {
  await browser.close();
}
