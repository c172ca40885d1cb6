// Draws each plotly figure on the page from the JSON beside it (no inline script).
(function () {
  function draw() {
    if (!window.Plotly) return;
    document.querySelectorAll(".plotly-chart[data-figure]").forEach(function (el) {
      var source = document.getElementById(el.dataset.figure);
      if (!source) return;
      var figure = JSON.parse(source.textContent);
      window.Plotly.newPlot(el, figure.data, figure.layout, {displayModeBar: false, responsive: true});
      el.dataset.drawn = "yes";
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
  // A live tile refreshed by htmx brings new figures: draw them too.
  document.addEventListener("htmx:afterSwap", draw);
})();
