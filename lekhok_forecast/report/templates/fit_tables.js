// Fits tables that are wider than the page: header labels may break after "_", "."
// or "/", then the font shrinks step by step down to 5 pt, and as a last resort the
// table is zoomed out, so a table is never cut off at the right edge. Runs inline
// before the load event, i.e. before Chromium prints; the measurements are right
// because <main> has the printed width (186 mm) on screen too (see print.css).
(function () {
  var main = document.querySelector("main");
  if (!main) return;
  var avail = main.clientWidth;
  function addBreaks(cell) {
    var walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT), nodes = [], n;
    while ((n = walker.nextNode())) nodes.push(n);
    nodes.forEach(function (node) {
      var parts = node.nodeValue.split(/(?<=[_.\/])(?=.)/);
      if (parts.length < 2) return;
      var frag = document.createDocumentFragment();
      parts.forEach(function (part, i) {
        if (i) frag.appendChild(document.createElement("wbr"));
        frag.appendChild(document.createTextNode(part));
      });
      node.parentNode.replaceChild(frag, node);
    });
  }
  // a table fits when its narrowest layout (min-content: text wrapped at every
  // opportunity) leaves 3 % slack, as print font metrics differ a little from screen
  var limit = 0.97 * avail;
  function minWidth(t) {
    var w = t.style.width, m = t.style.maxWidth;
    t.style.width = "min-content"; t.style.maxWidth = "none";
    var r = t.getBoundingClientRect().width;
    t.style.width = w; t.style.maxWidth = m;
    return r;
  }
  function fits(t) { return minWidth(t) <= limit; }
  function shrink(t, floor) {
    var size = parseFloat(t.getAttribute("data-pt") || "8");
    for (var k = 0; k < 8 && !fits(t) && size > floor; k++) {
      size = Math.max(floor, size * limit / minWidth(t));
      t.style.fontSize = size.toFixed(2) + "pt";
    }
    t.setAttribute("data-pt", size.toFixed(2));
  }
  var numeric = /^[\s(]*[-+\u2212]?[$\u20ac\u00a3]?[-+\u2212]?(\d[\d,\u2009 ]*(\.\d*)?|\.\d+)(e[-+]?\d+)?\s*[%)kKMB]?\)?\s*$|^\s*(nan|NaN|<NA>|NaT|None|inf|-inf|\u2014|-|)\s*$/;
  var tables = main.querySelectorAll("table");
  for (var i = 0; i < tables.length; i++) {
    var t = tables[i];
    // numbers right, text left, cell by cell; a header over an all-text column too
    var allText = {};
    t.querySelectorAll("td").forEach(function (td) {
      var isText = !numeric.test(td.textContent);
      if (isText) td.classList.add("lekhok-text");
      allText[td.cellIndex] = (allText[td.cellIndex] !== false) && isText;
    });
    var heads = t.tHead ? t.tHead.rows : [];
    if (heads.length === 1 && !t.querySelector("[rowspan],[colspan]")) {
      for (var c = 0; c < heads[0].cells.length; c++)
        if (allText[c]) heads[0].cells[c].classList.add("lekhok-text");
    }
    if (fits(t)) continue;
    // 1: smaller font, tighter cells, header labels may break after _ . /
    t.classList.add("lekhok-wide");
    t.setAttribute("data-pt", "7");
    t.querySelectorAll("th").forEach(addBreaks);
    shrink(t, 6);
    // 2: header labels may break anywhere; then down to 5 pt
    if (!fits(t)) { t.classList.add("lekhok-squeeze"); shrink(t, 5); }
    // 3: last resort, zoom out: never cut off at the right edge
    var zoom = 1;
    for (var z = 0; z < 5 && !fits(t); z++) {
      zoom = Math.floor(zoom * limit / minWidth(t) * 1000) / 1000;
      t.style.zoom = String(zoom);
    }
    t.setAttribute("data-lekhok-fit",
                   t.getAttribute("data-pt") + "pt zoom " + (t.style.zoom || "1"));
  }
})();
