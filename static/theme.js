// Progressive enhancement for the theme switch in the header (templates/base.html). Without
// JavaScript the link reloads the page with ?theme=dark|light and the server remembers the choice
// in the "theme" cookie. With it, the page changes at once, without a reload (and without a flash
// of light for someone with a headache), the same cookie is written, and the link names the theme
// the page is NOT showing, also when no choice was made and the device's setting decides.
(function () {
  "use strict";
  var link = document.querySelector("[data-theme-switch]");
  if (!link || !window.matchMedia || !window.URL) {
    return;
  }
  var root = document.documentElement;
  var deviceDark = window.matchMedia("(prefers-color-scheme: dark)");

  function shown() {
    return root.getAttribute("data-theme") || (deviceDark.matches ? "dark" : "light");
  }

  function update() {
    var target = shown() === "dark" ? "light" : "dark";
    var url = new URL(link.href, window.location.href);
    url.searchParams.set("theme", target);
    link.href = url.pathname + url.search;
    link.textContent = link.getAttribute("data-label-" + target);
  }

  link.addEventListener("click", function (event) {
    var target = shown() === "dark" ? "light" : "dark";
    event.preventDefault();
    root.setAttribute("data-theme", target);
    document.cookie = "theme=" + target + "; path=/; max-age=31536000; samesite=lax" +
      (window.location.protocol === "https:" ? "; secure" : "");
    update();
  });
  if (deviceDark.addEventListener) {
    deviceDark.addEventListener("change", update);
  }
  update();
})();
