// Soak load for `photophone serve` (driven by bench/soak.sh): CLIENTS concurrent clients send
// a weighted mix of requests for DURATION seconds while the server's RSS is sampled every
// 10 s. Prints a report and a final JSON line; exits 1 on any 5xx other than the documented
// 503 or any failed connection. Usage: node soak.mjs URL PID DIR DURATION CLIENTS
import fs from 'node:fs';

const [url, pid, dir, duration = '600', clients = '4'] = process.argv.slice(2);
if (!url.startsWith('http://127.0.0.1:')) {
  console.error('soak: loopback only');
  process.exit(2);
}
const file = (name) => fs.readFileSync(`${dir}/${name}`);
const big = file('photo-12mp.jpg');
const small = file('photo-small.jpg');
const truncated = file('truncated.jpg');
const random = file('random.bin');

// [label, weight, method, path+query, body, statuses that are a correct answer]
const cases = [
  ['analyze small', 24, 'POST', 'api/analyze', small, [200]],
  ['render small 20s', 14, 'POST', 'api/render?seconds=20&seed=SEED', small, [200]],
  ['midi small', 14, 'POST', 'api/midi?style=classic&seed=SEED', small, [200]],
  ['analyze 12mp', 8, 'POST', 'api/analyze?seed=SEED', big, [200]],
  ['render 12mp 30s', 5, 'POST', 'api/render?seconds=30', big, [200]],
  ['midi 12mp', 5, 'POST', 'api/midi', big, [200]],
  ['bad: truncated jpeg', 6, 'POST', 'api/render', truncated, [422]],
  ['bad: random bytes', 6, 'POST', 'api/analyze', random, [415]],
  ['bad: huge seconds', 4, 'POST', 'api/render?seconds=100000', small, [400]],
  ['bad: unknown style', 3, 'POST', 'api/midi?style=jazz', small, [400]],
  ['bad: unknown parameter', 3, 'POST', 'api/analyze?volume=11', small, [400]],
  ['bad: empty body', 2, 'POST', 'api/render', Buffer.alloc(0), [400]],
  ['health', 3, 'GET', 'api/health', null, [200]],
  ['gallery', 3, 'GET', 'api/gallery', null, [200]],
];
const totalWeight = cases.reduce((a, c) => a + c[1], 0);

// Deterministic mix: a small xorshift generator per client.
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
}
function pick(r) {
  let w = r() * totalWeight;
  for (const c of cases) if ((w -= c[1]) < 0) return c;
  return cases[0];
}

const results = []; // {label, route, status, ms}
const started = performance.now();
const deadline = started + Number(duration) * 1000;

async function client(id) {
  const r = rng(0x9e3779b9 * (id + 1));
  while (performance.now() < deadline) {
    const [label, , method, path, body, ok] = pick(r);
    const target = path.replace('SEED', String(Math.floor(r() * 1000)));
    const t0 = performance.now();
    let status;
    try {
      const res = await fetch(url + target, {
        method,
        body: body ?? undefined,
        signal: AbortSignal.timeout(300_000),
      });
      await res.arrayBuffer();
      status = res.status;
    } catch (e) {
      status = `network error (${e.cause?.code ?? e.name})`;
    }
    results.push({ label, route: '/' + path.split('?')[0], status, ok, ms: performance.now() - t0 });
  }
}

// RSS of the server every 10 s, from /proc (kB → MB).
const rss = [];
function sample() {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  rss.push({ t_s: (performance.now() - started) / 1000, mb: Number(m[1]) / 1024 });
}
sample();
const sampler = setInterval(sample, 10_000);
await Promise.all(Array.from({ length: Number(clients) }, (_, i) => client(i)));
clearInterval(sampler);
sample();
const wall = (performance.now() - started) / 1000;

const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
function summary(rows) {
  const ms = rows.map((r) => r.ms).sort((a, b) => a - b);
  const statuses = {};
  for (const r of rows) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  return { n: rows.length, statuses, p50_ms: Math.round(pct(ms, 50)), p99_ms: Math.round(pct(ms, 99)), max_ms: Math.round(ms.at(-1)) };
}
function groupBy(key) {
  const groups = {};
  for (const r of results) (groups[r[key]] ??= []).push(r);
  return Object.fromEntries(Object.entries(groups).sort().map(([k, rows]) => [k, summary(rows)]));
}
// Least-squares slope of RSS against time, in MB per minute.
function slope(points) {
  const n = points.length;
  if (n < 3) return null; // too few samples to say
  const mx = points.reduce((a, p) => a + p.t_s, 0) / n;
  const my = points.reduce((a, p) => a + p.mb, 0) / n;
  const sxy = points.reduce((a, p) => a + (p.t_s - mx) * (p.mb - my), 0);
  const sxx = points.reduce((a, p) => a + (p.t_s - mx) ** 2, 0);
  return sxx ? +((sxy / sxx) * 60).toFixed(3) : null;
}

const unexpected5xx = results.filter((r) => typeof r.status !== 'number' || (r.status >= 500 && r.status !== 503));
const wrong = results.filter((r) => typeof r.status === 'number' && r.status !== 503 && !r.ok.includes(r.status));
const byCase = groupBy('label');
const byRoute = groupBy('route');
const report = {
  duration_s: Number(duration), wall_s: +wall.toFixed(1), clients: Number(clients), requests: results.length,
  throughput_per_s: +(results.length / wall).toFixed(2),
  overall: summary(results),
  by_route: byRoute,
  by_case: byCase,
  unexpected_5xx_or_network: unexpected5xx.length,
  unexpected_status: wrong.length,
  rss_mb: rss.map((s) => +s.mb.toFixed(1)),
  rss_slope_mb_per_min: slope(rss),
  // Allocator warm-up takes minutes: the second half says whether growth goes on.
  rss_slope_second_half_mb_per_min: slope(rss.filter((s) => s.t_s >= wall / 2)),
  rss_first_mb: +rss[0].mb.toFixed(1), rss_max_mb: +Math.max(...rss.map((s) => s.mb)).toFixed(1), rss_last_mb: +rss.at(-1).mb.toFixed(1),
};

const pad = (s, n) => String(s).padEnd(n);
console.log(`${pad('case', 26)}${pad('n', 7)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('max ms', 9)}statuses`);
for (const [k, s] of Object.entries(byCase)) {
  console.log(`${pad(k, 26)}${pad(s.n, 7)}${pad(s.p50_ms, 9)}${pad(s.p99_ms, 9)}${pad(s.max_ms, 9)}${JSON.stringify(s.statuses)}`);
}
console.log('by route:');
for (const [k, s] of Object.entries(byRoute)) {
  console.log(`${pad(k, 26)}${pad(s.n, 7)}${pad(s.p50_ms, 9)}${pad(s.p99_ms, 9)}${pad(s.max_ms, 9)}${JSON.stringify(s.statuses)}`);
}
console.log(`RSS MB every 10 s: ${report.rss_mb.join(' ')}`);
console.log(`RSS slope: ${report.rss_slope_mb_per_min} MB/min over the run, ${report.rss_slope_second_half_mb_per_min} MB/min over its second half`);
for (const r of unexpected5xx.slice(0, 10)) console.log(`UNEXPECTED: ${r.label} -> ${r.status}`);
for (const r of wrong.slice(0, 10)) console.log(`WRONG STATUS: ${r.label} -> ${r.status} (expected ${r.ok})`);
console.log(JSON.stringify(report));
process.exit(unexpected5xx.length || wrong.length ? 1 : 0);
