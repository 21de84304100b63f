// Progressive enhancement for the reception calendar: drag a booked appointment onto a free
// time to move it. The drop asks first (the patient is told of a new time), then fills in and
// submits the page's ordinary reschedule form (the same POST as the "Move" page), so the
// server checks every move exactly as it checks the picker; a clash comes back as the usual
// 409 page. Without JavaScript nothing here runs and moving works through the picker on the
// appointment page.
(function () {
  "use strict";
  var form = document.getElementById("cal-move-form");
  if (!form || !("draggable" in document.createElement("div"))) {
    return;
  }
  var dragged = null;

  function freeCell(target) {
    var cell = target && target.closest ? target.closest("[data-start][data-practitioner]") : null;
    return cell && cell.getAttribute("data-practitioner") ? cell : null;
  }

  document.querySelectorAll(".cal-entry[draggable='true']").forEach(function (entry) {
    entry.addEventListener("dragstart", function (event) {
      dragged = entry;
      entry.classList.add("cal-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", entry.getAttribute("data-appointment") || "");
    });
    entry.addEventListener("dragend", function () {
      entry.classList.remove("cal-dragging");
      dragged = null;
      document.querySelectorAll(".cal-drop-over").forEach(function (cell) {
        cell.classList.remove("cal-drop-over");
      });
    });
  });

  document.addEventListener("dragover", function (event) {
    if (dragged && freeCell(event.target)) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
    }
  });
  document.addEventListener("dragenter", function (event) {
    var cell = freeCell(event.target);
    if (dragged && cell) {
      cell.classList.add("cal-drop-over");
    }
  });
  document.addEventListener("dragleave", function (event) {
    var cell = freeCell(event.target);
    if (cell && !cell.contains(event.relatedTarget)) {
      cell.classList.remove("cal-drop-over");
    }
  });
  document.addEventListener("drop", function (event) {
    var cell = freeCell(event.target);
    if (!dragged || !cell) {
      return;
    }
    event.preventDefault();
    var start = cell.getAttribute("data-start");
    var question = (form.getAttribute("data-confirm") || "")
      .replace("{name}", dragged.getAttribute("data-patient") || "")
      .replace("{time}", start.slice(0, 10) + " " + start.slice(11, 16));
    cell.classList.remove("cal-drop-over");
    if (question && !window.confirm(question)) {
      return;
    }
    form.action = dragged.getAttribute("data-move-url");
    form.elements.start.value = cell.getAttribute("data-start");
    form.elements.practitioner.value = cell.getAttribute("data-practitioner");
    form.submit();
  });
})();
