/* Monthly results as inline SVG bar charts (one per unit: pips and % are never drawn on one scale).
   Reads the JSON the page embeds with json_script; no library, no network. */
(function () {
  "use strict";
  var holder = document.getElementById("monthly-chart");
  var source = document.getElementById("monthly-data");
  if (!holder || !source) { return; }
  var rows = JSON.parse(source.textContent);
  var NS = "http://www.w3.org/2000/svg";
  var series = [
    { key: "pips", title: "Pips", suffix: "" },
    { key: "percent", title: "%", suffix: " %" }
  ];

  function el(name, attrs, text) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function monthLabel(month) {
    var parts = month.split("-");
    var names = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."];
    return names[Number(parts[1]) - 1] + " " + parts[0].slice(2);
  }

  function draw(serie) {
    var values = rows.map(function (r) { return Number(r[serie.key]); });
    if (!values.some(function (v) { return v !== 0; })) { return null; }
    var width = 360, height = 160, top = 18, bottom = 28, left = 8;
    var max = Math.max.apply(null, values.map(Math.abs)) || 1;
    var zero = top + (height - top - bottom) / 2;
    var scale = (height - top - bottom) / 2 / max;
    var slot = (width - left * 2) / values.length;
    var svg = el("svg", { viewBox: "0 0 " + width + " " + height, role: "img", "class": "chart-svg",
      "aria-label": "Résultat mensuel en " + serie.title });
    svg.appendChild(el("text", { x: left, y: 12, "class": "chart-title" }, "Résultat mensuel (" + serie.title + ")"));
    svg.appendChild(el("line", { x1: left, x2: width - left, y1: zero, y2: zero, "class": "chart-axis" }));
    values.forEach(function (value, i) {
      var h = Math.abs(value) * scale;
      var x = left + i * slot + slot * 0.2;
      var bar = el("rect", { x: x, width: slot * 0.6, y: value >= 0 ? zero - h : zero, height: Math.max(h, 1),
        "class": value >= 0 ? "bar-positive" : "bar-negative" });
      bar.appendChild(el("title", {}, monthLabel(rows[i].month) + " : " + value + serie.suffix));
      svg.appendChild(bar);
      svg.appendChild(el("text", { x: x + slot * 0.3, y: height - 8, "class": "chart-label", "text-anchor": "middle" },
        monthLabel(rows[i].month)));
    });
    return svg;
  }

  series.forEach(function (serie) {
    var svg = draw(serie);
    if (svg) { holder.appendChild(svg); }
  });
  holder.dataset.rendered = "true";
})();
