// The one player of every lesson: the browser side of lessons/common/player.py.
//
// It mounts the tool bar, the canvas and the text read-outs; keeps the canvas sized to its box at the
// device's pixel ratio (ResizeObserver); runs the clock; plays, pauses, steps, restarts and sets the
// speed (buttons and keys); saves the canvas as PNG and the data as CSV; writes the read-outs that
// screen readers announce; and speaks the message protocol of lessons/common/protocol.py with the
// server (or with the documentation's stand-in for it, docs/_static/ql-embed.js).
//
// A lesson plugs in ``LESSON`` (its file follows this one in the module, see player.py):
//
//   className, canvasLabel, label (the focusable root's accessible name), name (export file names),
//   clock: {mode: "frames" | "run" | "continuous", ...} - frames: a frame-indexed run shown at ``fps``
//          frames per second, pulled from the server as it plays ({pull: {low, ahead}} seconds) or
//          pushed whole; run: a run known in full, played in ``seconds`` (at speed 1); continuous: a
//          clock that runs on (bound states),
//   bar: {name, restart, step, speed: "select" | "model", extra: [{cls, text, title, action}],
//         status: "bar" | "readout", note, clockZero},
//   readoutHTML (the read-out row's markup; values go into its <b class=...> by class),
//   setup(msg, api) -> run, chunk(msg, run, api), frames(run) (frames mode), length(run) (run mode:
//   the time the run spans) and end(run) (where it stops, if before that: a run that blew up), rate(run) (continuous mode), advance(run, clock) (when the clock moves),
//   draw(g, run, clock, model) (with the pieces of pieces.js), values(run, clock, model) ->
//   {class: text}, clockText(run, clock), status(run, clock, state), table(run, clock) -> CSV
//   columns, keys {key: (api) => bool}, watch {property: "redraw" | (api, run) => ...},
//   controls(api, run) (enable or disable the extra buttons), restartPlays, minHeight, aspect.
//
// Language: every string the page shows is ``_("English")`` (lessons/common/pieces.js); the LESSON's
// strings (canvasLabel, label, bar.name, bar.restart, bar.extra's text and title, bar.clockZero,
// waiting) are written ``N_("English")`` and translated here when the player mounts; readoutHTML may
// be a function that builds its markup with ``_()``.  Shown numbers go through num() or loc().
//
// Data attributes on the root are the tests' hooks: data-run (the run's id), data-playing,
// data-time, data-frame, data-frames, data-done, data-pending, data-ql-player.

const READOUT_MS = 900     // the text read-outs (a polite live region) refresh at most this often while playing

export function render({ model, el }) {
  const L = LESSON
  const mode = L.clock.mode
  setPalette(model.palette)
  setLanguage(model.strings, model.decimal)

  // ---- mounting ------------------------------------------------------------------------------------
  const root = document.createElement("div")
  root.className = L.className
  root.innerHTML = barMarkup(L.bar) +
    `<canvas class="ql-canvas" role="img" aria-label="${_(L.canvasLabel)}"></canvas>` +
    `<div class="ql-readout" aria-live="polite">${typeof L.readoutHTML === "function" ? L.readoutHTML() : (L.readoutHTML || "")}${L.bar.status === "readout" ? '<span class="ql-status" role="status"></span>' : ""}</div>`
  el.appendChild(root)
  const canvas = root.querySelector("canvas"), ctx = canvas.getContext("2d")
  const $ = (sel) => root.querySelector(sel)
  const playBtn = $(".ql-play"), restartBtn = $(".ql-restart"), stepBtn = $(".ql-step")

  // ---- state ---------------------------------------------------------------------------------------
  let run = null             // the lesson's data of the current run (what LESSON.setup returned)
  let runId = null
  const clock = {t: 0, frame: 0, frameF: 0, playing: false}
  let last = null, raf = null, lastReadout = 0, firstData = true
  let hasData = false        // the current run's first chunk has arrived (a run clock waits for it)
  let done = false           // the run's last chunk has arrived
  let asked = 0              // frames the outstanding request asks for (0: none; frames mode)
  let csvWanted = false      // the CSV was asked for before the pulled run was complete
  let endedRun = null
  const api = {model, root, $, clock, send: (msg) => model.send_msg(msg), redraw: () => frame(true),
               run: () => run}

  function setPlaying(p) {
    clock.playing = !!p
    root.dataset.playing = p ? "1" : "0"
    playBtn.textContent = p ? "‖ " + _("Pause") : "▶ " + _("Play")
    playBtn.setAttribute("aria-label", p ? _("Pause") : _("Play"))
    last = null
  }
  setPlaying(false)

  function speed() {
    const v = L.bar.speed === "select" ? Number($(".ql-speed").value) : Number(model.speed)
    return v > 0 ? v : 1
  }
  const frames = () => (run && L.frames ? L.frames(run) : 0)

  // ---- size --------------------------------------------------------------------------------------------
  // the canvas fills its box's width; its height follows the width on narrow screens (``aspect``)
  function resize() {
    const w = Math.max(280, root.clientWidth || el.clientWidth || 800)
    const h = Math.max(L.minHeight || 220, Math.min(model.plot_height || 420, Math.round(w * (L.aspect || 0.8))))
    const dpr = window.devicePixelRatio || 1
    canvas.style.width = w + "px"; canvas.style.height = h + "px"
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr)
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
    draw()
  }

  // ---- drawing and read-outs -----------------------------------------------------------------------------
  function draw() {
    const dpr = window.devicePixelRatio || 1
    const W = canvas.width / dpr
    const g = {ctx, W, H: canvas.height / dpr, big: model.large_text ? 1.5 : 1, narrow: W < 600}
    if (!run) { clear(g, _(L.waiting || N_("Computing…"))); return }
    clear(g)
    L.draw(g, run, clock, model)
  }

  // one step of the clock (or a forced redraw): what moved, the canvas, the read-outs
  function frame(force) {
    if (run && L.advance) L.advance(run, clock, model)
    draw()
    readouts(force)
  }

  function readouts(force) {
    root.dataset.time = clock.t.toFixed(L.clock.timeDigits ?? 3)
    if (mode === "frames") root.dataset.frame = String(clock.frame)
    if (run && L.clockText) $(".ql-clock").textContent = L.clockText(run, clock)
    const now = performance.now()
    if (run && (force || now - lastReadout > READOUT_MS)) {
      lastReadout = now
      for (const [cls, text] of Object.entries(L.values(run, clock, model))) {
        const node = root.querySelector(cls)
        if (node) node.textContent = text
      }
    }
    status()
  }

  function status() {
    const node = $(".ql-status")
    if (node && L.status) node.textContent = L.status(run, clock, {done, csvWanted, frames: frames(), pending: asked > 0})
  }

  // ---- the clock -------------------------------------------------------------------------------------------
  const runEnd = () => (L.end ? L.end(run) : L.length(run))

  function tick(now) {
    raf = requestAnimationFrame(tick)
    if (mode === "frames") pull()
    // (a run clock ticking between a run's setup and its data would find it ended and stop playing)
    if (!clock.playing || !run || (mode === "frames" && !frames()) || (mode === "run" && !hasData) ||
        (mode === "continuous" && !L.rate(run))) {
      last = now; return
    }
    if (last === null) last = now
    const dt = Math.min(now - last, 250) / 1000; last = now
    if (mode === "frames") {
      const n = frames()
      clock.frameF = Math.min(clock.frameF + dt * L.clock.fps * speed(), n - 1 + 0.999)
      // waiting at the last frame held (the next chunk is on its way) redraws nothing
      const target = Math.floor(clock.frameF), atEnd = done && target >= n - 1
      if (target !== clock.frame || atEnd) {
        clock.frame = target
        if (atEnd) { setPlaying(false); ended() }
        frame(atEnd)
      }
    } else if (mode === "run") {
      const e = runEnd()
      clock.t = Math.min(clock.t + dt * speed() * L.length(run) / L.clock.seconds, e)
      const atEnd = clock.t >= e
      if (atEnd) setPlaying(false)        // at the end of the run: stop there with its final numbers
      frame(atEnd)
    } else {
      clock.t += dt * speed() * L.rate(run)
      frame(false)
    }
  }
  raf = requestAnimationFrame(tick)

  // frames mode: ask the server for more frames when the buffer ahead of the shown frame runs low
  function pull(whole = false) {
    const p = L.clock.pull
    if (!p || !run || done || asked) return
    const rate = L.clock.fps * Math.max(speed(), 0.05), n = frames()
    if (!whole && n - clock.frame > p.low * rate) return
    asked = whole ? 1e9 : Math.ceil(clock.frame + p.ahead * rate)
    root.dataset.pending = "1"
    api.send({kind: "more", run: runId, upto: Math.max(asked, n + 1)})
  }

  function ended() {
    if (run && endedRun !== runId) { endedRun = runId; api.send({kind: "ended", run: runId}) }
  }

  function atRunEnd() {
    if (mode === "frames") return done && clock.frame >= frames() - 1
    if (mode === "run") return clock.t >= runEnd()
    return false
  }

  function restart() {
    clock.t = 0; clock.frame = 0; clock.frameF = 0
    if (L.onRestart && run) L.onRestart(run, clock)
    frame(true)
    if (L.restartPlays !== false) setPlaying(true)
  }

  function step(direction) {
    if (!run) return false
    setPlaying(false)
    if (mode === "frames") {
      clock.frame = Math.min(Math.max(clock.frame + direction, 0), Math.max(frames() - 1, 0)); clock.frameF = clock.frame
      if (direction > 0 && atRunEnd()) ended()
    } else if (mode === "run") {
      clock.t = Math.min(Math.max(clock.t + direction * runEnd() / 100, 0), runEnd())
    } else return false
    frame(true)
    return true
  }

  restartBtn.addEventListener("click", restart)
  playBtn.addEventListener("click", () => {
    if (!clock.playing && run && atRunEnd()) { restart(); return }
    setPlaying(!clock.playing); readouts(true)
  })
  if (stepBtn) stepBtn.addEventListener("click", () => step(1))
  for (const extra of L.bar.extra || []) $("." + extra.cls).addEventListener("click", () => extra.action(api))

  // ---- keys ------------------------------------------------------------------------------------------------
  // while the player has focus, and from the page's classroom bar (classroom.js), which finds the visible
  // player by data-ql-player and calls root.qlKey; a focused button or select keeps its space and Enter
  function onKey(key) {
    const k = key.toLowerCase()
    if (key === " ") playBtn.click()
    else if (k === "r") restartBtn.click()
    else if (key === "ArrowRight" || key === "ArrowLeft") return step(key === "ArrowRight" ? 1 : -1)
    else if (L.keys && L.keys[k]) return L.keys[k](api) !== false
    else return false
    return true
  }
  root.tabIndex = 0
  root.setAttribute("aria-label", _(L.label))
  root.dataset.qlPlayer = "1"
  root.qlKey = onKey
  root.addEventListener("keydown", (ev) => {
    if (["BUTTON", "SELECT"].includes(ev.target.tagName) && (ev.key === " " || ev.key === "Enter")) return
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return
    if (onKey(ev.key)) ev.preventDefault()
  })

  // ---- export ----------------------------------------------------------------------------------------------
  $(".ql-png").addEventListener("click", () => canvas.toBlob((b) => b && download(`${L.name}.png`, b)))
  $(".ql-csv").addEventListener("click", () => {
    if (!run) return
    if (L.clock.pull && !done) {          // the CSV holds the whole run: the server computes the rest first
      csvWanted = true; asked = 0; pull(true); status(); return
    }
    const columns = L.table(run, clock)
    if (columns) download(`${L.name}.csv`, new Blob([csvText(columns)], {type: "text/csv"}))
  })

  // ---- messages (lessons/common/protocol.py) ----------------------------------------------------------------
  model.on("msg:custom", (msg) => {
    if (!msg || typeof msg !== "object") return
    if (msg.kind === "setup") {
      runId = msg.run; done = false; asked = 0; csvWanted = false; hasData = false
      clock.t = 0; clock.frame = 0; clock.frameF = 0
      run = L.setup(msg, api)
      root.dataset.run = String(msg.run)
      root.dataset.pending = "0"
      const note = $(".ql-note")
      if (note) note.textContent = ""
      if (mode === "frames") setPlaying(!!model.autoplay)       // every new run plays
      frame(true)
    } else if (msg.kind === "chunk") {
      if (!run || msg.run !== runId) return                  // an older run's chunk
      const before = frames()
      L.chunk(msg, run, api)
      done = !!msg.done; asked = 0; hasData = true
      root.dataset.pending = "0"
      if (mode === "frames") {
        root.dataset.frames = String(frames())
        root.dataset.done = done ? "1" : "0"
        if (!before && frames()) frame(true)
        if (csvWanted && !done) pull(true)                   // still computing the run for the CSV
        if (csvWanted && done) {
          csvWanted = false
          download(`${L.name}.csv`, new Blob([csvText(L.table(run, clock))], {type: "text/csv"}))
        }
        status()
      } else {
        if (mode === "run") { clock.t = 0; if (clock.playing) last = null }
        if (firstData && model.autoplay) setPlaying(true)     // the first data plays by itself
        firstData = false
        frame(true)
      }
      if (L.controls) L.controls(api, run)
    } else if (msg.kind === "error") {
      if (msg.run !== runId) return
      done = true
      const node = $(".ql-note") || $(".ql-status")
      if (node) node.textContent = String(msg.text || "")
    }
  })

  for (const [name, how] of Object.entries({large_text: "redraw", hidden: "redraw", ...(L.watch || {})})) {
    model.on(name, () => { if (typeof how === "function") how(api, run); frame(true) })
  }
  model.on("palette", () => { setPalette(model.palette); frame(true) })
  if (L.controls) L.controls(api, run)

  // ---- start: sized, stopped when Panel removes it, and the server told the page is ready ----------------
  model.on("plot_height", resize)
  const ro = new ResizeObserver(() => resize())
  ro.observe(root)
  model.on("remove", () => { cancelAnimationFrame(raf); ro.disconnect() })
  resize()
  readouts(true)
  api.send({kind: "ready"})
}

// ---- markup ---------------------------------------------------------------------------------------------------

function barMarkup(bar) {
  let h = `<div class="ql-bar" role="toolbar" aria-label="${_(bar.name)}">` +
    `<button class="ql-restart" type="button" aria-label="${_(bar.restart || N_("Restart"))}" title="${_("Back to t = 0 (r)")}">⟲ ${_("Restart")}</button>` +
    `<button class="ql-play" type="button" aria-label="${_("Play")}" title="${_("Play / pause (space)")}">▶ ${_("Play")}</button>`
  if (bar.step) h += `<button class="ql-step" type="button" aria-label="${_("Step one frame")}" title="${_("Step one frame (→; ← steps back)")}">${_("Step")} ▸</button>`
  if (bar.speed === "select") {
    h += `<label>${_("speed")} <select class="ql-speed" aria-label="${_("Playback speed")}">` +
      `<option value="0.25">¼×</option><option value="0.5">½×</option><option value="1" selected>1×</option>` +
      `<option value="2">2×</option></select></label>`
  }
  h += `<span class="ql-clock" aria-label="${_("time")}">${loc(_(bar.clockZero || "t = 0.00"))}</span>` + exportMarkup()
  if (bar.extra && bar.extra.length) {
    h += `<span class="ql-sep"></span>` +
      bar.extra.map((x) => `<button class="${x.cls}" type="button" title="${_(x.title)}">${_(x.text)}</button>`).join("")
  }
  if (bar.status === "bar") h += `<span class="ql-status" role="status"></span>`
  if (bar.note) h += `<span class="ql-note" role="note"></span>`
  return h + `</div>`
}

function exportMarkup() {
  return `<button class="ql-png" type="button" aria-label="${_("Save the animation's current frame as PNG")}" title="${_("Save this frame as PNG")}">PNG</button>` +
    `<button class="ql-csv" type="button" aria-label="${_("Download the animation's data as CSV")}" title="${_("Download the data as CSV")}">CSV</button>`
}

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
