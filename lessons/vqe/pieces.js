// The VQE lesson's player: an optimisation played iteration by iteration (pulled from the server).
//
// setup: {run, n (qubits), layers, iterations, E0 (exact ground energy), Etop (top of the spectrum),
// degeneracy, ground (the ground state's probabilities, 2^n), floor and best (with noise: the noisy
// energy of the noiseless optimum, and that optimum; else null), optimizer, shots (0: exact
// expectation), p (depolarizing probability)}.
// chunk: iterates start..end-1 (with noise, one chunk also brings floor and best): k, evals, measured, stderr, noisy, exact, fidelity, probs
// (frame-major, 2^n per iterate), params (frame-major, (layers + 1) * n * 2 per iterate: for each
// layer, for each qubit, the RY then the RZ angle).
// The circuit is drawn with a dial per angle (it turns as the optimiser moves it); under it the
// energy against iteration with the exact E0, and the prepared state's probabilities against the
// ground state's.
// Every shown string is written _("English") (N_ in the LESSON table, which the shell translates) and
// every shown number goes through num()/loc(); the CSV keeps English column names and a decimal point.

const LESSON = {
  className: "ql-player ql-vqe",
  name: "vqe-run",
  label: N_("VQE optimisation animation: space plays or pauses, r restarts, arrow keys step"),
  canvasLabel: N_("The circuit, the energy against iteration and the probabilities of the prepared state"),
  waiting: N_("Preparing the optimisation…"),
  clock: {mode: "frames", fps: 30, pull: {low: 1.5, ahead: 3}},
  bar: {name: N_("Optimisation controls"), restart: N_("Restart the optimisation"), step: true, speed: "select",
        status: "bar", note: true, clockZero: N_("iteration 0")},
  readoutHTML: () => `
        <span>${_("circuit runs")} <b class="ql-evals">–</b></span>
        <span>${_("measured E =")} <b class="ql-measured">–</b></span>
        <span>${_("noiseless E(θ) =")} <b class="ql-exact">–</b></span>
        <span>E(θ) − E₀ = <b class="ql-error">–</b></span>
        <span>${_("fidelity =")} <b class="ql-fidelity">–</b></span>`,
  minHeight: 470,
  aspect: 0.62,

  setup(msg) {
    const run = {...msg, ground: plain(msg.ground), d: 2 ** msg.n, P: (msg.layers + 1) * msg.n * 2}
    for (const key of ["k", "evals", "measured", "stderr", "noisy", "exact", "fidelity"]) run[key] = []
    run.probs = []; run.params = []
    run.ylo = Math.min(msg.E0, msg.floor ?? msg.E0); run.yhi = msg.E0 + 0.1 * Math.max(msg.Etop - msg.E0, 1e-6)
    return run
  },
  chunk(msg, run) {
    if (msg.floor !== undefined && msg.floor !== null) {      // the noise floor follows the first chunk
      run.floor = msg.floor; run.best = msg.best; run.ylo = Math.min(run.ylo, msg.floor)
    }
    const probs = plain(msg.probs), params = plain(msg.params), n = msg.k.length
    for (let j = 0; j < n; j++) {
      const i = msg.start + j
      for (const key of ["k", "evals", "measured", "stderr", "noisy", "exact", "fidelity"]) run[key][i] = msg[key][j]
      run.probs[i] = probs.subarray(j * run.d, (j + 1) * run.d)
      run.params[i] = params.subarray(j * run.P, (j + 1) * run.P)
      // the energy axis only grows while a run arrives, so the picture does not jump as it plays
      const lo = Math.min(msg.measured[j] - msg.stderr[j], msg.exact[j], msg.noisy[j])
      const hi = Math.max(msg.measured[j] + msg.stderr[j], msg.exact[j], msg.noisy[j])
      if (Number.isFinite(lo)) run.ylo = Math.min(run.ylo, lo)
      if (Number.isFinite(hi)) run.yhi = Math.max(run.yhi, hi)
    }
  },
  frames: (run) => run.k.length,

  clockText(run, clock) {
    const i = Math.min(clock.frame, run.k.length - 1)
    return _("iteration {k} / {n}", {k: i >= 0 ? run.k[i] : 0, n: run.iterations})
  },
  values(run, clock) {
    const i = Math.min(clock.frame, run.k.length - 1)
    if (i < 0) return {}
    const pm = run.shots ? ` ± ${fnum(run.stderr[i], 3)}` : ""
    return {".ql-evals": String(run.evals[i]), ".ql-measured": fnum(run.measured[i], 4) + pm,
            ".ql-exact": fnum(run.exact[i], 4), ".ql-error": fnum(run.exact[i] - run.E0, 4),
            ".ql-fidelity": fnum(run.fidelity[i], 3)}
  },
  status: (run, clock, s) => pulledStatus(run, clock, s, _("waiting for the optimisation…"),
                                          N_("computing the rest of the run for the CSV… {n} iterations")),
  table: (run) => run.k.length ? [["iteration", run.k], ["circuit_runs", run.evals], ["measured_E", run.measured],
                                  ["stderr", run.stderr], ["noisy_E", run.noisy], ["noiseless_E", run.exact],
                                  ["fidelity", run.fidelity]] : null,

  draw(g, run, clock, model) {
    const {W, H, big} = g
    const i = Math.min(clock.frame, run.k.length - 1)
    if (i < 0) { clear(g, _(LESSON.waiting)); return }
    const circuitH = Math.min(Math.max(run.n * 24 * big + 22, H * 0.3), H * 0.4)
    circuit(g, run, run.params[i], 8, 6, W - 16, circuitH - 10)
    const top = circuitH + 26 * big, bottom = 44 * big
    if (g.narrow) {
      const h = (H - top - 2 * bottom - 24 * big) / 2
      energyPlot(g, run, i, model, plotBox(50 * big, top, W - 50 * big - 12, h, [0, run.iterations], [run.ylo, run.yhi]))
      probsPlot(g, run, i, plotBox(50 * big, top + h + bottom + 24 * big, W - 50 * big - 12, h - 4, [0, run.d], [0, 1]))
    } else {
      const wE = (W - 70 * big) * 0.6
      energyPlot(g, run, i, model, plotBox(62 * big, top, wE - 20, H - top - bottom, [0, run.iterations], [run.ylo, run.yhi]))
      const x0 = 62 * big + wE + 40 * big
      probsPlot(g, run, i, plotBox(x0, top, W - x0 - 12, H - top - bottom, [0, run.d], [0, 1]))
    }
  },
}

// fmt (the shared pieces) with the page's decimal sign: ``v`` with ``d`` decimals, "–" if not finite
function fnum(v, d = 3) { return Number.isFinite(v) ? num(v, d) : "–" }

// the circuit: a wire per qubit, per layer a box per qubit with the dials of its RY and RZ angles,
// then the CNOT ladder 0->1, 1->2, ...; with noise a mark after every CNOT (the depolarizing channel)
function circuit(g, run, params, x0, y0, w, h) {
  const {ctx, big} = g, n = run.n, L = run.layers
  const labelW = 30 * big, dy = h / n, wireY = (q) => y0 + (q + 0.5) * dy
  // a column of rotations is at most about two boxes wide: few layers stay compact at the left
  const avail = w - labelW - 8, fit = avail / ((L + 1) + 0.42 * L * (n - 1))
  const cw = Math.min(fit, 2.2 * Math.min(dy * 0.8, 60 * g.big)), dx = 0.42 * cw
  const wireEnd = Math.min(x0 + w, x0 + labelW + (L + 1) * cw + L * (n - 1) * dx + 24 * big)
  ctx.lineWidth = 1.2 * big; ctx.strokeStyle = color("wire")
  for (let q = 0; q < n; q++) {
    label(g, `q${sub(q)}`, x0, wireY(q) + 4, "text", {size: 12})
    ctx.beginPath(); ctx.moveTo(x0 + labelW, wireY(q)); ctx.lineTo(wireEnd, wireY(q)); ctx.stroke()
  }
  // the key, where the circuit leaves room at its right
  if (x0 + w - wireEnd > 200 * big) {
    const items = [["gate_ry", _("dial: RY angle θ")], ["gate_rz", _("dial: RZ angle φ")], ["cnot", "CNOT"]]
    if (run.p > 0) items.push(["noise_mark", _("depolarizing noise, p = {p} %", {p: num(100 * run.p, 1)})])
    items.push(["wire", _("{angles} angles, {cnots} CNOTs", {angles: run.P, cnots: L * (n - 1)})])
    legend(g, items, wireEnd + 30 * big, y0 + 14 * big, {down: true, swatch: "line", rowStep: 19})
  }
  const box = Math.max(6, Math.min(cw * 0.86, dy * 0.8)), r = Math.max(2, Math.min(box * 0.22, 9 * big))
  let x = x0 + labelW
  for (let l = 0; l <= L; l++) {
    const cx = x + cw / 2
    for (let q = 0; q < n; q++) {
      const cy = wireY(q), k = (l * n + q) * 2
      ctx.fillStyle = color("gate_fill"); ctx.strokeStyle = color("gate_edge"); ctx.lineWidth = 1
      ctx.fillRect(cx - box / 2, cy - box / 2, box, box); ctx.strokeRect(cx - box / 2, cy - box / 2, box, box)
      dial(g, cx - box / 4, cy, r, params[k], "gate_ry")
      dial(g, cx + box / 4, cy, r, params[k + 1], "gate_rz")
    }
    x += cw
    if (l < L) {
      for (let q = 0; q < n - 1; q++) {
        const cx2 = x + (q + 0.5) * dx, ya = wireY(q), yb = wireY(q + 1), rt = Math.max(3, Math.min(7 * big, dy * 0.28))
        ctx.strokeStyle = color("cnot"); ctx.fillStyle = color("cnot"); ctx.lineWidth = 1.4 * big
        ctx.beginPath(); ctx.moveTo(cx2, ya); ctx.lineTo(cx2, yb + rt); ctx.stroke()
        ctx.beginPath(); ctx.arc(cx2, ya, Math.max(2, 3.2 * big), 0, 2 * Math.PI); ctx.fill()
        ctx.beginPath(); ctx.arc(cx2, yb, rt, 0, 2 * Math.PI); ctx.stroke()
        ctx.beginPath(); ctx.moveTo(cx2 - rt, yb); ctx.lineTo(cx2 + rt, yb); ctx.stroke()
        if (run.p > 0) {
          ctx.fillStyle = color("noise_mark")
          for (const yy of [ya, yb]) { ctx.beginPath(); ctx.arc(cx2 + dx * 0.42, yy, Math.max(1.5, 2.2 * big), 0, 2 * Math.PI); ctx.fill() }
        }
      }
      x += (n - 1) * dx
    }
  }
}

// a dial: a ring and a hand at angle a (radians; 0 points up, clockwise)
function dial(g, cx, cy, r, a, role) {
  const {ctx, big} = g
  ctx.strokeStyle = color(role); ctx.lineWidth = 1
  ctx.beginPath(); ctx.arc(cx, cy, r, 0, 2 * Math.PI); ctx.stroke()
  ctx.lineWidth = 1.8 * big
  ctx.beginPath(); ctx.moveTo(cx, cy); ctx.lineTo(cx + r * Math.sin(a), cy - r * Math.cos(a)); ctx.stroke()
}

// the energy against iteration up to iterate i: measured (dots with error bars when shots are
// drawn), the noisy expectation, the noiseless E(theta); E0, the noise floor and the circuit's best
function energyPlot(g, run, i, model, b) {
  const {ctx, big} = g
  const pad = 0.06 * (run.yhi - run.ylo || 1)
  b = plotBox(b.x0, b.y0, b.w, b.h, b.xr, [run.ylo - pad, run.yhi + pad])
  axes(g, b, {xlabel: _("iteration"), ylabel: _("energy"), xticks: 6, yticks: 5, frame: true, ylabelX: Math.max(12 * big, b.x0 - 46 * big),
              yfmt: (v) => loc(String(+v.toFixed(3)))})
  const hideE0 = model.hidden.includes("E0")
  ctx.save(); ctx.beginPath(); ctx.rect(b.x0, b.y0 - 1, b.w, b.h + 2); ctx.clip()
  if (!hideE0) hline(g, b, run.E0, "ground_energy", {dash: [7, 4], width: 1.6})
  if (run.floor !== null && run.floor !== undefined) hline(g, b, run.floor, "noise_floor", {dash: [2, 3], width: 1.8})
  const px = run.k.slice(0, i + 1).map((k) => b.X(k))
  const series = (key) => run[key].slice(0, i + 1).map((v) => b.Y(v))
  polyline(g, px, series("exact"), "exact_energy", {width: 2.2})
  if (run.p > 0) polyline(g, px, series("noisy"), "noisy_energy", {width: 2, dash: [6, 3]})
  if (run.shots > 0) {
    ctx.fillStyle = color("measured"); ctx.strokeStyle = color("measured"); ctx.lineWidth = 1
    const every = Math.max(1, Math.ceil(px.length / (b.w / 3)))
    for (let j = 0; j <= i; j += every) {
      const y = b.Y(run.measured[j]), e = Math.abs(b.Y(run.measured[j] + run.stderr[j]) - y)
      if (e > 1) { ctx.beginPath(); ctx.moveTo(px[j], y - e); ctx.lineTo(px[j], y + e); ctx.stroke() }
      ctx.beginPath(); ctx.arc(px[j], y, 2 * big, 0, 2 * Math.PI); ctx.fill()
    }
  }
  ctx.restore()
  // labels of the lines, inside the box at the left (clear of the trace, which starts high)
  const labels = []
  if (!hideE0) {
    labels.push([run.E0, "ground_energy", run.degeneracy > 1
      ? _("exact ground E₀ = {E0} ({k}-fold)", {E0: fnum(run.E0, 4), k: run.degeneracy})
      : _("exact ground E₀ = {E0}", {E0: fnum(run.E0, 4)})])
  }
  if (run.floor !== null && run.floor !== undefined) labels.push([run.floor, "noise_floor", _("noise floor {E}", {E: fnum(run.floor, 3)})])
  let lastY = 1e9
  for (const [v, role, text] of labels.sort((a, c) => a[0] - c[0])) {
    let y = b.Y(v) + 15 * big
    if (y > b.y0 + b.h - 4) y = b.Y(v) - 6
    if (Math.abs(y - lastY) < 14 * big) y = lastY - 15 * big
    label(g, text, b.x0 + 6, y, role, {size: 12, align: "left"})
    lastY = y
  }
  const items = [["exact_energy", g.narrow ? _("E(θ), no noise") : _("noiseless energy E(θ) of the circuit")]]
  if (run.p > 0) {
    items.push(["noisy_energy", g.narrow ? _("noisy ⟨H⟩")
      : _("noisy ⟨H⟩ (p = {p} % per CNOT)", {p: num(100 * run.p, 1)}), [6, 3]])
  }
  if (run.shots > 0) {
    items.push(["measured", g.narrow ? _("{n} shots", {n: run.shots})
      : _("measured with {n} shots ± 1σ", {n: run.shots})])
  }
  legend(g, items, b.x0, b.y0 - 10 * big, {down: false, swatch: "line", maxX: b.x0 + b.w, gap: 44})
}

// the prepared state's probabilities (bars) against the exact ground state's (outline)
function probsPlot(g, run, i, b) {
  const {ctx, big} = g, d = run.d, probs = run.probs[i]
  let top = 0
  for (let k = 0; k < d; k++) top = Math.max(top, probs[k], run.ground[k])
  top = Math.min(1, Math.max(0.05, top * 1.15))
  b = plotBox(b.x0, b.y0, b.w, b.h, [0, d], [0, top])
  axes(g, b, {ylabel: _("probability"), xticks: 2, xfmt: () => "", yticks: 4, frame: true,
              yfmt: (v) => loc(String(+v.toFixed(2))), ylabelX: Math.max(12 * big, b.x0 - 38 * big)})
  const bw = b.w / d
  for (let k = 0; k < d; k++) bar(g, b.X(k) + bw * 0.12, b.Y(0), Math.max(1, bw * 0.76), b.Y(0) - b.Y(probs[k]), "vqe_probs")
  ctx.strokeStyle = color("ground_probs"); ctx.lineWidth = 1.8 * big; ctx.beginPath()
  for (let k = 0; k < d; k++) { ctx.moveTo(b.X(k) + 1, b.Y(run.ground[k])); ctx.lineTo(b.X(k + 1) - 1, b.Y(run.ground[k])) }
  ctx.stroke()
  // basis labels |q0 q1 ...> where they fit, else the axis says what the bars are
  const fits = bw >= 10 * big * (run.n <= 3 ? run.n * 0.9 : 1.2)
  if (fits && run.n <= 5) {
    for (let k = 0; k < d; k++) {
      const text = k.toString(2).padStart(run.n, "0")
      ctx.save(); ctx.translate(b.X(k + 0.5), b.Y(0) + 8 * big)
      if (bw < 8 * big * run.n) { ctx.rotate(-Math.PI / 2); label(g, text, 0, 4 * big, "text", {size: 10, align: "right"}) }
      else label(g, text, 0, 8 * big, "text", {size: 11, align: "center"})
      ctx.restore()
    }
  } else {
    label(g, _("{d} basis states |q₀…q{last}⟩, 00…0 to 11…1", {d, last: sub(run.n - 1)}), b.x0 + b.w / 2,
          b.y0 + b.h + 16 * big, "text", {size: 12, align: "center"})
  }
  legend(g, [["vqe_probs", run.p > 0 ? _("prepared (noisy)") : _("prepared state")], ["ground_probs", _("exact ground")]],
         b.x0, b.y0 - 10 * big, {down: false, swatch: "bar", maxX: b.x0 + b.w, gap: 40})
}
