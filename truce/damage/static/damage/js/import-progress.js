/* While a long import is being posted, poll its progress (left in the cache by
   the import as it goes) and show "Checking row n of m" / "Writing row n of m". */
(function () {
  "use strict";
  var form = document.getElementById("damage-import-form");
  var status = document.getElementById("damage-import-progress");
  if (!form || !status) {
    return;
  }
  form.addEventListener("submit", function () {
    var token = form.querySelector("input[name=token]");
    if (!token || !token.value) {
      return;
    }
    var url = form.getAttribute("data-progress-url").replace("TOKEN", encodeURIComponent(token.value));
    status.hidden = false;
    function poll() {
      fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (p) {
          if (p.total) {
            var label = p.phase === "writing" ? status.getAttribute("data-writing") : status.getAttribute("data-checking");
            status.textContent = label + " " + p.done + " " + status.getAttribute("data-of") + " " + p.total;
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
