// Load test for `photophone serve`: CONCURRENCY clients upload the same photo until TOTAL
// requests are done, against one endpoint on loopback. Prints latency percentiles and the
// count of each status. Usage: node web_load.mjs URL PHOTO ENDPOINT TOTAL CONCURRENCY
import fs from 'node:fs';

const [url, photoPath, endpoint, total = '50', concurrency = '50'] = process.argv.slice(2);
if (!url.startsWith('http://127.0.0.1:') && !url.startsWith('http://localhost:')) {
  console.error('web_load: loopback only');
  process.exit(2);
}
const photo = fs.readFileSync(photoPath);
const n = Number(total);
const latencies = [];
const statuses = {};
let next = 0;
const started = performance.now();
async function client() {
  while (next < n) {
    next++;
    const t0 = performance.now();
    let status;
    try {
      const res = await fetch(url + endpoint, { method: 'POST', body: photo });
      await res.arrayBuffer();
      status = String(res.status);
    } catch (e) {
      status = `network error (${e.cause?.code ?? e.message})`;
    }
    latencies.push(performance.now() - t0);
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
}
await Promise.all(Array.from({ length: Number(concurrency) }, client));
const wall = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
const fivexx = Object.entries(statuses).filter(([s]) => s.startsWith('5')).reduce((a, [, c]) => a + c, 0);
console.log(JSON.stringify({
  endpoint, requests: n, concurrency: Number(concurrency), photo_bytes: photo.length,
  wall_s: +wall.toFixed(2), throughput_per_s: +(n / wall).toFixed(2),
  p50_ms: Math.round(pct(50)), p99_ms: Math.round(pct(99)), max_ms: Math.round(latencies.at(-1)),
  statuses, errors_5xx: fivexx,
}));
