// The maze as geometry: wall segments and photos in a grid of buckets (one per cell), so
// walking, "which photo is in front of me" and the nearest photos are local look-ups even
// with 2,000 photos. Maze plane: x east, y north, metres; headings clockwise from +y.

export const BODY_RADIUS = 0.3; // metres: how close the walker gets to a wall
const MAX_STEP = 0.25;           // < BODY_RADIUS, so no step can pass through a wall

const RAD = Math.PI / 180;
export const forward = (heading) => [Math.sin(heading * RAD), Math.cos(heading * RAD)];

export class World {
  constructor(layout) {
    this.layout = layout;
    this.cell = layout.cell_m;
    this.columns = layout.columns;
    this.rows = layout.rows;
    this.wallBuckets = this.bucket(layout.walls, (w) => [Math.min(w.x0, w.x1), Math.min(w.y0, w.y1), Math.max(w.x0, w.x1), Math.max(w.y0, w.y1)], BODY_RADIUS);
    this.photoBuckets = this.bucket(layout.photos.map((p, i) => ({ ...p, index: i })), (p) => [p.x, p.y, p.x, p.y], 0);
  }

  // Buckets (cells, clamped to the maze) each item's box, grown by `margin`, touches.
  bucket(items, box, margin) {
    const buckets = Array.from({ length: this.columns * this.rows }, () => []);
    for (const item of items) {
      const [x0, y0, x1, y1] = box(item);
      const [c0, r0] = this.cellOf(x0 - margin, y0 - margin);
      const [c1, r1] = this.cellOf(x1 + margin, y1 + margin);
      for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) buckets[r * this.columns + c].push(item);
    }
    return buckets;
  }

  cellOf(x, y) {
    const clamp = (v, n) => Math.min(n - 1, Math.max(0, Math.floor(v / this.cell)));
    return [clamp(x, this.columns), clamp(y, this.rows)];
  }

  // Items of the buckets within `reach` cells of (x, y), each once.
  near(buckets, x, y, reach) {
    const [c, r] = this.cellOf(x, y);
    const seen = new Set();
    for (let rr = Math.max(0, r - reach); rr <= Math.min(this.rows - 1, r + reach); rr++) {
      for (let cc = Math.max(0, c - reach); cc <= Math.min(this.columns - 1, c + reach); cc++) {
        for (const item of buckets[rr * this.columns + cc]) seen.add(item);
      }
    }
    return seen;
  }

  // Moves by (dx, dy), sliding along walls; returns the new [x, y].
  move(x, y, dx, dy) {
    const length = Math.hypot(dx, dy);
    const steps = Math.max(1, Math.ceil(length / MAX_STEP));
    for (let i = 0; i < steps; i++) [x, y] = this.pushOut(x + dx / steps, y + dy / steps);
    return [x, y];
  }

  // Out of every wall closer than the body radius (a wall's ends count as round caps).
  pushOut(x, y) {
    for (let pass = 0; pass < 3; pass++) {
      let moved = false;
      for (const w of this.wallBuckets[this.bucketIndex(x, y)]) {
        const [px, py] = closestPoint(w, x, y);
        const d = Math.hypot(x - px, y - py);
        if (d >= BODY_RADIUS) continue;
        const [nx, ny] = d > 1e-6 ? [(x - px) / d, (y - py) / d] : wallNormal(w);
        x = px + nx * BODY_RADIUS;
        y = py + ny * BODY_RADIUS;
        moved = true;
      }
      if (!moved) break;
    }
    return [x, y];
  }

  bucketIndex(x, y) {
    const [c, r] = this.cellOf(x, y);
    return r * this.columns + c;
  }

  // Whether the straight line crosses a wall: only the walls of the cells it passes
  // through are tested (a grid walk), each once.
  blocked(x0, y0, x1, y1) {
    const stamp = (this.stamp = (this.stamp ?? 0) + 1);
    for (const bucket of this.cellsAlong(x0, y0, x1, y1)) {
      for (const w of this.wallBuckets[bucket]) {
        if (w.stamp === stamp) continue;
        w.stamp = stamp;
        if (segmentsCross(x0, y0, x1, y1, w.x0, w.y0, w.x1, w.y1)) return true;
      }
    }
    return false;
  }

  // The cells a segment passes through, in order (Amanatides & Woo's grid traversal).
  * cellsAlong(x0, y0, x1, y1) {
    let [c, r] = this.cellOf(x0, y0);
    const [c1, r1] = this.cellOf(x1, y1);
    const dx = x1 - x0;
    const dy = y1 - y0;
    const stepC = Math.sign(dx);
    const stepR = Math.sign(dy);
    const next = (v, d, i) => ((i + (d > 0 ? 1 : 0)) * this.cell - v) / d;
    let tC = dx ? next(x0, dx, c) : Infinity;
    let tR = dy ? next(y0, dy, r) : Infinity;
    const dtC = dx ? this.cell / Math.abs(dx) : Infinity;
    const dtR = dy ? this.cell / Math.abs(dy) : Infinity;
    yield r * this.columns + c;
    for (let n = this.columns + this.rows; n > 0 && (c !== c1 || r !== r1); n--) {
      if (tC < tR) { c += stepC; tC += dtC; } else { r += stepR; tR += dtR; }
      if (c < 0 || r < 0 || c >= this.columns || r >= this.rows) return;
      yield r * this.columns + c;
    }
  }

  // Whether any of a photo can be seen from (x, y): a line to either edge of the picture
  // that no wall crosses.
  inSight(x, y, photo) {
    const [fx, fy] = forward(photo.facing);
    const half = photo.width_m / 2 - 0.05;
    const px = photo.x + fx * 0.01;
    const py = photo.y + fy * 0.01;
    return !this.blocked(x, y, px + fy * half, py - fx * half) || !this.blocked(x, y, px - fy * half, py + fx * half);
  }

  // The photo you are looking at: within 5 m, its face towards you, within 35° of your
  // heading, nothing in between; the nearest such.
  facingPhoto(x, y, heading) {
    const [fx, fy] = forward(heading);
    let best = null;
    for (const p of this.near(this.photoBuckets, x, y, 2)) {
      const dx = p.x - x;
      const dy = p.y - y;
      const d = Math.hypot(dx, dy);
      if (d > 5 || d < 0.05) continue;
      const [nx, ny] = forward(p.facing);
      if (dx * nx + dy * ny > 0) continue; // behind the picture
      if ((dx * fx + dy * fy) / d < Math.cos(35 * RAD)) continue;
      if (best && d >= best.d) continue;
      if (this.blocked(x, y, p.x - nx * 0.01, p.y - ny * 0.01)) continue;
      best = { index: p.index, d };
    }
    return best?.index ?? null;
  }
}

function closestPoint(w, x, y) {
  const vx = w.x1 - w.x0;
  const vy = w.y1 - w.y0;
  const len2 = vx * vx + vy * vy;
  const t = len2 > 0 ? Math.min(1, Math.max(0, ((x - w.x0) * vx + (y - w.y0) * vy) / len2)) : 0;
  return [w.x0 + t * vx, w.y0 + t * vy];
}

function wallNormal(w) {
  const len = Math.hypot(w.x1 - w.x0, w.y1 - w.y0) || 1;
  return [-(w.y1 - w.y0) / len, (w.x1 - w.x0) / len];
}

function segmentsCross(ax, ay, bx, by, cx, cy, dx, dy) {
  const cross = (ox, oy, px, py, qx, qy) => (px - ox) * (qy - oy) - (py - oy) * (qx - ox);
  const d1 = cross(cx, cy, dx, dy, ax, ay);
  const d2 = cross(cx, cy, dx, dy, bx, by);
  const d3 = cross(ax, ay, bx, by, cx, cy);
  const d4 = cross(ax, ay, bx, by, dx, dy);
  return d1 * d2 < 0 && d3 * d4 < 0;
}

// A walk file's pose at time t: linear between keys, headings along the shorter arc.
export function poseAt(keys, t) {
  if (t <= keys[0].t) return keys[0];
  for (let i = 1; i < keys.length; i++) {
    const a = keys[i - 1];
    const b = keys[i];
    if (t > b.t) continue;
    const u = b.t > a.t ? (t - a.t) / (b.t - a.t) : 1;
    const turn = ((((b.heading - a.heading) % 360) + 540) % 360) - 180;
    return { t, x: a.x + u * (b.x - a.x), y: a.y + u * (b.y - a.y), heading: (((a.heading + u * turn) % 360) + 360) % 360 };
  }
  return keys[keys.length - 1];
}
