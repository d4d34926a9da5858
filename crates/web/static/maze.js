// photophone's photo maze: photos hung on the walls of a maze you walk through, each one
// playing its own music from where it hangs (the Rust maze engine, in an AudioWorklet).
// Photos load progressively, nearest first, a few requests at a time: each answer gives a
// photo's score to the engine and, for the nearest photos, its texture from the same decode
// on the server. Only the nearest photos are textured (GPU memory stays bounded with 2,000
// photos; far ones are released), only photos in sight are drawn.
import { MazeScene } from '/maze-scene.js';
import { MazeMap } from '/maze-map.js';
import { MazeAudio, renderWalk } from '/maze-audio.js';
import { Input } from '/maze-input.js';
import { World, forward, poseAt } from '/maze-world.js';

const $ = (id) => document.getElementById(id);
const REQUESTS_AT_ONCE = 3;     // photos asked of the server at a time (it works on 1 per core)
const ANALYSE_RADIUS_M = 28;   // photos further away wait until you come nearer (far ones are inaudible)
const TEXTURE_BUDGET = 48;     // textured photos at most (the nearest ones)
const TEXTURE_RADIUS_M = 32;
const KEEP_RADIUS_M = 40;      // a texture is released beyond this, or beyond the budget
const DRAW_RADIUS_M = 28;      // the fog's end: nothing further is drawn
const UPLOADS_PER_FRAME = 2;
const PHOTO_EXTENSIONS = /\.(png|jpe?g|gif|bmp|tiff?|webp)$/i;

const audio = new MazeAudio();
const scene = new MazeScene($('view'));
const map = new MazeMap($('map'));
const input = new Input($('view'), $('pad'));

// Everything a test (or a curious user) may read; see tools/webtest/maze.mjs.
const maze = {
  ready: false,
  error: null,
  errors: [],
  audio,
  get ctx() { return audio.ctx; },
  layout: null,
  world: null,
  photos: [],           // per photo: { file, analysis, reason, music, score, texture }
  pose: { x: 0, y: 0, heading: 0 },
  pitch: 0,
  openedAt: null,       // performance.now() when the photos were given
  marks: {},            // ms after that when each step of opening first happened
  firstSoundMs: null,
  allTexturedMs: null,
  script: null,         // a scripted walk the view follows
  frameTimes: new Float32Array(4096), // script time of the last 4,096 frames, ms
  uploadTimes: new Float32Array(4096), // of which texture uploads
  renderTimes: new Float32Array(4096), // of which three.js's render call
  frames: 0,
};
window.maze = maze;

// A line at the top; news fades after 8 s, errors stay until the next line.
let statusTimer = 0;
function status(text, isError = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', isError);
  if (isError) maze.errors.push(text);
  clearTimeout(statusTimer);
  if (!isError) statusTimer = setTimeout(() => { $('status').textContent = ''; }, 8000);
}

// ---- Where photos come from: dropped files, or the server's folder -------------------

async function fail(res) {
  let message = `${res.status} ${res.statusText}`;
  try { message = (await res.json()).message || message; } catch (_) { /* not JSON */ }
  throw new Error(message);
}

async function json(url, init) {
  const res = await fetch(url, init);
  if (!res.ok) await fail(res);
  return res.json();
}

async function bitmap(url, init) {
  const res = await fetch(url, init);
  if (!res.ok) await fail(res);
  return decodeTexture(await res.blob());
}

const decodeTexture = (blob) => createImageBitmap(blob, { imageOrientation: 'from-image' });

// A photo's analysis, and its texture when asked for (then the answer is multipart).
async function heard(url, init) {
  const res = await fetch(url, init);
  if (!res.ok) await fail(res);
  if (!res.headers.get('content-type')?.startsWith('multipart/')) return { analysis: await res.json(), texture: null };
  const form = await res.formData();
  return { analysis: JSON.parse(form.get('analysis')), texture: await decodeTexture(form.get('texture')) };
}

// Each photo's score as `photophone walk` composes it: ambient, the maze's seed, and the
// length the server names (the engine loops it).
let scoreSeconds = 60;
const photoQuery = (texture) => `style=ambient&seed=${maze.layout?.seed ?? 0}&seconds=${scoreSeconds}&texture=${texture}`;

function droppedSource(files) {
  const names = files.map((f) => f.name);
  const empty = (f) => (f.size === 0 ? Promise.reject(new Error('file is empty')) : null);
  return {
    title: 'Your photos',
    layout: (seed) => json(`/api/maze/layout?seed=${seed}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ files: names }),
    }),
    photo: (i, texture) => empty(files[i]) ?? heard(`/api/maze/photo?${photoQuery(texture)}`, { method: 'POST', body: files[i] }),
    texture: (i) => empty(files[i]) ?? bitmap('/api/texture', { method: 'POST', body: files[i] }),
  };
}

function folderSource() {
  let title = 'the server\'s folder';
  return {
    get title() { return title; },
    layout: async (seed) => {
      const answer = await json(`/api/maze/folder?seed=${seed}`);
      title = answer.folder;
      return answer.layout;
    },
    photo: (i, texture) => heard(`/api/maze/folder/photo/${i}?${photoQuery(texture)}`),
    texture: (i) => bitmap(`/api/maze/folder/texture/${i}`),
  };
}

// ---- Opening a maze ------------------------------------------------------------------

let source = null;
let generation = 0; // bumped per maze: answers for an older maze are dropped

async function open(newSource) {
  const mine = ++generation;
  source = newSource;
  maze.openedAt = performance.now();
  maze.firstSoundMs = maze.allTexturedMs = null;
  maze.marks = {};
  audio.resume();
  status('Building the maze…');
  let layout;
  try {
    layout = await source.layout(seed());
  } catch (e) {
    status(e.message, true);
    return;
  }
  if (mine !== generation) return;
  mark('layout');
  build(layout);
  mark('built');
  $('start').hidden = true;
  $('hud').hidden = false;
  $('view').focus();
  const n = layout.photos.length;
  // A page opened without a click may not play sound yet (browsers' autoplay rule).
  const silent = audio.ctx?.state === 'suspended' ? ' Click anywhere to start the sound.' : '';
  status(`${source.title}: a ${layout.columns}×${layout.rows} maze of ${n} photo${n === 1 ? '' : 's'}. Click or drag to look around; W A S D, the arrows or the pad to walk.${silent}`);
}

function build(layout) {
  maze.layout = layout;
  maze.world = new World(layout);
  maze.photos = layout.photos.map((p, index) => ({
    index, file: p.file, x: p.x, y: p.y,
    analysis: 'waiting', reason: null, music: null, score: null,
    texture: 'none', // 'none' | 'loading' | 'shown' | 'failed'
  }));
  busy = 0; // answers for the old maze no longer count
  slowWork = 0; // plan at once
  maze.engineStarted = false;
  audio.stop();
  maze.pose = { ...layout.start };
  maze.pitch = 0;
  scene.build(layout);
  map.build(layout);
  for (const { image } of pending.splice(0)) image?.close();
}

// When a step of opening the maze first happened, in ms after the photos were given.
function mark(name) {
  maze.marks[name] ??= Math.round(performance.now() - maze.openedAt);
}

function seed() {
  return Math.max(0, Math.floor(Number($('seed').value) || 0));
}

const encode = (s) => new TextEncoder().encode(s);

// ---- Progressive loading: nearest first, analyses and textures from one pool ------------

let busy = 0;       // requests in flight for this maze
const pending = []; // textures decoded (or reasons), waiting for a frame to upload them

// Each photo's distance from you, measured once per plan.
function measure() {
  for (const p of maze.photos) p.d = Math.hypot(p.x - maze.pose.x, p.y - maze.pose.y);
}

function nearest(photos, accept) {
  let best = null;
  for (const p of photos) if (accept(p) && (!best || p.d < best.d)) best = p;
  return best;
}

let wanted = new Set(); // the photos that should have a texture now

// Every 200 ms: distances, which photos want textures, which textures go.
function plan() {
  measure();
  wanted = texturesWanted();
  releaseFar(wanted);
}

// Every frame: at most one new request (starting a fetch costs ~0.5 ms, up to 3 ms), for
// the nearest photo that needs its analysis or its texture.
function request() {
  // The first photo alone, so nothing slows the first sound down.
  const limit = maze.marks.firstAnswer === undefined ? 1 : REQUESTS_AT_ONCE;
  if (busy >= limit) return;
  const needs = (p) => (p.analysis === 'waiting' && p.d < ANALYSE_RADIUS_M) || (p.texture === 'none' && wanted.has(p));
  const p = nearest(maze.photos, needs);
  if (!p) return;
  if (p.analysis === 'waiting') analyse(p, wanted.has(p) && p.texture === 'none', generation);
  else if (p.analysis === 'failed') showFailure(p);
  else loadTexture(p, generation);
}

// The nearest photos, up to the budget, within the radius.
function texturesWanted() {
  const near = maze.photos.filter((p) => p.d < TEXTURE_RADIUS_M);
  if (near.length > TEXTURE_BUDGET) near.sort((a, b) => a.d - b.d).length = TEXTURE_BUDGET;
  return new Set(near);
}

// Textures of photos no longer wanted go once they are far, or once over the budget.
function releaseFar(wanted) {
  let held = maze.photos.reduce((n, p) => n + (p.texture === 'shown' || p.texture === 'failed'), 0);
  for (const p of maze.photos) {
    if ((p.texture !== 'shown' && p.texture !== 'failed') || wanted.has(p)) continue;
    if (p.d < KEEP_RADIUS_M && held <= TEXTURE_BUDGET) continue;
    scene.release(p.index);
    p.texture = 'none';
    held--;
  }
}

// One request: the photo's analysis (its score goes to the engine), and its texture too
// when it is wanted now (both from one decode on the server).
async function analyse(p, withTexture, mine) {
  p.analysis = 'analysing';
  if (withTexture) p.texture = 'loading';
  busy++;
  try {
    const { analysis, texture } = await source.photo(p.index, withTexture);
    if (mine !== generation) return texture?.close();
    const { report, score } = analysis;
    p.music = { decisions: report.music.decisions, layers: report.music.layers };
    p.score = JSON.stringify(score);
    p.analysis = 'heard';
    play(p);
    mark('firstScore');
    if (texture) pending.push({ p, image: texture });
  } catch (e) {
    if (mine !== generation) return;
    p.analysis = 'failed';
    p.reason = e.message;
    if (withTexture) pending.push({ p, reason: p.reason });
  } finally {
    if (mine === generation) busy--;
    mark('firstAnswer');
    map.dirty = true;
  }
}

// The engine starts with the first score: its beat grid then starts with that photo's
// music, which plays at once instead of waiting for the next beat of an engine that had
// nothing to play.
function play(p) {
  if (!audio.module) return;
  if (maze.engineStarted) {
    audio.score(p.index, encode(p.score));
    return;
  }
  maze.engineStarted = true;
  audio.load(maze.layout, [[p.index, encode(p.score)]]).then((ok) => {
    if (!ok) status('The audio engine refused this maze.', true);
  });
}

// A photo that could not be read shows why on its wall (no request needed).
function showFailure(p) {
  p.texture = 'loading';
  pending.push({ p, reason: p.reason });
}

async function loadTexture(p, mine) {
  p.texture = 'loading';
  busy++;
  try {
    const image = await source.texture(p.index);
    if (mine === generation) pending.push({ p, image });
    else image.close();
  } catch (e) {
    if (mine === generation) pending.push({ p, reason: (p.reason ??= e.message) });
  } finally {
    if (mine === generation) busy--;
  }
}

// Decoded textures go to the GPU a few per frame, so no frame stalls on a burst of them;
// one no longer wanted (you walked on) is dropped, so the budget holds at every frame.
function upload() {
  for (let n = 0; n < UPLOADS_PER_FRAME && pending.length; n++) {
    const { p, image, reason } = pending.shift();
    if (!wanted.has(p)) {
      image?.close();
      p.texture = 'none';
    } else if (image) {
      scene.showPhoto(p.index, image);
      p.texture = 'shown';
    } else {
      scene.showError(p.index, p.file, reason);
      p.texture = 'failed';
    }
    map.dirty = true;
    releaseFar(wanted);
  }
  if (maze.allTexturedMs === null && maze.photos.length && maze.photos.every((p) => p.texture === 'shown' || p.texture === 'failed')) {
    maze.allTexturedMs = performance.now() - maze.openedAt;
  }
}

function mapState(i) {
  const p = maze.photos[i];
  if (p.analysis === 'failed') return 'failed';
  if (p.texture === 'shown') return 'textured';
  return p.analysis === 'heard' ? 'heard' : 'waiting';
}

// ---- The frame: move, tell the engine where you are, draw ---------------------------

let last = performance.now();
let slowWork = 0;
let drawn = ''; // the view last drawn
const SLOW_WORK = [() => plan(), () => cull(), () => showFacing()];
let slowStep = SLOW_WORK.length;

function frame(now) {
  requestAnimationFrame(frame);
  const start = performance.now();
  const dt = Math.min(0.1, Math.max(0, (now - last) / 1000));
  last = now;
  if (!maze.layout) return;
  move(dt);
  const slot = maze.frames % maze.frameTimes.length;
  let t = performance.now();
  upload();
  maze.uploadTimes[slot] = performance.now() - t;
  const { x, y, heading } = maze.pose;
  audio.listener(x, y, heading);
  // Five times a second: plan, cull, name the photo in front, one step per frame.
  if (now - slowWork > 200) {
    slowWork = now;
    slowStep = 0;
  }
  if (slowStep < SLOW_WORK.length) SLOW_WORK[slowStep++]();
  request();
  map.draw(x, y, heading, mapState);
  meters();
  t = performance.now();
  // Drawn only when something changed: a still view costs no drawing (nor battery).
  const view = `${x} ${y} ${heading} ${maze.pitch} ${scene.version}`;
  if (view !== drawn) {
    drawn = view;
    scene.render(x, y, heading, maze.pitch);
  }
  const end = performance.now();
  maze.renderTimes[slot] = end - t;
  maze.frameTimes[slot] = end - start;
  maze.frames++;
}

// Draw only photos near enough and not behind walls: a maze hides most of its photos, and
// three.js would otherwise draw every one in the view's direction.
function cull() {
  const { x, y } = maze.pose;
  const layout = maze.layout;
  scene.cull((i) => maze.photos[i].d < DRAW_RADIUS_M && maze.world.inSight(x, y, layout.photos[i]), x, y, DRAW_RADIUS_M);
}

function move(dt) {
  const intent = input.take(dt);
  const pose = maze.pose;
  if (maze.script) {
    scripted();
  } else {
    pose.heading = (((pose.heading + intent.yaw) % 360) + 360) % 360;
    const [fx, fy] = forward(pose.heading);
    const dx = fx * intent.forward + fy * intent.right;
    const dy = fy * intent.forward - fx * intent.right;
    if (dx || dy) [pose.x, pose.y] = maze.world.move(pose.x, pose.y, dx, dy);
  }
  maze.pitch = Math.max(-60, Math.min(60, maze.pitch + intent.pitch));
}

// A walk file's poses in real time (walls do not stop a script; the engine hears them).
function scripted() {
  const s = maze.script;
  const t = (performance.now() - s.start) / 1000;
  Object.assign(maze.pose, poseAt(s.keys, t));
  if (t >= s.keys[s.keys.length - 1].t) {
    maze.script = null;
    s.done();
  }
}

// The ears' levels as bars over the top 40 dB (a transform: no layout per frame).
let meterShown = '';
function meters() {
  const bar = (rms) => Math.max(0, Math.min(1, 1 + (20 * Math.log10(rms + 1e-9)) / 40)).toFixed(3);
  const shown = `${bar(audio.stats.left)} ${bar(audio.stats.right)}`;
  if (shown === meterShown) return;
  meterShown = shown;
  const [l, r] = shown.split(' ');
  $('meter-left').style.transform = `scaleX(${l})`;
  $('meter-right').style.transform = `scaleX(${r})`;
}

// ---- The photo in front of you, and what photophone heard in it -----------------------

let facing = null;

function showFacing() {
  const i = maze.world.facingPhoto(maze.pose.x, maze.pose.y, maze.pose.heading);
  if (i === facing) return;
  facing = i;
  $('photo-name').textContent = i === null ? '' : maze.photos[i].file;
  $('info-button').hidden = i === null;
  if (!$('info').hidden) showInfo();
}

function showInfo() {
  const p = facing === null ? null : maze.photos[facing];
  $('info-title').textContent = p ? p.file : 'Face a photo to see what photophone heard in it.';
  const items = [];
  const li = (topic, value, because) => {
    const e = document.createElement('li');
    const b = document.createElement('b');
    b.textContent = `${topic}: ${value}`;
    e.append(b, document.createTextNode(because ? ` — ${because}` : ''));
    items.push(e);
  };
  if (p?.music) {
    li('Layers', p.music.layers.join(', '), '');
    for (const d of p.music.decisions) li(d.topic, d.value, d.because);
  } else if (p?.reason) {
    li('Not playing', p.reason, '');
  } else if (p) {
    li('Listening', 'not analysed yet', 'photos are analysed nearest first');
  }
  $('decisions').replaceChildren(...items);
}

function toggleInfo() {
  $('info').hidden = !$('info').hidden;
  if (!$('info').hidden) showInfo();
}

// ---- Dropping, picking, opening ----------------------------------------------------------

// Files dropped or picked one by one are all kept (a bad one becomes a placeholder with
// its reason); inside folders only image files count. Sorted by path, so the same photos
// and seed give the same maze.
async function collect(dataTransfer) {
  const entries = [...dataTransfer.items].map((item) => item.webkitGetAsEntry?.()).filter(Boolean);
  if (!entries.length) return [...dataTransfer.files].map((file) => ({ file, path: file.name }));
  const out = [];
  for (const entry of entries) await walkEntry(entry, '', out, true);
  return out;
}

async function walkEntry(entry, prefix, out, topLevel) {
  const path = prefix + entry.name;
  if (entry.isFile) {
    if (topLevel || (PHOTO_EXTENSIONS.test(entry.name) && !entry.name.startsWith('.'))) {
      out.push({ file: await new Promise((ok, no) => entry.file(ok, no)), path });
    }
    return;
  }
  const reader = entry.createReader();
  for (;;) {
    const batch = await new Promise((ok, no) => reader.readEntries(ok, no));
    if (!batch.length) break;
    for (const child of batch) await walkEntry(child, `${path}/`, out, false);
  }
}

function openFiles(items) {
  if (!items.length) {
    status('No photos there: drop image files (JPEG, PNG, GIF, BMP, TIFF, WebP) or a folder of them.', true);
    return;
  }
  items.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  open(droppedSource(items.map((i) => i.file)));
}

function fromInput(inputElement, folder) {
  const files = [...inputElement.files]
    .filter((f) => !folder || (PHOTO_EXTENSIONS.test(f.name) && !f.name.startsWith('.')))
    .map((file) => ({ file, path: file.webkitRelativePath || file.name }));
  inputElement.value = '';
  openFiles(files);
}

function wire() {
  const drop = $('drop');
  for (const target of [drop, $('view')]) {
    target.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
    target.addEventListener('dragleave', () => drop.classList.remove('over'));
    target.addEventListener('drop', async (e) => {
      e.preventDefault();
      drop.classList.remove('over');
      openFiles(await collect(e.dataTransfer));
    });
  }
  $('pick-files').onclick = () => $('files').click();
  $('pick-folder').onclick = () => $('folder').click();
  $('files').addEventListener('change', () => fromInput($('files'), false));
  $('folder').addEventListener('change', () => fromInput($('folder'), true));
  $('open-folder').onclick = () => open(folderSource());
  $('seed').onchange = () => { if (source) open(source); };
  $('restart').onclick = () => { $('start').hidden = false; };
  $('info-button').onclick = toggleInfo;
  input.onInfo = toggleInfo;
  const resize = () => scene.resize(window.innerWidth, window.innerHeight);
  window.addEventListener('resize', resize);
  resize();
  // Browsers start audio only after a gesture: any click, key or touch resumes it.
  for (const kind of ['pointerdown', 'keydown', 'touchstart']) window.addEventListener(kind, () => audio.resume(), { passive: true });
  audio.onSound = () => { maze.firstSoundMs = audio.firstSoundAt - maze.openedAt; };
}

// ---- For tests and measurements ----------------------------------------------------------

// Follows a walk file's keys in real time; resolves at its end.
maze.walk = (keys) => new Promise((done) => { maze.script = { keys, start: performance.now(), done }; });

maze.setPose = (x, y, heading) => Object.assign(maze.pose, { x, y, heading });

// Median, 95th percentile and most of the script time per frame (and of its two big parts)
// over the last 4,096 frames since the last reset.
maze.frameStats = () => {
  const n = Math.min(maze.frames, maze.frameTimes.length);
  const stats = (array) => {
    const times = [...array.slice(0, n)].sort((a, b) => a - b);
    const q = (f) => times[Math.min(n - 1, Math.floor(f * n))] ?? 0;
    return { medianMs: q(0.5), p95Ms: q(0.95), maxMs: times[n - 1] ?? 0 };
  };
  return { frames: maze.frames, counted: n, ...stats(maze.frameTimes), upload: stats(maze.uploadTimes), render: stats(maze.renderTimes) };
};
maze.resetFrameStats = () => { maze.frames = 0; };

maze.counts = () => {
  const c = { photos: maze.photos.length, heard: 0, failed: 0, textured: 0, placeholders: 0, textureBytes: scene.textureBytes };
  for (const p of maze.photos) {
    c.heard += p.analysis === 'heard';
    c.failed += p.analysis === 'failed';
    c.textured += p.texture === 'shown';
    c.placeholders += p.texture === 'failed';
  }
  return c;
};

maze.reasons = () => maze.photos.filter((p) => p.reason).map((p) => ({ file: p.file, reason: p.reason }));

maze.renderWalk = (walk, seconds, sampleRate = 48000, maxVoices = undefined) => renderWalk(audio.module, {
  layout: maze.layout,
  scores: maze.photos.filter((p) => p.score).map((p) => [p.index, p.score]),
  walk, seconds, sampleRate, maxVoices,
});

maze.memory = async () => {
  const m = { jsHeap: performance.memory?.usedJSHeapSize ?? null, wasm: audio.stats.wasmBytes, gpuTextures: scene.textureBytes };
  if (self.crossOriginIsolated && performance.measureUserAgentSpecificMemory) {
    m.userAgent = (await performance.measureUserAgentSpecificMemory()).bytes;
  }
  return m;
};

maze.underruns = () => ({ worklet: audio.stats.underruns, workletLostMs: audio.stats.underrunMs, playback: audio.playbackStats() });

maze.openFolder = () => open(folderSource());

maze.cameraPosition = () => scene.camera.position.toArray();

// What the last frame drew (draw calls, triangles) and what the GPU holds (textures).
maze.renderInfo = () => ({ ...scene.renderer.info.render, ...scene.renderer.info.memory });

// Pixel statistics of a frame drawn now: [r, g, b] means and luminance spread, over the
// whole view and its centre third (a WebGL canvas can only be read in the task that drew it).
maze.snapshot = () => {
  const { x, y, heading } = maze.pose;
  scene.render(x, y, heading, maze.pitch);
  const canvas = $('view');
  const copy = new OffscreenCanvas(canvas.width, canvas.height);
  const g = copy.getContext('2d');
  g.drawImage(canvas, 0, 0);
  const w = canvas.width;
  const h = canvas.height;
  const region = (x0, y0, x1, y1) => pixelStats(g.getImageData(x0, y0, x1 - x0, y1 - y0).data);
  return { width: w, height: h, whole: region(0, 0, w, h), centre: region(w / 3, h / 3, (2 * w) / 3, (2 * h) / 3) };
};

function pixelStats(d) {
  const n = d.length / 4;
  const sum = [0, 0, 0];
  let lum = 0;
  let lum2 = 0;
  const colours = new Set();
  for (let i = 0; i < d.length; i += 4) {
    sum[0] += d[i]; sum[1] += d[i + 1]; sum[2] += d[i + 2];
    const l = 0.2126 * d[i] + 0.7152 * d[i + 1] + 0.0722 * d[i + 2];
    lum += l;
    lum2 += l * l;
    colours.add(((d[i] >> 3) << 10) | ((d[i + 1] >> 3) << 5) | (d[i + 2] >> 3));
  }
  const mean = lum / n;
  return { mean: sum.map((v) => v / n), lumaStd: Math.sqrt(Math.max(0, lum2 / n - mean * mean)), colours: colours.size };
}

// A photo's own mean colour (from its texture), to compare with what the view shows.
maze.textureMean = (index) => {
  const image = scene.photos[index]?.texture?.image;
  if (!image) return null;
  const c = new OffscreenCanvas(64, 48);
  const g = c.getContext('2d');
  g.drawImage(image, 0, 0, 64, 48);
  return pixelStats(g.getImageData(0, 0, 64, 48).data).mean;
};
maze.contextLost = () => scene.contextLost;

// ---- Start -----------------------------------------------------------------------------

async function start() {
  wire();
  requestAnimationFrame(frame);
  try {
    await audio.start();
  } catch (e) {
    status(`Sound is off: ${e.message}`, true);
  }
  const health = await json('/api/health');
  $('open-folder').hidden = !health.maze_folder;
  scoreSeconds = health.maze_score_seconds ?? scoreSeconds;
  maze.ready = true;
  if (health.maze_folder && !new URLSearchParams(location.search).has('drop')) open(folderSource());
}

start().catch((e) => {
  maze.error = e.message;
  status(`Start-up failed: ${e.message}`, true);
});
