// The Anderson lesson's player: an electron on a disordered (and perhaps vibrating) chain, frames
// pulled from the server as they play.
//
// setup: {run, sites, x (the display points' site positions), eps (the static site energies there),
// origin (the start site), moving (the lattice vibrates), t_max, frames (of the whole run), absorber
// (sites of each absorbing end, 0 for open ends), W, A, c}.
// chunk: frames start..end-1: t, density (|psi|^2 per site at the display points, frame-major),
// msd (<(x - origin)^2>), pr (participation ratio), norm, mean_x and, when moving, eps (the site
// energies at each frame, frame-major).  NaN travels as -1.
// The packet is drawn over the chain with each site's energy as a bar under it; below, <x^2>(t) on
// log-log axes with the slopes of ballistic (t^2), diffusive (t) and localized (t^0) motion.

// Every string shown is English marked N_() here and translated where the shell shows it, or _() where
// this module shows it (lessons/common/pieces.js); numbers shown go through num(). The CSV (table) keeps
// English column names and numbers with a dot: a program reads it.
const LESSON = {
  className: "ql-player ql-lattice",
  name: "anderson-run",
  label: N_("Electron on a disordered chain: space plays or pauses, r restarts, arrow keys step"),
  canvasLabel: N_("The electron's probability on the chain over the site energies, and its spread against time"),
  waiting: N_("Preparing the run…"),
  clock: {mode: "frames", fps: 30, pull: {low: 1.5, ahead: 3}},
  bar: {name: N_("Animation controls"), restart: N_("Restart the run"), step: true, speed: "select", status: "bar",
        clockZero: "t = 0"},
  // (label and unit apart: each is a text of its own beside the value, in every language)
  readoutHTML: () => `
        <span>${_("spread √⟨x²⟩")} = <b class="ql-spread">–</b> ${_("sites")}</span>
        <span>${_("participation ratio")} <b class="ql-pr">–</b> ${_("sites")}</span>
        <span>${_("still on the chain")} <b class="ql-norm">–</b></span>`,
  minHeight: 440,
  aspect: 0.62,
  watch: {scale: "redraw"},

  setup(msg) {
    const run = {...msg, x: plain(msg.x), eps: plain(msg.eps), P: msg.x.length}
    for (const key of ["t", "msd", "pr", "norm", "mean_x"]) run[key] = []
    run.density = []; run.epsAt = []
    let e = 0
    for (const v of run.eps) e = Math.max(e, Math.abs(v))
    run.emax = Math.max(e, (msg.A || 0) * 3, 0.5)
    return run
  },
  chunk(msg, run) {
    const density = plain(msg.density), eps = msg.eps ? plain(msg.eps) : null, n = msg.t.length
    for (let j = 0; j < n; j++) {
      const i = msg.start + j
      for (const key of ["t", "msd", "pr", "norm", "mean_x"]) run[key][i] = msg[key][j]
      run.density[i] = density.subarray(j * run.P, (j + 1) * run.P)
      if (eps) run.epsAt[i] = eps.subarray(j * run.P, (j + 1) * run.P)
    }
  },
  frames: (run) => run.t.length,

  clockText(run, clock) {
    const i = Math.min(clock.frame, run.t.length - 1)
    return `t = ${i >= 0 ? num(run.t[i], 1) : "0"}`
  },
  values(run, clock) {
    const i = Math.min(clock.frame, run.t.length - 1)
    if (i < 0) return {}
    return {".ql-spread": fmt(Math.sqrt(Math.max(run.msd[i], 0)), 1), ".ql-pr": fmt(run.pr[i], 1),
            ".ql-norm": fmt(run.norm[i], 3)}
  },
  status: (run, clock, s) => pulledStatus(run, clock, s, _("waiting for the run…")),
  table: (run) => run.t.length ? [["t", run.t], ["msd", run.msd], ["participation_ratio", run.pr], ["norm", run.norm],
                                  ["mean_x", run.mean_x]] : null,

  draw(g, run, clock, model) {
    const {W, H, big} = g
    const i = Math.min(clock.frame, run.t.length - 1)
    if (i < 0) { clear(g, _(LESSON.waiting)); return }
    const left = 62 * big, right = 14
    const topH = Math.round((H - 40 * big) * 0.56)
    chain(g, run, i, model, left, 26 * big, W - left - right, topH - 26 * big)
    spreadPlot(g, run, i, plotBox(left, topH + 58 * big, W - left - right, H - topH - 100 * big, [0, 1], [0, 1]))
  },
}

// |psi|^2 on the chain (linear or log axis), the start site, the absorbing ends, and under the axis
// each site's energy as a bar (at this frame's time on a vibrating lattice)
function chain(g, run, i, model, x0, y0, w, h) {
  const {ctx, big} = g, log = model.scale === "log", d = run.density[i], P = run.P
  const stripH = Math.min(46 * big, h * 0.26), plotH = h - stripH - 8 * big
  let top = 0
  for (let k = 0; k < P; k++) top = Math.max(top, d[k])
  const yr = log ? [-14, 0] : [0, Math.max(top * 1.15, 1e-6)]
  const b = plotBox(x0, y0, w, plotH, [0, run.sites - 1], yr)
  axes(g, b, {ylabel: log ? "log₁₀ |ψ|²" : _("|ψ|² per site"), xticks: 8, yticks: log ? 7 : 4, frame: true,
              yfmt: (v) => log ? String(v) : (top < 0.01 ? v.toExponential(0) : loc(String(+v.toFixed(3)))),
              xlabel: "", tickGap: stripH / big + 22, ylabelX: Math.max(12 * big, x0 - 48 * big)})   // (axes scales tickGap by the type size)
  if (run.absorber > 0) {
    const a = b.X(run.absorber) - b.x0
    ctx.fillStyle = color("absorber")
    ctx.fillRect(b.x0, b.y0, a, b.h); ctx.fillRect(b.x0 + b.w - a, b.y0, a, b.h)
  }
  const px = Array.from(run.x, (x) => b.X(x))
  const py = Array.from(d, (v) => b.Y(log ? Math.max(Math.log10(Math.max(v, 1e-300)), yr[0]) : v))
  ctx.save(); ctx.beginPath(); ctx.rect(b.x0, b.y0, b.w, b.h); ctx.clip()
  area(g, px, py, b.Y(yr[0]), "electron", {alpha: 0.35})
  polyline(g, px, py, "electron_edge", {width: 1.8})
  vline(g, b, run.origin, "start_site", {width: 1.2, dash: [4, 4]})
  ctx.restore()
  // the site energies: a bar per display point from the strip's middle, up for eps > 0
  const eps = run.moving && run.epsAt[i] ? run.epsAt[i] : run.eps
  const sy = b.y0 + b.h + 6 * big + stripH / 2, scale = (stripH / 2 - 2) / run.emax
  const bw = Math.max(1, b.w / P)
  ctx.fillStyle = color("site_energy")
  for (let k = 0; k < P; k++) {
    const v = eps[k] * scale
    ctx.fillRect(px[k] - bw / 2, v > 0 ? sy - v : sy, bw, Math.max(Math.abs(v), 0.5))
  }
  label(g, "εᵢ", b.x0 - 8, sy + 4 * big, "text", {size: 13, align: "right"})
  label(g, _("site i"), b.x0 + b.w / 2, b.y0 + b.h + stripH + 40 * big, "text", {size: 13, align: "center"})
  // (a narrow canvas gets short names: the legend stays on one row above the plot)
  const items = g.narrow ? [["electron_edge", "|ψ|²"], ["start_site", _("start"), [4, 4]], ["site_energy", _("εᵢ (bars)")]]
    : [["electron_edge", _("|ψ|² of the electron")], ["start_site", _("start"), [4, 4]],
       ["site_energy", _("site energies εᵢ (bars under the axis)")]]
  legend(g, items, b.x0, y0 - 10 * big, {down: false, swatch: "line", maxX: b.x0 + b.w, gap: 44})
}

// <x^2>(t) on log-log axes up to frame i, with the slopes 2, 1 and 0 through its first point
function spreadPlot(g, run, i, b0) {
  const {ctx, big} = g
  const t1 = run.t_max / Math.max(run.frames - 1, 1), tN = run.t_max
  let lo = Infinity, hi = -Infinity
  for (let k = 1; k < run.t.length; k++) {
    const m = run.msd[k]
    if (m > 0) { lo = Math.min(lo, m); hi = Math.max(hi, m) }
  }
  if (!(hi > 0)) { lo = 1; hi = 10 }
  const ylo = Math.floor(Math.log10(lo)) - 0.2, yhi = Math.max(Math.log10(hi) + 0.4, ylo + 2)
  const xr = [Math.log10(t1), Math.log10(tN)]
  const b = plotBox(b0.x0, b0.y0, b0.w, b0.h, xr, [ylo, yhi])
  const pow = (v) => (Number.isInteger(v) ? `10${sup(v)}` : "")
  axes(g, b, {xlabel: _("time t (units of 1/J)"), ylabel: "⟨(x − x₀)²⟩", xticks: 6, yticks: 5, frame: true,
              xfmt: pow, yfmt: pow, ylabelX: Math.max(12 * big, b.x0 - 48 * big)})
  const px = [], py = []
  for (let k = 1; k <= i && k < run.t.length; k++) {
    if (run.msd[k] > 0) { px.push(b.X(Math.log10(run.t[k]))); py.push(b.Y(Math.log10(run.msd[k]))) }
  }
  // the guides through the first point: t^2, t, t^0
  if (run.t.length > 1 && run.msd[1] > 0) {
    const lx = Math.log10(run.t[1]), ly = Math.log10(run.msd[1])
    ctx.save(); ctx.beginPath(); ctx.rect(b.x0, b.y0, b.w, b.h); ctx.clip()
    for (const [slope, role] of [[2, "ballistic"], [1, "diffusive"], [0, "localized"]]) {
      polyline(g, [b.X(xr[0]), b.X(xr[1])], [b.Y(ly + slope * (xr[0] - lx)), b.Y(ly + slope * (xr[1] - lx))], role,
               {width: 1.3, dash: [6, 4]})
    }
    polyline(g, px, py, "msd", {width: 2.6})
    ctx.restore()
  }
  const items = g.narrow
    ? [["msd", "⟨x²⟩"], ["ballistic", "t²", [6, 4]], ["diffusive", "t", [6, 4]], ["localized", "t⁰", [6, 4]]]
    : [["msd", _("⟨x²⟩ of the electron")], ["ballistic", _("∝ t² ballistic"), [6, 4]],
       ["diffusive", _("∝ t diffusive"), [6, 4]], ["localized", _("∝ t⁰ localized"), [6, 4]]]
  legend(g, items, b.x0, b.y0 - 10 * big, {down: false, swatch: "line", maxX: b.x0 + b.w, gap: 44})
}



// digits as superscripts: -2 -> ⁻²
function sup(k) { return String(k).split("").map(c => (c === "-" ? "⁻" : "⁰¹²³⁴⁵⁶⁷⁸⁹"[+c])).join("") }
