// photophone's page: send the photo to the server once for analysis, then play the score
// in the page with the WebAssembly engine inside an AudioWorklet (no server round trip per
// block). Without the engine (a server built without it), it plays the server's WAV.
const $ = (id) => document.getElementById(id);

const state = {
  photo: null,          // the chosen photo (Blob) and its name
  name: '',
  ctx: null,            // AudioContext, AnalyserNode, AudioWorkletNode (or fallback source)
  analyser: null,
  node: null,
  source: null,
  engine: 'none',       // 'wasm' | 'server'
  wasmModule: null,
  report: null,
  score: null,
  chosenAt: 0,          // performance.now() when the current photo was chosen
  latencyMs: null,      // chosen → first block rendered by the engine
  dotsDrawn: 0,
  walking: null,
  requestId: 0,
  errors: [],
};
window.photophone = state;

function params() {
  const q = new URLSearchParams({
    style: $('style').value,
    seed: String(Math.max(0, Math.floor(Number($('seed').value) || 0))),
    seconds: String(Math.min(300, Math.max(1, Number($('seconds').value) || 30))),
  });
  return q.toString();
}

function status(text, isError = false) {
  $('status').textContent = text;
  $('status').style.color = isError ? '#ff7b6b' : '';
  if (isError) state.errors.push(text);
}

async function post(path, blob) {
  const res = await fetch(`${path}?${params()}`, { method: 'POST', body: blob });
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try { message = (await res.json()).message || message; } catch (_) { /* not JSON */ }
    throw new Error(message);
  }
  return res;
}

// Audio graph: engine → analyser → speakers. Built once; the WebAssembly module is compiled
// at page load so a dropped photo only waits for the server's analysis.
async function setUpAudio() {
  const health = await (await fetch('/api/health')).json();
  state.ctx = new AudioContext({ latencyHint: 'interactive' });
  state.analyser = state.ctx.createAnalyser();
  state.analyser.fftSize = 2048;
  state.analyser.smoothingTimeConstant = 0;
  state.analyser.connect(state.ctx.destination);
  if (health.wasm_engine) {
    try {
      state.wasmModule = await WebAssembly.compileStreaming(fetch('/pkg/photophone_wasm_bg.wasm'));
      await state.ctx.audioWorklet.addModule('/worklet.js');
      state.node = new AudioWorkletNode(state.ctx, 'photophone', {
        numberOfInputs: 0,
        outputChannelCount: [2],
        processorOptions: { module: state.wasmModule },
      });
      state.node.port.onmessage = onEngineMessage;
      state.node.connect(state.analyser);
      state.engine = 'wasm';
    } catch (e) {
      console.error(e);
      state.engine = 'server';
    }
  } else {
    state.engine = 'server';
  }
  $('engine').textContent = state.engine === 'wasm'
    ? `On-the-fly engine: Rust synthesis compiled to WebAssembly, running in an AudioWorklet at ${state.ctx.sampleRate} Hz.`
    : 'On-the-fly engine unavailable (server built without it): playing server-rendered audio.';
}

function onEngineMessage(event) {
  const m = event.data;
  if (m.type === 'rendering' && state.latencyMs === null) {
    state.latencyMs = performance.now() - state.chosenAt;
    status(`Playing ${state.name}: sound started ${Math.round(state.latencyMs)} ms after the photo was chosen.`);
  }
  if (m.type === 'accepted' && !m.ok) status('The engine refused the score.', true);
}

async function choose(blob, name, fadeSeconds = 1.5) {
  const id = ++state.requestId;
  state.chosenAt = performance.now();
  state.latencyMs = null;
  status(`Listening to ${name}…`);
  if (state.ctx.state === 'suspended') await state.ctx.resume();
  drawPhoto(blob, id); // in parallel with the analysis: the picture is not on the audio path
  try {
    const res = await post('/api/analyze', blob);
    const { report, score } = await res.json();
    if (id !== state.requestId) return; // a newer photo was chosen meanwhile
    // Only a photo the server could read replaces the current one.
    state.photo = blob;
    state.name = name;
    state.report = report;
    state.score = score;
    await play(score, fadeSeconds);
    showReport(report);
    $('play').disabled = false;
    $('play').textContent = 'Pause';
    $('wav').disabled = false;
    $('mid').disabled = false;
  } catch (e) {
    if (id === state.requestId) status(`${name}: ${e.message}`, true);
  }
}

async function play(score, fadeSeconds) {
  if (state.engine === 'wasm') {
    const json = new TextEncoder().encode(JSON.stringify(score));
    state.node.port.postMessage({ type: 'score', json, fade: fadeSeconds, id: state.requestId }, [json.buffer]);
    return;
  }
  // Fallback: the server renders the whole piece.
  const res = await post('/api/render', state.photo);
  const buffer = await state.ctx.decodeAudioData(await res.arrayBuffer());
  if (state.source) state.source.stop();
  state.source = state.ctx.createBufferSource();
  state.source.buffer = buffer;
  state.source.connect(state.analyser);
  state.source.start();
  state.latencyMs = performance.now() - state.chosenAt;
  status(`Playing ${state.name} (server-rendered): started ${Math.round(state.latencyMs)} ms after the photo was chosen.`);
}

// The photo, scaled to the canvas, with the feature points as red dots (the seed's figure).
async function drawPhoto(blob, id) {
  const canvas = $('photo');
  const g = canvas.getContext('2d');
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch (_) {
    return; // not an image the browser can show; the server's error says why
  }
  if (id !== state.requestId) return;
  state.bitmap = bitmap;
  state.bitmapOf = blob;
  state.dotsDrawn = 0;
  const scale = Math.min(canvas.width / bitmap.width, canvas.height / bitmap.height);
  state.view = {
    scale,
    x: (canvas.width - bitmap.width * scale) / 2,
    y: (canvas.height - bitmap.height * scale) / 2,
  };
  g.fillStyle = '#0c0c0e';
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.drawImage(bitmap, state.view.x, state.view.y, bitmap.width * scale, bitmap.height * scale);
  // Dots once this photo's report is in (drawn by showReport if it arrives later).
  if (state.report && state.photo === blob) drawDots(state.report);
}

function featurePoints(report) {
  return report.music.style === 'classic' ? report.classic.feature_pixels : report.analysis.features;
}

function drawDots(report) {
  const v = state.view;
  if (!v || !state.bitmap || state.bitmapOf !== state.photo) return; // picture not drawn yet
  // Points are in the photo's pixel coordinates; the bitmap may be the same size or not
  // (EXIF rotation is applied by both sides).
  const sx = (state.bitmap.width / report.photo.width) * v.scale;
  const sy = (state.bitmap.height / report.photo.height) * v.scale;
  const g = $('photo').getContext('2d');
  g.fillStyle = '#ff0000';
  const points = featurePoints(report);
  for (const p of points) {
    g.beginPath();
    g.arc(v.x + p.x * sx, v.y + p.y * sy, 2.5, 0, 2 * Math.PI);
    g.fill();
  }
  state.dotsDrawn = points.length;
}

function showReport(report) {
  const a = report.analysis;
  const m = report.music;
  $('caption').textContent =
    `${report.photo.width}×${report.photo.height} px · ${featurePoints(report).length} feature points · ` +
    `luminance ${a.luminance.mean.toFixed(2)} · warmth ${a.colour.warmth.toFixed(2)} · contrast ${a.texture.contrast.toFixed(2)}`;
  const palette = $('palette');
  palette.replaceChildren(...a.palette.map((c) => {
    const s = document.createElement('span');
    s.style.background = c.hex;
    s.style.flex = String(c.weight);
    s.title = `${c.hex} · ${(c.weight * 100).toFixed(0)} %`;
    return s;
  }));
  const items = [];
  const li = (topic, value, because) => {
    const e = document.createElement('li');
    const b = document.createElement('b');
    b.textContent = `${topic}: ${value}`;
    e.append(b, document.createTextNode(because ? ` — ${because}` : ''));
    items.push(e);
  };
  if (m.style === 'ambient') {
    li('Style', 'ambient', 'photophone\'s mapping');
    li('Layers', m.layers.join(', '), '');
  } else {
    li('Style', 'classic', `the 2014 mapping: one sine per FAST corner (threshold ${report.classic.threshold})`);
  }
  for (const d of m.decisions) li(d.topic, d.value, d.because);
  $('decisions').replaceChildren(...items);
  if (state.bitmap) drawDots(report);
}

// The analyser's last window of samples, into one buffer reused every frame.
let scopeTime = null;
let scopeBins = null;
function analyserTime() {
  scopeTime ??= new Float32Array(state.analyser.fftSize);
  state.analyser.getFloatTimeDomainData(scopeTime);
  return scopeTime;
}

// Live waveform and scrolling spectrogram of what the analyser hears.
function drawScopes() {
  requestAnimationFrame(drawScopes);
  if (!state.analyser) return;
  const wave = $('wave');
  const gw = wave.getContext('2d');
  const time = analyserTime();
  gw.fillStyle = '#0c0c0e';
  gw.fillRect(0, 0, wave.width, wave.height);
  gw.strokeStyle = '#6fd3ff';
  gw.beginPath();
  for (let i = 0; i < wave.width; i++) {
    const v = time[Math.floor((i * time.length) / wave.width)];
    const y = (0.5 - v * 0.5) * wave.height;
    if (i === 0) gw.moveTo(i, y); else gw.lineTo(i, y);
  }
  gw.stroke();
  const spec = $('spectrogram');
  const gs = spec.getContext('2d');
  gs.drawImage(spec, -1, 0);
  scopeBins ??= new Uint8Array(state.analyser.frequencyBinCount);
  const bins = scopeBins;
  state.analyser.getByteFrequencyData(bins);
  for (let y = 0; y < spec.height; y++) {
    // Log frequency axis, low at the bottom.
    const f = Math.pow(bins.length, 1 - y / spec.height);
    const v = bins[Math.min(bins.length - 1, Math.floor(f))];
    gs.fillStyle = `rgb(${v}, ${Math.floor(v * 0.55)}, ${Math.floor(30 + v * 0.5)})`;
    gs.fillRect(spec.width - 1, y, 1, 1);
  }
}

// Loudness of what is playing now (RMS of the analyser's last window), for tests and the UI.
state.currentRms = () => {
  if (!state.analyser) return 0;
  const time = analyserTime();
  return Math.sqrt(time.reduce((s, v) => s + v * v, 0) / time.length);
};

async function download(path, filename) {
  if (!state.photo) return;
  try {
    const res = await post(path, state.photo);
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = `${state.name.replace(/[^\w.-]+/g, '_') || 'photophone'}${filename}`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (e) {
    status(`Download failed: ${e.message}`, true);
  }
}

let gallery = [];
async function loadGallery() {
  gallery = await (await fetch('/api/gallery')).json();
  $('gallery').replaceChildren(...gallery.map((g) => {
    const b = document.createElement('button');
    b.title = `${g.title} (${g.credit})`;
    b.dataset.name = g.name;
    const img = document.createElement('img');
    img.src = g.url;
    img.alt = g.title;
    b.append(img);
    b.onclick = async () => choose(await (await fetch(g.url)).blob(), g.name);
    return b;
  }));
}

// The maze's use case: walking from photo to photo cross-fades the music.
async function walk() {
  if (state.walking) {
    clearInterval(state.walking);
    state.walking = null;
    $('walk').textContent = 'Gallery walk';
    return;
  }
  $('walk').textContent = 'Stop walking';
  let i = 0;
  const step = async () => {
    const g = gallery[i++ % gallery.length];
    await choose(await (await fetch(g.url)).blob(), g.name, 2.0);
  };
  await step();
  state.walking = setInterval(step, 8000);
}

function wire() {
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer.files[0];
    if (f) choose(f, f.name.replace(/\.[^.]*$/, ''));
  });
  $('file').addEventListener('change', (e) => {
    const f = e.target.files[0];
    if (f) choose(f, f.name.replace(/\.[^.]*$/, ''));
  });
  $('play').onclick = async () => {
    if (state.ctx.state === 'running') {
      await state.ctx.suspend();
      $('play').textContent = 'Play';
    } else {
      await state.ctx.resume();
      $('play').textContent = 'Pause';
    }
  };
  const again = () => { if (state.photo) choose(state.photo, state.name); };
  $('style').onchange = again;
  $('seed').onchange = again;
  $('seconds').onchange = again;
  $('walk').onclick = walk;
  $('wav').onclick = () => download('/api/render', '.wav');
  $('mid').onclick = () => download('/api/midi', '.mid');
}

wire();
state.ready = Promise.all([setUpAudio(), loadGallery()]).then(() => {
  drawScopes();
  return true;
}).catch((e) => status(`Start-up failed: ${e.message}`, true));
