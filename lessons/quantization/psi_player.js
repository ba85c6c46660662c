// Browser-side animation of a Schrödinger run whose memory is quantized.
//
// The server sends a whole run once ("run": x, times t_k, |psi|^2 of the stored run q and of the
// exact run ref (frame-major, float32), log10 of the norm, the fidelity and <x>); this module plays it at
// display rate: both densities over the harmonic well, with a clock and text read-outs (for screen
// readers and tests).  Records after a run blew up (valid..end) are not played.

const BASE_COLORS = {q: "#1c7ed6", ref: "#495057", V: "rgba(232,89,12,0.35)", axis: "#333",
                grid: "rgba(0,0,0,0.08)", text: "#222", over: "#c92a2a"}
const RUN_SECONDS = 10    // a run plays in about this many seconds at speed 1

let COLORS = BASE_COLORS

export function render({ model, el }) {
  setPalette(model.palette); COLORS = themed(BASE_COLORS)
  const {root, canvas, ctx, $, playBtn} = mountPlayer(el, "ql-player ql-psi", runBar("Quantized wave function animation", "Restart the run") + `
      <canvas class="ql-canvas" role="img" aria-label="Probability density of the stored and the exact wave function"></canvas>
      <div class="ql-readout" aria-live="off">
        <span>‖ψ‖² = <b class="ql-norm">–</b></span>
        <span>fidelity = <b class="ql-fid">–</b></span>
        <span>⟨x⟩ = <b class="ql-mx">–</b> (exact 3 cos t = <b class="ql-mx-exact">–</b>)</span>
      </div>`)

  let run = null, lastReadout = 0
  const clock = runClock({
    root, $, playBtn, label: "Quantized wave function animation: space plays or pauses, r restarts",
    seconds: RUN_SECONDS, hasRun: () => run !== null, end: () => tEnd(), length: () => run.t[run.t.length - 1],
    draw: () => draw(), readouts: (force) => readouts(force),
  })

  exportButtons(root, "stored-psi", canvas, () => run && [
    ["t", run.t.slice(0, run.valid)], ["norm", Array.from(run.lognorm.slice(0, run.valid), (v) => Math.pow(10, v))],
    ["fidelity", run.fid.slice(0, run.valid)], ["mean_x", run.mx.slice(0, run.valid)],
    ["mean_x_exact", Array.from(run.t.slice(0, run.valid), (t) => 3 * Math.cos(t))]])

  function tEnd() { return run.t[Math.max(0, run.valid - 1)] }
  // the record at or before the current time
  function index() {
    const ts = run.t, n = Math.max(1, run.valid)
    const f = (clock.t - ts[0]) / Math.max(ts[n - 1] - ts[0], 1e-12) * (n - 1)
    return Math.max(0, Math.min(n - 1, Math.round(f)))
  }

  function resize() {
    const w = Math.max(320, root.clientWidth || el.clientWidth || 800)
    fitCanvas(canvas, ctx, w, Math.max(200, model.plot_height || 360))
    draw()
  }

  function draw() {
    const dpr = window.devicePixelRatio || 1
    const W = canvas.width / dpr, H = canvas.height / dpr
    const big = model.large_text ? 1.5 : 1
    ctx.clearRect(0, 0, W, H); ctx.fillStyle = tint("#fff"); ctx.fillRect(0, 0, W, H)
    ctx.fillStyle = COLORS.text; ctx.font = `${13 * big}px sans-serif`
    if (!run) { ctx.font = `${16 * big}px sans-serif`; ctx.fillText("Computing the run…", 20, 40); return }
    const x0 = 56 * big, y0 = 34 * big, w = W - x0 - 16, h = H - y0 - 46 * big
    const xs = run.x, n = xs.length, xa = xs[0], xb = xs[n - 1]
    let top = 0
    for (const v of run.ref) top = Math.max(top, v)
    top *= 1.6
    const X = v => x0 + (v - xa) / (xb - xa) * w, Y = v => y0 + h - Math.min(v, top * 1.04) / top * h
    ctx.strokeStyle = COLORS.grid; ctx.lineWidth = 1
    for (const v of niceTicks(0, top, 4)) {
      ctx.beginPath(); ctx.moveTo(x0, Y(v)); ctx.lineTo(x0 + w, Y(v)); ctx.stroke()
      ctx.textAlign = "right"; ctx.fillText(String(v), x0 - 6, Y(v) + 4)
    }
    ctx.textAlign = "center"
    for (const v of niceTicks(xa, xb, 8)) ctx.fillText(String(v), X(v), y0 + h + 16 * big)
    ctx.fillText("position x", x0 + w / 2, y0 + h + 34 * big)
    ctx.save(); ctx.translate(14, y0 + h / 2); ctx.rotate(-Math.PI / 2); ctx.fillText("|ψ|²", 0, 0); ctx.restore()
    ctx.textAlign = "left"
    ctx.strokeStyle = COLORS.axis; ctx.lineWidth = 1.2; ctx.strokeRect(x0, y0, w, h)
    ctx.save(); ctx.beginPath(); ctx.rect(x0, y0, w, h); ctx.clip()
    // the well V = x^2/2, scaled so that V = 8 reaches the top
    ctx.strokeStyle = COLORS.V; ctx.lineWidth = 2 * big; ctx.beginPath()
    for (let k = 0; k < n; k++) { const y = y0 + h - (xs[k] * xs[k] / 2) / 8 * h; k ? ctx.lineTo(X(xs[k]), y) : ctx.moveTo(X(xs[k]), y) }
    ctx.stroke()
    const j = index(), off = j * n
    ctx.fillStyle = tint("rgba(28,126,214,0.25)"); ctx.strokeStyle = COLORS.q; ctx.lineWidth = 2.5 * big
    ctx.beginPath(); ctx.moveTo(X(xs[0]), Y(0))
    for (let k = 0; k < n; k++) ctx.lineTo(X(xs[k]), Y(Math.max(0, run.q[off + k])))
    ctx.lineTo(X(xs[n - 1]), Y(0)); ctx.closePath(); ctx.fill(); ctx.stroke()
    ctx.strokeStyle = COLORS.ref; ctx.setLineDash([6, 4]); ctx.lineWidth = 2 * big; ctx.beginPath()
    for (let k = 0; k < n; k++) k ? ctx.lineTo(X(xs[k]), Y(run.ref[off + k])) : ctx.moveTo(X(xs[k]), Y(run.ref[off + k]))
    ctx.stroke(); ctx.setLineDash([])
    ctx.restore()
    let over = false
    for (let k = 0; k < n; k++) if (run.q[off + k] > top) over = true
    const items = [[`stored in ${run.label}: |ψ|²/‖ψ‖²`, COLORS.q, []], ["exact (float64)", COLORS.ref, [6, 4]],
                   ["well V = x²/2", COLORS.V, []]]
    let lx = x0 + 4
    for (const [label, col, dash] of items) {
      ctx.strokeStyle = col; ctx.lineWidth = 2.5 * big; ctx.setLineDash(dash)
      ctx.beginPath(); ctx.moveTo(lx, y0 - 14 * big); ctx.lineTo(lx + 22 * big, y0 - 14 * big); ctx.stroke()
      ctx.setLineDash([]); ctx.fillStyle = COLORS.text
      ctx.fillText(label, lx + 26 * big, y0 - 10 * big)
      lx += ctx.measureText(label).width + 46 * big
    }
    if (over) { ctx.fillStyle = COLORS.over; ctx.fillText("▲ off the scale", x0 + w - 110 * big, y0 + 16 * big) }
  }

  function readouts(force) {
    const now = performance.now()
    if (!force && now - lastReadout < 200) return
    lastReadout = now
    const j = index()
    $(".ql-clock").textContent = `t = ${fmt(clock.t, 2)}`
    const lg = run.lognorm[j]
    $(".ql-norm").textContent = j >= run.valid ? "–" : Math.abs(lg) < 4 ? fmt(Math.pow(10, lg), 4) : `${fmt(Math.pow(10, lg - Math.floor(lg)), 2)}e${Math.floor(lg)}`
    $(".ql-fid").textContent = run.fid[j] >= 0 ? fmt(run.fid[j], 4) : "–"
    $(".ql-mx").textContent = fmt(run.mx[j], 3)
    $(".ql-mx-exact").textContent = fmt(3 * Math.cos(run.t[j]), 3)
  }

  model.on("msg:custom", (msg) => {
    if (msg.kind !== "run") return
    run = {...msg, x: plain(msg.x), t: plain(msg.t), q: plain(msg.q), ref: plain(msg.ref), lognorm: plain(msg.lognorm),
           fid: plain(msg.fid), mx: plain(msg.mx)}
    root.dataset.run = String(msg.id)
    $(".ql-note").textContent = run.valid < run.t.length ? `the stored run blew up at t = ${fmt(tEnd(), 2)}` : ""
    clock.newRun(model.autoplay)
  })
  model.on("large_text", () => clock.frame(true))
  startPlayer(model, root, resize, clock.stop)
}
