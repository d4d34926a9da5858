// The small map: walls and photos drawn once into a canvas layer (again only when a photo's
// state changes, at most 4 times a second); each frame only moves that layer under a fixed
// arrow with a CSS transform, which the compositor applies: no drawing per frame.

const VIEW_M = 48;            // the map shows at most 48 m across, centred on you
const PHOTO_COLOURS = { waiting: '#777', heard: '#5aa0ff', textured: '#6fdc8c', failed: '#ff6b5b' };

export class MazeMap {
  constructor(box) {
    this.box = box;
    this.layer = document.createElement('canvas');
    this.arrow = document.createElement('i');
    box.append(this.layer, this.arrow);
    this.layout = null;
    this.dirty = false;
    this.drawnAt = 0;
    this.shown = '';
  }

  build(layout) {
    this.layout = layout;
    const w = layout.columns * layout.cell_m;
    const h = layout.rows * layout.cell_m;
    this.scale = Math.min(12, 1024 / Math.max(w, h)); // layer pixels per metre
    this.layer.width = Math.ceil(w * this.scale) + 4;
    this.layer.height = Math.ceil(h * this.scale) + 4;
    this.dirty = true;
  }

  // `state(i)`: 'waiting' | 'heard' | 'textured' | 'failed'.
  redraw(state) {
    const { layout, scale } = this;
    const g = this.layer.getContext('2d');
    const H = this.layer.height;
    g.clearRect(0, 0, this.layer.width, H);
    g.strokeStyle = '#d9d4ca';
    g.lineWidth = Math.max(1, scale / 6);
    g.beginPath();
    for (const w of layout.walls) {
      g.moveTo(2 + w.x0 * scale, H - 2 - w.y0 * scale);
      g.lineTo(2 + w.x1 * scale, H - 2 - w.y1 * scale);
    }
    g.stroke();
    const r = Math.max(1.5, scale / 5);
    layout.photos.forEach((p, i) => {
      g.fillStyle = PHOTO_COLOURS[state(i)];
      g.fillRect(2 + p.x * scale - r, H - 2 - p.y * scale - r, 2 * r, 2 * r);
    });
    this.dirty = false;
    this.drawnAt = performance.now();
  }

  // Centres the layer on (x, y) and turns the arrow to the heading.
  draw(x, y, heading, state) {
    if (!this.layout) return;
    if (this.dirty && performance.now() - this.drawnAt > 250) this.redraw(state);
    const size = this.box.clientWidth;
    const span = Math.min(VIEW_M, Math.max(this.layout.columns, this.layout.rows) * this.layout.cell_m + 2);
    const zoom = size / span / this.scale; // screen pixels per layer pixel
    const lx = 2 + x * this.scale;
    const ly = this.layer.height - 2 - y * this.scale;
    const shown = `${size / 2}px,${size / 2}px) scale(${zoom.toFixed(4)}) translate(${(-lx).toFixed(1)}px,${(-ly).toFixed(1)}px)|${heading.toFixed(1)}`;
    if (shown === this.shown) return;
    this.shown = shown;
    const [move, turn] = shown.split('|');
    this.layer.style.transform = `translate(${move}`;
    this.arrow.style.transform = `translate(-50%, -60%) rotate(${turn}deg)`;
  }
}
