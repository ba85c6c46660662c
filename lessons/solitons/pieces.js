// The Solitons lesson's player: a Klein–Gordon field over its vacua and its energy density under it,
// frames pulled from the server as they play.
//
// setup: {run, x (the display points), xmin, xmax, t_end, frames (of the whole run), field ("phi4",
// "sine_gordon", "linear"), scene, vacua (the field values of the vacua), phi_lo, phi_hi (the field
// axis), e_max (the energy-density axis), has_exact (a closed form is sent), energy0 (E at t = 0),
// expected (the closed-form energy, -1 for none), rest_dx, rest_phi (the single kink at rest: offsets
// from its centre and its field, or null)}.
// chunk: frames start..end-1: t, phi and density (frame-major, at the display points), exact (the
// closed-form phi, frame-major, when the scene has one), energy (the total energy) and peak (where
// the energy density is largest: the single kink's centre).

// Every string shown is English marked N_() here and translated where the shell shows it, or _() where
// this module shows it (lessons/common/pieces.js); numbers shown go through num(). The CSV (table) keeps
// English column names and numbers with a dot: a program reads it.
const LESSON = {
  className: "ql-player ql-field",
  name: "field-run",
  label: N_("Field animation: space plays or pauses, r restarts, arrow keys step"),
  canvasLabel: N_("The field φ over its vacua, and its energy density under it"),
  waiting: N_("Preparing the run…"),
  clock: {mode: "frames", fps: 30, pull: {low: 1.5, ahead: 3}},
  bar: {name: N_("Animation controls"), restart: N_("Restart the run"), step: true, speed: "select", status: "bar",
        clockZero: "t = 0"},
  // (label and value apart: each is a text of its own, in every language)
  readoutHTML: () => `
        <span>${_("energy E")} = <b class="ql-energy">–</b></span>
        <span>${_("drift ΔE/E₀")} <b class="ql-drift">–</b></span>`,
  minHeight: 380,
  aspect: 0.6,
  watch: {exact: "redraw"},

  setup(msg) {
    const run = {...msg, x: plain(msg.x), P: msg.x.length,
                 rest: msg.rest_dx ? {dx: plain(msg.rest_dx), phi: plain(msg.rest_phi)} : null}
    for (const key of ["t", "energy", "peak"]) run[key] = []
    run.phi = []; run.density = []; run.exactPhi = []
    return run
  },
  chunk(msg, run) {
    const phi = plain(msg.phi), density = plain(msg.density), exact = msg.exact ? plain(msg.exact) : null
    const n = msg.t.length
    for (let j = 0; j < n; j++) {
      const i = msg.start + j
      run.t[i] = msg.t[j]; run.energy[i] = msg.energy[j]; run.peak[i] = msg.peak[j]
      run.phi[i] = phi.subarray(j * run.P, (j + 1) * run.P)
      run.density[i] = density.subarray(j * run.P, (j + 1) * run.P)
      if (exact) run.exactPhi[i] = exact.subarray(j * run.P, (j + 1) * run.P)
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
    const drift = (run.energy[i] - run.energy0) / Math.abs(run.energy0 || 1)
    return {".ql-energy": fmt(run.energy[i], 4), ".ql-drift": sci(drift)}
  },
  status: (run, clock, s) => pulledStatus(run, clock, s, _("waiting for the run…")),
  table: (run) => run.t.length ? [["t", run.t], ["energy", run.energy]] : null,

  draw(g, run, clock, model) {
    const {W, H, big} = g
    const i = Math.min(clock.frame, run.t.length - 1)
    if (i < 0) { clear(g, _(LESSON.waiting)); return }
    const left = 58 * big, right = 14, top = 30 * big
    const fieldH = Math.round((H - top - 64 * big) * 0.62)
    const fb = plotBox(left, top, W - left - right, fieldH, [run.xmin, run.xmax], [run.phi_lo, run.phi_hi])
    fieldPanel(g, fb, run, i, model)
    const eb = plotBox(left, top + fieldH + 26 * big, W - left - right, H - top - fieldH - 64 * big,
                       [run.xmin, run.xmax], [0, run.e_max])
    densityPanel(g, eb, run, i)
  },
}

// The field phi(x) at frame i over dotted lines at its vacua, and the closed form dashed over it.
function fieldPanel(g, b, run, i, model) {
  const {ctx, big} = g
  const piTicks = run.field === "sine_gordon"
  axes(g, b, {ylabel: _("field φ"), xticks: 8, yticks: piTicks ? 0 : run.field === "phi4" ? 6 : 4, frame: true,
              xfmt: () => "", ylabelX: Math.max(12 * big, b.x0 - 46 * big)})
  if (piTicks) {
    // sine-Gordon's vacua are multiples of 2π: tick the axis in units of π
    ctx.font = font(g, 13); ctx.fillStyle = color("text"); ctx.textAlign = "right"
    for (let k = Math.ceil(b.yr[0] / Math.PI); k <= Math.floor(b.yr[1] / Math.PI); k++) {
      ctx.fillText(k === 0 ? "0" : `${k === 1 ? "" : k === -1 ? "−" : String(k).replace("-", "−")}π`, b.x0 - 6, b.Y(k * Math.PI) + 4)
    }
  }
  for (const v of run.vacua) hline(g, b, v, "vacuum", {width: 1.2, dash: [2, 4]})
  const px = Array.from(run.x, (x) => b.X(x))
  ctx.save(); ctx.beginPath(); ctx.rect(b.x0, b.y0, b.w, b.h); ctx.clip()
  // the same kink at rest, centred where the moving one is: its contraction at a glance
  if (run.rest) polyline(g, Array.from(run.rest.dx, (d) => b.X(run.peak[i] + d)), Array.from(run.rest.phi, (v) => b.Y(v)),
                         "rest_kink", {width: 5})
  polyline(g, px, Array.from(run.phi[i], (v) => b.Y(v)), "field", {width: 2.4})
  const exact = run.exactPhi[i]
  if (model.exact && exact) polyline(g, px, Array.from(exact, (v) => b.Y(v)), "exact_field", {width: 1.4, dash: [6, 5]})
  ctx.restore()
  const items = [["field", g.narrow ? "φ" : _("field φ(x, t)")]]
  if (model.exact && run.has_exact) items.push(["exact_field", g.narrow ? _("exact") : _("closed form"), [6, 5]])
  if (run.rest) items.push(["rest_kink", g.narrow ? _("at rest") : _("the kink at rest")])
  items.push(["vacuum", g.narrow ? _("vacua") : _("vacua (V = 0)"), [2, 4]])
  legend(g, items, b.x0, b.y0 - 10 * big, {down: false, swatch: "line", maxX: b.x0 + b.w, gap: 40})
}

// The energy density e(x) = φ_t²/2 + φ_x²/2 + V(φ) at frame i, filled, on its own axis.
function densityPanel(g, b, run, i) {
  const {ctx, big} = g
  axes(g, b, {xlabel: _("position x"), ylabel: _("energy density"), xticks: 8, yticks: 3, frame: true,
              yfmt: (v) => loc(String(+v.toPrecision(3))), ylabelX: Math.max(12 * big, b.x0 - 46 * big)})
  const px = Array.from(run.x, (x) => b.X(x))
  const py = Array.from(run.density[i], (v) => b.Y(Math.min(v, run.e_max)))
  ctx.save(); ctx.beginPath(); ctx.rect(b.x0, b.y0, b.w, b.h); ctx.clip()
  area(g, px, py, b.Y(0), "energy_density", {alpha: 0.45})
  polyline(g, px, py, "energy_density_edge", {width: 1.6})
  ctx.restore()
}

// A small relative number in scientific notation, the page's way: 2,1·10⁻⁴.
function sci(v) {
  if (!Number.isFinite(v)) return "–"
  if (v === 0) return "0"
  const e = Math.floor(Math.log10(Math.abs(v)))
  if (e >= -2) return num(v, 3)
  const m = v / Math.pow(10, e)
  return `${num(m, 1)}·10${String(e).split("").map(c => (c === "-" ? "⁻" : "⁰¹²³⁴⁵⁶⁷⁸⁹"[+c])).join("")}`
}
