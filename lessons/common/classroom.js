// The header's classroom bar (Look, Lecture mode, Copy link, Reveal, Keys) and the page's keyboard.
//
// Keys reach the visible canvas player (``data-ql-player``, its ``qlKey``) when the focus is on no
// other control: a focused slider keeps its arrows, a focused button its space.  Panel renders each
// component in its own shadow root, so the page is searched through the shadow roots.

// The page's translations (msgid -> text; lessons/common/i18n.py), set when the bar renders.
let STRINGS = {}
function _(msgid) { return Object.prototype.hasOwnProperty.call(STRINGS, msgid) ? STRINGS[msgid] : msgid }
function N_(msgid) { return msgid }

const KEYS = [
  [N_("Space"), N_("play or pause the animation")],
  ["← →", N_("step the animation (paused), or nudge the focused slider")],
  [N_("Home / End"), N_("focused slider to its minimum / maximum")],
  [N_("PageUp / PageDown"), N_("focused slider in big steps; in lecture mode, previous / next slide")],
  ["r", N_("restart the animation")],
  ["f", N_("main plot fullscreen (Esc leaves)")],
  ["e / x", N_("bound states: measure energy / position")],
  [N_("Tab"), N_("next control")],
  ["?", N_("this help (Esc closes)")],
]

// every element matching ``sel`` in the document and in every open shadow root
function deepAll(sel, root = document, out = []) {
  for (const el of root.querySelectorAll(sel)) out.push(el)
  for (const el of root.querySelectorAll("*")) if (el.shadowRoot) deepAll(sel, el.shadowRoot, out)
  return out
}

function visible(el) {
  if (!el.isConnected || !el.getClientRects().length) return false
  const r = el.getBoundingClientRect()
  return r.width > 0 && r.height > 0
}

function activePlayer() { return deepAll("[data-ql-player]").find(visible) }

// the main plot: the visible player, else the first visible figure
function mainPlot() {
  return activePlayer() || deepAll(".bk-Figure, .bk-Canvas").find(visible)
}

// give every unnamed control a name (screen readers): slider handles take their slider's title
function labelControls() {
  for (const h of deepAll("[role=slider]")) {
    if (h.getAttribute("aria-label") || h.getAttribute("aria-labelledby")) continue
    const title = h.getRootNode().querySelector?.(".bk-slider-title")
    // the title less its ": value" (a title may hold a colon of its own)
    const full = title ? title.textContent : "", cut = full.lastIndexOf(":")
    const text = (cut > 0 ? full.slice(0, cut) : full).trim()
    if (text) h.setAttribute("aria-label", text)
  }
  // Bokeh's checkbox sits beside its text, not inside a label
  for (const box of deepAll("input[type=checkbox], input[type=radio]")) {
    if (box.getAttribute("aria-label") || (box.labels && box.labels.length) || box.closest("label")) continue
    // (Bokeh puts its <style> beside the box: its CSS is no name)
    const text = [...box.parentNode.childNodes].filter((n) => !(n.nodeType === 1 && ["STYLE", "SCRIPT"].includes(n.tagName)))
      .map((n) => n.textContent).join(" ").replace(/\s+/g, " ").trim()
    if (text) box.setAttribute("aria-label", text.slice(0, 120))
  }
}

// The page's controls (the template's sidebar) on a narrow screen: a drawer over the lesson, closed at
// first, opened and closed by the header's button (named "Controls"), closed by Escape and by a tap
// beside it.  The drawer starts below the header, whose height the page's CSS reads as --ql-header-h.
const NARROW = "(max-width: 900px)"

function controlsDrawer() {
  const sidebar = document.getElementById("sidebar"), toggle = document.getElementById("sidebar-toggle")
  const header = document.getElementById("header")
  if (!sidebar || !toggle) return {stop() {}}
  toggle.setAttribute("aria-label", _("Controls"))
  toggle.title = _("Controls: the lesson's settings")
  const narrow = () => window.matchMedia(NARROW).matches
  const open = () => sidebar.classList.contains("show")
  const close = () => {
    sidebar.classList.remove("show", "collapsing")
    toggle.setAttribute("aria-expanded", "false"); toggle.classList.add("collapsed")
  }
  if (narrow() && open()) close()
  const height = () => document.documentElement.style.setProperty("--ql-header-h", `${header ? header.offsetHeight : 56}px`)
  const ro = new ResizeObserver(height)
  if (header) ro.observe(header)
  height()
  const onKey = (ev) => { if (ev.key === "Escape" && narrow() && open()) { close(); toggle.focus() } }
  const onTap = (ev) => {
    if (!narrow() || !open()) return
    const path = ev.composedPath()
    if (!path.includes(sidebar) && !path.includes(toggle)) close()
  }
  document.addEventListener("keydown", onKey)
  document.addEventListener("pointerdown", onTap, true)
  return {stop() { ro.disconnect(); document.removeEventListener("keydown", onKey); document.removeEventListener("pointerdown", onTap, true) }}
}

// The connection to the server lost (the process holding this page's session died, was restarted, or
// the network went): say so, then load the page again once the server answers: its link holds every
// setting, and a school's proxy sends the reload to a process that is alive (deploy/README.md).
let reconnecting = false
function onConnectionLost() {
  if (reconnecting) return
  reconnecting = true
  const note = document.createElement("div")
  note.className = "ql-reconnecting"
  note.setAttribute("role", "alert")
  note.textContent = _("The connection to the server was lost: reconnecting…")
  // (in the header's colours: the page's profile, lessons/common/palette.py)
  note.style.cssText = "position:fixed;left:0;right:0;top:0;z-index:2000;padding:10px 16px;font:600 16px system-ui,sans-serif;" +
    "background:var(--ql-header);color:var(--ql-on_header);text-align:center;box-shadow:0 2px 8px var(--ql-shade)"
  document.body.appendChild(note)
  // a file every server process has (Bokeh's script): answered means a process is there to reload from
  const probe = (document.querySelector("script[src*='bokeh']") || {}).src || window.location.href
  const tryReload = async () => {
    try {
      const r = await fetch(probe, {method: "HEAD", cache: "no-store"})
      if (r.ok) { window.location.reload(); return }
    } catch (err) { /* not yet */ }
    setTimeout(tryReload, 2000)
  }
  setTimeout(tryReload, 800)
}

function watchConnection() {
  for (const doc of (window.Bokeh && window.Bokeh.documents) || []) doc.on_event("connection_lost", onConnectionLost)
}

function editable(el) {
  return el && (["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName) || el.isContentEditable)
}

export function render({ model, el }) {
  STRINGS = model.strings || {}
  const bar = document.createElement("div")
  bar.className = "ql-classroom"
  bar.setAttribute("role", "toolbar")
  bar.setAttribute("aria-label", _("Classroom"))
  const options = Object.entries(model.profiles)
    .map(([k, v]) => `<option value="${k}"${k === model.profile ? " selected" : ""}>${v}</option>`).join("")
  bar.innerHTML = `
    <label class="ql-look"><span class="ql-look-text">${_("Look")}</span> <select class="ql-profile" aria-label="${_("Look (colour profile)")}">${options}</select></label>
    <button type="button" class="ql-lecture" title="${_("The lesson text as slides beside the live figures")}"></button>
    <button type="button" class="ql-copy" title="${_("Copy a link to this page with every setting")}">${_("Copy link")}</button>
    <button type="button" class="ql-reveal" hidden title="${_("Show the hidden read-outs")}"></button>
    <button type="button" class="ql-help-btn" aria-haspopup="dialog" title="${_("Keyboard shortcuts (?)")}">${_("Keys")} ?</button>
    <span class="ql-said" role="status" aria-live="polite"></span>
    <dialog class="ql-help" aria-label="${_("Keyboard shortcuts")}">
      <h2>${_("Keyboard")}</h2>
      <table>${KEYS.map(([k, v]) => `<tr><th scope="row"><kbd>${_(k)}</kbd></th><td>${_(v)}</td></tr>`).join("")}</table>
      <p>${_("Every number in the figures is also in the text read-outs, which screen readers announce.")}</p>
      <button type="button" class="ql-help-close">${_("Close")}</button>
    </dialog>
    <dialog class="ql-link" aria-label="${_("Link to this page")}">
      <p>${_("Copy this link (Ctrl+C):")}</p>
      <input class="ql-link-text" readonly aria-label="${_("Link to this page")}">
      <button type="button" class="ql-link-close">${_("Close")}</button>
    </dialog>`
  el.appendChild(bar)
  const $ = (sel) => bar.querySelector(sel)
  const said = (text) => { $(".ql-said").textContent = text; setTimeout(() => { $(".ql-said").textContent = "" }, 4000) }

  function go(changes) {
    const url = new URL(window.location.href)
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) url.searchParams.delete(k); else url.searchParams.set(k, v)
    }
    window.location.assign(url.toString())
  }

  $(".ql-profile").addEventListener("change", (ev) => go({profile: ev.target.value === "standard" ? null : ev.target.value}))
  const lecture = $(".ql-lecture")
  lecture.textContent = model.lecture ? _("Leave lecture mode") : _("Lecture mode")
  lecture.addEventListener("click", () => go(model.lecture ? {lecture: null, slide: null} : {lecture: "1"}))

  // the clipboard API needs a secure page (https or localhost): a class server on http://10.x.y.z
  // is not one, so show the link selected for Ctrl+C instead
  $(".ql-copy").addEventListener("click", async () => {
    const href = window.location.href
    try {
      await navigator.clipboard.writeText(href)
      said(_("Link copied"))
    } catch (e) {
      const box = $(".ql-link"), text = $(".ql-link-text")
      text.value = href
      box.showModal(); text.focus(); text.select()
    }
  })
  $(".ql-link-close").addEventListener("click", () => $(".ql-link").close())

  const reveal = $(".ql-reveal")
  function showHidden() {
    const n = model.hidden.length
    reveal.hidden = n === 0
    reveal.textContent = model.reveal_text
    reveal.title = _("Show:") + " " + model.hidden.join(", ")
  }
  model.on("hidden", showHidden)
  model.on("reveal_text", showHidden)
  showHidden()
  reveal.addEventListener("click", () => model.send_msg({kind: "reveal"}))

  const help = $(".ql-help")
  const toggleHelp = () => { if (help.open) help.close(); else help.showModal() }
  $(".ql-help-btn").addEventListener("click", toggleHelp)
  $(".ql-help-close").addEventListener("click", () => help.close())

  function fullscreen() {
    if (document.fullscreenElement) { document.exitFullscreen(); return }
    const target = mainPlot()
    if (target && target.requestFullscreen) target.requestFullscreen().catch(() => said(_("Fullscreen is not allowed here")))
  }

  function onKey(ev) {
    if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey) return
    const target = ev.composedPath()[0]
    if (editable(target)) return
    const onSlider = target?.getAttribute?.("role") === "slider"
    const onControl = target && (onSlider || target.tagName === "BUTTON" || target.tagName === "A" ||
                                 target.getAttribute?.("role") === "tab")
    const key = ev.key
    if (key === "?") toggleHelp()
    else if (key === "f" || key === "F") fullscreen()
    else if (model.lecture && (key === "PageDown" || key === "PageUp") && !onSlider) {
      model.send_msg({kind: "slide", step: key === "PageDown" ? 1 : -1})
    } else if (!onControl || key === "r" || key === "R") {
      const player = activePlayer()
      if (!player || !player.qlKey || !player.qlKey(key)) return
    } else return
    ev.preventDefault()
  }
  document.addEventListener("keydown", onKey)
  watchConnection()
  const drawer = controlsDrawer()
  // a few times while the page is still being built (controls arrive over a few seconds), then
  // rarely: each pass walks every shadow root, which the first paint should not wait for
  const SOON = [300, 400, 700, 1100, 1500]
  let labelTimer = null, labelTicks = 0
  const relabel = () => { labelControls(); labelTimer = setTimeout(relabel, SOON[labelTicks++] ?? 1500) }
  relabel()
  // a tab's controls are rendered when the tab is opened: name them as soon as they are there
  const afterClick = () => { setTimeout(labelControls, 150); setTimeout(labelControls, 500) }
  document.addEventListener("click", afterClick, true)
  model.on("remove", () => {
    drawer.stop()
    document.removeEventListener("keydown", onKey)
    document.removeEventListener("click", afterClick, true)
    clearTimeout(labelTimer)
  })
}
