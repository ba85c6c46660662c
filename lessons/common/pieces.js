// Drawing pieces and helpers shared by every lesson's player (the shell, shell.js, calls a lesson's
// ``LESSON.draw`` with them).  A piece draws one thing on a canvas 2-D context (axes, a curve, an
// area under a curve, a line across, a legend, a bar, a label) and names its colour by role
// (lessons/common/palette.py ROLES); no colour is written here.  Positions are CSS pixels.

// About n round-numbered ticks between lo and hi.
function niceTicks(lo, hi, n) {
  const span = hi - lo
  if (!(span > 0)) return [lo]
  const raw = span / n, mag = Math.pow(10, Math.floor(Math.log10(raw)))
  const step = [1, 2, 2.5, 5, 10].map(m => m * mag).find(s => s >= raw) || raw
  const ticks = []
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) ticks.push(+v.toFixed(10))
  return ticks
}

// BokehJS hands float32 arrays over as NDArray subclasses whose subarray() ignores the offset:
// view the same memory as a plain typed array before slicing it.
function plain(a) {
  return a instanceof Float32Array ? new Float32Array(a.buffer, a.byteOffset, a.length) : Float32Array.from(a)
}

function fmt(v, d = 3) { return Number.isFinite(v) ? num(v, d) : "–" }

// digits as subscripts: 12 -> ₁₂
function sub(k) { return String(k).split("").map(c => "₀₁₂₃₄₅₆₇₈₉"[+c]).join("") }

// ---- colours by role -------------------------------------------------------------------------------
// The page's colour profile (palette.py Profile.js): every role's colour in this profile, the type scale.
let PALETTE = {roles: {}, big: 1}
const MISSING = new Set()

function setPalette(p) { PALETTE = p && p.roles ? p : {roles: {}, big: 1} }

// ---- language ---------------------------------------------------------------------------------------
// The page's translations (msgid -> text, lessons/common/i18n.py Translator.js_strings) and decimal sign.
// Every string the page shows is written ``_("English")`` (or ``N_("English")`` where a constant is
// defined before the page has its language, translated with ``_(value)`` where shown): Babel's
// extraction finds both (``make catalogs``) and the server sends the session's translations of them.
let STRINGS = {}, DECIMAL = "."

function setLanguage(strings, decimal) { STRINGS = strings && typeof strings === "object" ? strings : {}; DECIMAL = decimal || "." }

// ``msgid`` in the page's language, its {name} fields filled from ``values``.
function _(msgid, values) {
  const text = Object.prototype.hasOwnProperty.call(STRINGS, msgid) ? STRINGS[msgid] : msgid
  return values ? fill(text, values) : text
}
function N_(msgid) { return msgid }
function fill(text, values) { return String(text).replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m)) }

// ``x`` with ``digits`` decimals, written the page's way (0,25 in German).
function num(x, digits = 2) { return loc(Number(x).toFixed(digits)) }
// A number already written with a dot (toPrecision, a formatter's text) with the page's decimal sign.
function loc(text) { return DECIMAL === "." ? String(text) : String(text).replace(/(\d)\.(\d)/g, `$1${DECIMAL}$2`) }

// The colour of ``role`` in the page's profile.
function color(role) {
  const c = PALETTE.roles[role]
  if (c) return c
  if (!MISSING.has(role)) { MISSING.add(role); console.error(`player: no colour for the role '${role}' (lessons/common/palette.py ROLES)`) }
  return PALETTE.roles.text || "currentColor"
}

// Between two opaque colours of roles a and b (u from 0 to 1).
function mix(a, b, u) {
  const rgb = (c) => {
    const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(c)
    return m ? m.slice(1).map(h => parseInt(h, 16)) : [0, 0, 0]
  }
  const pa = rgb(color(a)), pb = rgb(color(b))
  return `rgb(${pa.map((v, i) => Math.round(v + (pb[i] - v) * u)).join(",")})`
}

// ---- the drawing surface ------------------------------------------------------------------------------
// g: {ctx, W, H, big, narrow}: the context, the canvas size in CSS pixels, the type/line scale (1, or
// 1.5 in the projector look) and whether the canvas is narrow (a phone: type 15 % smaller).
// font(px) is a sans-serif font of px * big.

function font(g, px, weight = "") { return `${weight ? weight + " " : ""}${px * g.big * (g.narrow ? 0.85 : 1)}px sans-serif` }

// The background, and a line of text while there is nothing to draw.
function clear(g, text) {
  const {ctx, W, H} = g
  ctx.clearRect(0, 0, W, H)
  ctx.fillStyle = color("background"); ctx.fillRect(0, 0, W, H)
  if (text) {
    ctx.fillStyle = color("text"); ctx.font = font(g, 16); ctx.textAlign = "left"
    ctx.fillText(text, 20, 40)
  }
}

// A plot's box (x0, y0, w, h in pixels) mapping x in xr = [a, b] and y in yr = [c, d].
function plotBox(x0, y0, w, h, xr, yr) {
  const [xa, xb] = xr, [ya, yb] = yr
  return {x0, y0, w, h, xr, yr, X: (x) => x0 + (x - xa) / (xb - xa) * w, Y: (y) => y0 + h - (y - ya) / (yb - ya) * h}
}

// Grid lines and tick labels of a box; labels of the axes (``xlabel``, ``ylabel``); ``yfmt`` formats
// the y ticks, ``xticks``/``yticks`` say how many, ``frame`` strokes the box, ``ylabelX`` places the
// y label's centre.
function axes(g, b, {xlabel = "", ylabel = "", xticks = 8, yticks = 5, yfmt = loc, xfmt = loc, grid = true,
                     frame = false, ylabelX = 14, xlabelGap = 31, tickGap = 16} = {}) {
  const {ctx} = g
  ctx.font = font(g, 13); ctx.lineWidth = 1
  ctx.strokeStyle = color("grid"); ctx.fillStyle = color("text")
  xticks = Math.max(2, Math.min(xticks, Math.floor(b.w / (g.narrow ? 48 : 60))))   // tick labels never collide
  if (yticks) {
    for (const v of niceTicks(b.yr[0], b.yr[1], yticks)) {
      if (v < Math.min(...b.yr) - 1e-12) continue
      if (grid) { ctx.beginPath(); ctx.moveTo(b.x0, b.Y(v)); ctx.lineTo(b.x0 + b.w, b.Y(v)); ctx.stroke() }
      ctx.textAlign = "right"; ctx.fillText(yfmt(v), b.x0 - 6, b.Y(v) + 4)
    }
  }
  if (xticks) {
    ctx.textAlign = "center"
    for (const v of niceTicks(b.xr[0], b.xr[1], xticks)) ctx.fillText(xfmt(v), b.X(v), b.y0 + b.h + tickGap * g.big)
  }
  if (ylabel) {
    ctx.save(); ctx.translate(ylabelX, b.y0 + b.h / 2); ctx.rotate(-Math.PI / 2)
    ctx.textAlign = "center"; ctx.fillText(ylabel, 0, 0); ctx.restore()
  }
  if (xlabel) { ctx.textAlign = "center"; ctx.fillText(xlabel, b.x0 + b.w / 2, b.y0 + b.h + xlabelGap * g.big) }
  if (frame) { ctx.strokeStyle = color("axis"); ctx.lineWidth = 1.2; ctx.strokeRect(b.x0, b.y0, b.w, b.h) }
}

// A polyline through pixel points (px[i], py[i]) in ``role``'s colour; ``width`` (times the type
// scale), ``dash``.
function polyline(g, px, py, role, {width = 1.5, dash = [], from = 0, to = px.length} = {}) {
  const {ctx} = g
  ctx.strokeStyle = color(role); ctx.lineWidth = width * g.big; ctx.setLineDash(dash)
  ctx.beginPath()
  for (let i = from; i < to; i++) i > from ? ctx.lineTo(px[i], py[i]) : ctx.moveTo(px[i], py[i])
  ctx.stroke(); ctx.setLineDash([])
}

// The area between pixel points (px, py) and the level ``base`` (a pixel y), filled in ``role``.
function area(g, px, py, base, role, {alpha = 1} = {}) {
  const {ctx} = g, n = px.length
  if (!n) return
  ctx.beginPath(); ctx.moveTo(px[0], base)
  for (let i = 0; i < n; i++) ctx.lineTo(px[i], py[i])
  ctx.lineTo(px[n - 1], base); ctx.closePath()
  ctx.fillStyle = color(role); ctx.globalAlpha = alpha; ctx.fill(); ctx.globalAlpha = 1
}

// A horizontal line across box b at y (data), and a label at its right or left end.
function hline(g, b, y, role, {width = 1.5, dash = [], label = "", align = "right", dy = -5, x = null} = {}) {
  const {ctx} = g
  ctx.strokeStyle = color(role); ctx.lineWidth = width * g.big; ctx.setLineDash(dash)
  ctx.beginPath(); ctx.moveTo(b.x0, b.Y(y)); ctx.lineTo(b.x0 + b.w, b.Y(y)); ctx.stroke(); ctx.setLineDash([])
  if (label) {
    ctx.fillStyle = color(role); ctx.font = font(g, 13); ctx.textAlign = align
    ctx.fillText(label, x !== null ? x : (align === "right" ? b.x0 + b.w - 4 : b.x0 + 4), b.Y(y) + dy)
  }
}

// A vertical line from top to bottom of box b at x (data).
function vline(g, b, x, role, {width = 2, dash = []} = {}) {
  const {ctx} = g
  ctx.strokeStyle = color(role); ctx.lineWidth = width * g.big; ctx.setLineDash(dash)
  ctx.beginPath(); ctx.moveTo(b.X(x), b.y0); ctx.lineTo(b.X(x), b.y0 + b.h); ctx.stroke(); ctx.setLineDash([])
}

// Text at (x, y) in ``role``'s colour; ``size`` px (times the type scale), ``align``.
function label(g, text, x, y, role = "text", {size = 13, align = "left", weight = ""} = {}) {
  const {ctx} = g
  ctx.font = font(g, size, weight); ctx.fillStyle = color(role); ctx.textAlign = align
  ctx.fillText(text, x, y)
}

// A legend: one row per item [role, text, dash] (a short line or swatch, then the text), from (x, y)
// down (``down``) or across.  Returns the x (across) or y (down) after the last item.
function legend(g, items, x, y, {down = true, swatch = "bar", size = 13, rowStep = 17, gap = 46, maxX = g.W - 4} = {}) {
  const {ctx} = g, big = g.big, x0 = x
  ctx.font = font(g, size); ctx.textAlign = "left"
  for (const [role, text, dash = []] of items) {
    const wide = (swatch === "bar" ? 20 : 27) * big + ctx.measureText(text).width
    if (!down && x > x0 && x + wide > maxX) { x = x0; y += rowStep * big }       // across: wrap to a new row
    if (swatch === "bar") {
      ctx.fillStyle = color(role); ctx.fillRect(x, y - 9 * big, 14 * big, 4 * big)
      ctx.fillStyle = color("text"); ctx.fillText(text, x + 20 * big, y - 4 * big)
    } else {
      ctx.strokeStyle = color(role); ctx.lineWidth = 2.5 * big; ctx.setLineDash(dash)
      ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(x + 22 * big, y); ctx.stroke(); ctx.setLineDash([])
      ctx.fillStyle = color("text"); ctx.fillText(text, x + 27 * big, y + 4 * big)
    }
    if (down) y += rowStep * big
    else x += ctx.measureText(text).width + gap * big
  }
  return down ? y : x
}

// A vertical bar from base (pixel y) up by height px, in ``role`` (``alpha``).
function bar(g, x, base, width, height, role, {alpha = 1} = {}) {
  const {ctx} = g
  ctx.fillStyle = color(role); ctx.globalAlpha = alpha; ctx.fillRect(x, base - height, width, height); ctx.globalAlpha = 1
}

// A strip chart of series ys over times ts (pixel box x0, y0 bottom-left, w, h); value range [lo, hi].
function strip(g, ts, ys, x0, y0, w, h, lo, hi, role, {tmin = ts[0], tmax = ts[ts.length - 1], width = 2, dash = [],
                                                      upto = ts.length} = {}) {
  const px = [], py = []
  for (let j = 0; j < upto; j++) {
    px.push(x0 + (ts[j] - tmin) / Math.max(tmax - tmin, 1e-12) * w)
    py.push(y0 - (ys[j] - lo) / Math.max(hi - lo, 1e-12) * h)
  }
  polyline(g, px, py, role, {width, dash})
}

// A small upward triangle on the x axis at pixel x (a marker such as <x>).
function marker(g, x, y, role) {
  const {ctx} = g, big = g.big
  ctx.fillStyle = color(role); ctx.beginPath()
  ctx.moveTo(x, y); ctx.lineTo(x - 6 * big, y + 9 * big); ctx.lineTo(x + 6 * big, y + 9 * big); ctx.closePath(); ctx.fill()
}

// The status line of a run whose frames the page pulls as it plays (``clock.pull``): what it waits
// for, the CSV being completed, "computing…" at the edge of what has arrived, "finished" at the end.
// ``waiting`` is the line before the run's setup (translated), ``csv`` the msgid of the CSV line with
// its count ``{n}`` (written ``N_("...")`` where a lesson passes its own: "… {n} iterations").
function pulledStatus(run, clock, s, waiting, csv = N_("computing the rest of the run for the CSV… {n} frames")) {
  if (!run) return waiting
  if (s.csvWanted) return _(csv, {n: s.frames})
  if (!s.done && clock.frame >= s.frames - 1) return _("computing…")
  if (clock.frame >= s.frames - 1 && s.frames) return _("finished — press Restart to replay")
  return ""
}
