/* The page header. The language switcher and the disclosure menus work
   without script; this applies a chosen language at once and closes an open
   menu on Escape or a click elsewhere, as menus should. */
(function () {
  "use strict";

  var language = document.getElementById("language-select");
  if (language && language.form) {
    language.addEventListener("change", function () {
      language.form.submit();
    });
  }

  var menus = document.querySelectorAll("details.menu");
  if (!menus.length) {
    return;
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    menus.forEach(function (menu) {
      if (menu.open) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
  });
  document.addEventListener("click", function (event) {
    menus.forEach(function (menu) {
      if (menu.open && !menu.contains(event.target)) {
        menu.open = false;
      }
    });
  });
})();
