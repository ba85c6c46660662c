// Helpers shared by the lessons' canvas players (prepended to each player's module by Python).

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

function fmt(v, d = 3) { return Number.isFinite(v) ? v.toFixed(d) : "–" }

// Size the canvas to its container (CSS pixels) at the device's pixel ratio.
function fitCanvas(canvas, ctx, width, height) {
  const dpr = window.devicePixelRatio || 1
  canvas.style.width = width + "px"; canvas.style.height = height + "px"
  canvas.width = Math.round(width * dpr); canvas.height = Math.round(height * dpr)
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
}

// Show play/pause state on the player's root (data-playing, for tests) and its button; returns p.
function showPlaying(root, button, p) {
  root.dataset.playing = p ? "1" : "0"
  button.textContent = p ? "‖ Pause" : "▶ Play"
  button.setAttribute("aria-label", p ? "Pause" : "Play")
  return p
}

// Mount a player: a root element with class ``className`` and markup ``html`` inside ``el``, and its
// canvas, 2-D context, a query helper and the play button.
function mountPlayer(el, className, html) {
  const root = document.createElement("div")
  root.className = className
  root.innerHTML = html
  el.appendChild(root)
  const canvas = root.querySelector("canvas")
  const $ = sel => root.querySelector(sel)
  return {root, canvas, ctx: canvas.getContext("2d"), $, playBtn: $(".ql-play")}
}

// Start a mounted player: keep its canvas sized (``resize``), call ``stop`` when Panel removes it,
// and tell the server the page is ready (it then replays what the page must show).
function startPlayer(model, root, resize, stop) {
  model.on("plot_height", resize)
  const ro = new ResizeObserver(() => resize())
  ro.observe(root)
  model.on("remove", () => { stop(); ro.disconnect() })
  resize()
  model.send_msg({kind: "ready"})
}

// Keyboard of a player: ``handle(key)`` acts on a key and returns true if it used it.  Keys reach it
// while the player has focus, and from the page's classroom bar (classroom.js) while the focus is on
// no other control, which finds the visible player by ``data-ql-player`` and calls ``root.qlKey``.
// A focused button or select keeps its own space and Enter.
function playerKeys(root, label, handle) {
  root.tabIndex = 0
  root.setAttribute("aria-label", label)
  root.dataset.qlPlayer = "1"
  root.qlKey = handle
  root.addEventListener("keydown", (ev) => {
    if (["BUTTON", "SELECT"].includes(ev.target.tagName) && (ev.key === " " || ev.key === "Enter")) return
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return
    if (handle(ev.key)) ev.preventDefault()
  })
}

// Tool bar of a run player: restart, play/pause, speed, the clock and a note (``name`` labels it,
// ``restartLabel`` is the restart button's accessible name).
function runBar(name, restartLabel) {
  return `
      <div class="ql-bar" role="toolbar" aria-label="${name}">
        <button class="ql-restart" type="button" aria-label="${restartLabel}" title="Back to t = 0 (r)">⟲ Restart</button>
        <button class="ql-play" type="button" aria-label="Play" title="Play / pause (space)">▶ Play</button>
        <label>speed <select class="ql-speed" aria-label="Playback speed">
          <option value="0.25">¼×</option><option value="0.5">½×</option><option value="1" selected>1×</option>
          <option value="2">2×</option></select></label>
        <span class="ql-clock" aria-label="time">t = 0.00</span>${exportMarkup}
        <span class="ql-note" role="note"></span>
      </div>`
}

// The clock of a run player (a whole run is known; the browser plays it): time ``clock.t`` runs
// from 0 to ``end()`` at ``length() / seconds`` units per second at speed 1; play/pause, restart
// (buttons and space / r, with ``label`` naming the focusable root), and the end of the run.
// ``hasRun()`` says whether there is a run, ``draw()`` paints the current time and
// ``readouts(force)`` writes the text read-outs (``force``: now, not throttled).
function runClock({root, $, playBtn, label, seconds, hasRun, end, length, draw, readouts}) {
  const clock = {t: 0, playing: false}
  let last = null, first = true, raf = null

  clock.setPlaying = (p) => { clock.playing = showPlaying(root, playBtn, p); last = null }
  clock.setPlaying(false)

  // paint the current time; at the end of the run stop there with the run's final numbers
  clock.frame = (force) => {
    if (!hasRun()) { draw(); return }
    const e = end(), atEnd = clock.t >= e
    if (atEnd) { clock.t = e; if (clock.playing) clock.setPlaying(false) }
    draw()
    readouts(force || atEnd)
    root.dataset.time = clock.t.toFixed(3)
  }

  function tick(now) {
    raf = requestAnimationFrame(tick)
    if (!clock.playing || !hasRun()) { last = now; return }
    if (last === null) last = now
    const dt = Math.min(now - last, 250) / 1000; last = now
    clock.t += dt * (Number($(".ql-speed").value) || 1) * length() / seconds
    clock.frame(false)
  }
  raf = requestAnimationFrame(tick)

  const restartBtn = $(".ql-restart")
  restartBtn.addEventListener("click", () => { clock.t = 0; clock.frame(true); clock.setPlaying(true) })
  playBtn.addEventListener("click", () => {
    if (hasRun() && !clock.playing && clock.t >= end()) clock.t = 0
    clock.setPlaying(!clock.playing); clock.frame(true)
  })
  // space plays or pauses, r restarts, the arrows step a hundredth of the run (paused)
  playerKeys(root, label, (key) => {
    const k = key.toLowerCase()
    if (k === " ") playBtn.click()
    else if (k === "r") restartBtn.click()
    else if ((key === "ArrowRight" || key === "ArrowLeft") && hasRun()) {
      clock.setPlaying(false)
      clock.t = Math.min(Math.max(clock.t + (key === "ArrowRight" ? 1 : -1) * end() / 100, 0), end())
      clock.frame(true)
    } else return false
    return true
  })

  // a new run starts at t = 0 (the first one plays by itself if ``autoplay``)
  clock.newRun = (autoplay) => {
    clock.t = 0
    if (first && autoplay) clock.setPlaying(true)
    else if (clock.playing) last = null
    first = false
    clock.frame(true)
  }
  clock.stop = () => cancelAnimationFrame(raf)
  return clock
}

// The page's colour profile (lessons/common/palette.py sends it as the player's ``palette``): players
// name their colours as the standard profile draws them, and paint with ``tint(colour)``.
let PALETTE = {map: {}, big: 1}

function setPalette(p) { PALETTE = p && p.map ? p : {map: {}, big: 1} }

function hex6(c) {
  const h = c.trim().toLowerCase()
  if (/^#[0-9a-f]{3}$/.test(h)) return "#" + [...h.slice(1)].map(ch => ch + ch).join("")
  return /^#[0-9a-f]{6}$/.test(h) ? h : null
}

// ``c`` (``#rrggbb``, ``#rgb`` or ``rgba(r,g,b,a)`` in the standard profile) in the page's profile.
function tint(c) {
  const m = /^rgba\((\d+),\s*(\d+),\s*(\d+),\s*([0-9.]+)\)$/.exec(c)
  if (m) {
    const base = "#" + m.slice(1, 4).map(v => (+v).toString(16).padStart(2, "0")).join("")
    const to = PALETTE.map[base]
    if (!to) return c
    return `rgba(${parseInt(to.slice(1, 3), 16)},${parseInt(to.slice(3, 5), 16)},${parseInt(to.slice(5, 7), 16)},${m[4]})`
  }
  const h = hex6(c)
  return (h && PALETTE.map[h]) || c
}

// A player's colour table (standard values) in the page's profile.
function themed(base) { return Object.fromEntries(Object.entries(base).map(([k, v]) => [k, tint(v)])) }

// Save ``blob`` as ``filename`` (the browser's download).
function download(filename, blob) {
  const a = document.createElement("a")
  a.href = URL.createObjectURL(blob)
  a.download = filename
  document.body.appendChild(a); a.click(); a.remove()
  setTimeout(() => URL.revokeObjectURL(a.href), 10000)
}

// CSV of ``columns`` ([[name, values], ...]; shorter columns end in empty cells).
function csvText(columns) {
  const rows = Math.max(0, ...columns.map(([, v]) => v.length))
  const lines = [columns.map(([h]) => h).join(",")]
  for (let i = 0; i < rows; i++) {
    lines.push(columns.map(([, v]) => i < v.length && Number.isFinite(v[i]) ? String(v[i]) : "").join(","))
  }
  return lines.join("\n") + "\n"
}

// Buttons of a player's tool bar (markup: ``exportMarkup``) that save its canvas as PNG and
// ``table()`` (CSV columns, or null before there is data) as CSV, both named ``name``.
const exportMarkup = `
        <button class="ql-png" type="button" aria-label="Save the animation's current frame as PNG" title="Save this frame as PNG">PNG</button>
        <button class="ql-csv" type="button" aria-label="Download the animation's data as CSV" title="Download the data as CSV">CSV</button>`

function exportButtons(root, name, canvas, table) {
  root.querySelector(".ql-png").addEventListener("click", () => canvas.toBlob((b) => b && download(`${name}.png`, b)))
  root.querySelector(".ql-csv").addEventListener("click", () => {
    const columns = table()
    if (columns) download(`${name}.csv`, new Blob([csvText(columns)], {type: "text/csv"}))
  })
}
