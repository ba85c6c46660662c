// Lessons embedded in the documentation: a baked animation at once, the live lesson when Python is ready.
//
// Each <div class="ql-embed" data-lesson data-baked data-player data-live data-pyodide> on the page
// (see docs/bake.py for the .qlb file) is filled in two steps:
//
// 1. Baked: the lesson's default run, computed at build time, is fetched (a small gzip file, inflated
//    with DecompressionStream as it arrives, so playing starts once the first messages are in) and
//    played by the very player module the lesson uses (data-player: its ES module, imported
//    here).  The player talks to a stand-in for Panel's `model` that answers as the server does
//    (the messages: lessons/common/protocol.py): property reads come from the baked properties,
//    `send_msg({kind: "ready"})` is answered with the baked messages (a setup and its chunks),
//    Tunnelling's `{kind: "more"}` with its next baked chunk, and an `action` (a measurement) with a
//    note that it needs the live lesson.  Play, pause, restart, step
//    and the keys work as in the lesson; a label says it is the pre-computed default run.
// 2. Live: if the Python runtime (data-pyodide + "pyodide.js") can be reached, the live lesson
//    (data-live, a `panel convert --to pyodide-worker` page) loads in a hidden iframe and replaces
//    the baked player once it has rendered.  If the runtime cannot be reached, or the live page has
//    not rendered after a generous time, one calm line says so and the baked run keeps playing.
//
// Language: the docs page's <html lang> (docs/conf.py builds one site per language).  The baked
// player gets that language's strings and decimal sign (the `strings` and `decimal` properties a
// served page sets; from <lesson>.strings.json beside the .qlb, or data-strings: docs/bake.py)
// before it renders, and the labels the Python side wrote into the baked messages are replaced by
// that language's; the live lesson is loaded with `?lang=<language>` (the converted page passes its
// query on to its Python worker).  The embed's own lines are English unless the div carries
// `data-texts` (JSON: key -> text, keys as in TEXTS).
//
// No dependencies; nothing here throws into the page (failures are logged with console.warn).
// Options on the div: data-live-height (CSS height of the live lesson, default 900px) and
// data-live-timeout (seconds before the calm line, default 240; a live lesson that renders later,
// up to four times that, still takes over).  One live lesson starts at a time.

// The embed's own lines, in English; a page in another language gives its own in `data-texts`.
const TEXTS = {
  runtime: "Live controls need the Python runtime, which could not be loaded; this is the pre-computed default run.",
  slow: "Live controls could not be started in time; this is the pre-computed default run.",
  missing: "Live controls are not available here; this is the pre-computed default run.",
  failed: "Live controls could not be started here; this is the pre-computed default run.",
  loading: "Pre-computed default run — live controls are loading…",
  loadingLive: "Live controls are loading…",
  unavailable: "Pre-computed default run: this needs the live lesson.",
  bakedFailed: "The pre-computed animation could not be shown; live controls are loading…",
  badge: "pre-computed",
  liveTitle: "Live lesson",
  calmBaked: "; this is the pre-computed default run.",
}
const LIVE_HEIGHT = "900px"
const LIVE_TIMEOUT_S = 240
const PROBE_TIMEOUT_MS = 15000

// Look of the embed's own parts (the players bring theirs, inside their shadow roots).
const CHROME_CSS = `
.ql-embed { margin: 1em 0 1.5em; }
.ql-embed-status { font: 14px/1.4 system-ui, sans-serif; color: inherit; opacity: .85; margin: 0 0 6px;
                   display: flex; align-items: center; gap: 8px; min-height: 1.4em; }
.ql-embed-status .ql-embed-badge { flex: none; white-space: nowrap; font-size: 11px; font-weight: 600;
                   letter-spacing: .03em; text-transform: uppercase; padding: 1px 7px; border-radius: 9px;
                   border: 1px solid currentColor; opacity: .8; }
.ql-embed-status[data-state="live"] { display: none; }
.ql-embed-stage { position: relative; }
.ql-embed-stage[data-state="pending"] { overflow: hidden; }
.ql-embed-baked { display: block; background: var(--ql-bg, #fff); color: var(--ql-ink, #222);
                  border-radius: 6px; padding: 8px; }
.ql-embed-live { display: block; width: 100%; border: 0; }
.ql-embed-live[data-state="pending"] { position: absolute; left: 0; top: 0; visibility: hidden; pointer-events: none; }
`

const TYPED = {
  float32: Float32Array, float64: Float64Array, int8: Int8Array, uint8: Uint8Array,
  int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array,
}
const MAGIC = [0x51, 0x4c, 0x42, 0x31]   // "QLB1"

// ---- the .qlb file ------------------------------------------------------------------------------
//
// A .qlb file (docs/bake.py) is gzip of: "QLB1", the header's length (uint32 little-endian), the
// JSON header, zero padding to 8 bytes, then the arrays.  In the header an array is
// {"__nd__": {dtype, shape, offset, length, shuffle}} (bytes from the start of the array section;
// shuffle: stored as byte planes) and a non-finite number is {"__num__": "nan" | "inf" | "-inf"}.
// The arrays are stored in message order, so a page can start playing once the first messages'
// bytes are in while the rest of the file is still arriving.

// A growing byte buffer filled from a stream; at(n) resolves once n bytes are in.
function byteSink() {
  const s = {buf: new Uint8Array(1 << 16), n: 0, done: false, error: null, waiters: []}
  s.push = (chunk) => {
    if (s.n + chunk.length > s.buf.length) {
      const grown = new Uint8Array(Math.max(s.buf.length * 2, s.n + chunk.length))
      grown.set(s.buf.subarray(0, s.n))
      s.buf = grown
    }
    s.buf.set(chunk, s.n)
    s.n += chunk.length
    s.settle()
  }
  s.settle = () => {
    s.waiters = s.waiters.filter((w) => {
      if (s.n >= w.need) { w.resolve(); return false }
      if (s.error || s.done) { w.reject(s.error || new Error("the .qlb file ended early")); return false }
      return true
    })
  }
  s.at = (need) => new Promise((resolve, reject) => { s.waiters.push({need, resolve, reject}); s.settle() })
  s.end = (error = null) => { s.done = true; s.error = error; s.settle() }
  return s
}

function gunzip(readable) {
  if (typeof DecompressionStream === "undefined") throw new Error("this browser cannot inflate gzip (DecompressionStream)")
  return readable.pipeThrough(new DecompressionStream("gzip"))
}

// Feed ``sink`` from a fetch response, inflating it if it is gzip (a server may have inflated it).
async function fill(sink, response) {
  try {
    if (!response.body) {                 // no streams: all at once
      let bytes = new Uint8Array(await response.arrayBuffer())
      if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = new Uint8Array(await new Response(gunzip(new Blob([bytes]).stream())).arrayBuffer())
      sink.push(bytes); sink.end(); return
    }
    const reader = response.body.getReader()
    const head = []
    let got = 0, finished = false
    while (got < 2 && !finished) {        // enough to see the gzip magic
      const r = await reader.read()
      if (r.done) finished = true
      else { head.push(r.value); got += r.value.length }
    }
    const first = new Uint8Array(got)
    head.reduce((at, c) => { first.set(c, at); return at + c.length }, 0)
    let source = new ReadableStream({
      start(c) { if (got) c.enqueue(first); if (finished) c.close() },
      async pull(c) { const r = await reader.read(); if (r.done) c.close(); else c.enqueue(r.value) },
      cancel(reason) { reader.cancel(reason) },
    })
    if (first[0] === 0x1f && first[1] === 0x8b) source = gunzip(source)
    const inflated = source.getReader()
    for (;;) {
      const r = await inflated.read()
      if (r.done) break
      sink.push(r.value)
    }
    sink.end()
  } catch (err) {
    sink.end(err)
  }
}

// The reader of a .qlb file's bytes in ``sink``: its header, and ``load(value)`` which resolves to
// ``value`` with its arrays as typed arrays (little-endian, as every browser platform is; the shape
// as ``.shape``) once their bytes are in.
async function qlbReader(sink) {
  await sink.at(8)
  if (!MAGIC.every((b, i) => sink.buf[i] === b)) throw new Error("not a .qlb file")
  const size = new DataView(sink.buf.buffer, 0, 8).getUint32(4, true)
  await sink.at(8 + size)
  const header = JSON.parse(new TextDecoder().decode(sink.buf.subarray(8, 8 + size)))
  const base = 8 + size + ((8 - (8 + size) % 8) % 8)

  function array(ref) {
    const T = TYPED[ref.dtype]
    if (!T) throw new Error(`unsupported dtype ${ref.dtype}`)
    const raw = sink.buf.subarray(base + ref.offset, base + ref.offset + ref.length)
    const k = T.BYTES_PER_ELEMENT, n = ref.length / k
    let out
    if (ref.shuffle && k > 1) {          // byte planes back to elements
      out = new Uint8Array(ref.length)
      for (let b = 0; b < k; b++) {
        const plane = raw.subarray(b * n, (b + 1) * n)
        for (let i = 0, j = b; i < n; i++, j += k) out[j] = plane[i]
      }
    } else {
      out = raw.slice()                  // its own, aligned buffer
    }
    const arr = new T(out.buffer, 0, n)
    arr.shape = ref.shape
    return arr
  }
  function isRef(v, key) { const keys = Object.keys(v); return keys.length === 1 && keys[0] === key }
  function needs(v) {                    // bytes that must be in before ``v`` can be revived
    if (Array.isArray(v)) return v.reduce((m, x) => Math.max(m, needs(x)), 0)
    if (v && typeof v === "object") {
      if (isRef(v, "__nd__")) return base + v.__nd__.offset + v.__nd__.length
      return Object.values(v).reduce((m, x) => Math.max(m, needs(x)), 0)
    }
    return 0
  }
  function revive(v) {
    if (Array.isArray(v)) return v.map(revive)
    if (v && typeof v === "object") {
      if (isRef(v, "__nd__")) return array(v.__nd__)
      if (isRef(v, "__num__")) return v.__num__ === "nan" ? NaN : (v.__num__ === "inf" ? Infinity : -Infinity)
      const o = {}
      for (const key of Object.keys(v)) o[key] = revive(v[key])
      return o
    }
    return v
  }
  return {header, load: async (v) => { await sink.at(needs(v)); return revive(v) }}
}

// Open the .qlb file at ``href``: resolves (as soon as its header is in) to its document, with
// ``props`` ready and ``messages`` still in file form, and ``load(message)`` to revive one.
async function openQlb(href) {
  const response = await fetch(href)
  if (!response.ok) throw new Error(`${href}: HTTP ${response.status}`)
  const sink = byteSink()
  fill(sink, response)
  const reader = await qlbReader(sink)
  const doc = {...reader.header}
  doc.props = await reader.load(doc.props || {})
  doc.vars = await reader.load(doc.vars || {})
  doc.load = reader.load
  return doc
}

// The whole document of a .qlb file's bytes (gzip-compressed or not), every array revived.
export async function decodeQlb(buffer) {
  const sink = byteSink()
  await fill(sink, new Response(buffer))
  const reader = await qlbReader(sink)
  return reader.load(reader.header)
}

// ---- a stand-in for Panel's model -----------------------------------------------------------------

// `doc.props` as read-only properties; on(name, cb); send_msg answering the player from the baked
// messages (revived with ``doc.load`` when given, so each waits only for its own bytes).
// `unavailable(kind)` is called for a message only the live lesson can answer, `delivered(n)`
// after the first n messages have reached the player.
export function bakedModel(doc, {unavailable = () => {}, delivered: onDelivered = () => {}} = {}) {
  const props = {...doc.props}
  const listeners = new Map()
  const messages = doc.messages || []
  const load = doc.load || (async (m) => m)
  const initial = Math.min(Math.max(doc.initial || messages.length, 1), messages.length)
  const loaded = new Map()                 // index -> revived message (a Promise)
  let delivered = 0                        // messages sent to the page so far
  let queue = Promise.resolve()            // deliveries in order
  let removed = false

  function emit(name, ...args) {
    for (const cb of listeners.get(name) || []) {
      try { cb(...args) } catch (err) { console.warn("ql-embed: player callback failed", err) }
    }
  }
  function message(i) {
    if (!loaded.has(i)) loaded.set(i, load(messages[i]))
    return loaded.get(i)
  }
  // like the websocket: answers arrive after the current task, in order
  function deliver(from, to) {
    for (let i = from; i < to; i++) message(i)     // start reviving at once
    queue = queue.then(async () => {
      for (let i = from; i < to; i++) {
        const msg = await message(i)
        if (removed) return
        emit("msg:custom", msg)
      }
      onDelivered(to)
    }).catch((err) => console.warn("ql-embed: baked messages", err))
  }

  const model = {
    on(name, cb) {
      if (typeof name !== "string" || typeof cb !== "function") return
      if (!listeners.has(name)) listeners.set(name, [])
      listeners.get(name).push(cb)
    },
    send_msg(msg) {
      if (!msg || typeof msg !== "object" || removed) return
      if (msg.kind === "ready") {          // a fresh page: what the server replays
        delivered = Math.max(delivered, initial)
        deliver(0, delivered)
      } else if (msg.kind === "more") {    // Tunnelling pulls its next frames
        if (delivered < messages.length) { delivered += 1; deliver(delivered - 1, delivered) }
      } else if (msg.kind === "ended") {
        // the live lesson reveals numbers here: nothing to do
      } else {
        unavailable(String(msg.kind === "action" ? msg.name : msg.kind))   // a measurement: the live lesson's
      }
    },
    // the embed's own use: stop the player (as Panel does when it removes a component)
    _remove() { if (!removed) { emit("remove"); removed = true } },
  }
  for (const key of Object.keys(props)) {
    if (key in model) continue
    Object.defineProperty(model, key, {get: () => props[key], enumerable: true})
  }
  return model
}

// ---- styles --------------------------------------------------------------------------------------

function injectChrome() {
  if (document.getElementById("ql-embed-style")) return
  const style = document.createElement("style")
  style.id = "ql-embed-style"
  style.textContent = CHROME_CSS
  document.head.appendChild(style)
}

const sheets = new Map()   // css text -> CSSStyleSheet, shared by every player of the page

function styleShadow(shadow, texts) {
  try {
    shadow.adoptedStyleSheets = texts.map((text) => {
      if (!sheets.has(text)) { const s = new CSSStyleSheet(); s.replaceSync(text); sheets.set(text, s) }
      return sheets.get(text)
    })
  } catch (err) {          // no constructable style sheets: one <style> each
    for (const text of texts) {
      const style = document.createElement("style")
      style.textContent = text
      shadow.appendChild(style)
    }
  }
}

// ---- language ------------------------------------------------------------------------------------

// The docs page's language: its <html lang> ("de-CH" -> "de"), English if it names none.
export function pageLanguage(doc = document) {
  const lang = String((doc.documentElement && doc.documentElement.lang) || "").trim().toLowerCase()
  return lang.split(/[-_]/)[0] || "en"
}

// The embed's own lines: TEXTS with the div's `data-texts` over them.
function embedTexts(embed) {
  let own = {}
  try { own = JSON.parse(embed.dataset.texts || "{}") } catch (err) { console.warn("ql-embed: data-texts", err) }
  return {...TEXTS, ...(own && typeof own === "object" ? own : {})}
}

// The baked player's strings in ``lang`` ({strings, decimal, texts}; null: English as baked), from the
// div's `data-strings` or the .strings.json beside its .qlb.
async function bakedLanguage(embed, lang) {
  const href = embed.dataset.strings || String(embed.dataset.baked || "").replace(/\.qlb$/, ".strings.json")
  if (!href || !href.endsWith(".json")) return null
  try {
    const response = await fetch(url(href))
    if (!response.ok) return null
    const all = await response.json()
    return (all && all[lang]) || null
  } catch (err) {
    console.warn("ql-embed: the player's translations", err)
    return null
  }
}

// ``value`` (a revived message) with every string found in ``texts`` replaced (protocol fields kept).
export function relabel(value, texts, key = "") {
  if (typeof value === "string") {
    return key !== "kind" && Object.prototype.hasOwnProperty.call(texts, value) ? texts[value] : value
  }
  if (Array.isArray(value)) return value.map((v) => relabel(v, texts, key))
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    for (const k of Object.keys(value)) value[k] = relabel(value[k], texts, k)
  }
  return value
}

// The live page's address with ``?lang=`` the docs page's language (its other parameters kept).
export function liveURL(live, lang) {
  const u = new URL(live, document.baseURI)
  if (lang) u.searchParams.set("lang", lang)
  return u.href
}

// ---- one embed -----------------------------------------------------------------------------------

function url(value) { return new URL(value, document.baseURI).href }

// The status line: ``state`` is "loading" (live lesson on its way), "calm" (staying baked), "live".
function setStatus(ui, state, text) {
  ui.base = {state, text}
  renderStatus(ui, state, text)
}

function renderStatus(ui, state, text) {
  ui.status.dataset.state = state
  ui.status.replaceChildren()
  if (state !== "live" && ui.baked) {
    const badge = document.createElement("span")
    badge.className = "ql-embed-badge"
    badge.textContent = ui.texts.badge
    ui.status.append(badge)
  }
  const span = document.createElement("span")
  span.className = "ql-embed-text"
  span.textContent = text
  ui.status.append(span)
}

// A short note (a button of the baked player that needs Python), then the status again.
function flashNote(ui, text) {
  if (ui.base.state === "live") return
  renderStatus(ui, ui.base.state, text)
  clearTimeout(ui.noteTimer)
  ui.noteTimer = setTimeout(() => renderStatus(ui, ui.base.state, ui.base.text), 3000)
}

// A calm line, worded for whether the baked run is showing.
function calm(ui, key) {
  const text = ui.texts[key]
  const tail = ui.texts.calmBaked
  setStatus(ui, "calm", ui.baked || !tail || !text.endsWith(tail) ? text : text.slice(0, -tail.length) + ".")
}

async function showBaked(embed, ui) {
  const t0 = performance.now()
  const [doc, player, language] = await Promise.all([
    openQlb(url(embed.dataset.baked)), import(url(embed.dataset.player)), bakedLanguage(embed, ui.lang)])
  if (typeof player.render !== "function") throw new Error(`${embed.dataset.player} exports no render()`)
  if (language) {          // the page's language, as a served page sets it (Player.set_language)
    if (language.strings && typeof language.strings === "object") doc.props.strings = language.strings
    if (typeof language.decimal === "string" && language.decimal) doc.props.decimal = language.decimal
    const texts = language.texts
    if (texts && typeof texts === "object" && Object.keys(texts).length) {
      const load = doc.load
      doc.load = async (m) => relabel(await load(m), texts)
    }
    embed.dataset.bakedLang = ui.lang
  }

  const host = document.createElement("div")
  host.className = "ql-embed-baked"
  // the standard look the canvas is drawn in, whatever the page's theme sets around it
  for (const [name, value] of Object.entries(doc.vars || {})) host.style.setProperty(name, value)
  const shadow = host.attachShadow({mode: "open"})
  styleShadow(shadow, doc.stylesheets || [])
  const el = document.createElement("div")
  shadow.appendChild(el)
  ui.stage.appendChild(host)

  let first = true
  const model = bakedModel(doc, {
    unavailable: () => flashNote(ui, ui.texts.unavailable),
    delivered: () => {
      if (!first) return
      first = false       // the first messages are drawn by the next frames: note when (tests)
      requestAnimationFrame(() => requestAnimationFrame(() => {
        embed.dataset.firstFrameMs = String(Math.round(performance.now()))
        embed.dataset.bakedMs = String(Math.round(performance.now() - t0))
      }))
    },
  })
  ui.baked = {host, model}
  player.render({model, el})
  renderStatus(ui, ui.base.state, ui.base.text)   // now with its "pre-computed" badge
}

async function reachable(target, timeoutMs = PROBE_TIMEOUT_MS, options = {}) {
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), timeoutMs)
  try {
    const response = await fetch(target, {signal: abort.signal, ...options})
    return response.type === "opaque" || response.ok
  } catch (err) {
    return false
  } finally {
    clearTimeout(timer)
  }
}

// The live page's state: "rendered" once panel's pyodide-worker page has embedded the app (it then
// removes the "pn-loading" class its <body> starts with, see panel/_templates/pyodide_handler.js).
function watchLive(iframe, onStatus) {
  const seen = {loading: false, render: false, error: false, worker: null}
  function hook(win) {
    if (seen.worker) return
    let worker = null
    try { worker = win.eval("typeof pyodideWorker === 'undefined' ? null : pyodideWorker") } catch (err) { return }
    if (!worker || typeof worker.addEventListener !== "function") return
    seen.worker = worker
    worker.addEventListener("message", (ev) => {
      const msg = ev.data || {}
      if (msg.type === "status" && typeof msg.msg === "string") onStatus(msg.msg.replace(/<[^>]*>/g, ""))
      else if (msg.type === "render") seen.render = true
    })
    // Python failed in the worker: handled here (the embed gives up on it), not an error of the page
    worker.addEventListener("error", (ev) => { seen.error = true; ev.preventDefault() })
  }
  return function state() {
    let doc, win
    try { doc = iframe.contentDocument; win = iframe.contentWindow } catch (err) { return "opaque" }
    if (!doc) return "opaque"
    if (!doc.body || doc.URL === "about:blank") return "loading"
    hook(win)
    if (seen.error) return "failed"
    if (doc.body.classList.contains("pn-loading")) { seen.loading = true; return "loading" }
    if ((seen.loading || seen.render) && doc.querySelector("[data-root-id]")) return "rendered"
    return "loading"
  }
}

// Elements matching ``selector`` in ``root`` and in every open shadow root below it (Bokeh and
// Panel render each component in its own).
function deepQuery(root, selector, found = []) {
  found.push(...root.querySelectorAll(selector))
  for (const el of root.querySelectorAll("*")) if (el.shadowRoot) deepQuery(el.shadowRoot, selector, found)
  return found
}

// Whether to show a rendered live page now (``since`` ms after it rendered): once its visible
// canvas player has its first data from Python, so the hand-over shows no "Preparing…" frame; at
// soon if it shows no player (the lesson's player may sit in a closed tab); after 8 s regardless.
function playerReady(iframe, since) {
  if (since > 8000) return true
  let players = []
  try {
    players = deepQuery(iframe.contentDocument, "[data-ql-player]").filter((p) => p.getClientRects().length)
  } catch (err) { return true }
  if (!players.length) return since > 1500
  return players.some((p) => p.dataset.frames || p.dataset.run || p.dataset.state)
}

async function goLive(embed, ui) {
  const live = embed.dataset.live
  if (!live) { calm(ui, "missing"); return }
  if (embed.dataset.pyodide) {
    const base = embed.dataset.pyodide.endsWith("/") ? embed.dataset.pyodide : embed.dataset.pyodide + "/"
    if (!(await reachable(new URL("pyodide.js", url(base)).href, PROBE_TIMEOUT_MS, {mode: "no-cors"}))) {
      calm(ui, "runtime")
      embed.dataset.liveState = "unreachable"
      return
    }
  }
  if (!(await reachable(url(live), PROBE_TIMEOUT_MS, {method: "HEAD"}))) {
    calm(ui, "missing")
    embed.dataset.liveState = "missing"
    return
  }
  const iframe = document.createElement("iframe")
  iframe.className = "ql-embed-live"
  iframe.dataset.state = "pending"
  iframe.title = `${ui.texts.liveTitle}: ${embed.dataset.lesson || ""}`.trim()
  iframe.style.height = embed.dataset.liveHeight || LIVE_HEIGHT
  iframe.setAttribute("aria-hidden", "true")
  iframe.tabIndex = -1
  iframe.src = liveURL(live, ui.lang)
  ui.stage.dataset.state = "pending"
  ui.stage.appendChild(iframe)
  embed.dataset.liveState = "loading"

  const timeout = 1000 * (Number(embed.dataset.liveTimeout) || LIVE_TIMEOUT_S)
  const state = watchLive(iframe, (text) => {
    if (ui.base.state === "loading") setStatus(ui, "loading", `${ui.baked ? ui.texts.loading : ui.texts.loadingLive} (${text})`)
  })
  const start = performance.now()
  let renderedAt = null
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const s = state(), now = performance.now(), waited = now - start
      if (s === "rendered") {
        if (renderedAt === null) renderedAt = now
        if (!playerReady(iframe, now - renderedAt)) return
        clearInterval(timer)
        takeOver(embed, ui, iframe)
        resolve()
      } else if (s === "failed" || s === "opaque" || waited > 4 * timeout) {
        clearInterval(timer)                // give up: the baked run stays
        iframe.remove()
        delete ui.stage.dataset.state
        embed.dataset.liveState = "failed"
        calm(ui, waited > 4 * timeout ? "slow" : "failed")
        resolve()
      } else if (waited > timeout && ui.base.state === "loading") {
        calm(ui, "slow")       // keep waiting quietly: a slow link may still get there
        embed.dataset.liveState = "slow"
        resolve()                           // let the next embed start its live lesson
      }
    }, 250)
  })
}

function takeOver(embed, ui, iframe) {
  if (ui.baked) { ui.baked.model._remove(); ui.baked.host.remove(); ui.baked = null }
  iframe.dataset.state = "shown"
  iframe.removeAttribute("aria-hidden")
  iframe.removeAttribute("tabindex")
  delete ui.stage.dataset.state
  embed.dataset.liveState = "live"
  setStatus(ui, "live", "")
}

let liveQueue = Promise.resolve()   // one Python runtime starts at a time

export async function embed(el) {
  if (el.dataset.qlEmbedded) return
  el.dataset.qlEmbedded = "1"
  injectChrome()
  const status = document.createElement("div")
  status.className = "ql-embed-status"
  status.setAttribute("role", "status")
  const stage = document.createElement("div")
  stage.className = "ql-embed-stage"
  el.replaceChildren(status, stage)
  const ui = {status, stage, baked: null, base: null, noteTimer: null, lang: pageLanguage(), texts: embedTexts(el)}
  setStatus(ui, "loading", ui.texts.loading)
  try {
    await showBaked(el, ui)
    el.dataset.bakedState = "shown"
  } catch (err) {
    console.warn("ql-embed: the pre-computed animation could not be shown", err)
    el.dataset.bakedState = "failed"
    setStatus(ui, "loading", ui.texts.bakedFailed)
  }
  liveQueue = liveQueue.then(() => goLive(el, ui)).catch((err) => {
    console.warn("ql-embed: live lesson", err)
    calm(ui, "slow")
  })
  return liveQueue
}

function embedAll() {
  for (const el of document.querySelectorAll(".ql-embed")) {
    embed(el).catch((err) => console.warn("ql-embed", err))
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", embedAll)
else embedAll()
