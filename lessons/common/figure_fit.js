// Body of a Bokeh CustomJS (args: fig), run when the figure's width or its title's text changes:
// fit the title and any legend under the plot to the width the figure has in this browser. A title
// is drawn on the canvas (a line longer than the figure is cut off) and a horizontal legend is one
// row unless told otherwise (wider than a phone's figure). The changes stay in this browser
// (sync: false): the server's copy keeps its title, and nothing is sent back. The figure grows or
// shrinks by the lines and rows this adds or saves, so the plot itself keeps its height (and the
// new height makes Bokeh lay the figure out again).
const measure = (window.__qlMeasure ||= document.createElement("canvas").getContext("2d"))
const width = fig.inner_width
if (!(width > 0)) return
const px = (size) => parseFloat(size) || 13
const legends = fig.below.filter((m) => Array.isArray(m.items) && m.orientation === "horizontal")
// the layout the server made, read once: its height, title lines and legend rows
const base = (fig.__qlBase ||= {height: fig.height, lines: (fig.title?.text || "").split("\n").length,
                                rows: legends.map((l) => (Number.isInteger(l.nrows) ? l.nrows : 1))})
let extra = 0
const changes = []          // [model, attrs], applied once the new height is known

// the title: words into as few lines as fit, measured in the title's own font
const title = fig.title
if (title && typeof title.text === "string" && title.text) {
  measure.font = `${title.text_font_style || "bold"} ${title.text_font_size} ${title.text_font}`
  const room = width + 24                       // a title spans the frame and the tool bar's strip
  const lines = []
  let line = ""
  for (const word of title.text.replace(/\n/g, " ").split(/ +/)) {
    const next = line ? `${line} ${word}` : word
    if (line && measure.measureText(next).width > room) { lines.push(line); line = word } else line = next
  }
  if (line) lines.push(line)
  const text = lines.join("\n")
  if (text !== title.text) changes.push([title, {text}])
  extra += (lines.length - base.lines) * 1.2 * px(title.text_font_size)
}

// legends under the plot: as many columns as fit
legends.forEach((legend, k) => {
  measure.font = `${legend.label_text_font_style || "normal"} ${legend.label_text_font_size} ${legend.label_text_font}`
  const items = legend.items.filter((item) => item.visible !== false)
  const widths = items.map((item) => {
    const label = item.label?.value ?? String(item.label?.field ?? "")
    return legend.glyph_width + legend.label_standoff + measure.measureText(label).width + legend.spacing
  })
  const room = width + 40 - 2 * legend.padding - 2 * legend.margin
  let ncols = Math.max(widths.length, 1)
  for (; ncols > 1; ncols--) {
    let row = 0
    for (let j = 0; j < ncols; j++) row += Math.max(...widths.filter((_, i) => i % ncols === j))
    if (row <= room) break
  }
  if (legend.ncols !== ncols) changes.push([legend, {ncols, nrows: "auto"}])
  const rows = Math.ceil(items.length / ncols)
  extra += (rows - base.rows[k]) * (Math.max(legend.glyph_height, 1.2 * px(legend.label_text_font_size)) + legend.spacing)
})
const height = Math.round(base.height + extra)
if (fig.height !== height) fig.setv({height}, {sync: false})
for (const [model, attrs] of changes) model.setv(attrs, {sync: false})
