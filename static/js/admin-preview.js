/* Live Markdown preview for the staff editors (progressive enhancement).
 *
 * Every <textarea data-preview-target="ID"> posts its text to the preview endpoint
 * (data-preview-url, default /admin/preview) about 300 ms after the last keystroke and
 * puts the sanitised HTML it answers into the element with that id. Without JavaScript
 * the form's "Preview" button does the same with a full page load.
 */
(function () {
  "use strict";

  var DELAY_MS = 300;

  function csrfToken(form) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.getAttribute("content")) {
      return meta.getAttribute("content");
    }
    var scope = form || document;
    var input = scope.querySelector('input[name="csrf_token"], input[name$="-csrf_token"]');
    return input ? input.value : "";
  }

  function attach(area) {
    var target = document.getElementById(area.getAttribute("data-preview-target"));
    if (!target || !window.fetch) {
      return;
    }
    var url = area.getAttribute("data-preview-url") || "/admin/preview";
    var timer = null;
    var latest = 0;
    var controller = null;

    function render() {
      var ticket = ++latest;
      if (controller) {
        controller.abort();
      }
      controller = window.AbortController ? new AbortController() : null;
      var body = new URLSearchParams();
      body.append("text", area.value);
      target.setAttribute("aria-busy", "true");
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "X-CSRFToken": csrfToken(area.form),
          "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"
        },
        body: body.toString(),
        signal: controller ? controller.signal : undefined
      })
        .then(function (response) {
          return response.text().then(function (text) {
            return { ok: response.ok, text: text };
          });
        })
        .then(function (answer) {
          if (ticket !== latest) {
            return; // a newer request is on its way
          }
          if (answer.ok) {
            // The server rendered and sanitised this with the storefront's own renderer.
            target.innerHTML = answer.text;
          } else {
            target.textContent = answer.text.indexOf("<") === -1
              ? answer.text
              : "The preview could not be shown; the form still saves as usual.";
          }
        })
        .catch(function (error) {
          if (error && error.name === "AbortError") {
            return;
          }
          if (ticket === latest) {
            target.textContent = "The preview is not available right now; the form still saves as usual.";
          }
        })
        .then(function () {
          if (ticket === latest) {
            target.removeAttribute("aria-busy");
          }
        });
    }

    area.addEventListener("input", function () {
      if (timer) {
        window.clearTimeout(timer);
      }
      timer = window.setTimeout(render, DELAY_MS);
    });
  }

  function start() {
    var areas = document.querySelectorAll("textarea[data-preview-target]");
    for (var i = 0; i < areas.length; i += 1) {
      attach(areas[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
