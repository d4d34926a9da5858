// Reference corners from tracking.js 1.1.3 itself, for photophone's tests.
// Usage: node corners.js RGBA_FILE WIDTH HEIGHT [THRESHOLD]
// Prints {"gray_sha": ..., "corners": [x0, y0, x1, y1, ...]} as JSON.
'use strict';
const fs = require('fs');
global.window = global; // tracking.js attaches itself to `window`
if (typeof navigator === 'undefined') global.navigator = {}; // and probes getUserMedia at load
require('tracking/build/tracking.js');
const tracking = global.tracking;

const [file, w, h, t] = process.argv.slice(2);
const width = parseInt(w, 10);
const height = parseInt(h, 10);
const rgba = new Uint8ClampedArray(fs.readFileSync(file));
if (rgba.length !== width * height * 4) {
  console.error(`expected ${width * height * 4} bytes of RGBA, got ${rgba.length}`);
  process.exit(2);
}
const gray = tracking.Image.grayscale(rgba, width, height);
const threshold = t === undefined ? undefined : parseInt(t, 10);
const corners = tracking.Fast.findCorners(gray, width, height, threshold);
process.stdout.write(JSON.stringify({ gray: Buffer.from(gray).toString('base64'), corners }));
