// The Bound-states lesson's player: a superposition of bound states, evaluated in the browser.
//
// setup (a well): {run, x, V, E (energies E_n), states (psi_n, frame-major n x points), emin, emax,
// rim (energy above which a level belongs to the surrounding box), xmin, xmax, rate (clock units per
// second at speed 1)}.  chunk (a state of the well, again after each measurement or change):
// {run, state (its id), re, im (coefficients c_n at t0), t0, mean_E, period, note, reset}.
// Every frame the player evaluates
//     psi(x, t) = sum_n c_n exp(-i E_n (t - t0)) psi_n(x)
// so playing costs the server nothing.  The measurement buttons send the time back as an action
// ({kind: "action", name: "measure", what, shots, t, state}); the server collapses the state and
// sends the new one.
//
// Every string it shows is an English msgid, translated by _() where drawn (N_() in LESSON, which the
// shell translates); every number it shows goes through num()/loc() (the page's decimal sign).  The
// CSV export keeps English column names and numbers with a dot: a program reads it.

const LESSON = {
  className: "ql-player ql-eigen",
  name: "bound-state",
  label: N_("Bound-state animation: space plays or pauses, r restarts, e measures energy, x measures position"),
  canvasLabel: N_("Potential, energy levels and the wavefunction"),
  waiting: N_("Solving for the energy levels…"),
  clock: {mode: "continuous", timeDigits: 4},
  restartPlays: false,
  bar: {name: N_("Animation and measurement"), restart: N_("Restart the clock"), status: "readout", clockZero: "t = 0.00",
        extra: [
          {cls: "ql-measure-E", text: N_("Measure E"), title: N_("Measure the energy once: the state collapses (e)"),
           action: (api) => measure(api, "energy", 1)},
          {cls: "ql-measure-x", text: N_("Measure x"), title: N_("Measure the position once: the state collapses (x)"),
           action: (api) => measure(api, "position", 1)},
          {cls: "ql-many-E", text: N_("E of 100 copies"), title: N_("Measure the energy of 100 identical copies (no collapse)"),
           action: (api) => measure(api, "energy", 100)},
          {cls: "ql-many-x", text: N_("x of 100 copies"), title: N_("Measure the position of 100 identical copies (no collapse)"),
           action: (api) => measure(api, "position", 100)}]},
  readoutHTML: () => `
        <span>⟨x⟩ = <b class="ql-mean-x">–</b></span>
        <span>⟨E⟩ = <b class="ql-mean-E">–</b></span>
        <span>${_("norm")} = <b class="ql-norm">–</b></span>`,
  minHeight: 320,
  aspect: 0.75,
  keys: {e: (api) => measure(api, "energy", 1), x: (api) => measure(api, "position", 1)},
  watch: {
    show_re: "redraw", show_im: "redraw", show_density: "redraw", levels: "redraw", guess: "redraw",
    mode: (api, run) => { if (run) run.trace = []; LESSON.controls(api, run) },
    show_levels: (api, run) => { if (run) run.trace = []; LESSON.controls(api, run) },
  },

  setup(msg, api) {
    const x = plain(msg.x), flat = plain(msg.states), npts = x.length, E = Array.from(msg.E)
    const states = []
    for (let k = 0; k < E.length; k++) states.push(flat.subarray(k * npts, (k + 1) * npts))
    let scale = 0
    for (let i = 0; i < flat.length; i++) scale = Math.max(scale, Math.abs(flat[i]))
    api.root.dataset.setup = String(msg.run)
    return {...msg, x, V: plain(msg.V), E, states, npts, dx: x[1] - x[0], scale: scale || 1, state: null,
            trace: [], psiRe: new Float64Array(npts), psiIm: new Float64Array(npts), meanX: NaN, norm: NaN}
  },
  chunk(msg, run, api) {
    run.state = {id: msg.state, re: Array.from(msg.re), im: Array.from(msg.im), t0: msg.t0, meanE: msg.mean_E,
                 note: msg.note}
    if (msg.reset) { api.clock.t = msg.t0; run.trace = [] }
    run.period = msg.period
    api.root.dataset.state = String(msg.state)
  },
  rate: (run) => run.rate,
  onRestart: (run) => { run.trace = [] },

  // psi(x, t), <x> and the norm at the clock's time; <x> joins the strip chart
  advance(run, clock, model) {
    evaluate(run, clock.t)
    if (Number.isFinite(run.meanX) && model.mode === "superposition" && model.show_levels) {
      run.trace.push([clock.t, run.meanX])
      const span = Math.max(run.period || 20, 10) * 2
      while (run.trace.length > 2 && run.trace[0][0] < clock.t - span) run.trace.shift()
    }
  },
  clockText: (run, clock) => `t = ${num(clock.t, 2)}`,
  values(run, clock, model) {
    const sup = model.mode === "superposition" && model.show_levels
    return {".ql-mean-x": sup ? loc(fmt(run.meanX)) : "–", ".ql-norm": sup ? loc(fmt(run.norm, 4)) : "–",
            ".ql-mean-E": run.state && model.show_levels ? loc(run.state.meanE.toPrecision(4)) : "–"}
  },
  // the note (after a measurement) comes from the server in the page's language
  status: (run) => !run ? _("solving…") : (run.state && run.state.note) || "",
  // the CSV is psi(x, t) at the time shown, with the potential
  table(run, clock) {
    evaluate(run, clock.t)
    const re = Array.from(run.psiRe), im = Array.from(run.psiIm)
    return [["x", run.x], ["V", run.V], ["re_psi", re], ["im_psi", im], ["density", re.map((r, i) => r * r + im[i] * im[i])],
            [`t=${clock.t.toFixed(4)}`, []]]
  },
  controls(api) {
    const model = api.model, sup = model.mode === "superposition" && model.show_levels
    for (const b of api.root.querySelectorAll(".ql-measure-E, .ql-measure-x, .ql-many-E, .ql-many-x")) b.disabled = !sup
  },

  draw(g, run, clock, model) {
    const {W, H, big} = g
    const sup = model.mode === "superposition"
    const sideW = sup ? Math.min(120 * big, W * 0.18) : 0, traceH = sup ? Math.max(70, H * 0.2) : 0
    // a narrow canvas puts the key in rows above the plot, where it cannot hide the level labels
    const m = {l: 58 * big, r: 14, t: g.narrow ? 44 : 12, b: 36 * big}
    const b = plotBox(m.l, m.t, W - sideW - m.l - m.r, H - traceH - m.t - m.b - (sup ? 12 : 0),
                      [run.xmin, run.xmax], [run.emin, run.emax])
    axes(g, b, {xlabel: _("position x"), ylabel: _("energy"), xticks: 8, yticks: 6, xfmt: loc, yfmt: loc})
    well(g, b, run)
    const nl = Math.min(model.levels, run.E.length)
    const spacing = nl > 1 ? (run.E[nl - 1] - run.E[0]) / (nl - 1) : (run.emax - run.emin) / 3
    const labels = model.show_levels ? levels(g, b, run, nl) : guessLine(g, b, model)
    if (sup) {
      if (run.state && model.show_levels) {
        const mean = run.state.meanE, amp = 0.45 * Math.max(spacing, 0.15 * (run.emax - run.emin)) / run.scale
        hline(g, b, mean, "energy", {dash: [6, 4]})
        waveOn(g, b, run, mean, amp, run.psiRe, run.psiIm, model)
        label(g, `⟨E⟩ = ${loc(mean.toPrecision(4))}`, b.x0 + b.w - 4, b.Y(mean) - 5, "energy", {align: "right"})
        marker(g, b.X(run.meanX), b.y0 + b.h, "mean_x")
        occupations(g, b, run, W - sideW + 6, sideW - 14)
        meanXTrace(g, run, clock, b, H - 8, traceH - 14)
      } else if (!model.show_levels) {
        centredLines(g, _("Levels hidden: make your guess, then press Reveal."), b.x0 + b.w / 2, b.y0 + 30 * big,
                     b.w - 8, "text", 15)
      }
    } else if (model.show_levels) {
      // eigenstates on their levels, each turning its phase at its own rate exp(-i E_n t)
      const amp = 0.42 * Math.max(spacing, 0.05 * (run.emax - run.emin)) / run.scale
      for (let k = 0; k < nl; k++) {
        const c = Math.cos(-run.E[k] * clock.t), s = Math.sin(-run.E[k] * clock.t), row = run.states[k]
        waveOn(g, b, run, run.E[k], amp, row.map((v) => c * v), row.map((v) => s * v), model)
      }
    }
    levelLabels(g, labels)
    const items = [["potential_edge", "V(x)"]]
    if (model.show_levels) items.push(["level", _("levels Eₙ")])
    if (model.show_density) items.push(["packet", "|ψ|²"])   // the filled area students see (its edge is near the levels' navy)
    if (model.show_re) items.push(["re", "Re ψ"])
    if (model.show_im) items.push(["im", "Im ψ"])
    if (g.narrow) legend(g, items, m.l, 16, {down: false, size: 12, rowStep: 16, gap: 34})
    else legend(g, items, b.x0 + b.w - 100 * big, m.t + 16 * big, {size: 12, rowStep: 16})
  },
}

function measure(api, what, shots) {
  const run = api.run()
  if (!run || !run.state) return
  api.send({kind: "action", name: "measure", what, shots, t: api.clock.t, state: run.state.id})
}

// psi(x, t) into run.psiRe / psiIm; run.meanX and run.norm
function evaluate(run, t) {
  const n = run.npts, re = run.psiRe, im = run.psiIm
  re.fill(0); im.fill(0)
  run.meanX = run.norm = NaN
  const st = run.state
  if (!st) return
  for (let k = 0; k < st.re.length; k++) {
    const a = st.re[k], bk = st.im[k]
    if (a * a + bk * bk < 1e-14) continue
    const ph = -run.E[k] * (t - st.t0), c = Math.cos(ph), s = Math.sin(ph)
    const cr = a * c - bk * s, ci = a * s + bk * c, row = run.states[k]
    for (let i = 0; i < n; i++) { re[i] += cr * row[i]; im[i] += ci * row[i] }
  }
  let norm = 0, mx = 0
  for (let i = 0; i < n; i++) { const p = re[i] * re[i] + im[i] * im[i]; norm += p; mx += p * run.x[i] }
  run.meanX = mx / norm; run.norm = norm * run.dx
}

// the potential (hard walls and anything above the axis drawn to the top)
function well(g, b, run) {
  const n = run.npts, top = run.emax, px = new Array(n), py = new Array(n)
  for (let i = 0; i < n; i++) { px[i] = b.X(run.x[i]); py[i] = b.Y(Math.min(run.V[i], top)) }
  area(g, [b.X(run.xmin), ...px, b.X(run.xmax)], [b.Y(run.emin), ...py, b.Y(run.emin)], b.Y(run.emin), "potential",
       {alpha: 0.35})
  polyline(g, px, py, "potential_edge", {width: 2})
}

// the levels across the plot (those above the rim belong to the surrounding box: dashed); their
// labels, drawn last so that waves never hide them (nearly degenerate levels side by side)
function levels(g, b, run, nl) {
  const labels = []
  let lastY = Infinity, shift = 0
  for (let k = 0; k < nl; k++) {
    const box = run.E[k] > run.rim
    hline(g, b, run.E[k], box ? "level_box" : "level", {width: 1.2, dash: box ? [6, 4] : []})
    const y = b.Y(run.E[k])
    shift = lastY - y < 14 * g.big ? shift + 1 : 0
    lastY = shift ? lastY : y
    labels.push([`E${k + 1} = ${loc(run.E[k].toPrecision(4))}`, b.x0 + 4 + shift * 112 * g.big, (shift ? lastY : y) - 3])
  }
  return labels
}

function guessLine(g, b, model) {
  hline(g, b, model.guess, "guess", {width: 2, dash: [8, 5]})
  label(g, _("your guess for E1 = {value}", {value: loc(Number(model.guess).toPrecision(3))}), b.x0 + 4,
        b.Y(model.guess) - 4, "guess")
  return []
}

// ``text`` centred at (x, y) in lines no wider than ``maxW`` pixels (broken between words: a longer
// language or a phone's narrow plot)
function centredLines(g, text, x, y, maxW, role, size) {
  const {ctx} = g, lines = []
  ctx.font = font(g, size)
  let line = ""
  for (const word of String(text).split(" ")) {
    const next = line ? line + " " + word : word
    if (line && ctx.measureText(next).width > maxW) { lines.push(line); line = word } else line = next
  }
  if (line) lines.push(line)
  lines.forEach((l, i) => label(g, l, x, y + i * 1.3 * size * g.big, role, {size, align: "center"}))
}

function levelLabels(g, labels) {
  const {ctx} = g
  ctx.font = font(g, 13); ctx.textAlign = "left"
  for (const [text, x, y] of labels) {
    const w = ctx.measureText(text).width
    ctx.fillStyle = color("label_bg"); ctx.fillRect(x - 2, y - 12 * g.big, w + 4, 15 * g.big)
    ctx.fillStyle = color("level"); ctx.fillText(text, x, y)
  }
}

// a wave drawn on the energy line ``base``: |psi|^2 (filled) and/or Re psi, Im psi
function waveOn(g, b, run, base, amp, re, im, model) {
  const n = run.npts, xs = new Array(n), ys = new Array(n)
  for (let i = 0; i < n; i++) xs[i] = b.X(run.x[i])
  if (model.show_density) {
    const ampP = amp * amp / run.scale
    for (let i = 0; i < n; i++) ys[i] = b.Y(base + (re[i] * re[i] + im[i] * im[i]) * ampP)
    area(g, xs, ys, b.Y(base), "packet", {alpha: 0.45})
    polyline(g, xs, ys, "packet_edge", {width: 1.4})
  }
  for (const [show, arr, role, dash] of [[model.show_re, re, "re", []], [model.show_im, im, "im", [5, 3]]]) {
    if (!show) continue
    for (let i = 0; i < n; i++) ys[i] = b.Y(base + arr[i] * amp)
    polyline(g, xs, ys, role, {width: 1.6, dash})
  }
}

// the occupation |c_n|^2 of each level, as a bar at the level's height beside the plot
function occupations(g, b, run, bx, bw) {
  const {ctx, big} = g
  label(g, "|cₙ|²", bx, b.y0 + 12 * big, "text", {size: 12})
  for (let k = 0; k < run.E.length; k++) {
    const w = run.state.re[k] * run.state.re[k] + run.state.im[k] * run.state.im[k]
    if (w < 1e-4 || run.E[k] > run.emax) continue
    ctx.fillStyle = color("weight"); ctx.globalAlpha = 0.75
    ctx.fillRect(bx, b.Y(run.E[k]) - 3 * big, w * bw, 6 * big); ctx.globalAlpha = 1
  }
  ctx.strokeStyle = color("axis"); ctx.lineWidth = 1
  ctx.beginPath(); ctx.moveTo(bx, b.y0); ctx.lineTo(bx, b.y0 + b.h); ctx.stroke()
}

// the strip chart of <x>(t) under the plot, in a symmetric range that fits it (steps of 0.5)
function meanXTrace(g, run, clock, b, ty0, th) {
  const {ctx} = g, tx0 = b.x0, tw = b.w, trace = run.trace
  const tmin = trace.length ? trace[0][0] : 0, tmax = Math.max(clock.t, tmin + 1e-9)
  ctx.strokeStyle = color("axis"); ctx.lineWidth = 1
  ctx.beginPath(); ctx.moveTo(tx0, ty0 - th); ctx.lineTo(tx0, ty0); ctx.lineTo(tx0 + tw, ty0); ctx.stroke()
  let reach = 0.5
  for (const [, xx] of trace) reach = Math.max(reach, Math.ceil(Math.abs(xx) * 2.2) / 2)
  reach = Math.min(reach, Math.max(run.xmax, -run.xmin))
  label(g, `+${loc(reach)}`, tx0 - 4, ty0 - th + 8, "text", {size: 12, align: "right"})
  label(g, `−${loc(reach)}`, tx0 - 4, ty0, "text", {size: 12, align: "right"})
  ctx.strokeStyle = color("grid"); ctx.beginPath(); ctx.moveTo(tx0, ty0 - th / 2); ctx.lineTo(tx0 + tw, ty0 - th / 2); ctx.stroke()
  label(g, "⟨x⟩(t)", tx0 + 6, ty0 - th + 10, "mean_x", {size: 12})
  strip(g, trace.map((p) => p[0]), trace.map((p) => p[1]), tx0, ty0, tw, th, -reach, reach, "mean_x",
        {tmin, tmax, width: 2})
}
