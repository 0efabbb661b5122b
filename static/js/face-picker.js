// The face picker: drag on the photo to draw a box around a face no detector outlined.
// Without this file the box can be typed in pixels; the choice is confirmed on the server.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var focus = document.querySelector("[data-autofocus]");
    if (focus) { focus.focus(); }
    var picker = document.querySelector("[data-face-picker]");
    var form = document.getElementById("face-picker-form");
    if (!picker || !form) { return; }
    var img = picker.querySelector("img");
    var box = picker.querySelector(".drawn-box");
    var drawRadio = form.querySelector("input[name=choice][value=draw]");
    var fields = { x: form.elements.x, y: form.elements.y, w: form.elements.w, h: form.elements.h };
    var photoW = Number(picker.getAttribute("data-photo-width"));
    var photoH = Number(picker.getAttribute("data-photo-height"));
    var start = null;

    function syncMode() { picker.classList.toggle("drawing", drawRadio.checked); }
    form.querySelectorAll("input[name=choice]").forEach(function (r) { r.addEventListener("change", syncMode); });
    syncMode();

    function point(event) {
      var rect = img.getBoundingClientRect();
      return {
        x: Math.min(Math.max(event.clientX - rect.left, 0), rect.width),
        y: Math.min(Math.max(event.clientY - rect.top, 0), rect.height),
        w: rect.width, h: rect.height
      };
    }
    function show(a, b) {
      var left = Math.min(a.x, b.x), top = Math.min(a.y, b.y);
      var width = Math.abs(a.x - b.x), height = Math.abs(a.y - b.y);
      box.hidden = false;
      box.style.left = (100 * left / a.w) + "%";
      box.style.top = (100 * top / a.h) + "%";
      box.style.width = (100 * width / a.w) + "%";
      box.style.height = (100 * height / a.h) + "%";
      // The form takes the box in the stored photo's pixels.
      fields.x.value = Math.round(left * photoW / a.w);
      fields.y.value = Math.round(top * photoH / a.h);
      fields.w.value = Math.round(width * photoW / a.w);
      fields.h.value = Math.round(height * photoH / a.h);
    }
    img.addEventListener("pointerdown", function (event) {
      if (!drawRadio.checked) { return; }
      event.preventDefault();
      start = point(event);
      img.setPointerCapture(event.pointerId);
    });
    img.addEventListener("pointermove", function (event) { if (start) { show(start, point(event)); } });
    img.addEventListener("pointerup", function (event) {
      if (!start) { return; }
      show(start, point(event));
      start = null;
    });
  });
})();
