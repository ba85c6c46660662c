// Body of a Bokeh CustomJS (args: fig, filename): download the figure's data as CSV.
// One column per numeric 1-D data column of each data source, named after the legend entries of the
// renderers that draw it ("label: column"); shorter columns end in empty cells.
const labels = new Map()
const panels = [...fig.center, ...fig.below, ...fig.above, ...fig.left, ...fig.right]
for (const legend of panels.filter((m) => Array.isArray(m.items))) {
  for (const item of legend.items) {
    for (const r of item.renderers) {
      // a label is a text, or the name of a data column whose first entry is the text
      const field = item.label?.field
      labels.set(r.id, field ? String(r.data_source?.data?.[field]?.[0] ?? field) : (item.label?.value ?? ""))
    }
  }
}
const columns = [], seen = new Set()
let n = 0
for (const r of fig.renderers) {
  const source = r.data_source
  if (!source || !source.data || seen.has(source.id)) continue
  seen.add(source.id)
  n += 1
  const name = labels.get(r.id) || r.name || `series ${n}`
  for (const [key, values] of Object.entries(source.data)) {
    if (values == null || typeof values === "string" || values.length === undefined || !values.length) continue
    if (typeof values[0] !== "number" && values[0] !== null) continue
    columns.push([`${name}: ${key}`, values])
  }
}
const quote = (s) => /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s
const rows = Math.max(0, ...columns.map(([, v]) => v.length))
const lines = [columns.map(([h]) => quote(h)).join(",")]
for (let i = 0; i < rows; i++) {
  lines.push(columns.map(([, v]) => i < v.length && v[i] != null && Number.isFinite(v[i]) ? String(v[i]) : "").join(","))
}
const blob = new Blob([lines.join("\n") + "\n"], {type: "text/csv"})
const a = document.createElement("a")
a.href = URL.createObjectURL(blob)
a.download = filename
document.body.appendChild(a); a.click(); a.remove()
setTimeout(() => URL.revokeObjectURL(a.href), 10000)
