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
    var detail = e.detail || {}, xhr = detail.xhr, s = xhr && xhr.getResponseHeader("X-Session-Seconds");
    // requestConfig is missing on some events (e.g. a request that was never sent).
    var headers = (detail.requestConfig && detail.requestConfig.headers) || {};
    if (s && !headers["X-Portal-Poll"]) schedule(parseInt(s, 10));
  });
  if (dialog) {
    // Esc means "I am here": the same as "Seguir conectado", not a silent dismiss
    // that the timer would reopen a second later.
    dialog.addEventListener("cancel", function (e) {
      e.preventDefault();
      var stay = dialog.querySelector("[data-session-stay]");
      if (stay) stay.click();
    });
  }

  // --- Errors htmx does not swap in (429, 500, an expired page...): say so, instead
  // of a button that seems to do nothing. The server's error page gives the words. ---
  function showError(text) {
    var box = document.getElementById("flashes");
    if (!box) { window.alert(text); return; }
    var p = document.createElement("p");
    p.className = "flash flash-error";
    p.setAttribute("role", "alert");
    p.setAttribute("data-htmx-error", "");
    p.textContent = text;
    box.querySelectorAll("[data-htmx-error]").forEach(function (old) { old.remove(); });
    box.appendChild(p);
    p.scrollIntoView({block: "nearest"});
  }
  document.addEventListener("htmx:responseError", function (e) {
    var xhr = e.detail && e.detail.xhr, elt = e.detail && e.detail.elt, text = "";
    // "Seguir conectado" too late: the session is gone; reloading leads to the login.
    if (elt && elt.closest && elt.closest("#session-dialog")) { window.location.reload(); return; }
    if (xhr && /text\/html/.test(xhr.getResponseHeader("Content-Type") || "")) {
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var title = doc.querySelector("main h1"), message = doc.querySelector("main h1 + p");
      text = [title && title.textContent.trim(), message && message.textContent.trim()]
        .filter(Boolean).join(". ");
    }
    showError(text || "No pudimos completar la solicitud. Intente de nuevo en unos minutos.");
  });
  document.addEventListener("htmx:sendError", function (e) {
    if (e.detail && e.detail.elt && e.detail.elt.matches && e.detail.elt.matches("[data-upload]")) return;
    showError("No pudimos conectar con el portal. Revise su conexión a internet e intente de nuevo.");
  });
  document.addEventListener("htmx:beforeRequest", function () {
    document.querySelectorAll("[data-htmx-error]").forEach(function (old) { old.remove(); });
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
  // The end time is kept on the element, so a page restored from htmx's history goes
  // on from where it was instead of starting again.
  function startCountdowns(root) {
    if (!root || !root.querySelectorAll) return;
    var found = Array.prototype.slice.call(root.querySelectorAll("[data-countdown]"));
    if (root.matches && root.matches("[data-countdown]")) found.push(root);
    found.forEach(function (el) {
      if (el.portalTimer) return;
      var end = parseInt(el.dataset.countdownEnd || "0", 10);
      if (!end) {
        end = Date.now() + parseInt(el.dataset.countdown, 10) * 1000;
        el.dataset.countdownEnd = String(end);
      }
      function update() {
        // A countdown swapped out of the page (e.g. by "Reenviar código") stops here,
        // before it could mark the new code as expired.
        if (!el.isConnected) { clearInterval(el.portalTimer); return; }
        var left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
        el.textContent = el.dataset.format === "hhmmss" ? Math.floor(left / 3600) + ":" + fmt(left % 3600).padStart(5, "0")
          : el.dataset.format === "mmss" ? fmt(left) : String(left);
        if (left === 0) {
          clearInterval(el.portalTimer);
          var expired = document.getElementById(el.dataset.onExpire || "");
          if (expired) expired.hidden = false;
        }
      }
      el.portalTimer = setInterval(update, 1000);
      update();
    });
  }
  startCountdowns(document);
  document.addEventListener("htmx:load", function (e) { startCountdowns(e.detail.elt); });

  // --- Pay buttons send once: a second tap while the page loads does nothing. ---
  // (The server is the real guard; this spares the payer a confusing second request.)
  document.addEventListener("submit", function (e) {
    var button = e.target.querySelector("[data-once]");
    if (!button) return;
    if (button.dataset.sent) { e.preventDefault(); return; }
    button.dataset.sent = "1";
    setTimeout(function () { button.disabled = true; button.setAttribute("aria-busy", "true"); }, 0);
  });

  // --- File uploads (Estado de Cartera): refuse a too-big file before sending it, show
  // the bytes sent on a slow line, and offer "Reintentar" when the connection drops.
  function uploadForm(e) {
    var elt = e.detail && e.detail.elt;
    return elt && elt.matches && elt.matches("form[data-upload]") ? elt : null;
  }
  function part(form, name) { return form.querySelector("[data-upload-" + name + "]"); }
  document.addEventListener("htmx:beforeRequest", function (e) {
    var form = uploadForm(e);
    if (!form) return;
    var file = form.querySelector("input[type=file]").files[0], max = parseInt(form.dataset.maxBytes || "0", 10);
    part(form, "failed").hidden = true;
    part(form, "toobig").hidden = !(file && max && file.size > max);
    if (!part(form, "toobig").hidden) { e.preventDefault(); return; }
    part(form, "progress").hidden = false;
    part(form, "submit").disabled = true;
  });
  document.addEventListener("htmx:xhr:progress", function (e) {
    var form = uploadForm(e);
    if (!form || !e.detail.lengthComputable || !e.detail.total) return;
    var pct = Math.min(100, Math.round(100 * e.detail.loaded / e.detail.total));
    form.querySelector("[data-upload-progress] progress").value = pct;
    part(form, "percent").textContent = pct + " %";
  });
  ["htmx:sendError", "htmx:timeout", "htmx:sendAbort"].forEach(function (name) {
    document.addEventListener(name, function (e) {
      var form = uploadForm(e);
      if (!form) return;
      var button = part(form, "submit");
      part(form, "progress").hidden = true;
      part(form, "failed").hidden = false;
      button.disabled = false;
      button.textContent = button.dataset.retryLabel || button.textContent;
    });
  });

  // --- Password fields: an eye button shows or hides what was typed (manual 003, 2.2.1).
  // Added here, so without JavaScript there is no button that does nothing. ---
  var EYE = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" ' +
    'stroke-width="2" stroke-linecap="round"><path d="M1 12s4-7 11-7 11 7 11 7-4 7-11 7S1 12 1 12z"/>' +
    '<circle cx="12" cy="12" r="3"/><line class="slash" x1="3" y1="3" x2="21" y2="21"/></svg>';
  function addReveal(root) {
    if (!root || !root.querySelectorAll) return;
    root.querySelectorAll("input[data-reveal]").forEach(function (input) {
      if (input.dataset.revealReady) return;
      input.dataset.revealReady = "1";
      var wrap = document.createElement("span"), button = document.createElement("button");
      wrap.className = "reveal-wrap";
      button.type = "button";
      button.className = "reveal";
      button.innerHTML = EYE;
      button.setAttribute("aria-controls", input.id);
      button.setAttribute("aria-pressed", "false");
      button.setAttribute("aria-label", "Mostrar contraseña");
      input.parentNode.insertBefore(wrap, input);
      wrap.appendChild(input);
      wrap.appendChild(button);
      button.addEventListener("click", function () {
        var show = input.type === "password";
        input.type = show ? "text" : "password";
        button.setAttribute("aria-pressed", String(show));
        button.setAttribute("aria-label", show ? "Ocultar contraseña" : "Mostrar contraseña");
      });
    });
  }
  addReveal(document);
  document.addEventListener("htmx:load", function (e) { addReveal(e.detail.elt); });
  // A shown password goes back to hidden before the form leaves (browsers and their
  // password managers treat the field as a password again).
  document.addEventListener("submit", function (e) {
    e.target.querySelectorAll("input[data-reveal]").forEach(function (input) { input.type = "password"; });
    e.target.querySelectorAll("button.reveal").forEach(function (button) {
      button.setAttribute("aria-pressed", "false");
      button.setAttribute("aria-label", "Mostrar contraseña");
    });
  });

  // --- Drop-down menus (<details class="dropdown">, e.g. «Configuración»): they work
  // without JavaScript; this only closes an open one on a click elsewhere or Esc. ---
  function closeMenus(except) {
    document.querySelectorAll("details.dropdown[open]").forEach(function (menu) {
      if (menu !== except) menu.removeAttribute("open");
    });
  }
  document.addEventListener("click", function (e) { closeMenus(e.target.closest("details.dropdown")); });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    var open = document.querySelector("details.dropdown[open]");
    if (open) { open.removeAttribute("open"); open.querySelector("summary").focus(); }
  });

  // --- "Imprimir" on vouchers (no inline scripts: the CSP forbids them). ---
  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-print]")) window.print();
  });

  // --- Modals (batch confirmation…): the server sends <dialog open data-modal> into
  // #modal; shown as a modal here, «Cancelar» and Esc close it. Without JS the same
  // form is a page. ---
  function openModals(root) {
    var selector = "dialog[data-modal][open]";
    var found = root.matches && root.matches(selector) ? [root] : root.querySelectorAll ? root.querySelectorAll(selector) : [];
    Array.prototype.forEach.call(found, function (d) {
      d.close();
      d.showModal();
    });
  }
  document.addEventListener("htmx:load", function (e) { openModals(e.detail.elt); });
  openModals(document);
  document.addEventListener("click", function (e) {
    var close = e.target.closest("[data-close-modal]"), dialog = close && close.closest("dialog");
    if (!dialog) return;
    e.preventDefault();
    dialog.close();
  });

  // --- Estado de Cartera's steps: a link to a step opens it before scrolling there; a
  // downloaded Activos/Retirados file opens «Cargar y procesar»; a processed file
  // opens «Generar el volante» (the server's open-step event). ---
  function openStep(id) {
    var step = id && document.getElementById(id);
    if (step && step.tagName === "DETAILS") step.open = true;
  }
  document.addEventListener("click", function (e) {
    var link = e.target.closest("a[data-open-step], a[data-then-open]");
    if (!link) return;
    openStep(link.dataset.thenOpen || link.getAttribute("href").slice(1));
  });
  document.body.addEventListener("open-step", function (e) { openStep(e.detail && e.detail.value); });

  // --- Figures that refresh while they are seen ([data-refresh-visible], e.g. the staff
  // home's queues: hx-trigger "load, every 60s, portal:visible"): no request from a
  // hidden tab; showing the tab again asks at once. ---
  document.addEventListener("htmx:beforeRequest", function (e) {
    var elt = e.detail && e.detail.elt;
    if (document.hidden && elt && elt.matches && elt.matches("[data-refresh-visible]")) e.preventDefault();
  });
  document.addEventListener("visibilitychange", function () {
    if (document.hidden || !window.htmx) return;
    document.querySelectorAll("[data-refresh-visible]").forEach(function (el) { htmx.trigger(el, "portal:visible"); });
  });
})();
