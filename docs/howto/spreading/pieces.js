// The Spreading lesson's player: |psi(x, t)|^2 of a free packet, played on the browser's clock.
//
// setup: {run, x (the shown points), top (the largest |psi|^2 at t = 0)}
// chunk (the whole run): {t, density (frame-major: t.length rows of x.length points), centre, width}

const LESSON = {
  className: "ql-player",
  name: "spreading",
  label: N_("Spreading packet animation: space plays or pauses, r restarts"),
  canvasLabel: N_("Probability density of a free wave packet"),
  waiting: N_("Computing the run…"),
  clock: {mode: "run", seconds: 8},
  bar: {name: N_("Animation controls"), restart: N_("Restart the animation"), speed: "select"},
  readoutHTML: () => `
        <span>${_("centre ⟨x⟩ =")} <b class="ql-centre">–</b></span>
        <span>${_("width σ(t) =")} <b class="ql-width">–</b></span>`,
  minHeight: 240,
  aspect: 0.5,

  setup: (msg) => ({...msg, x: plain(msg.x), t: null}),
  chunk(msg, run) {
    for (const key of ["t", "density", "centre", "width"]) run[key] = plain(msg[key])
  },
  length: (run) => (run.t ? run.t[run.t.length - 1] : 1),
  clockText: (run, clock) => `t = ${num(clock.t, 2)}`,
  values(run, clock) {
    if (!run.t) return {}
    const j = frameAt(run, clock.t)
    return {".ql-centre": num(run.centre[j], 2), ".ql-width": num(run.width[j], 3)}
  },
  table: (run) => (run.t ? [["t", run.t], ["centre", run.centre], ["width", run.width]] : null),

  draw(g, run, clock) {
    if (!run.t) { clear(g, _(LESSON.waiting)); return }
    const {W, H, big} = g, xs = run.x, n = xs.length
    const b = plotBox(56 * big, 30 * big, W - 56 * big - 16, H - 76 * big, [xs[0], xs[n - 1]], [0, 1.15 * run.top])
    axes(g, b, {xlabel: _("position x"), ylabel: "|ψ|²", xticks: 8, yticks: 4, frame: true})
    const j = frameAt(run, clock.t), px = Array.from(xs, (x) => b.X(x))
    const py = px.map((_, k) => b.Y(run.density[j * n + k]))
    area(g, px, py, b.Y(0), "packet", {alpha: 0.25})
    polyline(g, px, py, "packet", {width: 2.5})
    legend(g, [["packet", "|ψ(x, t)|²"]], b.x0 + 4, b.y0 - 12 * big, {down: false, swatch: "line"})
  },
}

// the frame at or before time t
function frameAt(run, t) {
  const ts = run.t, last = ts.length - 1
  return Math.max(0, Math.min(last, Math.round(t / ts[last] * last)))
}
