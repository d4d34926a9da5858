// The maze in three.js: walls (one merged mesh), floor, ceiling lights (one instanced mesh),
// and a plane per photo. Maze (x, y) is three.js (x, -y): north is -z, the camera's default
// forward. Textures come and go (the page keeps only the nearest photos textured); a photo
// without one is a plain grey panel, one that failed shows its reason.
import * as THREE from '/vendor/three.module.min.js';

const EYE_M = 1.6;
const CHUNK_M = 16; // walls are merged per 16-m square: few draw calls, yet sortable and cullable
const RAD = Math.PI / 180;
const PLACEHOLDER = new THREE.MeshBasicMaterial({ color: 0x3a3b40 });

export class MazeScene {
  constructor(canvas) {
    this.renderer = new THREE.WebGLRenderer({ canvas, antialias: false, powerPreference: 'high-performance' });
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
    this.camera = new THREE.PerspectiveCamera(70, 1, 0.05, 40);
    this.camera.rotation.order = 'YXZ';
    this.scene = new THREE.Scene();
    this.scene.background = new THREE.Color(0x101014);
    this.scene.fog = new THREE.Fog(0x101014, 10, 28);
    this.scene.add(new THREE.HemisphereLight(0xfff4e6, 0x2c2c34, 1.6));
    const sun = new THREE.DirectionalLight(0xffffff, 1.2);
    sun.position.set(0.6, 1, 0.35);
    this.scene.add(sun);
    this.maze = null;       // a Group holding the current maze
    this.photos = [];       // per photo: { mesh, texture, base: [w, h] }
    this.textureBytes = 0;  // GPU bytes held by photo textures (with mipmaps)
    this.contextLost = false;
    this.version = 0;       // bumped by every change that needs a new frame drawn
    canvas.addEventListener('webglcontextlost', () => { this.contextLost = true; });
  }

  resize(width, height) {
    this.version++;
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / Math.max(1, height);
    this.camera.updateProjectionMatrix();
  }

  build(layout) {
    this.clear();
    const group = new THREE.Group();
    const width = layout.columns * layout.cell_m;
    const depth = layout.rows * layout.cell_m;
    this.wallChunks = wallChunks(layout.walls, layout.wall_height_m);
    for (const chunk of this.wallChunks) group.add(chunk);
    group.add(floor(width, depth));
    group.add(ceiling(layout, width, depth));
    const geometry = photoGeometry();
    this.photos = layout.photos.map((p) => {
      const mesh = new THREE.Mesh(geometry, PLACEHOLDER);
      mesh.position.set(p.x, p.centre_height_m, -p.y);
      mesh.rotation.y = Math.PI - p.facing * RAD; // the plane's +z face points along `facing`
      mesh.scale.set(p.width_m, p.height_m, 1);
      group.add(mesh);
      return { mesh, texture: null, base: [p.width_m, p.height_m] };
    });
    this.maze = group;
    this.scene.add(group);
    this.version++;
  }

  clear() {
    if (!this.maze) return;
    for (let i = 0; i < this.photos.length; i++) this.release(i);
    this.maze.traverse((o) => {
      if (o.isMesh && o.material !== PLACEHOLDER) o.material.dispose?.();
      if (o.geometry) o.geometry.dispose();
    });
    this.scene.remove(this.maze);
    this.maze = null;
    this.photos = [];
  }

  // A decoded photo (ImageBitmap, upright) on its wall, letterboxed into the frame.
  showPhoto(index, bitmap) {
    this.setTexture(index, new THREE.Texture(bitmap), bitmap.width / bitmap.height);
  }

  // A plain panel with the file's name and why it could not be shown.
  showError(index, name, reason) {
    this.setTexture(index, new THREE.CanvasTexture(errorCanvas(name, reason)), null);
  }

  setTexture(index, texture, aspect) {
    const photo = this.photos[index];
    if (!photo) return;
    this.release(index);
    texture.colorSpace = THREE.SRGBColorSpace;
    texture.flipY = false; // ImageBitmaps ignore flipY; the geometry's UVs are flipped instead
    texture.anisotropy = 4;
    texture.needsUpdate = true;
    photo.texture = texture;
    this.version++;
    photo.mesh.material = new THREE.MeshBasicMaterial({ map: texture });
    const [w, h] = photo.base;
    const fit = aspect ? Math.min(1, (h * aspect) / w) : 1; // narrower pictures: keep the height
    const tall = aspect ? Math.min(1, w / (h * aspect)) : 1; // wider ones: keep the width
    photo.mesh.scale.set(w * fit, h * tall, 1);
    this.textureBytes += textureBytes(texture);
    this.renderer.initTexture(texture); // upload now, inside the frame that asked for it
  }

  release(index) {
    const photo = this.photos[index];
    if (!photo?.texture) return;
    this.textureBytes -= textureBytes(photo.texture);
    photo.texture.image?.close?.();
    photo.texture.dispose();
    photo.mesh.material.dispose();
    photo.mesh.material = PLACEHOLDER;
    photo.mesh.scale.set(photo.base[0], photo.base[1], 1);
    photo.texture = null;
    this.version++;
  }

  // Only the photos `shown(i)` says are drawn (near enough and in sight), and the walls
  // within `radius` of (x, y).
  cull(shown, x, y, radius) {
    for (const chunk of this.wallChunks) {
      const c = chunk.userData.centre;
      const visible = Math.hypot(c[0] - x, c[1] - y) < radius + CHUNK_M * 0.71;
      if (visible !== chunk.visible) this.version++;
      chunk.visible = visible;
    }
    this.photos.forEach((p, i) => {
      const visible = shown(i);
      if (visible !== p.mesh.visible) this.version++;
      p.mesh.visible = visible;
    });
  }

  render(x, y, heading, pitch) {
    this.camera.position.set(x, EYE_M, -y);
    this.camera.rotation.set(pitch * RAD, -heading * RAD, 0);
    this.renderer.render(this.scene, this.camera);
  }
}

function textureBytes(texture) {
  const image = texture.image;
  return image ? Math.round(image.width * image.height * 4 * 4 / 3) : 0;
}

// A unit plane facing +z whose UVs are upside down (textures are uploaded without flipY).
function photoGeometry() {
  const g = new THREE.PlaneGeometry(1, 1);
  const uv = g.attributes.uv;
  for (let i = 0; i < uv.count; i++) uv.setY(i, 1 - uv.getY(i));
  return g;
}

// The wall segments as upright quads, one mesh per square of the maze: three.js then draws
// the near squares first (the far walls behind them cost no shading) and skips the rest.
function wallChunks(segments, height) {
  const chunks = new Map();
  for (const w of segments.flatMap(pieces)) {
    const key = `${Math.floor((w.x0 + w.x1) / 2 / CHUNK_M)},${Math.floor((w.y0 + w.y1) / 2 / CHUNK_M)}`;
    if (!chunks.has(key)) chunks.set(key, []);
    chunks.get(key).push(w);
  }
  const material = new THREE.MeshLambertMaterial({ color: 0xd9d4ca, side: THREE.DoubleSide });
  return [...chunks].map(([key, list]) => {
    const mesh = walls(list, height, material);
    const [i, j] = key.split(',').map(Number);
    mesh.userData.centre = [(i + 0.5) * CHUNK_M, (j + 0.5) * CHUNK_M];
    return mesh;
  });
}

// A segment cut into pieces of at most 4 m (the maze's edges are single long segments).
function pieces(w) {
  const n = Math.max(1, Math.ceil(Math.hypot(w.x1 - w.x0, w.y1 - w.y0) / 4));
  const at = (k) => [w.x0 + ((w.x1 - w.x0) * k) / n, w.y0 + ((w.y1 - w.y0) * k) / n];
  return Array.from({ length: n }, (_, k) => {
    const [x0, y0] = at(k);
    const [x1, y1] = at(k + 1);
    return { x0, y0, x1, y1 };
  });
}

function walls(segments, height, material) {
  const positions = new Float32Array(segments.length * 12);
  const index = [];
  segments.forEach((w, i) => {
    positions.set([w.x0, 0, -w.y0, w.x1, 0, -w.y1, w.x1, height, -w.y1, w.x0, height, -w.y0], i * 12);
    const v = i * 4;
    index.push(v, v + 1, v + 2, v, v + 2, v + 3);
  });
  const g = new THREE.BufferGeometry();
  g.setAttribute('position', new THREE.BufferAttribute(positions, 3));
  g.setIndex(index);
  g.computeVertexNormals();
  return new THREE.Mesh(g, material);
}

// A tiled floor (1-m tiles) so that walking shows.
function floor(width, depth) {
  const tile = document.createElement('canvas');
  tile.width = tile.height = 64;
  const g = tile.getContext('2d');
  g.fillStyle = '#4a4238';
  g.fillRect(0, 0, 64, 64);
  g.fillStyle = '#3e372f';
  g.fillRect(0, 0, 32, 32);
  g.fillRect(32, 32, 32, 32);
  const texture = new THREE.CanvasTexture(tile);
  texture.wrapS = texture.wrapT = THREE.RepeatWrapping;
  texture.repeat.set(width / 2, depth / 2);
  texture.colorSpace = THREE.SRGBColorSpace;
  const mesh = new THREE.Mesh(new THREE.PlaneGeometry(width, depth), new THREE.MeshLambertMaterial({ map: texture }));
  mesh.rotation.x = -Math.PI / 2;
  mesh.position.set(width / 2, 0, -depth / 2);
  return mesh;
}

// A dark ceiling with a light panel over every cell (one instanced mesh).
function ceiling(layout, width, depth) {
  const group = new THREE.Group();
  const h = layout.wall_height_m;
  const lid = new THREE.Mesh(new THREE.PlaneGeometry(width, depth), new THREE.MeshBasicMaterial({ color: 0x1b1c22 }));
  lid.rotation.x = Math.PI / 2;
  lid.position.set(width / 2, h, -depth / 2);
  group.add(lid);
  const cells = layout.columns * layout.rows;
  const panels = new THREE.InstancedMesh(new THREE.PlaneGeometry(1, 1), new THREE.MeshBasicMaterial({ color: 0xfff6e0 }), cells);
  const m = new THREE.Matrix4().makeRotationX(Math.PI / 2);
  for (let i = 0; i < cells; i++) {
    const c = i % layout.columns;
    const r = Math.floor(i / layout.columns);
    m.setPosition((c + 0.5) * layout.cell_m, h - 0.01, -(r + 0.5) * layout.cell_m);
    panels.setMatrixAt(i, m);
  }
  group.add(panels);
  return group;
}

// A grey panel with the file name and the reason, wrapped to fit.
function errorCanvas(name, reason) {
  const canvas = document.createElement('canvas');
  canvas.width = 512;
  canvas.height = 384;
  const g = canvas.getContext('2d');
  g.fillStyle = '#55565c';
  g.fillRect(0, 0, 512, 384);
  g.fillStyle = '#f2f2f2';
  g.font = 'bold 30px system-ui, sans-serif';
  let y = wrap(g, name, 60, 36);
  g.font = '24px system-ui, sans-serif';
  g.fillStyle = '#ffd2c8';
  wrap(g, reason, y + 20, 30);
  return canvas;
}

function wrap(g, text, y, lineHeight) {
  let line = '';
  for (const word of String(text).split(/\s+/)) {
    const next = line ? `${line} ${word}` : word;
    if (g.measureText(next).width > 460 && line) {
      g.fillText(line, 26, y);
      y += lineHeight;
      line = word;
    } else {
      line = next;
    }
  }
  if (line) g.fillText(line, 26, y);
  return y + lineHeight;
}
