/* Portal: the little JavaScript the pages need. Everything works without it. */
(function () {
  "use strict";

  // --- Session timeout warning: a dialog two minutes before the idle limit. ---
  var body = document.body, dialog = document.getElementById("session-dialog");
  var warnAt = parseInt(body.dataset.sessionWarning || "120", 10), deadline = 0, tick = null;

  function fmt(s) { s = Math.max(0, s); return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0"); }

  function schedule(seconds) {
    if (!dialog || !seconds) return;
    deadline = Date.now() + seconds * 1000;
    if (dialog.open) dialog.close();
    clearInterval(tick);
    tick = setInterval(function () {
      var left = Math.round((deadline - Date.now()) / 1000);
      if (left <= 0) { clearInterval(tick); window.location.reload(); return; }
      if (left <= warnAt) {
        if (!dialog.open) dialog.showModal();
        dialog.querySelector("[data-session-countdown]").textContent = fmt(left);
      }
    }, 1000);
  }
  schedule(parseInt(body.dataset.sessionSeconds || "0", 10));
  document.addEventListener("htmx:afterRequest", function (e) {
    var xhr = e.detail.xhr, s = xhr && xhr.getResponseHeader("X-Session-Seconds");
    if (s && !e.detail.requestConfig.headers["X-Portal-Poll"]) schedule(parseInt(s, 10));
  });

  // --- A form typed before the session expired comes back filled. ---
  var restored = document.getElementById("restored-form");
  if (restored) {
    var data = JSON.parse(restored.textContent);
    Object.keys(data).forEach(function (name) {
      var values = data[name];
      document.querySelectorAll("[name='" + CSS.escape(name) + "']").forEach(function (el, i) {
        if (el.type === "checkbox" || el.type === "radio") el.checked = values.indexOf(el.value) >= 0;
        else if (el.type !== "file" && el.type !== "hidden" && values[i] !== undefined) el.value = values[i];
      });
    });
  }

  // --- Countdowns: <span data-countdown="109">, e.g. the SMS code's validity. ---
  function startCountdowns(root) {
    root.querySelectorAll("[data-countdown]").forEach(function (el) {
      if (el.dataset.started) return;
      el.dataset.started = "1";
      var end = Date.now() + parseInt(el.dataset.countdown, 10) * 1000;
      var timer = setInterval(function () {
        var left = Math.max(0, Math.round((end - Date.now()) / 1000));
        el.textContent = el.dataset.format === "mmss" ? fmt(left) : String(left);
        if (left === 0) {
          clearInterval(timer);
          var expired = document.getElementById(el.dataset.onExpire || "");
          if (expired) expired.hidden = false;
        }
      }, 1000);
    });
  }
  startCountdowns(document);
  document.addEventListener("htmx:load", function (e) { startCountdowns(e.detail.elt); });
})();
