// The Tunnelling lesson's player: a wave packet meets a barrier (frames pulled from the server).
//
// setup: {run, xmin, xmax, V (the potential at the shown points), absorber (width of each
// absorbing layer), emin, emax (the energy axis), energy (the packet's mean energy), pmax (the
// largest |psi|^2 at t = 0), wave_span (how tall the wave is drawn, in energy units), predicted}
// chunk: frames start..end-1: re, im (frame-major), t, T, R, inside, passed.
// The wave is drawn on its energy line; the side panel has the T, R and "inside" bars; under them,
// the traces of T, R and "inside" against time.

const LESSON = {
  className: "ql-player",
  name: "wave-packet",
  label: N_("Wave packet animation: space plays or pauses, r restarts, arrow keys step"),
  canvasLabel: N_("Animated wave packet over the potential"),
  waiting: N_("Preparing the simulation…"),
  clock: {mode: "frames", fps: 30, pull: {low: 1.5, ahead: 3}},
  bar: {name: N_("Animation controls"), restart: N_("Restart animation"), step: true, speed: "model", status: "bar",
        clockZero: "t = 0.0"},
  readoutHTML: () => `
        <span>${_("Passed the barrier")} <b class="ql-passed">–</b></span>
        <span>${_("Transmitted")} <b class="ql-T">–</b></span>
        <span>${_("Reflected")} <b class="ql-R">–</b></span>
        <span>${_("Still inside")} <b class="ql-inside">–</b></span>`,
  minHeight: 300,
  aspect: 0.75,
  watch: {display: "redraw", phase: "redraw"},

  setup(msg) {
    return {...msg, V: plain(msg.V), frames: [], t: [], T: [], R: [], inside: [], passed: []}
  },
  chunk(msg, run) {
    const re = plain(msg.re), im = plain(msg.im)
    const n = msg.t.length, npts = n ? re.length / n : 0
    for (let j = 0; j < n; j++) {
      const i = msg.start + j
      run.frames[i] = {re: re.subarray(j * npts, (j + 1) * npts), im: im.subarray(j * npts, (j + 1) * npts)}
      run.t[i] = msg.t[j]; run.T[i] = msg.T[j]; run.R[i] = msg.R[j]; run.inside[i] = msg.inside[j]
      run.passed[i] = msg.passed ? msg.passed[j] : NaN
    }
  },
  frames: (run) => run.frames.length,

  clockText(run, clock) {
    const i = Math.min(clock.frame, run.t.length - 1)
    return i >= 0 ? `t = ${num(run.t[i], 1)}` : loc("t = 0.0")
  },
  values(run, clock) {
    const i = Math.min(clock.frame, run.t.length - 1)
    if (i < 0) return {}
    return {".ql-T": fmt(run.T[i]), ".ql-R": fmt(run.R[i]), ".ql-passed": fmt(run.passed[i]), ".ql-inside": fmt(run.inside[i])}
  },
  status(run, clock, s) {
    if (run && !s.csvWanted && s.done && !s.frames) return _("the simulation stopped before its first frame (see below)")
    return pulledStatus(run, clock, s, _("waiting for the simulation…"))
  },
  // the CSV export: machine-readable, so its column names stay English and its numbers keep the dot
  table: (run) => run.t.length ? [["t", run.t], ["passed", run.passed], ["T", run.T], ["R", run.R], ["inside", run.inside]] : null,

  draw(g, run, clock, model) {
    const {W, H, big} = g
    const sideW = Math.max(Math.min(210 * big, W * 0.28), Math.min(130, W * 0.36))
    const traceH = Math.max(g.narrow ? 104 : 90, H * 0.26)
    const m = {l: 58 * big, r: 12, t: 14, b: 34 * big}
    const b = plotBox(m.l, m.t, W - sideW - m.l - m.r, H - traceH - m.t - m.b - 10, [run.xmin, run.xmax], [run.emin, run.emax])
    axes(g, b, {xlabel: _("position x"), ylabel: _("energy"), xticks: 8, yticks: 5, yfmt: (e) => num(e, e < 10 ? 1 : 0),
                xfmt: (x) => loc(String(x)), xlabelGap: 30})
    absorbers(g, b, run)
    potential(g, b, run)
    hline(g, b, run.energy, "energy", {dash: [6, 4], label: `⟨E⟩ = ${num(run.energy, 2)}`, align: "left",
                                       dy: -6, x: b.X(run.xmin + run.absorber) + 6})
    const i = Math.min(clock.frame, run.frames.length - 1)
    if (i >= 0) wave(g, b, run, run.frames[i], model)
    // (a narrow canvas leaves out the packet's energy line: its label names it)
    const items = g.narrow ? [["potential_edge", "V(x)"]] : [["potential_edge", _("potential V(x)")], ["energy", _("packet energy")]]
    if (model.display !== "real_imag") items.push(["packet_edge", "|ψ|²"])
    if (model.display !== "density") items.push(["re", "Re ψ"], ["im", "Im ψ"])
    legend(g, items, Math.max(b.x0 + 4, b.X(run.xmax - run.absorber) - (g.narrow ? 104 : 150) * big), m.t + 22 * big,
           {size: g.narrow ? 12 : 13, rowStep: g.narrow ? 14 : 17})
    sideBars(g, run, i, W - sideW + 10, b.y0 + b.h, sideW, b.h - 30 * big, model)
    // on a narrow canvas the traces' key takes two rows of its own, inside the traces' band
    traces(g, run, i, m.l, H - 26 * big, W - m.l - m.r, traceH - 30 * big - (g.narrow ? 30 : 8 * big))
  },
}

// the absorbing layers at both ends, with their labels kept inside their bands
function absorbers(g, b, run) {
  const {ctx} = g
  ctx.fillStyle = color("absorber")
  const left = b.X(run.xmin + run.absorber) - b.X(run.xmin)
  ctx.fillRect(b.X(run.xmin), b.y0, left, b.h)
  ctx.fillRect(b.X(run.xmax - run.absorber), b.y0, b.X(run.xmax) - b.X(run.xmax - run.absorber), b.h)
  ctx.font = font(g, 13)
  const text = _("absorber")
  const px = Math.max(8, Math.min(13 * g.big, 13 * g.big * (left - 6) / Math.max(ctx.measureText(text).width, 1)))
  for (const x of [run.xmin + run.absorber / 2, run.xmax - run.absorber / 2]) {
    label(g, text, b.X(x), b.y0 + 4 + px, "absorber_label", {size: px / g.big, align: "center"})
  }
}

// the potential, drawn to scale on the energy axis (cut at its top)
function potential(g, b, run) {
  const V = run.V, n = V.length, dx = (run.xmax - run.xmin) / n, px = [], py = []
  for (let i = 0; i < n; i++) {
    const y = b.Y(Math.min(V[i], run.emax))
    px.push(b.X(run.xmin + i * dx), b.X(run.xmin + (i + 1) * dx)); py.push(y, y)
  }
  area(g, px, py, b.Y(0), "potential", {alpha: 0.55})
  const {ctx} = g
  ctx.beginPath(); ctx.moveTo(b.X(run.xmin), b.Y(0))
  for (let i = 0; i < px.length; i++) ctx.lineTo(px[i], py[i])
  ctx.lineTo(b.X(run.xmax), b.Y(0)); ctx.closePath()
  ctx.strokeStyle = color("potential_edge"); ctx.lineWidth = 1.5 * g.big; ctx.stroke()
}

// the wave on its energy line: |psi|^2 (filled, or coloured by phase) and/or Re psi, Im psi
function wave(g, b, run, f, model) {
  const {ctx} = g, npts = f.re.length, E = run.energy
  const xs = new Array(npts), dens = new Array(npts)
  for (let i = 0; i < npts; i++) {
    xs[i] = b.X(run.xmin + (i + 0.5) * (run.xmax - run.xmin) / npts)
    dens[i] = f.re[i] * f.re[i] + f.im[i] * f.im[i]
  }
  const ampP = run.wave_span / run.pmax, ampA = run.wave_span / Math.sqrt(run.pmax)
  if (model.display !== "real_imag") {
    const ys = dens.map((p) => b.Y(E + p * ampP))
    if (model.phase) {
      for (let i = 0; i < npts; i++) {
        const hue = (Math.atan2(f.im[i], f.re[i]) * 180 / Math.PI + 360) % 360
        ctx.fillStyle = `hsl(${hue},80%,50%)`      // the colour wheel is the phase itself, not a role
        ctx.fillRect(xs[i] - b.w / npts / 2, ys[i], b.w / npts + 0.6, b.Y(E) - ys[i])
      }
    } else {
      area(g, xs, ys, b.Y(E), "packet", {alpha: 0.55})
    }
    polyline(g, xs, ys, "packet_edge", {width: 1.5})
  }
  if (model.display !== "density") {
    polyline(g, xs, Array.from(f.re, (v) => b.Y(E + v * ampA)), "re", {width: 1.3})
    polyline(g, xs, Array.from(f.im, (v) => b.Y(E + v * ampA)), "im", {width: 1.3, dash: [4, 3]})
  }
}

// the side panel: T, R and "inside" as bars (T's paler top: what passed the barrier and is still
// moving), the predicted T as a dashed line
function sideBars(g, run, i, bx, by0, sideW, bh, model) {
  const {ctx, W, big} = g, bw = (sideW - 30) / 3
  ctx.strokeStyle = color("axis"); ctx.lineWidth = 1
  ctx.beginPath(); ctx.moveTo(bx - 4, by0); ctx.lineTo(W - 8, by0); ctx.stroke()
  const passed = run.passed[i]
  const vals = [["T", run.T[i], "transmitted", "T"], ["R", run.R[i], "reflected", "R"],
                ["inside", run.inside[i], "inside", _("inside")]]
  vals.forEach(([name, v, role, text], j) => {
    const x = bx + j * bw, hgt = (Number.isFinite(v) ? v : 0) * bh
    let top = hgt
    if (name === "T" && Number.isFinite(passed) && passed > v) {
      top = passed * bh
      bar(g, x + 4, by0 - hgt, bw - 8, top - hgt, role, {alpha: 0.35})
    }
    bar(g, x + 4, by0, bw - 8, hgt, role)
    label(g, text, x + bw / 2, by0 + 16 * big, "text", {align: "center"})
    const key = name === "T" && top > hgt ? "passed" : name
    label(g, model.hidden.includes(key) ? "?" : fmt(key === "passed" ? passed : v, 3), x + bw / 2, by0 - top - 5, "text",
          {align: "center"})
  })
  if (run.predicted >= 0 && !model.hidden.includes("predicted")) {
    const yp = by0 - run.predicted * bh
    const key = g.narrow ? _("predicted") : _("predicted T = {T}", {T: fmt(run.predicted, 3)})
    ctx.setLineDash([5, 3]); ctx.strokeStyle = color("predicted"); ctx.lineWidth = 2
    ctx.beginPath(); ctx.moveTo(bx, yp); ctx.lineTo(bx + bw, yp); ctx.stroke()
    ctx.beginPath(); ctx.moveTo(bx, by0 + 28 * big); ctx.lineTo(bx + 22, by0 + 28 * big); ctx.stroke()
    ctx.setLineDash([])
    label(g, key, bx + 28, by0 + 32 * big)
  }
}

// traces of "passed", T, R and "inside" against time up to the shown frame, with their key and a cursor
function traces(g, run, i, tx0, ty0, tw, th) {
  const {ctx, big} = g, tmax = Math.max(run.t[run.t.length - 1] || 1, 1e-9)
  ctx.strokeStyle = color("axis"); ctx.lineWidth = 1
  ctx.beginPath(); ctx.moveTo(tx0, ty0 - th); ctx.lineTo(tx0, ty0); ctx.lineTo(tx0 + tw, ty0); ctx.stroke()
  label(g, "1", tx0 - 6, ty0 - th + 4, "text", {align: "right"})
  label(g, "0", tx0 - 6, ty0 + 4, "text", {align: "right"})
  label(g, _("time → ({tmax})", {tmax: fmt(tmax, 0)}), tx0 + tw / 2, ty0 + 18 * big, "text", {align: "center"})
  const series = [["passed", "transmitted", [5, 4], _("passed the barrier")], ["T", "transmitted", [], _("T (absorbed right)")],
                  ["R", "reflected", [], _("R (absorbed left)")], ["inside", "inside", [], _("still inside")]]
  for (const [key, role, dash] of series) {
    strip(g, run.t, run[key], tx0, ty0, tw, th, 0, 1, role, {tmin: 0, tmax, dash, upto: i + 1})
  }
  // on a narrow canvas the key takes two rows, above the traces
  // (on a wide one, one row with room of its own above the strip's top line, which is the "1" of the traces)
  legend(g, series.map(([, role, dash, text]) => [role, text, dash]), tx0 + 8, ty0 - th - (g.narrow ? 6 + 14 * big : 9 * big),
         {down: false, swatch: "line", size: 12, gap: 50 / big, rowStep: 14})
  if (i >= 0) {
    const xc = tx0 + run.t[i] / tmax * tw
    ctx.strokeStyle = color("cursor"); ctx.lineWidth = 1
    ctx.beginPath(); ctx.moveTo(xc, ty0 - th); ctx.lineTo(xc, ty0); ctx.stroke()
  }
}


