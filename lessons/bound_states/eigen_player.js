// Browser-side animation of a superposition of bound states.
//
// The server sends the well once ("setup": potential, energies E_n and eigenstates psi_n as float32)
// and the state as coefficients c_n ("state"); this module evaluates
//     psi(x, t) = sum_n c_n exp(-i E_n (t - t0)) psi_n(x)
// itself every frame, so playing costs the server nothing.  Measurement buttons send the current
// time back ("measure"); the server draws the outcome, collapses the state and sends new
// coefficients.  DOM read-outs (clock, <x>, <E>) are text for screen readers and hooks for tests.

const BASE_COLORS = {
  potential: "#8d99a6", potentialEdge: "#3d4852", level: "#1c4f82", levelBox: "#8a94a0",
  density: "rgba(31,119,180,0.45)", densityEdge: "#1f4e79", re: "#d9480f", im: "#7048e8",
  energy: "#2b8a3e", guess: "#e8590c", axis: "#333", grid: "rgba(0,0,0,0.08)", text: "#222",
  weight: "rgba(43,138,62,0.75)", meanx: "#c2255c",
}

let COLORS = BASE_COLORS

export function render({ model, el }) {
  setPalette(model.palette); COLORS = themed(BASE_COLORS)
  const {root, canvas, ctx, $, playBtn} = mountPlayer(el, "ql-player ql-eigen", `
      <div class="ql-bar" role="toolbar" aria-label="Animation and measurement">
        <button class="ql-restart" type="button" aria-label="Restart the clock" title="Back to t = 0 (r)">⟲ Restart</button>
        <button class="ql-play" type="button" aria-label="Play" title="Play / pause (space)">▶ Play</button>
        <span class="ql-clock" aria-label="time">t = 0.00</span>${exportMarkup}
        <span class="ql-sep"></span>
        <button class="ql-measure-E" type="button" title="Measure the energy once: the state collapses (e)">Measure E</button>
        <button class="ql-measure-x" type="button" title="Measure the position once: the state collapses (x)">Measure x</button>
        <button class="ql-many-E" type="button" title="Measure the energy of 100 identical copies (no collapse)">E of 100 copies</button>
        <button class="ql-many-x" type="button" title="Measure the position of 100 identical copies (no collapse)">x of 100 copies</button>
      </div>
      <canvas class="ql-canvas" role="img" aria-label="Potential, energy levels and the wavefunction"></canvas>
      <div class="ql-readout" aria-live="polite">
        <span>⟨x⟩ = <b class="ql-mean-x">–</b></span>
        <span>⟨E⟩ = <b class="ql-mean-E">–</b></span>
        <span>norm = <b class="ql-norm">–</b></span>
        <span class="ql-status" role="status"></span>
      </div>`)

  let setup = null        // {x, V, E, states (n x npts), ...}
  let state = null        // {re, im, t0, id}
  let t = 0, playing = false, last = null, raf = null, lastReadout = 0
  let trace = []          // [t, <x>] samples for the strip chart
  let firstState = true
  const psiRe = [], psiIm = []

  function setPlaying(p) { playing = showPlaying(root, playBtn, p); last = null }
  setPlaying(false)

  // the CSV is ψ(x, t) at the time shown, with the potential
  exportButtons(root, "bound-state", canvas, () => {
    if (!setup) return null
    evaluate()
    return [["x", setup.x], ["V", setup.V], ["re_psi", psiRe.slice()], ["im_psi", psiIm.slice()],
            ["density", psiRe.map((r, i) => r * r + psiIm[i] * psiIm[i])], [`t=${t.toFixed(4)}`, []]]
  })

  // psi(x, t) into psiRe/psiIm; returns [<x>, norm]
  function evaluate() {
    const n = setup.npts, dx = setup.dx
    psiRe.length = n; psiIm.length = n
    for (let i = 0; i < n; i++) { psiRe[i] = 0; psiIm[i] = 0 }
    if (!state) return [NaN, NaN]
    for (let k = 0; k < state.re.length; k++) {
      const a = state.re[k], b = state.im[k]
      if (a * a + b * b < 1e-14) continue
      const ph = -setup.E[k] * (t - state.t0), c = Math.cos(ph), s = Math.sin(ph)
      const cr = a * c - b * s, ci = a * s + b * c
      const row = setup.states[k]
      for (let i = 0; i < n; i++) { psiRe[i] += cr * row[i]; psiIm[i] += ci * row[i] }
    }
    let norm = 0, mx = 0
    for (let i = 0; i < n; i++) {
      const p = psiRe[i] * psiRe[i] + psiIm[i] * psiIm[i]
      norm += p; mx += p * setup.x[i]
    }
    return [mx / norm, norm * dx]
  }

  function resize() {
    const w = Math.max(320, root.clientWidth || el.clientWidth || 800)
    const h = Math.max(260, model.plot_height || 480)
    fitCanvas(canvas, ctx, w, h)
    draw()
  }

  function curve(xs, ys, close) {
    ctx.beginPath()
    for (let i = 0; i < xs.length; i++) i ? ctx.lineTo(xs[i], ys[i]) : ctx.moveTo(xs[i], ys[i])
    if (close) ctx.closePath()
  }

  function drawWave(X, Y, base, amp, re, im, big) {
    const n = setup.npts, xs = new Array(n), ys = new Array(n)
    for (let i = 0; i < n; i++) xs[i] = X(setup.x[i])
    if (model.show_density) {
      const ampP = amp * amp / setup.scale
      for (let i = 0; i < n; i++) ys[i] = Y(base + (re[i] * re[i] + im[i] * im[i]) * ampP)
      ctx.beginPath(); ctx.moveTo(xs[0], Y(base))
      for (let i = 0; i < n; i++) ctx.lineTo(xs[i], ys[i])
      ctx.lineTo(xs[n - 1], Y(base)); ctx.closePath()
      ctx.fillStyle = COLORS.density; ctx.fill()
      ctx.strokeStyle = COLORS.densityEdge; ctx.lineWidth = 1.4 * big; curve(xs, ys); ctx.stroke()
    }
    for (const [show, arr, col, dash] of [[model.show_re, re, COLORS.re, []], [model.show_im, im, COLORS.im, [5, 3]]]) {
      if (!show) continue
      for (let i = 0; i < n; i++) ys[i] = Y(base + arr[i] * amp)
      ctx.strokeStyle = col; ctx.lineWidth = 1.6 * big; ctx.setLineDash(dash); curve(xs, ys); ctx.stroke()
      ctx.setLineDash([])
    }
  }

  function draw() {
    const dpr = window.devicePixelRatio || 1
    const W = canvas.width / dpr, H = canvas.height / dpr
    const big = model.large_text ? 1.5 : 1
    ctx.clearRect(0, 0, W, H); ctx.fillStyle = tint("#fff"); ctx.fillRect(0, 0, W, H)
    if (!setup) {
      ctx.fillStyle = COLORS.text; ctx.font = `${16 * big}px sans-serif`
      ctx.fillText("Solving for the energy levels…", 20, 40)
      return
    }
    const font = `${13 * big}px sans-serif`
    const sup = model.mode === "superposition"
    const sideW = sup ? Math.min(120 * big, W * 0.18) : 0
    const traceH = sup ? Math.max(70, H * 0.2) : 0
    const m = {l: 58 * big, r: 14, t: 12, b: 36 * big}
    const mainW = W - sideW - m.l - m.r, mainH = H - traceH - m.t - m.b - (sup ? 12 : 0)
    const X = x => m.l + (x - setup.xmin) / (setup.xmax - setup.xmin) * mainW
    const Y = e => m.t + mainH - (e - setup.emin) / (setup.emax - setup.emin) * mainH
    const showLevels = model.show_levels
    ctx.font = font; ctx.lineWidth = 1
    // axes
    ctx.strokeStyle = COLORS.grid; ctx.fillStyle = COLORS.text
    for (const e of niceTicks(setup.emin, setup.emax, 6)) {
      if (e < setup.emin) continue
      ctx.beginPath(); ctx.moveTo(m.l, Y(e)); ctx.lineTo(m.l + mainW, Y(e)); ctx.stroke()
      ctx.textAlign = "right"; ctx.fillText(String(e), m.l - 6, Y(e) + 4)
    }
    for (const x of niceTicks(setup.xmin, setup.xmax, 8)) {
      ctx.textAlign = "center"; ctx.fillText(String(x), X(x), m.t + mainH + 16 * big)
    }
    ctx.save(); ctx.translate(14, m.t + mainH / 2); ctx.rotate(-Math.PI / 2)
    ctx.textAlign = "center"; ctx.fillText("energy", 0, 0); ctx.restore()
    ctx.textAlign = "center"; ctx.fillText("position x", m.l + mainW / 2, m.t + mainH + 31 * big)
    // potential (hard walls and anything above the axis drawn to the top)
    const n = setup.npts, top = setup.emax
    ctx.beginPath(); ctx.moveTo(X(setup.xmin), Y(setup.emin))
    for (let i = 0; i < n; i++) ctx.lineTo(X(setup.x[i]), Y(Math.min(setup.V[i], top)))
    ctx.lineTo(X(setup.xmax), Y(setup.emin)); ctx.closePath()
    ctx.fillStyle = COLORS.potential; ctx.globalAlpha = 0.35; ctx.fill(); ctx.globalAlpha = 1
    ctx.strokeStyle = COLORS.potentialEdge; ctx.lineWidth = 2 * big
    ctx.beginPath()
    for (let i = 0; i < n; i++) { const y = Y(Math.min(setup.V[i], top)); i ? ctx.lineTo(X(setup.x[i]), y) : ctx.moveTo(X(setup.x[i]), y) }
    ctx.stroke()
    const labels = []       // level labels, drawn last so waves never hide them
    const nl = Math.min(model.levels, setup.E.length)
    const spacing = nl > 1 ? (setup.E[nl - 1] - setup.E[0]) / (nl - 1) : (setup.emax - setup.emin) / 3
    if (showLevels) {
      // levels across the plot; those above the rim belong to the surrounding box (dashed)
      let lastY = Infinity, shift = 0
      for (let k = 0; k < nl; k++) {
        const y = Y(setup.E[k]), box = setup.E[k] > setup.rim
        ctx.strokeStyle = box ? COLORS.levelBox : COLORS.level; ctx.lineWidth = 1.2 * big
        ctx.setLineDash(box ? [6, 4] : []); ctx.beginPath(); ctx.moveTo(m.l, y); ctx.lineTo(m.l + mainW, y); ctx.stroke()
        ctx.setLineDash([])
        // nearly degenerate levels (double well, bands): put crowded labels side by side
        shift = lastY - y < 14 * big ? shift + 1 : 0
        lastY = shift ? lastY : y
        labels.push([`E${k + 1} = ${setup.E[k].toPrecision(4)}`, m.l + 4 + shift * 112 * big, (shift ? lastY : y) - 3])
      }
    } else {
      const y = Y(model.guess)
      ctx.strokeStyle = COLORS.guess; ctx.lineWidth = 2 * big; ctx.setLineDash([8, 5])
      ctx.beginPath(); ctx.moveTo(m.l, y); ctx.lineTo(m.l + mainW, y); ctx.stroke(); ctx.setLineDash([])
      ctx.fillStyle = COLORS.guess; ctx.textAlign = "left"
      ctx.fillText(`your guess for E1 = ${Number(model.guess).toPrecision(3)}`, m.l + 4, y - 4)
    }
    let meanX = NaN, norm = NaN
    if (sup) {
      if (state && showLevels) {
        [meanX, norm] = evaluate()
        const mean = state.meanE, amp = 0.45 * Math.max(spacing, 0.15 * (setup.emax - setup.emin)) / setup.scale
        ctx.setLineDash([6, 4]); ctx.strokeStyle = COLORS.energy; ctx.lineWidth = 1.5 * big
        ctx.beginPath(); ctx.moveTo(m.l, Y(mean)); ctx.lineTo(m.l + mainW, Y(mean)); ctx.stroke(); ctx.setLineDash([])
        drawWave(X, Y, mean, amp, psiRe, psiIm, big)
        ctx.fillStyle = COLORS.energy; ctx.textAlign = "right"
        ctx.fillText(`⟨E⟩ = ${mean.toPrecision(4)}`, m.l + mainW - 4, Y(mean) - 5)
        // <x> marker on the axis
        ctx.fillStyle = COLORS.meanx; ctx.beginPath()
        ctx.moveTo(X(meanX), m.t + mainH); ctx.lineTo(X(meanX) - 6 * big, m.t + mainH + 9 * big)
        ctx.lineTo(X(meanX) + 6 * big, m.t + mainH + 9 * big); ctx.closePath(); ctx.fill()
        // side: occupation |c_n|^2 of each level
        const bx = W - sideW + 6, bw = sideW - 14
        ctx.font = `${12 * big}px sans-serif`; ctx.fillStyle = COLORS.text; ctx.textAlign = "left"
        ctx.fillText("|cₙ|²", bx, m.t + 12 * big)
        for (let k = 0; k < setup.E.length; k++) {
          const w = state.re[k] * state.re[k] + state.im[k] * state.im[k]
          if (w < 1e-4 || setup.E[k] > setup.emax) continue
          const y = Y(setup.E[k])
          ctx.fillStyle = COLORS.weight; ctx.fillRect(bx, y - 3 * big, w * bw, 6 * big)
        }
        ctx.strokeStyle = COLORS.axis; ctx.beginPath(); ctx.moveTo(bx, m.t); ctx.lineTo(bx, m.t + mainH); ctx.stroke()
        // strip chart of <x>(t)
        const tx0 = m.l, ty0 = H - 8, tw = mainW, th = traceH - 14
        const tmin = trace.length ? trace[0][0] : 0, tmax = Math.max(t, tmin + 1e-9)
        ctx.strokeStyle = COLORS.axis; ctx.lineWidth = 1
        ctx.beginPath(); ctx.moveTo(tx0, ty0 - th); ctx.lineTo(tx0, ty0); ctx.lineTo(tx0 + tw, ty0); ctx.stroke()
        ctx.font = `${12 * big}px sans-serif`; ctx.fillStyle = COLORS.text; ctx.textAlign = "right"
        // symmetric range that fits the trace, in steps of 0.5
        let reach = 0.5
        for (const [, xx] of trace) reach = Math.max(reach, Math.ceil(Math.abs(xx) * 2.2) / 2)
        reach = Math.min(reach, Math.max(setup.xmax, -setup.xmin))
        ctx.fillText(`+${reach}`, tx0 - 4, ty0 - th + 8); ctx.fillText(`−${reach}`, tx0 - 4, ty0)
        ctx.strokeStyle = COLORS.grid; ctx.beginPath(); ctx.moveTo(tx0, ty0 - th / 2); ctx.lineTo(tx0 + tw, ty0 - th / 2); ctx.stroke()
        ctx.textAlign = "left"; ctx.fillStyle = COLORS.meanx
        ctx.fillText("⟨x⟩(t)", tx0 + 6, ty0 - th + 10)
        ctx.strokeStyle = COLORS.meanx; ctx.lineWidth = 2 * big; ctx.beginPath()
        trace.forEach(([tt, xx], j) => {
          const px = tx0 + (tt - tmin) / (tmax - tmin) * tw
          const py = ty0 - (xx + reach) / (2 * reach) * th
          j ? ctx.lineTo(px, py) : ctx.moveTo(px, py)
        })
        ctx.stroke()
      } else if (!showLevels) {
        ctx.fillStyle = COLORS.text; ctx.textAlign = "center"; ctx.font = `${15 * big}px sans-serif`
        ctx.fillText("Levels hidden: make your guess, then press Reveal.", m.l + mainW / 2, m.t + 30 * big)
      }
    } else if (showLevels) {
      // eigenstates on their levels, each turning its phase at its own rate exp(-i E_n t)
      const amp = 0.42 * Math.max(spacing, 0.05 * (setup.emax - setup.emin)) / setup.scale
      for (let k = 0; k < nl; k++) {
        const c = Math.cos(-setup.E[k] * t), s = Math.sin(-setup.E[k] * t), row = setup.states[k]
        const re = new Array(n), im = new Array(n)
        for (let i = 0; i < n; i++) { re[i] = c * row[i]; im[i] = s * row[i] }
        drawWave(X, Y, setup.E[k], amp, re, im, big)
      }
    }
    ctx.font = font; ctx.textAlign = "left"
    for (const [text, lx0, ly0] of labels) {
      const w = ctx.measureText(text).width
      ctx.fillStyle = tint("rgba(255,255,255,0.8)"); ctx.fillRect(lx0 - 2, ly0 - 12 * big, w + 4, 15 * big)
      ctx.fillStyle = COLORS.level; ctx.fillText(text, lx0, ly0)
    }
    // legend
    ctx.font = `${12 * big}px sans-serif`; ctx.textAlign = "left"
    const legend = [[COLORS.potentialEdge, "V(x)"]]
    if (showLevels) legend.push([COLORS.level, "levels Eₙ"])
    if (model.show_density) legend.push([COLORS.densityEdge, "|ψ|²"])
    if (model.show_re) legend.push([COLORS.re, "Re ψ"])
    if (model.show_im) legend.push([COLORS.im, "Im ψ"])
    let lx = m.l + mainW - 100 * big, ly = m.t + 16 * big
    for (const [c, label] of legend) {
      ctx.fillStyle = c; ctx.fillRect(lx, ly - 8 * big, 14 * big, 4 * big)
      ctx.fillStyle = COLORS.text; ctx.fillText(label, lx + 20 * big, ly - 3 * big); ly += 16 * big
    }
    return [meanX, norm]
  }

  let shown = [NaN, NaN]   // the last frame's <x> and norm, for read-outs refreshed while paused
  function readouts(force, meanX = shown[0], norm = shown[1]) {
    $(".ql-clock").textContent = `t = ${t.toFixed(2)}`
    root.dataset.time = t.toFixed(4)
    const now = performance.now()
    if (force || now - lastReadout > 900) {
      lastReadout = now
      const sup = model.mode === "superposition" && model.show_levels
      $(".ql-mean-x").textContent = sup ? fmt(meanX) : "–"
      $(".ql-norm").textContent = sup ? fmt(norm, 4) : "–"
      $(".ql-mean-E").textContent = state && model.show_levels ? state.meanE.toPrecision(4) : "–"
    }
    $(".ql-status").textContent = !setup ? "solving…" : (state && state.note) || ""
  }

  function frame(force) {
    const [meanX, norm] = draw() || [NaN, NaN]
    shown = [meanX, norm]
    if (Number.isFinite(meanX)) {
      trace.push([t, meanX])
      const span = Math.max(setup.period || 20, 10) * 2
      while (trace.length > 2 && trace[0][0] < t - span) trace.shift()
    }
    readouts(force, meanX, norm)
  }

  function tick(now) {
    raf = requestAnimationFrame(tick)
    if (!playing || !setup) { last = now; return }
    if (last === null) last = now
    const dt = Math.min(now - last, 250) / 1000; last = now
    t += dt * (model.speed || 1) * setup.rate
    frame(false)
  }
  raf = requestAnimationFrame(tick)

  function restart() { t = 0; trace = []; frame(true) }
  function measure(what, shots) {
    if (!setup || !state) return
    model.send_msg({kind: "measure", what, shots, t, state: state.id})
  }
  $(".ql-restart").addEventListener("click", () => { restart(); model.send_msg({kind: "restart"}) })
  playBtn.addEventListener("click", () => { setPlaying(!playing); readouts(true) })
  $(".ql-measure-E").addEventListener("click", () => measure("energy", 1))
  $(".ql-measure-x").addEventListener("click", () => measure("position", 1))
  $(".ql-many-E").addEventListener("click", () => measure("energy", 100))
  $(".ql-many-x").addEventListener("click", () => measure("position", 100))

  playerKeys(root, "Bound-state animation: space plays or pauses, r restarts, e measures energy, x measures position", (key) => {
    const k = key.toLowerCase()
    if (k === " ") playBtn.click()
    else if (k === "r") $(".ql-restart").click()
    else if (k === "e") measure("energy", 1)
    else if (k === "x") measure("position", 1)
    else return false
    return true
  })

  function controls() {
    const sup = model.mode === "superposition" && model.show_levels
    for (const b of root.querySelectorAll(".ql-measure-E, .ql-measure-x, .ql-many-E, .ql-many-x")) b.disabled = !sup
  }

  model.on("msg:custom", (msg) => {
    if (msg.kind === "setup") {
      const x = plain(msg.x), flat = plain(msg.states), npts = x.length, E = Array.from(msg.E)
      const states = []
      for (let k = 0; k < E.length; k++) states.push(flat.subarray(k * npts, (k + 1) * npts))
      let scale = 0
      for (let i = 0; i < flat.length; i++) scale = Math.max(scale, Math.abs(flat[i]))
      setup = {...msg, x, V: plain(msg.V), E, states, npts, dx: x[1] - x[0], scale: scale || 1}
      root.dataset.setup = String(msg.id)
      trace = []
      frame(true)
    } else if (msg.kind === "state") {
      state = {id: msg.id, re: Array.from(msg.re), im: Array.from(msg.im), t0: msg.t0, meanE: msg.mean_E, note: msg.note}
      if (msg.reset) { t = msg.t0; trace = [] }
      if (setup) setup.period = msg.period
      root.dataset.state = String(msg.id)
      if (firstState && model.autoplay) setPlaying(true)
      firstState = false
      frame(true)
    }
  })
  for (const p of ["show_re", "show_im", "show_density", "large_text", "levels", "guess"]) model.on(p, () => frame(true))
  for (const p of ["mode", "show_levels"]) model.on(p, () => { controls(); trace = []; frame(true) })
  controls()
  startPlayer(model, root, resize, () => cancelAnimationFrame(raf))
}
