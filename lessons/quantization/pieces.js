// The Quantization lesson's player: a Schrödinger run whose memory is quantized, played in the browser.
//
// setup: {run, label (the memory's format), x (the shown points), V (the potential there), v_top (the
// potential at the plot's top), v_label, mx_exact_label (how the exact <x>(t) is written)}.
// chunk (the whole run): {run, t (record times), q and ref (|psi|^2 / ||psi||^2 of the stored and of
// the exact run, frame-major: records x points), lognorm (log10 ||psi||^2), fid (fidelity), mx (<x>),
// mx_exact (the exact <x>(t)), valid (records before the run blew up, if it did)}.

const LESSON = {
  className: "ql-player ql-psi",
  name: "stored-psi",
  label: "Quantized wave function animation: space plays or pauses, r restarts",
  canvasLabel: "Probability density of the stored and the exact wave function",
  waiting: "Computing the run…",
  clock: {mode: "run", seconds: 10},
  bar: {name: "Quantized wave function animation", restart: "Restart the run", speed: "select", note: true},
  readoutHTML: `
        <span>‖ψ‖² = <b class="ql-norm">–</b></span>
        <span>fidelity = <b class="ql-fid">–</b></span>
        <span>⟨x⟩ = <b class="ql-mx">–</b> (exact <span class="ql-mx-exact-label"></span> = <b class="ql-mx-exact">–</b>)</span>`,
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
      run.valid < run.t.length ? `the stored run blew up at t = ${fmt(LESSON.end(run), 2)}` : ""
  },
  end: (run) => (run.t ? run.t[Math.max(0, run.valid - 1)] : 0),
  length: (run) => (run.t ? run.t[run.t.length - 1] : 1),

  clockText: (run, clock) => `t = ${fmt(clock.t, 2)}`,
  values(run, clock) {
    if (!run.t) return {}
    const j = index(run, clock.t), lg = run.lognorm[j]
    return {
      ".ql-norm": j >= run.valid ? "–" : Math.abs(lg) < 4 ? fmt(Math.pow(10, lg), 4)
        : `${fmt(Math.pow(10, lg - Math.floor(lg)), 2)}e${Math.floor(lg)}`,
      ".ql-fid": run.fid[j] >= 0 ? fmt(run.fid[j], 4) : "–",
      ".ql-mx": fmt(run.mx[j], 3), ".ql-mx-exact": fmt(run.mx_exact[j], 3)}
  },
  table(run) {
    if (!run.t) return null
    const v = run.valid
    return [["t", run.t.slice(0, v)], ["norm", Array.from(run.lognorm.slice(0, v), (x) => Math.pow(10, x))],
            ["fidelity", run.fid.slice(0, v)], ["mean_x", run.mx.slice(0, v)], ["mean_x_exact", run.mx_exact.slice(0, v)]]
  },

  draw(g, run, clock) {
    if (!run.t) { clear(g, LESSON.waiting); return }
    const {ctx, W, H, big} = g
    const xs = run.x, n = xs.length
    let top = 0
    for (const v of run.ref) top = Math.max(top, v)
    top *= 1.6
    const b = plotBox(56 * big, 34 * big, W - 56 * big - 16, H - 80 * big, [xs[0], xs[n - 1]], [0, top])
    const Y = (v) => b.Y(Math.min(v, top * 1.04))
    axes(g, b, {xlabel: "position x", ylabel: "|ψ|²", xticks: 8, yticks: 4, frame: true, xlabelGap: 34})
    ctx.save(); ctx.beginPath(); ctx.rect(b.x0, b.y0, b.w, b.h); ctx.clip()
    const px = Array.from(xs, (x) => b.X(x))
    // the potential, scaled so that v_top reaches the top
    polyline(g, px, Array.from(run.V, (v) => b.y0 + b.h - v / run.v_top * b.h), "potential_well", {width: 2})
    const j = index(run, clock.t), off = j * n
    const q = px.map((_, k) => Y(Math.max(0, run.q[off + k])))
    area(g, px, q, b.Y(0), "stored_psi", {alpha: 0.25})
    polyline(g, px, q, "stored_psi", {width: 2.5})
    polyline(g, px, px.map((_, k) => Y(run.ref[off + k])), "exact_psi", {width: 2, dash: [6, 4]})
    ctx.restore()
    let over = false
    for (let k = 0; k < n; k++) if (run.q[off + k] > top) over = true
    legend(g, [["stored_psi", `stored in ${run.label}: |ψ|²/‖ψ‖²`], ["exact_psi", "exact (float64)", [6, 4]],
               ["potential_well", run.v_label]], b.x0 + 4, b.y0 - 14 * big, {down: false, swatch: "line"})
    if (over) label(g, "▲ off the scale", b.x0 + b.w - 110 * big, b.y0 + 16 * big, "blowup")
  },
}

// the record at or before time t (records after a blow-up are not played)
function index(run, t) {
  const ts = run.t, n = Math.max(1, run.valid)
  const f = (t - ts[0]) / Math.max(ts[n - 1] - ts[0], 1e-12) * (n - 1)
  return Math.max(0, Math.min(n - 1, Math.round(f)))
}
