// Progressive enhancement for the patient's times (scheduler/slots.html): on a phone, a tap on
// a day of the strip shows that day's times at once, without loading the page again; the
// address changes to the day's link, so Back and a reload keep the day. Without JavaScript
// each day of the strip is an ordinary link to the same page with that day chosen.
(function () {
  "use strict";
  var strip = document.querySelector("[data-day-strip]");
  if (!strip) {
    return;
  }
  strip.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-day]") : null;
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
      return;
    }
    var day = document.getElementById("day-" + link.getAttribute("data-day"));
    if (!day) {
      return;
    }
    event.preventDefault();
    document.querySelectorAll(".day-chosen").forEach(function (shown) {
      shown.classList.remove("day-chosen");
    });
    strip.querySelectorAll("[aria-current]").forEach(function (current) {
      current.removeAttribute("aria-current");
    });
    day.classList.add("day-chosen");
    link.setAttribute("aria-current", "date");
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", link.href);
    }
  });
})();
