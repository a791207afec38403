/* While a road network file is being posted and imported, poll the import's progress
   (left in the cache by truce.routing.services as it goes) and fill the progress bar:
   "Reading the file n of m" / "Writing segments n of m". */
(function () {
  "use strict";
  var form = document.getElementById("routing-import-form");
  var status = document.getElementById("routing-import-progress");
  if (!form || !status) {
    return;
  }
  var bar = status.querySelector("progress");
  var text = status.querySelector("span");
  form.addEventListener("submit", function () {
    var token = form.querySelector("input[name=token]");
    if (!token || !token.value) {
      return;
    }
    var url = form.getAttribute("data-progress-url").replace("TOKEN", encodeURIComponent(token.value));
    status.hidden = false;
    bar.removeAttribute("value");
    function poll() {
      fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (p) {
          if (p.total) {
            var label = p.phase === "writing" ? status.getAttribute("data-writing") : status.getAttribute("data-reading");
            bar.value = Math.round((100 * p.done) / p.total);
            text.textContent = label + " " + p.done + " " + status.getAttribute("data-of") + " " + p.total;
          }
          if (p.phase !== "done" && p.phase !== "failed") {
            window.setTimeout(poll, 1000);
          }
        })
        .catch(function () { window.setTimeout(poll, 2000); });
    }
    window.setTimeout(poll, 500);
  });
})();
