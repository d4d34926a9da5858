// Drives photophone's page in a real headless Chromium (Debian's, through playwright-core):
// upload a photo, check that sound plays through the WebAssembly engine, that the feature
// points are drawn, that the WAV and MIDI downloads parse, that a gallery walk cross-fades
// without a click; saves a screenshot. Prints one JSON line of measurements.
// With ENGINE "server" (a server offering no WebAssembly engine) it checks that the page
// plays the server-rendered WAV instead, and skips what only the engine does.
// Usage: node page.mjs URL OUT_DIR PHOTO [ENGINE: wasm | server]
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const [url, outDir, photo, expected = 'wasm'] = process.argv.slice(2);
if (!url || !outDir || !photo) {
  console.error('usage: node page.mjs URL OUT_DIR PHOTO');
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--autoplay-policy=no-user-gesture-required', '--no-sandbox'],
});
const result = {};
const problems = [];
try {
  const page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1200, height: 1000 } });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });

  await page.goto(url);
  await page.waitForFunction(() => window.photophone?.ready);
  assert.equal(await page.evaluate(() => window.photophone.ready), true, 'page start-up');
  result.engine = await page.evaluate(() => window.photophone.engine);
  assert.equal(result.engine, expected, `the page plays through the ${expected} engine`);
  result.sampleRate = await page.evaluate(() => window.photophone.ctx.sampleRate);

  // 1. Upload a photo; the worklet starts rendering and the music is audible.
  await page.setInputFiles('#file', photo);
  await page.waitForFunction(() => window.photophone.latencyMs !== null, null, { timeout: 30000 });
  result.latencyMs = await page.evaluate(() => window.photophone.latencyMs);
  result.baseLatencyMs = await page.evaluate(() => window.photophone.ctx.baseLatency * 1000);
  const rms = await page.evaluate(async () => {
    let loudest = 0;
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 50));
      loudest = Math.max(loudest, window.photophone.currentRms());
    }
    return loudest;
  });
  result.analyserRms = rms;
  assert.ok(rms > 0.01, `the AnalyserNode hears the music (RMS ${rms})`);

  // 2. Feature points drawn as red dots over the photo; palette and decisions shown.
  await page.waitForFunction(() => window.photophone.dotsDrawn > 0, null, { timeout: 10000 });
  result.dots = await page.evaluate(() => window.photophone.dotsDrawn);
  result.redPixels = await page.evaluate(() => {
    const c = document.getElementById('photo');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] > 230 && d[i + 1] < 30 && d[i + 2] < 30) n++;
    return n;
  });
  assert.ok(result.redPixels >= 10 * Math.min(result.dots, 20), `red dots on the canvas (${result.redPixels} px for ${result.dots} points)`);
  result.paletteSwatches = await page.$$eval('#palette span', (e) => e.length);
  assert.ok(result.paletteSwatches >= 3, 'palette shown');
  const decisions = await page.$$eval('#decisions li', (e) => e.map((x) => x.textContent));
  result.decisions = decisions.length;
  for (const topic of ['key', 'tempo']) {
    assert.ok(decisions.some((d) => d.toLowerCase().includes(topic)), `a ${topic} decision is explained: ${decisions.join(' | ')}`);
  }

  // 3. Downloads parse.
  const [wavDownload] = await Promise.all([page.waitForEvent('download'), page.click('#wav')]);
  const wavPath = path.join(outDir, 'download.wav');
  await wavDownload.saveAs(wavPath);
  result.wav = parseWav(fs.readFileSync(wavPath));
  assert.equal(result.wav.channels, 2);
  assert.ok(result.wav.seconds > 29 && result.wav.seconds < 31, `30 s WAV (${result.wav.seconds})`);
  assert.ok(result.wav.rms > 0.01, `WAV not silent (${result.wav.rms})`);
  const decoded = await page.evaluate(async () => {
    const res = await fetch('/api/render?seconds=5', { method: 'POST', body: window.photophone.photo });
    const buf = await window.photophone.ctx.decodeAudioData(await res.arrayBuffer());
    const x = buf.getChannelData(0);
    return { seconds: buf.duration, rms: Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length) };
  });
  assert.ok(decoded.rms > 0.01 && Math.abs(decoded.seconds - 5) < 0.1, `the browser decodes the WAV: ${JSON.stringify(decoded)}`);
  const [midDownload] = await Promise.all([page.waitForEvent('download'), page.click('#mid')]);
  const midPath = path.join(outDir, 'download.mid');
  await midDownload.saveAs(midPath);
  result.midi = parseMidi(fs.readFileSync(midPath));
  assert.ok(result.midi.noteOns > 10, `MIDI has notes (${result.midi.noteOns})`);

  if (expected === 'wasm') {
    // 4. Pause and resume.
    await page.click('#play');
    await page.waitForFunction(() => window.photophone.ctx.state === 'suspended', null, { timeout: 5000 });
    await page.click('#play');
    await page.waitForFunction(() => window.photophone.ctx.state === 'running', null, { timeout: 5000 });

    // 5. Gallery walk: the page moves to the next photo and keeps playing.
    const before = await page.evaluate(() => window.photophone.name);
    await page.click('#walk');
    await page.waitForFunction((b) => window.photophone.name !== b && window.photophone.latencyMs !== null, before, { timeout: 20000 });
    await page.waitForTimeout(2500); // through the 2 s cross-fade
    result.walkRms = await page.evaluate(() => window.photophone.currentRms());
    assert.ok(result.walkRms > 0.005, `music continues across the walk (${result.walkRms})`);
    await page.click('#walk');

    // 6. The same engine, driven directly in the page: a photo-to-photo cross-fade has no
    // click (no sample-to-sample jump beyond what the music itself makes).
    result.crossfade = await page.evaluate(async () => {
      const glue = await import('/pkg/photophone_wasm.js');
      await glue.default({ module_or_path: window.photophone.wasmModule });
      const scores = [];
      for (const name of ['coffee', 'rocket']) {
        const photo = await (await fetch(`/gallery/${name}`)).blob();
        const res = await fetch('/api/analyze?seconds=30', { method: 'POST', body: photo });
        scores.push(new TextEncoder().encode(JSON.stringify((await res.json()).score)));
      }
      const rate = 48000;
      const engine = new glue.Engine(rate);
      engine.play(scores[0], 0);
      const left = new Float32Array(rate * 5);
      const right = new Float32Array(rate * 5);
      const l = new Float32Array(128);
      const r = new Float32Array(128);
      for (let i = 0; i < left.length / 128; i++) {
        if (i * 128 === rate * 2) engine.play(scores[1], 1.0); // switch at 2 s, 1 s fade
        engine.render(l, r);
        left.set(l, i * 128);
        right.set(r, i * 128);
      }
      const jump = (from, to) => {
        let m = 0;
        for (let i = Math.max(2, from); i < to; i++) m = Math.max(m, Math.abs(left[i] - 2 * left[i - 1] + left[i - 2]));
        return m;
      };
      const rms = (from, to) => Math.sqrt(left.slice(from, to).reduce((s, v) => s + v * v, 0) / (to - from));
      return {
        fadeJump: jump(2 * rate, 3 * rate),
        musicJump: Math.max(jump(rate, 2 * rate), jump(3 * rate, 5 * rate)),
        rmsBefore: rms(rate, 2 * rate),
        rmsAfter: rms(3 * rate, 5 * rate),
      };
    });
    const cf = result.crossfade;
    assert.ok(cf.rmsBefore > 0.01 && cf.rmsAfter > 0.01, `both photos sound: ${JSON.stringify(cf)}`);
    assert.ok(cf.fadeJump <= 1.5 * cf.musicJump, `no click in the cross-fade: ${JSON.stringify(cf)}`);
  }

  await page.screenshot({ path: path.join(outDir, 'page.png'), fullPage: true });

  // 7. A bad upload is reported in the page, not thrown.
  fs.writeFileSync(path.join(outDir, 'not-a-photo.jpg'), 'this is text, not a JPEG');
  await page.setInputFiles('#file', path.join(outDir, 'not-a-photo.jpg'));
  await page.waitForFunction(() => window.photophone.errors.length > 0, null, { timeout: 10000 });
  result.badUploadMessage = await page.evaluate(() => window.photophone.errors.at(-1));
  assert.match(result.badUploadMessage, /not an image/);

  assert.deepEqual(problems.filter((p) => !p.includes('415')), [], 'no errors in the page');
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));

function parseWav(buf) {
  assert.equal(buf.toString('ascii', 0, 4), 'RIFF');
  assert.equal(buf.toString('ascii', 8, 12), 'WAVE');
  let off = 12;
  let fmt = null;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      fmt = { format: buf.readUInt16LE(body), channels: buf.readUInt16LE(body + 2), rate: buf.readUInt32LE(body + 4), bits: buf.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      assert.ok(fmt && fmt.format === 1 && fmt.bits === 16, 'PCM 16-bit');
      assert.ok(body + size <= buf.length, 'data chunk complete');
      let sum = 0;
      const n = size / 2;
      for (let i = 0; i < n; i++) sum += (buf.readInt16LE(body + 2 * i) / 32768) ** 2;
      return { ...fmt, seconds: n / fmt.channels / fmt.rate, rms: Math.sqrt(sum / n) };
    }
    off = body + size + (size & 1);
  }
  throw new Error('WAV has no data chunk');
}

function parseMidi(buf) {
  assert.equal(buf.toString('ascii', 0, 4), 'MThd');
  const tracks = buf.readUInt16BE(10);
  let off = 14;
  let noteOns = 0;
  for (let t = 0; t < tracks; t++) {
    assert.equal(buf.toString('ascii', off, off + 4), 'MTrk', `track ${t} header`);
    const end = off + 8 + buf.readUInt32BE(off + 4);
    assert.ok(end <= buf.length, 'track complete');
    let p = off + 8;
    let status = 0;
    const varlen = () => { let v = 0; let b; do { b = buf[p++]; v = (v << 7) | (b & 0x7f); } while (b & 0x80); return v; };
    while (p < end) {
      varlen(); // delta time
      if (buf[p] & 0x80) status = buf[p++];
      if (status === 0xff) { p++; const n = varlen(); p += n; continue; } // meta
      if (status === 0xf0 || status === 0xf7) { const n = varlen(); p += n; continue; } // sysex
      const kind = status & 0xf0;
      const data = kind === 0xc0 || kind === 0xd0 ? 1 : 2;
      if (kind === 0x90 && buf[p + 1] > 0) noteOns++;
      p += data;
    }
    assert.equal(p, end, 'events end at the track end');
    off = end;
  }
  return { tracks, noteOns };
}
