// Browser-side animation of a battery's charging run.
//
// The server sends a whole run once ("run": times t_k, stored energy E, ergotropy W, local
// ergotropy Wloc, average power P and each spin's Bloch components: sz and the transverse one that
// moves, sh; all float32); this module
// interpolates it at display rate: the spins as arrows in the x-z plane, a battery gauge, and the
// curves with a moving cursor.  DOM read-outs are text for screen readers and hooks for tests.

const BASE_COLORS = {
  E: "#1c7ed6", W: "#2b8a3e", Wloc: "#e8590c", P: "#862e9c", axis: "#333", grid: "rgba(0,0,0,0.08)",
  text: "#222", up: "#e8590c", down: "#1c7ed6", ring: "#adb5bd", gauge: "#2b8a3e", cursor: "#c92a2a",
}
const RUN_SECONDS = 8     // a run plays in about this many seconds at speed 1

let COLORS = BASE_COLORS

export function render({ model, el }) {
  setPalette(model.palette); COLORS = themed(BASE_COLORS)
  const {root, canvas, ctx, $, playBtn} = mountPlayer(el, "ql-player ql-charge", runBar("Charging animation", "Restart the charging") + `
      <canvas class="ql-canvas" role="img" aria-label="Spins, battery gauge and charging curves"></canvas>
      <div class="ql-readout" aria-live="off">
        <span>stored E = <b class="ql-E">–</b></span>
        <span>ergotropy W = <b class="ql-W">–</b></span>
        <span>local W = <b class="ql-Wloc">–</b></span>
        <span>average power E/t = <b class="ql-P">–</b></span>
        <span class="ql-status" role="status"></span>
      </div>`)

  let run = null, lastReadout = 0
  const clock = runClock({
    root, $, playBtn, label: "Charging animation: space plays or pauses, r restarts", seconds: RUN_SECONDS,
    hasRun: () => run !== null, end: () => run.t[run.t.length - 1], length: () => run.t[run.t.length - 1],
    draw: () => draw(), readouts: (force) => readouts(force),   // the last frame's numbers are the run's final ones
  })

  exportButtons(root, "charging", canvas, () => run && [["t", run.t], ["stored_E", run.E], ["ergotropy_W", run.W],
                                                      ["local_W", run.Wloc], ["average_power", run.P]])

  // linear interpolation of series a (or column j of an (nt x n) array) at the current time
  function at(a, j = -1, n = 1) {
    const ts = run.t, nt = ts.length, t = clock.t
    if (!(t > ts[0])) return j < 0 ? a[0] : a[j]
    if (t >= ts[nt - 1]) return j < 0 ? a[nt - 1] : a[(nt - 1) * n + j]
    const f = (t - ts[0]) / (ts[nt - 1] - ts[0]) * (nt - 1), k = Math.floor(f), u = f - k
    const i0 = j < 0 ? k : k * n + j, i1 = j < 0 ? k + 1 : (k + 1) * n + j
    return a[i0] * (1 - u) + a[i1] * u
  }

  function resize() {
    const w = Math.max(320, root.clientWidth || el.clientWidth || 800)
    const h = Math.max(240, model.plot_height || 420)
    fitCanvas(canvas, ctx, w, h)
    draw()
  }

  function draw() {
    const dpr = window.devicePixelRatio || 1
    const W = canvas.width / dpr, H = canvas.height / dpr
    const big = model.large_text ? 1.5 : 1
    ctx.clearRect(0, 0, W, H); ctx.fillStyle = tint("#fff"); ctx.fillRect(0, 0, W, H)
    ctx.fillStyle = COLORS.text
    if (!run) {
      ctx.font = `${16 * big}px sans-serif`
      ctx.fillText("Computing the charging run…", 20, 40)
      return
    }
    const font = `${13 * big}px sans-serif`
    ctx.font = font
    const topH = Math.round(H * 0.36)
    drawSpins(10, 4, W - 130 * big, topH - 8, big)
    drawGauge(W - 110 * big, 8, 90 * big, topH - 16, big)
    drawCurves(56 * big, topH + 30 * big, W - 56 * big - 60 * big, H - topH - 66 * big, big)
  }

  function drawSpins(x0, y0, w, h, big) {
    const n = run.n, cell = w / n, r = Math.min(cell * 0.36, (h - 22 * big) * 0.42)
    for (let i = 0; i < n; i++) {
      const cx = x0 + cell * (i + 0.5), cy = y0 + (h - 22 * big) / 2 + 4
      const sx = at(run.sh, i, n), sz = at(run.sz, i, n), B = run.fields[i]
      ctx.strokeStyle = COLORS.ring; ctx.lineWidth = 1.5 * big
      ctx.beginPath(); ctx.arc(cx, cy, r, 0, 2 * Math.PI); ctx.stroke()
      // local energy B_i sz_i from -|B_i| (empty, blue) to +|B_i| (full, orange)
      const fill = B === 0 ? 0.5 : (Math.sign(B) * sz + 1) / 2
      const col = mix(COLORS.down, COLORS.up, Math.max(0, Math.min(1, fill)))
      const ex = cx + sx * r, ey = cy - sz * r
      ctx.strokeStyle = col; ctx.fillStyle = col; ctx.lineWidth = 3.5 * big
      ctx.beginPath(); ctx.moveTo(cx, cy); ctx.lineTo(ex, ey); ctx.stroke()
      const len = Math.hypot(ex - cx, ey - cy)
      if (len > 4) {
        const ux = (ex - cx) / len, uy = (ey - cy) / len, a = 9 * big
        ctx.beginPath(); ctx.moveTo(ex, ey)
        ctx.lineTo(ex - a * ux + a * 0.5 * uy, ey - a * uy - a * 0.5 * ux)
        ctx.lineTo(ex - a * ux - a * 0.5 * uy, ey - a * uy + a * 0.5 * ux); ctx.closePath(); ctx.fill()
      }
      ctx.fillStyle = COLORS.text; ctx.textAlign = "center"
      ctx.fillText(`B${sub(i + 1)} = ${fmt(B, 2)}`, cx, y0 + h - 2)
    }
    ctx.textAlign = "left"
  }

  function drawGauge(x, y, w, h, big) {
    const E = at(run.E), frac = run.Emax > 0 ? Math.max(0, Math.min(1, E / run.Emax)) : 0
    const bw = w * 0.5, bx = x + (w - bw) / 2, top = y + 8 * big, bh = h - 34 * big
    ctx.strokeStyle = COLORS.axis; ctx.lineWidth = 2 * big
    ctx.strokeRect(bx, top, bw, bh)
    ctx.fillStyle = COLORS.axis; ctx.fillRect(bx + bw * 0.3, top - 6 * big, bw * 0.4, 6 * big)
    ctx.fillStyle = COLORS.gauge; ctx.fillRect(bx + 2, top + bh * (1 - frac), bw - 4, bh * frac)
    ctx.fillStyle = COLORS.text; ctx.textAlign = "center"
    ctx.fillText(`${Math.round(frac * 100)} % full`, x + w / 2, y + h - 4)
    ctx.textAlign = "left"
  }

  function drawCurves(x0, y0, w, h, big) {
    const ts = run.t, t1 = ts[ts.length - 1]
    let emax = run.Emax || 1, pmax = 0
    for (const a of [run.E, run.W, run.Wloc]) for (const v of a) emax = Math.max(emax, v)
    for (const v of run.P) pmax = Math.max(pmax, v)
    pmax = pmax > 0 ? pmax * 1.1 : 1
    const X = v => x0 + (v / t1) * w, Y = v => y0 + h - (v / emax) * h, YP = v => y0 + h - (v / pmax) * h
    ctx.strokeStyle = COLORS.grid; ctx.lineWidth = 1
    ctx.fillStyle = COLORS.text
    for (const v of niceTicks(0, emax, 4)) {
      ctx.beginPath(); ctx.moveTo(x0, Y(v)); ctx.lineTo(x0 + w, Y(v)); ctx.stroke()
      ctx.textAlign = "right"; ctx.fillText(String(v), x0 - 6, Y(v) + 4)
    }
    ctx.textAlign = "left"
    for (const v of niceTicks(0, pmax, 4)) ctx.fillText(String(v), x0 + w + 6, YP(v) + 4)
    ctx.textAlign = "center"
    for (const v of niceTicks(0, t1, 8)) ctx.fillText(String(v), X(v), y0 + h + 16 * big)
    ctx.fillText("time t (units of 1/J)", x0 + w / 2, y0 + h + 32 * big)
    ctx.textAlign = "left"
    ctx.strokeStyle = COLORS.axis; ctx.lineWidth = 1.2
    ctx.strokeRect(x0, y0, w, h)
    ctx.save(); ctx.translate(14, y0 + h / 2); ctx.rotate(-Math.PI / 2); ctx.textAlign = "center"
    ctx.fillText("energy", 0, 0); ctx.restore()
    const series = [[run.E, COLORS.E, [], Y], [run.W, COLORS.W, [], Y], [run.Wloc, COLORS.Wloc, [6, 4], Y],
                    [run.P, COLORS.P, [2, 3], YP]]
    ctx.save(); ctx.beginPath(); ctx.rect(x0, y0 - 2, w, h + 4); ctx.clip()
    for (const [a, col, dash, Yf] of series) {
      ctx.strokeStyle = col; ctx.lineWidth = 2.2 * big; ctx.setLineDash(dash)
      ctx.beginPath()
      for (let k = 0; k < ts.length; k++) k ? ctx.lineTo(X(ts[k]), Yf(a[k])) : ctx.moveTo(X(ts[k]), Yf(a[k]))
      ctx.stroke()
    }
    ctx.setLineDash([])
    // the best average power, and the cursor
    ctx.fillStyle = COLORS.P
    ctx.beginPath(); ctx.arc(X(run.best_time), YP(run.best_power), 5 * big, 0, 2 * Math.PI); ctx.fill()
    ctx.strokeStyle = COLORS.cursor; ctx.lineWidth = 2 * big
    ctx.beginPath(); ctx.moveTo(X(clock.t), y0); ctx.lineTo(X(clock.t), y0 + h); ctx.stroke()
    ctx.restore()
    // legend
    const items = [["stored energy E", COLORS.E, []], ["ergotropy W", COLORS.W, []],
                   ["local ergotropy (spin by spin)", COLORS.Wloc, [6, 4]], ["average power E/t (right axis)", COLORS.P, [2, 3]]]
    let lx = x0 + 8
    for (const [label, col, dash] of items) {
      ctx.strokeStyle = col; ctx.lineWidth = 2.5 * big; ctx.setLineDash(dash)
      ctx.beginPath(); ctx.moveTo(lx, y0 - 12 * big); ctx.lineTo(lx + 22 * big, y0 - 12 * big); ctx.stroke()
      ctx.setLineDash([]); ctx.fillStyle = COLORS.text
      ctx.fillText(label, lx + 26 * big, y0 - 8 * big)
      lx += ctx.measureText(label).width + 46 * big
    }
  }

  function readouts(force) {
    const now = performance.now()
    if (!force && now - lastReadout < 200) return
    lastReadout = now
    $(".ql-clock").textContent = `t = ${fmt(clock.t, 2)}`
    $(".ql-E").textContent = fmt(at(run.E))
    $(".ql-W").textContent = fmt(at(run.W))
    $(".ql-Wloc").textContent = fmt(at(run.Wloc))
    $(".ql-P").textContent = clock.t > 0 ? fmt(at(run.P)) : "–"
    $(".ql-status").textContent = `best average power ${fmt(run.best_power)} at t = ${fmt(run.best_time, 2)}`
  }

  model.on("msg:custom", (msg) => {
    if (msg.kind !== "run") return
    run = {...msg, t: plain(msg.t), E: plain(msg.E), W: plain(msg.W), Wloc: plain(msg.Wloc), P: plain(msg.P),
           sh: plain(msg.sh), sz: plain(msg.sz)}
    root.dataset.run = String(msg.id)
    $(".ql-note").textContent = msg.note || ""
    clock.newRun(model.autoplay)
  })
  model.on("large_text", () => clock.frame(true))
  startPlayer(model, root, resize, clock.stop)
}

function sub(k) { return String(k).split("").map(c => "₀₁₂₃₄₅₆₇₈₉"[+c]).join("") }

function mix(a, b, u) {
  const pa = [1, 3, 5].map(i => parseInt(a.slice(i, i + 2), 16)), pb = [1, 3, 5].map(i => parseInt(b.slice(i, i + 2), 16))
  return `rgb(${pa.map((v, i) => Math.round(v + (pb[i] - v) * u)).join(",")})`
}
