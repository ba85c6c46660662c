// The Quantization lesson's player: a Schrödinger run whose memory is quantized, played in the browser.
//
// setup: {run, label (the memory's format), x (the shown points), V (the potential there), v_top (the
// potential at the plot's top), v_label, mx_exact_label (how the exact <x>(t) is written)}.
// chunk (the whole run): {run, t (record times), q and ref (|psi|^2 / ||psi||^2 of the stored and of
// the exact run, frame-major: records x points), lognorm (log10 ||psi||^2), fid (fidelity), mx (<x>),
// mx_exact (the exact <x>(t)), valid (records before the run blew up, if it did)}.
// Every text shown is written _("English") (N_ in LESSON's fields the shell translates) and every number
// num()/loc() (the page's decimal sign); the CSV keeps English column names and decimal points.

const LESSON = {
  className: "ql-player ql-psi",
  name: "stored-psi",
  label: N_("Quantized wave function animation: space plays or pauses, r restarts"),
  canvasLabel: N_("Probability density of the stored and the exact wave function"),
  waiting: N_("Computing the run…"),
  clock: {mode: "run", seconds: 10},
  bar: {name: N_("Quantized wave function animation"), restart: N_("Restart the run"), speed: "select", note: true},
  readoutHTML: () => `
        <span>‖ψ‖² = <b class="ql-norm">–</b></span>
        <span>${_("fidelity")} = <b class="ql-fid">–</b></span>
        <span>⟨x⟩ = <b class="ql-mx">–</b> (${_("exact")} <span class="ql-mx-exact-label"></span> = <b class="ql-mx-exact">–</b>)</span>`,
  minHeight: 260,
  aspect: 0.6,

  setup(msg, api) {
    api.root.querySelector(".ql-mx-exact-label").textContent = msg.mx_exact_label
    return {...msg, x: plain(msg.x), V: plain(msg.V), t: null}
  },
  chunk(msg, run, api) {
    for (const key of ["t", "q", "ref", "lognorm", "fid", "mx", "mx_exact"]) run[key] = plain(msg[key])
    run.valid = msg.valid
    api.root.querySelector(".ql-note").textContent =
      run.valid < run.t.length ? _("the stored run blew up at t = {t}", {t: num(LESSON.end(run), 2)}) : ""
  },
  end: (run) => (run.t ? run.t[Math.max(0, run.valid - 1)] : 0),
  length: (run) => (run.t ? run.t[run.t.length - 1] : 1),

  clockText: (run, clock) => `t = ${num(clock.t, 2)}`,
  values(run, clock) {
    if (!run.t) return {}
    const j = index(run, clock.t), lg = run.lognorm[j]
    return {
      ".ql-norm": j >= run.valid ? "–" : Math.abs(lg) < 4 ? dashNum(Math.pow(10, lg), 4)
        : `${dashNum(Math.pow(10, lg - Math.floor(lg)), 2)}e${Math.floor(lg)}`,
      ".ql-fid": run.fid[j] >= 0 ? dashNum(run.fid[j], 4) : "–",
      ".ql-mx": dashNum(run.mx[j], 3), ".ql-mx-exact": dashNum(run.mx_exact[j], 3)}
  },
  table(run) {
    if (!run.t) return null
    const v = run.valid
    return [["t", run.t.slice(0, v)], ["norm", Array.from(run.lognorm.slice(0, v), (x) => Math.pow(10, x))],
            ["fidelity", run.fid.slice(0, v)], ["mean_x", run.mx.slice(0, v)], ["mean_x_exact", run.mx_exact.slice(0, v)]]
  },

  draw(g, run, clock) {
    if (!run.t) { clear(g, _(LESSON.waiting)); return }
    const {ctx, W, H, big} = g
    const xs = run.x, n = xs.length
    let top = 0
    for (const v of run.ref) top = Math.max(top, v)
    top *= 1.6
    // the legend over the plot, in as many rows as it needs at this width (the plot starts below it)
    const items = [["stored_psi", _("stored in {memory}: |ψ|²/‖ψ‖²", {memory: run.label})],
                   ["exact_psi", _("exact (float64)"), [6, 4]], ["potential_well", run.v_label]]
    const lg = legendLayout(g, items, 56 * big + 4, W - 4)
    const y0 = 20 * big + (lg.rows - 1) * lg.rowStep * big + 14 * big
    const b = plotBox(56 * big, y0, W - 56 * big - 16, H - y0 - 46 * big, [xs[0], xs[n - 1]], [0, top])
    const Y = (v) => b.Y(Math.min(v, top * 1.04))
    axes(g, b, {xlabel: _("position x"), ylabel: "|ψ|²", xticks: 8, yticks: 4, frame: true, xlabelGap: 34,
                xfmt: (v) => loc(String(v)), yfmt: (v) => loc(String(v))})
    ctx.save(); ctx.beginPath(); ctx.rect(b.x0, b.y0, b.w, b.h); ctx.clip()
    const px = Array.from(xs, (x) => b.X(x))
    // the potential, scaled so that v_top reaches the top
    polyline(g, px, Array.from(run.V, (v) => b.y0 + b.h - v / run.v_top * b.h), "potential_well", {width: 2})
    const j = index(run, clock.t), off = j * n
    const q = px.map((_x, k) => Y(Math.max(0, run.q[off + k])))
    area(g, px, q, b.Y(0), "stored_psi", {alpha: 0.25})
    polyline(g, px, q, "stored_psi", {width: 2.5})
    polyline(g, px, px.map((_x, k) => Y(run.ref[off + k])), "exact_psi", {width: 2, dash: [6, 4]})
    ctx.restore()
    let over = false
    for (let k = 0; k < n; k++) if (run.q[off + k] > top) over = true
    legend(g, items, b.x0 + 4, 20 * big, {down: false, swatch: "line", size: lg.size, rowStep: lg.rowStep})
    if (over) label(g, _("▲ off the scale"), b.x0 + b.w - 6 * big, b.y0 + 16 * big, "blowup", {align: "right"})
  },
}

// How the legend ``items`` fit across from x0 to maxX (as pieces.js legend() wraps them, line
// swatches): the type size (13 px, smaller if one item is wider than the room: a long memory name in
// German) and the rows it takes.
function legendLayout(g, items, x0, maxX) {
  const {ctx, big} = g, gap = 46 * big, swatch = 27 * big
  let size = 13
  ctx.font = font(g, size)
  const widest = Math.max(...items.map(([, text]) => ctx.measureText(text).width))
  if (swatch + widest > maxX - x0) size = Math.max(9, Math.floor(size * (maxX - x0 - swatch) / widest))
  ctx.font = font(g, size)
  let x = x0, rows = 1
  for (const [, text] of items) {
    const wide = swatch + ctx.measureText(text).width
    if (x > x0 && x + wide > maxX) { x = x0; rows += 1 }
    x += ctx.measureText(text).width + gap
  }
  return {size, rows, rowStep: size + 4}
}

// ``v`` with ``d`` decimals in the page's way (a dash where it is not finite)
function dashNum(v, d) { return Number.isFinite(v) ? num(v, d) : "–" }

// the record at or before time t (records after a blow-up are not played)
function index(run, t) {
  const ts = run.t, n = Math.max(1, run.valid)
  const f = (t - ts[0]) / Math.max(ts[n - 1] - ts[0], 1e-12) * (n - 1)
  return Math.max(0, Math.min(n - 1, Math.round(f)))
}
