// Canvas drawing of the explorer's views: maps, points, tunnel, critical points, curves, spectra, trajectories.

const CLASS0 = [33, 102, 172];   // blue: class 0 (the disk)
const CLASS1 = [239, 138, 98];   // orange: class 1 (the ring)
const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];

export function decode(b64) {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function viridis(t) {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  return VIRIDIS[i].map((c, k) => c + f * (VIRIDIS[i + 1][k] - c));
}

// Data coordinates -> canvas pixels for a box [[x0, x1], [y0, y1]] (y up).
export function transform(canvas, box) {
  const [[x0, x1], [y0, y1]] = box;
  const w = canvas.width, h = canvas.height;
  return {
    px: (x) => ((x - x0) / (x1 - x0)) * w,
    py: (y) => h - ((y - y0) / (y1 - y0)) * h,
    scale: w / (x1 - x0),
  };
}

// Paint an (n x n) byte grid (row 0 at the bottom) with colour(byte, i, j) -> [r, g, b, a].
function paintGrid(ctx, canvas, bytes, nx, ny, colour) {
  const img = new ImageData(nx, ny);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const c = colour(bytes[j * nx + i], i, j);
      const o = ((ny - 1 - j) * nx + i) * 4;
      img.data[o] = c[0]; img.data[o + 1] = c[1]; img.data[o + 2] = c[2]; img.data[o + 3] = c[3] ?? 255;
    }
  }
  const off = new OffscreenCanvas(nx, ny);
  off.getContext("2d").putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
}

export function drawBoundary(canvas, view, info) {
  const ctx = canvas.getContext("2d");
  const n = view.resolution;
  const p = decode(view.probability);
  paintGrid(ctx, canvas, p, n, n, (v, i, j) => {
    const cls = v >= 128;
    const edge = (i + 1 < n && (p[j * n + i + 1] >= 128) !== cls) || (j + 1 < n && (p[(j + 1) * n + i] >= 128) !== cls);
    if (edge) return [20, 20, 20, 255];
    const t = v / 255;
    const c = CLASS0.map((a, k) => a + t * (CLASS1[k] - a));
    return c.map((x) => 255 - 0.55 * (255 - x));
  });
  const tr = transform(canvas, view.box);
  const a = view.analysis;
  if (a && a.tunnel) drawTunnel(ctx, canvas, a.tunnel, tr);
  drawPoints(ctx, info.points, tr);
  if (a && a.critical_points) drawCriticalPoints(ctx, a.critical_points, tr);
}

function drawTunnel(ctx, canvas, tunnel, tr) {
  if (tunnel.mask && tunnel.status === "tunnel") {
    const m = decode(tunnel.mask.values);
    const { nx, ny } = tunnel.mask;
    const [[x0, x1], [y0, y1]] = tunnel.box;
    const off = new OffscreenCanvas(nx, ny);
    const img = new ImageData(nx, ny);
    const inside = (i, j) => i >= 0 && j >= 0 && i < nx && j < ny && m[j * nx + i];
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
      if (!m[j * nx + i]) continue;
      const edge = !inside(i + 1, j) || !inside(i - 1, j) || !inside(i, j + 1) || !inside(i, j - 1);
      const o = ((ny - 1 - j) * nx + i) * 4;  // the outline dark green, the region translucent
      img.data[o] = 0; img.data[o + 1] = edge ? 110 : 160; img.data[o + 2] = edge ? 40 : 60; img.data[o + 3] = edge ? 230 : 80;
    }
    off.getContext("2d").putImageData(img, 0, 0);
    const left = tr.px(x0), top = tr.py(y1);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, left, top, tr.px(x1) - left, tr.py(y0) - top);
    ctx.imageSmoothingEnabled = true;
  }
  if (tunnel.chord) {
    const [[ax, ay], [bx, by]] = tunnel.chord;
    ctx.strokeStyle = "#00a03c"; ctx.lineWidth = 3;
    ctx.beginPath(); ctx.moveTo(tr.px(ax), tr.py(ay)); ctx.lineTo(tr.px(bx), tr.py(by)); ctx.stroke();
    if (tunnel.narrowest_width != null) {
      ctx.fillStyle = "#004d1d"; ctx.font = "12px sans-serif";
      ctx.fillText(`width ${tunnel.narrowest_width.toFixed(3)}`, tr.px(bx) + 4, tr.py(by) - 4);
    }
  }
}

function drawPoints(ctx, points, tr) {
  const draw = (list, filled) => {
    for (const [x, y, c] of list) {
      ctx.beginPath();
      ctx.arc(tr.px(x), tr.py(y), filled ? 2.2 : 2.6, 0, 2 * Math.PI);
      const col = `rgb(${(c ? CLASS1 : CLASS0).join(",")})`;
      if (filled) { ctx.fillStyle = col; ctx.fill(); } else { ctx.strokeStyle = col; ctx.lineWidth = 1; ctx.stroke(); }
    }
  };
  draw(points.train, true);
  draw(points.test, false);
}

export const KIND_MARK = { minimum: "\u25BC", maximum: "\u25B2", saddle: "\u2715", degenerate: "\u25C6" };

function drawCriticalPoints(ctx, cps, tr) {
  ctx.font = "bold 18px sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "middle";
  for (const cp of cps) {
    const x = tr.px(cp.x), y = tr.py(cp.y);
    ctx.fillStyle = "#fff"; ctx.fillText(KIND_MARK[cp.kind] || "?", x + 1, y + 1);
    ctx.fillStyle = cp.kind === "degenerate" ? "#6a1b9a" : "#b71c1c";
    ctx.fillText(KIND_MARK[cp.kind] || "?", x, y);
  }
  ctx.textAlign = "start"; ctx.textBaseline = "alphabetic";
}

export function drawSecond(canvas, view) {
  const ctx = canvas.getContext("2d");
  const s = view.second, n = view.resolution;
  const v = decode(s.values);
  if (s.kind === "logit") {
    // level sets: colour bands with a dark line where the band index changes (12 levels), the 0 level thick.
    const zero = Math.round(((0 - s.lo) / (s.hi - s.lo || 1)) * 255);
    const band = (b) => Math.floor((b / 256) * 12);
    paintGrid(ctx, canvas, v, n, n, (b, i, j) => {
      const right = i + 1 < n ? v[j * n + i + 1] : b, up = j + 1 < n ? v[(j + 1) * n + i] : b;
      if ((b < zero) !== (right < zero) || (b < zero) !== (up < zero)) return [0, 0, 0, 255];
      if (band(b) !== band(right) || band(b) !== band(up)) return [60, 60, 60, 255];
      return viridis(b / 255);
    });
  } else {
    paintGrid(ctx, canvas, v, n, n, (b) => viridis(b / 255));
  }
  ctx.fillStyle = "rgba(255,255,255,0.85)"; ctx.fillRect(4, 4, 150, 18);
  ctx.fillStyle = "#000"; ctx.font = "12px sans-serif";
  ctx.fillText(`${s.lo.toFixed(2)} .. ${s.hi.toFixed(2)}${s.log ? " (log10)" : ""}`, 8, 17);
}

function axes(ctx, canvas, pad) {
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.strokeStyle = "#999"; ctx.lineWidth = 1;
  ctx.strokeRect(pad, pad / 2, canvas.width - 1.5 * pad, canvas.height - 1.5 * pad);
}

export function drawCurves(canvas, curves) {
  const ctx = canvas.getContext("2d"), pad = 30;
  axes(ctx, canvas, pad);
  const w = canvas.width - 1.5 * pad, h = canvas.height - 1.5 * pad;
  const losses = curves.train_loss.concat(curves.test_loss).filter((x) => x > 0);
  if (!losses.length) return;
  const lo = Math.log10(Math.min(...losses)), hi = Math.log10(Math.max(...losses)) + 1e-9;
  const line = (ys, colour, dash, toY) => {
    if (!ys.length) return;
    ctx.strokeStyle = colour; ctx.setLineDash(dash); ctx.lineWidth = 1.5; ctx.beginPath();
    ys.forEach((y, i) => {
      const x = pad + (ys.length === 1 ? 0 : (i / (ys.length - 1)) * w);
      const yy = pad / 2 + h - toY(y) * h;
      if (i) ctx.lineTo(x, yy); else ctx.moveTo(x, yy);
    });
    ctx.stroke(); ctx.setLineDash([]);
  };
  const logY = (y) => (Math.log10(Math.max(y, 1e-12)) - lo) / (hi - lo || 1);
  line(curves.train_loss, "#1565c0", [], logY);
  line(curves.test_loss, "#1565c0", [4, 3], logY);
  line(curves.test_accuracy, "#2e7d32", [], (y) => y);
  ctx.fillStyle = "#333"; ctx.font = "11px sans-serif";
  ctx.fillText(`${curves.epochs} epochs`, pad + 4, canvas.height - 6);
  const acc = curves.test_accuracy.at(-1);
  if (acc != null) ctx.fillText(`test acc ${acc.toFixed(3)}`, canvas.width - 120, canvas.height - 6);
  ctx.fillText(`loss ${Math.pow(10, hi).toPrecision(2)}`, 2, pad / 2 + 10);
}

export function drawSpectra(canvas, spectra) {
  const ctx = canvas.getContext("2d"), pad = 30;
  axes(ctx, canvas, pad);
  const all = spectra.flatMap((s) => s.values).filter((v) => v > 0);
  if (!all.length) return;
  const lo = Math.log10(Math.min(...all)) - 0.1, hi = Math.log10(Math.max(...all)) + 0.1;
  const w = canvas.width - 1.5 * pad, h = canvas.height - 1.5 * pad;
  spectra.forEach((s, k) => {
    const x = pad + ((k + 0.5) / spectra.length) * w;
    s.values.forEach((v, r) => {
      const y = pad / 2 + h - ((Math.log10(Math.max(v, 1e-12)) - lo) / (hi - lo)) * h;
      ctx.fillStyle = r === s.values.length - 1 ? "#c62828" : "#1565c0";
      ctx.beginPath(); ctx.arc(x, y, 3, 0, 2 * Math.PI); ctx.fill();
    });
  });
  ctx.fillStyle = "#333"; ctx.font = "11px sans-serif";
  ctx.fillText(`${Math.pow(10, hi).toPrecision(2)}`, 2, pad / 2 + 10);
  ctx.fillText(`${Math.pow(10, lo).toPrecision(2)}`, 2, canvas.height - pad);
  ctx.fillText(`layer 1 .. ${spectra.length} (red: smallest)`, pad + 4, canvas.height - 6);
}

export function drawTrajectories(canvas, paths) {
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const xs = paths.flat().map((p) => p[0]), ys = paths.flat().map((p) => p[1]);
  const r = Math.max(...xs.map(Math.abs), ...ys.map(Math.abs), 1e-6) * 1.1;
  const tr = transform(canvas, [[-r, r], [-r, r]]);
  ctx.strokeStyle = "rgba(60,60,60,0.5)"; ctx.lineWidth = 1;
  for (const path of paths) {
    ctx.beginPath();
    path.forEach(([x, y], i) => (i ? ctx.lineTo(tr.px(x), tr.py(y)) : ctx.moveTo(tr.px(x), tr.py(y))));
    ctx.stroke();
    const [ex, ey] = path.at(-1);
    ctx.fillStyle = "#6a1b9a"; ctx.beginPath(); ctx.arc(tr.px(ex), tr.py(ey), 2.5, 0, 2 * Math.PI); ctx.fill();
  }
}
