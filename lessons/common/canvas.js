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

// Keyboard control of a player with a play and a restart button: focusable root named ``label``,
// space plays or pauses, r restarts (a focused button or select keeps its own space and Enter).
function playRestartKeys(root, label, playBtn, restartBtn) {
  root.tabIndex = 0
  root.setAttribute("aria-label", label)
  root.addEventListener("keydown", (ev) => {
    if (["BUTTON", "SELECT"].includes(ev.target.tagName) && (ev.key === " " || ev.key === "Enter")) return
    const k = ev.key.toLowerCase()
    if (k === " ") playBtn.click()
    else if (k === "r") restartBtn.click()
    else return
    ev.preventDefault()
  })
}
