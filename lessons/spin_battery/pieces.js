// The Spin-battery lesson's player: a battery's charging run, known in full, played in the browser.
//
// setup: {run, n (spins), fields (B_i), Emax (a full battery's energy), best_power, best_time, note}.
// chunk (the whole run): {run, t (times t_k), E (stored energy), W (ergotropy), Wloc (local
// ergotropy), P (average power), sh and sz (each spin's transverse and z Bloch components,
// frame-major: records x spins)}.  The player interpolates the run at display rate: the spins as
// arrows, a battery gauge, and the curves with a moving cursor.
// Every text it shows is in the page's language (its msgids in _() and N_(), numbers through num());
// the CSV export keeps English column names and numbers with a dot, for programs to read.

const LESSON = {
  className: "ql-player ql-charge",
  name: "charging",
  label: N_("Charging animation: space plays or pauses, r restarts"),
  canvasLabel: N_("Spins, battery gauge and charging curves"),
  waiting: N_("Computing the charging run…"),
  clock: {mode: "run", seconds: 8},
  bar: {name: N_("Charging animation"), restart: N_("Restart the charging"), speed: "select", note: true, status: "readout"},
  readoutHTML: () => `
        <span>${_("stored E")} = <b class="ql-E">–</b></span>
        <span>${_("ergotropy W")} = <b class="ql-W">–</b></span>
        <span>${_("local W")} = <b class="ql-Wloc">–</b></span>
        <span>${_("average power E/t")} = <b class="ql-P">–</b></span>`,
  minHeight: 320,
  aspect: 0.7,

  setup(msg, api) {
    api.root.querySelector(".ql-note").textContent = msg.note || ""
    return {...msg, t: null}
  },
  chunk(msg, run) {
    for (const key of ["t", "E", "W", "Wloc", "P", "sh", "sz"]) run[key] = plain(msg[key])
  },
  end: (run) => (run.t ? run.t[run.t.length - 1] : 0),
  length: (run) => (run.t ? run.t[run.t.length - 1] : 1),

  clockText: (run, clock) => `t = ${fmt(clock.t, 2)}`,
  values(run, clock) {
    if (!run.t) return {}
    return {".ql-E": fmt(at(run, run.E, clock.t)), ".ql-W": fmt(at(run, run.W, clock.t)),
            ".ql-Wloc": fmt(at(run, run.Wloc, clock.t)), ".ql-P": clock.t > 0 ? fmt(at(run, run.P, clock.t)) : "–"}
  },
  status: (run) => (run && run.t
    ? _("best average power {power} at t = {t}", {power: fmt(run.best_power), t: fmt(run.best_time, 2)}) : ""),
  table: (run) => run.t && [["t", run.t], ["stored_E", run.E], ["ergotropy_W", run.W], ["local_W", run.Wloc],
                            ["average_power", run.P]],

  draw(g, run, clock) {
    if (!run.t) { clear(g, _(LESSON.waiting)); return }
    const {W, H, big} = g, topH = Math.round(H * 0.36)
    spins(g, run, clock.t, 10, 4, W - 130 * big, topH - 8)
    gauge(g, run, clock.t, W - 110 * big, 8, 90 * big, topH - 16)
    curves(g, run, clock.t, 56 * big, topH + 30 * big, W - 116 * big, H - topH - 66 * big)
  },
}


// linear interpolation of series a (or column j of an (nt x n) array) at time t
function at(run, a, t, j = -1, n = 1) {
  const ts = run.t, nt = ts.length
  if (!(t > ts[0])) return j < 0 ? a[0] : a[j]
  if (t >= ts[nt - 1]) return j < 0 ? a[nt - 1] : a[(nt - 1) * n + j]
  const f = (t - ts[0]) / (ts[nt - 1] - ts[0]) * (nt - 1), k = Math.floor(f), u = f - k
  const i0 = j < 0 ? k : k * n + j, i1 = j < 0 ? k + 1 : (k + 1) * n + j
  return a[i0] * (1 - u) + a[i1] * u
}

// each spin as an arrow in its circle, coloured from empty to full by its local energy B_i sz_i
function spins(g, run, t, x0, y0, w, h) {
  const {ctx, big} = g, n = run.n, cell = w / n, r = Math.min(cell * 0.36, (h - 22 * big) * 0.42)
  for (let i = 0; i < n; i++) {
    const cx = x0 + cell * (i + 0.5), cy = y0 + (h - 22 * big) / 2 + 4
    const sx = at(run, run.sh, t, i, n), sz = at(run, run.sz, t, i, n), B = run.fields[i]
    ctx.strokeStyle = color("ring"); ctx.lineWidth = 1.5 * big
    ctx.beginPath(); ctx.arc(cx, cy, r, 0, 2 * Math.PI); ctx.stroke()
    const fill = B === 0 ? 0.5 : (Math.sign(B) * sz + 1) / 2
    const col = mix("spin_down", "spin_up", Math.max(0, Math.min(1, fill)))
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
    label(g, `B${sub(i + 1)} = ${fmt(B, 2)}`, cx, y0 + h - 2, "text", {align: "center"})
  }
}

// the battery gauge: stored energy over a full battery's
function gauge(g, run, t, x, y, w, h) {
  const {ctx, big} = g, E = at(run, run.E, t), frac = run.Emax > 0 ? Math.max(0, Math.min(1, E / run.Emax)) : 0
  const bw = w * 0.5, bx = x + (w - bw) / 2, top = y + 8 * big, bh = h - 34 * big
  ctx.strokeStyle = color("axis"); ctx.lineWidth = 2 * big
  ctx.strokeRect(bx, top, bw, bh)
  ctx.fillStyle = color("axis"); ctx.fillRect(bx + bw * 0.3, top - 6 * big, bw * 0.4, 6 * big)
  bar(g, bx + 2, top + bh, bw - 4, bh * frac, "gauge")
  label(g, _("{percent} % full", {percent: Math.round(frac * 100)}), x + w / 2, y + h - 4, "text", {align: "center"})
}

// How many rows legend(g, items, x, ..., {down: false, swatch: "line"}) takes (it wraps at the canvas edge)
function legendRows(g, items, x) {
  const {ctx, big} = g, maxX = g.W - 4
  ctx.font = font(g, 13)
  let rows = 1, at = x
  for (const [, text] of items) {
    const wide = 27 * big + ctx.measureText(text).width
    if (at > x && at + wide > maxX) { rows += 1; at = x }
    at += ctx.measureText(text).width + 46 * big
  }
  return rows
}

// E, W, local W (left axis) and the average power (right axis) against time, the best average power
// as a dot, and the time cursor; the legend above the plot, which moves down by the legend's extra
// rows on a narrow canvas (long labels wrap)
function curves(g, run, t, x0, y0, w, h) {
  const {ctx, big} = g, ts = run.t, t1 = ts[ts.length - 1]
  const items = [["stored", _("stored energy E")], ["ergotropy", _("ergotropy W")],
                 ["local_ergotropy", _("local ergotropy (spin by spin)"), [6, 4]],
                 ["power", _("average power E/t (right axis)"), [2, 3]]]
  const legendY = y0 - 12 * big, extra = (legendRows(g, items, x0 + 8) - 1) * 17 * big
  y0 += extra; h -= extra
  let emax = run.Emax || 1, pmax = 0
  for (const a of [run.E, run.W, run.Wloc]) for (const v of a) emax = Math.max(emax, v)
  for (const v of run.P) pmax = Math.max(pmax, v)
  pmax = pmax > 0 ? pmax * 1.1 : 1
  const b = plotBox(x0, y0, w, h, [0, t1], [0, emax]), bp = plotBox(x0, y0, w, h, [0, t1], [0, pmax])
  axes(g, b, {xlabel: _("time t (units of 1/J)"), ylabel: _("energy"), xticks: 8, yticks: 4, frame: true, xlabelGap: 32,
              xfmt: loc, yfmt: loc})
  ctx.font = font(g, 13); ctx.fillStyle = color("text"); ctx.textAlign = "left"
  for (const v of niceTicks(0, pmax, 4)) ctx.fillText(loc(v), x0 + w + 6, bp.Y(v) + 4)
  ctx.save(); ctx.beginPath(); ctx.rect(x0, y0 - 2, w, h + 4); ctx.clip()
  const px = Array.from(ts, (v) => b.X(v))
  polyline(g, px, Array.from(run.E, (v) => b.Y(v)), "stored", {width: 2.2})
  polyline(g, px, Array.from(run.W, (v) => b.Y(v)), "ergotropy", {width: 2.2})
  polyline(g, px, Array.from(run.Wloc, (v) => b.Y(v)), "local_ergotropy", {width: 2.2, dash: [6, 4]})
  polyline(g, px, Array.from(run.P, (v) => bp.Y(v)), "power", {width: 2.2, dash: [2, 3]})
  ctx.fillStyle = color("power")
  ctx.beginPath(); ctx.arc(b.X(run.best_time), bp.Y(run.best_power), 5 * big, 0, 2 * Math.PI); ctx.fill()
  vline(g, b, t, "time_cursor", {width: 2})
  ctx.restore()
  legend(g, items, x0 + 8, legendY, {down: false, swatch: "line"})
}
