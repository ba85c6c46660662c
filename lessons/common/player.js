// Browser-side player for wave-packet runs computed on the server (or in Pyodide).
//
// The server sends one "setup" message per run (grid, potential, scales) and then "chunk"
// messages of float32 frames; this module stores them and draws them on a canvas at display
// rate, so animating costs the server nothing.  Messages of an older run are ignored.
// The page pulls: when less than LOW seconds of playback are buffered ahead of the shown frame it
// sends {kind: "more", run, upto} for AHEAD seconds' worth, one request at a time, so the server
// computes only what is watched (a paused or hidden tab asks for nothing).
// DOM read-outs (clock, T/R/inside) double as text for screen readers and as hooks for tests.

const BASE_COLORS = {
  potential: "#8d99a6", potentialEdge: "#3d4852", absorber: "rgba(120,120,120,0.13)",
  density: "rgba(31,119,180,0.55)", densityEdge: "#1f4e79", re: "#d9480f", im: "#7048e8",
  energy: "#2b8a3e", axis: "#333", grid: "rgba(0,0,0,0.08)",
  T: "#2b8a3e", R: "#c92a2a", inside: "#1c7ed6", text: "#222",
}

let COLORS = BASE_COLORS
const FPS = 30              // simulation frames per second of playback at speed 1
const LOW = 1.5, AHEAD = 3  // seconds of playback: ask for more below LOW, up to AHEAD

export function render({ model, el }) {
  setPalette(model.palette); COLORS = themed(BASE_COLORS)
  const {root, canvas, ctx, $, playBtn} = mountPlayer(el, "ql-player", `
      <div class="ql-bar" role="toolbar" aria-label="Animation controls">
        <button class="ql-restart" type="button" aria-label="Restart animation" title="Restart (r when the animation has focus)">⟲ Restart</button>
        <button class="ql-play" type="button" aria-label="Play" title="Play / pause (space when the animation has focus)">▶ Play</button>
        <button class="ql-step" type="button" aria-label="Step one frame" title="Step one frame (→; ← steps back)">Step ▸</button>
        <span class="ql-clock" aria-label="simulation time">t = 0.0</span>${exportMarkup}
        <span class="ql-status" role="status"></span>
      </div>
      <canvas class="ql-canvas" role="img" aria-label="Animated wave packet over the potential"></canvas>
      <div class="ql-readout" aria-live="polite">
        <span>Passed the barrier <b class="ql-passed">–</b></span>
        <span>Transmitted <b class="ql-T">–</b></span>
        <span>Reflected <b class="ql-R">–</b></span>
        <span>Still inside <b class="ql-inside">–</b></span>
      </div>`)

  const table = () => series.t.length ? [["t", series.t], ["passed", series.passed],
                                         ["T", series.T], ["R", series.R], ["inside", series.inside]] : null
  // The CSV holds the whole run: an unfinished one is completed first (the server computes the rest).
  exportButtons(root, "wave-packet", canvas, () => {
    if (done) return table()
    csvWanted = true; asked = 0; pull(true); status()
    return null
  })

  let setup = null          // current run's static data
  let frames = []           // [{re, im}] per frame (Float32Array views)
  let series = {t: [], T: [], R: [], inside: [], passed: []}
  let done = false
  let frame = 0, frameF = 0
  let playing = false
  let last = null, raf = null
  let lastReadout = 0
  let asked = 0             // frames asked for by the outstanding request (0: none)
  let csvWanted = false     // the CSV button was pressed before the run was complete

  // Ask the server for more frames when the buffer ahead of the shown frame runs low.
  function pull(whole = false) {
    if (!setup || done || asked) return
    const rate = FPS * Math.max(model.speed || 1, 0.05)
    if (!whole && frames.length - frame > LOW * rate) return
    asked = whole ? 1e9 : Math.ceil(frame + AHEAD * rate)
    root.dataset.pending = "1"
    model.send_msg({kind: "more", run: setup.run, upto: Math.max(asked, frames.length + 1)})
  }

  function setPlaying(p) { playing = showPlaying(root, playBtn, p); last = null }
  setPlaying(false)

  function status() {
    let s = ""
    if (!setup) s = "waiting for the simulation…"
    else if (csvWanted) s = `computing the rest of the run for the CSV… ${frames.length} frames`
    else if (done && !frames.length) s = "the simulation stopped before its first frame (see below)"
    else if (!done && frame >= frames.length - 1) s = "computing…"
    else if (frame >= frames.length - 1 && frames.length) s = "finished — press Restart to replay"
    $(".ql-status").textContent = s
  }

  function resize() {
    const w = Math.max(320, root.clientWidth || el.clientWidth || 800)
    const h = Math.max(220, (model.plot_height || 420))
    fitCanvas(canvas, ctx, w, h)
    draw()
  }

  function draw() {
    const W = canvas.width / (window.devicePixelRatio || 1), H = canvas.height / (window.devicePixelRatio || 1)
    const big = model.large_text ? 1.5 : 1
    ctx.clearRect(0, 0, W, H)
    ctx.fillStyle = tint("#fff"); ctx.fillRect(0, 0, W, H)
    if (!setup) {
      ctx.fillStyle = COLORS.text; ctx.font = `${16 * big}px sans-serif`
      ctx.fillText("Preparing the simulation…", 20, 40)
      return
    }
    const font = `${13 * big}px sans-serif`
    const sideW = Math.min(210 * big, W * 0.28)
    const traceH = Math.max(90, H * 0.26)
    const m = {l: 58 * big, r: 12, t: 14, b: 34 * big}
    const mainW = W - sideW - m.l - m.r, mainH = H - traceH - m.t - m.b - 10
    const X = x => m.l + (x - setup.xmin) / (setup.xmax - setup.xmin) * mainW
    const Y = e => m.t + mainH - (e - setup.emin) / (setup.emax - setup.emin) * mainH
    // grid and axes
    ctx.font = font; ctx.fillStyle = COLORS.text; ctx.strokeStyle = COLORS.grid; ctx.lineWidth = 1
    for (const e of niceTicks(setup.emin, setup.emax, 5)) {
      ctx.beginPath(); ctx.moveTo(m.l, Y(e)); ctx.lineTo(m.l + mainW, Y(e)); ctx.stroke()
      ctx.textAlign = "right"; ctx.fillText(e.toFixed(e < 10 ? 1 : 0), m.l - 6, Y(e) + 4)
    }
    for (const x of niceTicks(setup.xmin, setup.xmax, 8)) {
      ctx.textAlign = "center"; ctx.fillText(String(x), X(x), m.t + mainH + 16 * big)
    }
    ctx.save(); ctx.translate(14, m.t + mainH / 2); ctx.rotate(-Math.PI / 2)
    ctx.textAlign = "center"; ctx.fillText("energy", 0, 0); ctx.restore()
    ctx.textAlign = "center"; ctx.fillText("position x", m.l + mainW / 2, m.t + mainH + 30 * big)
    // absorbing layers
    ctx.fillStyle = COLORS.absorber
    ctx.fillRect(X(setup.xmin), m.t, X(setup.xmin + setup.absorber) - X(setup.xmin), mainH)
    ctx.fillRect(X(setup.xmax - setup.absorber), m.t, X(setup.xmax) - X(setup.xmax - setup.absorber), mainH)
    ctx.fillStyle = tint("#666"); ctx.textAlign = "center"
    // the label stays inside its band (large type on a narrow canvas would run into the tick labels)
    const band = X(setup.xmin + setup.absorber) - X(setup.xmin)
    const labelPx = Math.max(8, Math.min(13 * big, 13 * big * (band - 6) / Math.max(ctx.measureText("absorber").width, 1)))
    ctx.font = `${labelPx}px sans-serif`
    ctx.fillText("absorber", X(setup.xmin + setup.absorber / 2), m.t + 4 + labelPx)
    ctx.fillText("absorber", X(setup.xmax - setup.absorber / 2), m.t + 4 + labelPx)
    ctx.font = font
    // potential, drawn to scale on the energy axis
    const V = setup.V, n = V.length, dx = (setup.xmax - setup.xmin) / n
    ctx.beginPath(); ctx.moveTo(X(setup.xmin), Y(0))
    for (let i = 0; i < n; i++) {
      const v = Math.min(V[i], setup.emax)
      ctx.lineTo(X(setup.xmin + i * dx), Y(v)); ctx.lineTo(X(setup.xmin + (i + 1) * dx), Y(v))
    }
    ctx.lineTo(X(setup.xmax), Y(0)); ctx.closePath()
    ctx.fillStyle = COLORS.potential; ctx.globalAlpha = 0.55; ctx.fill(); ctx.globalAlpha = 1
    ctx.strokeStyle = COLORS.potentialEdge; ctx.lineWidth = 1.5 * big; ctx.stroke()
    // mean energy line
    const E = setup.energy
    ctx.setLineDash([6, 4]); ctx.strokeStyle = COLORS.energy; ctx.lineWidth = 1.5 * big
    ctx.beginPath(); ctx.moveTo(m.l, Y(E)); ctx.lineTo(m.l + mainW, Y(E)); ctx.stroke(); ctx.setLineDash([])
    ctx.fillStyle = COLORS.energy; ctx.textAlign = "left"
    ctx.fillText(`⟨E⟩ = ${E.toFixed(2)}`, X(setup.xmin + setup.absorber) + 6, Y(E) - 6)
    // the wave, drawn on its energy line
    const f = frames[Math.min(frame, frames.length - 1)]
    if (f) {
      const npts = f.re.length, xs = i => X(setup.xmin + (i + 0.5) * (setup.xmax - setup.xmin) / npts)
      const show = model.display
      const ampP = setup.wave_span / setup.pmax, ampA = setup.wave_span / Math.sqrt(setup.pmax)
      if (show !== "real_imag") {
        if (model.phase) {
          for (let i = 0; i < npts; i++) {
            const p = f.re[i] * f.re[i] + f.im[i] * f.im[i]
            const hue = (Math.atan2(f.im[i], f.re[i]) * 180 / Math.PI + 360) % 360
            ctx.fillStyle = `hsl(${hue},80%,50%)`
            ctx.fillRect(xs(i) - mainW / npts / 2, Y(E + p * ampP), mainW / npts + 0.6, Y(E) - Y(E + p * ampP))
          }
        } else {
          ctx.beginPath(); ctx.moveTo(xs(0), Y(E))
          for (let i = 0; i < npts; i++) ctx.lineTo(xs(i), Y(E + (f.re[i] * f.re[i] + f.im[i] * f.im[i]) * ampP))
          ctx.lineTo(xs(npts - 1), Y(E)); ctx.closePath()
          ctx.fillStyle = COLORS.density; ctx.fill()
        }
        ctx.strokeStyle = COLORS.densityEdge; ctx.lineWidth = 1.5 * big; ctx.beginPath()
        for (let i = 0; i < npts; i++) {
          const y = Y(E + (f.re[i] * f.re[i] + f.im[i] * f.im[i]) * ampP)
          i ? ctx.lineTo(xs(i), y) : ctx.moveTo(xs(i), y)
        }
        ctx.stroke()
      }
      if (show !== "density") {
        for (const [arr, col, dash] of [[f.re, COLORS.re, []], [f.im, COLORS.im, [4, 3]]]) {
          ctx.strokeStyle = col; ctx.lineWidth = 1.3 * big; ctx.setLineDash(dash); ctx.beginPath()
          for (let i = 0; i < npts; i++) {
            const y = Y(E + arr[i] * ampA)
            i ? ctx.lineTo(xs(i), y) : ctx.moveTo(xs(i), y)
          }
          ctx.stroke(); ctx.setLineDash([])
        }
      }
    }
    // legend
    ctx.textAlign = "left"; ctx.font = font
    let lx = X(setup.xmax - setup.absorber) - 150 * big, ly = m.t + 22 * big
    const legend = [[COLORS.potentialEdge, "potential V(x)"], [COLORS.energy, "packet energy"]]
    if (model.display !== "real_imag") legend.push([COLORS.densityEdge, "|ψ|²"])
    if (model.display !== "density") legend.push([COLORS.re, "Re ψ"], [COLORS.im, "Im ψ"])
    for (const [c, label] of legend) {
      ctx.fillStyle = c; ctx.fillRect(lx, ly - 9 * big, 14 * big, 4 * big)
      ctx.fillStyle = COLORS.text; ctx.fillText(label, lx + 20 * big, ly - 4 * big); ly += 17 * big
    }
    // side panel: T / R / inside bars
    const bx = W - sideW + 10, bw = (sideW - 30) / 3, by0 = m.t + mainH, bh = mainH - 30 * big
    const i = Math.min(frame, series.t.length - 1)
    const vals = [["T", series.T[i], COLORS.T], ["R", series.R[i], COLORS.R], ["inside", series.inside[i], COLORS.inside]]
    ctx.strokeStyle = COLORS.axis; ctx.beginPath(); ctx.moveTo(bx - 4, by0); ctx.lineTo(W - 8, by0); ctx.stroke()
    const passed = series.passed[i]
    vals.forEach(([label, v, c], j) => {
      const x = bx + j * bw, hgt = (Number.isFinite(v) ? v : 0) * bh
      let top = hgt
      if (label === "T" && Number.isFinite(passed) && passed > v) {
        // what is right of the barrier and still moving: counted once it reaches the absorber
        top = passed * bh
        ctx.globalAlpha = 0.35; ctx.fillStyle = c; ctx.fillRect(x + 4, by0 - top, bw - 8, top - hgt)
        ctx.globalAlpha = 1
      }
      ctx.fillStyle = c; ctx.fillRect(x + 4, by0 - hgt, bw - 8, hgt)
      ctx.fillStyle = COLORS.text; ctx.textAlign = "center"
      ctx.fillText(label, x + bw / 2, by0 + 16 * big)
      const key = label === "T" && top > hgt ? "passed" : label
      ctx.fillText(model.hidden.includes(key) ? "?" : fmt(key === "passed" ? passed : v, 3), x + bw / 2, by0 - top - 5)
    })
    if (setup.predicted >= 0 && !model.hidden.includes("predicted")) {
      const yp = by0 - setup.predicted * bh
      ctx.setLineDash([5, 3]); ctx.strokeStyle = tint("#111"); ctx.lineWidth = 2
      ctx.beginPath(); ctx.moveTo(bx, yp); ctx.lineTo(bx + bw, yp); ctx.stroke()
      ctx.beginPath(); ctx.moveTo(bx, by0 + 28 * big); ctx.lineTo(bx + 22, by0 + 28 * big); ctx.stroke()
      ctx.setLineDash([])
      ctx.fillStyle = COLORS.text; ctx.textAlign = "left"
      ctx.fillText(`predicted T = ${fmt(setup.predicted, 3)}`, bx + 28, by0 + 32 * big)
    }
    // traces of T, R, inside against time
    const tx0 = m.l, ty0 = H - 26 * big, tw = W - m.l - m.r, th = traceH - 30 * big
    const tmax = Math.max(series.t[series.t.length - 1] || 1, 1e-9)
    ctx.strokeStyle = COLORS.axis; ctx.lineWidth = 1
    ctx.beginPath(); ctx.moveTo(tx0, ty0 - th); ctx.lineTo(tx0, ty0); ctx.lineTo(tx0 + tw, ty0); ctx.stroke()
    ctx.fillStyle = COLORS.text; ctx.textAlign = "right"
    ctx.fillText("1", tx0 - 6, ty0 - th + 4); ctx.fillText("0", tx0 - 6, ty0 + 4)
    ctx.textAlign = "center"; ctx.fillText(`time → (${fmt(tmax, 0)})`, tx0 + tw / 2, ty0 + 18 * big)
    for (const [key, c, dash] of [["passed", COLORS.T, [5, 4]], ["T", COLORS.T, []], ["R", COLORS.R, []],
                                  ["inside", COLORS.inside, []]]) {
      ctx.strokeStyle = c; ctx.lineWidth = 2 * big; ctx.setLineDash(dash); ctx.beginPath()
      for (let j = 0; j <= i; j++) {
        const x = tx0 + series.t[j] / tmax * tw, y = ty0 - series[key][j] * th
        j ? ctx.lineTo(x, y) : ctx.moveTo(x, y)
      }
      ctx.stroke(); ctx.setLineDash([])
    }
    ctx.font = `${12 * big}px sans-serif`; ctx.textAlign = "left"
    let kx = tx0 + 8
    for (const [label, c, dash] of [["passed the barrier", COLORS.T, [5, 4]], ["T (absorbed right)", COLORS.T, []],
                                    ["R (absorbed left)", COLORS.R, []], ["still inside", COLORS.inside, []]]) {
      ctx.strokeStyle = c; ctx.lineWidth = 2 * big; ctx.setLineDash(dash)
      ctx.beginPath(); ctx.moveTo(kx, ty0 - th - 6); ctx.lineTo(kx + 22, ty0 - th - 6); ctx.stroke(); ctx.setLineDash([])
      ctx.fillStyle = COLORS.text; ctx.fillText(label, kx + 27, ty0 - th - 2)
      kx += ctx.measureText(label).width + 50
    }
    ctx.font = font
    if (i >= 0) {
      ctx.strokeStyle = tint("rgba(0,0,0,0.35)"); ctx.beginPath()
      const xc = tx0 + series.t[i] / tmax * tw; ctx.moveTo(xc, ty0 - th); ctx.lineTo(xc, ty0); ctx.stroke()
    }
  }

  function readouts(force) {
    const now = performance.now()
    const i = Math.min(frame, series.t.length - 1)
    root.dataset.frame = String(i < 0 ? 0 : i)
    $(".ql-clock").textContent = i >= 0 ? `t = ${series.t[i].toFixed(1)}` : "t = 0.0"
    // screen readers get the numbers about once a second, not every frame
    if (force || now - lastReadout > 900) {
      lastReadout = now
      if (i >= 0) {
        $(".ql-T").textContent = fmt(series.T[i]); $(".ql-R").textContent = fmt(series.R[i])
        $(".ql-passed").textContent = fmt(series.passed[i])
        $(".ql-inside").textContent = fmt(series.inside[i])
      }
    }
    status()
  }

  function tick(now) {
    raf = requestAnimationFrame(tick)
    pull()
    if (!playing || !frames.length) { last = now; return }
    if (last === null) last = now
    const elapsed = Math.min(now - last, 250); last = now
    frameF += elapsed / 1000 * 30 * (model.speed || 1)
    frameF = Math.min(frameF, frames.length - 1 + 0.999)
    // waiting at the last frame held (the next chunk is on its way) redraws nothing
    const target = Math.floor(frameF), atEnd = done && target >= frames.length - 1
    if (target !== frame || atEnd) {
      frame = target
      if (atEnd) { setPlaying(false); ended() }
      draw(); readouts(atEnd)
    }
  }
  raf = requestAnimationFrame(tick)

  let endedRun = null
  function ended() {
    if (setup && endedRun !== setup.run) { endedRun = setup.run; model.send_msg({kind: "ended", run: setup.run}) }
  }

  function restart() { frame = 0; frameF = 0; draw(); readouts(true); setPlaying(true) }
  $(".ql-restart").addEventListener("click", restart)
  playBtn.addEventListener("click", () => {
    if (!playing && done && frame >= frames.length - 1) { restart(); return }
    setPlaying(!playing); readouts(true)
  })
  $(".ql-step").addEventListener("click", () => {
    setPlaying(false)
    frame = Math.min(frame + 1, Math.max(frames.length - 1, 0)); frameF = frame
    if (done && frame >= frames.length - 1) ended()
    draw(); readouts(true)
  })

  // Keys while the player has focus (Tab to it): space play/pause, r restart, arrows step.
  playerKeys(root, "Wave packet animation: space plays or pauses, r restarts, arrow keys step", (key) => {
    if (key === " ") playBtn.click()
    else if (key === "r" || key === "R") restart()
    else if (key === "ArrowRight") $(".ql-step").click()
    else if (key === "ArrowLeft") { setPlaying(false); frame = Math.max(frame - 1, 0); frameF = frame; draw(); readouts(true) }
    else return false
    return true
  })

  model.on("msg:custom", (msg) => {
    if (msg.kind === "setup") {
      setup = msg; frames = []; series = {t: [], T: [], R: [], inside: [], passed: []}
      done = false; frame = 0; frameF = 0; asked = 0; csvWanted = false; root.dataset.pending = "0"
      root.dataset.run = String(msg.run)
      setPlaying(!!model.autoplay)
      draw(); readouts(true)
    } else if (msg.kind === "chunk") {
      if (!setup || msg.run !== setup.run) return
      // BokehJS hands ndarrays over as NDArray subclasses whose subarray() ignores the offset:
      // view the same memory as plain typed arrays before slicing frames out of it.
      const re = plain(msg.re), im = plain(msg.im)
      const n = msg.t.length, npts = re.length / n
      for (let j = 0; j < n; j++) {
        frames[msg.start + j] = {re: re.subarray(j * npts, (j + 1) * npts), im: im.subarray(j * npts, (j + 1) * npts)}
        series.t[msg.start + j] = msg.t[j]; series.T[msg.start + j] = msg.T[j]
        series.R[msg.start + j] = msg.R[j]; series.inside[msg.start + j] = msg.inside[j]
        series.passed[msg.start + j] = msg.passed ? msg.passed[j] : NaN
      }
      done = !!msg.done
      asked = 0; root.dataset.pending = "0"
      root.dataset.frames = String(frames.length)
      root.dataset.done = done ? "1" : "0"
      if (frames.length === n) { draw(); readouts(true) }
      if (csvWanted && !done) pull(true)   // the CSV waits for the whole run: ask for the rest
      if (csvWanted && done) { csvWanted = false; download("wave-packet.csv", new Blob([csvText(table())], {type: "text/csv"})) }
      status()
    }
  })
  for (const p of ["display", "phase", "large_text", "hidden"]) model.on(p, draw)
  startPlayer(model, root, resize, () => cancelAnimationFrame(raf))
}
