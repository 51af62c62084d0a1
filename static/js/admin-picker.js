// Links editor pickers: show matching rows while the editor types.
// Progressive enhancement: without this file the search form submits and the page lists
// the same rows. Each `form[data-picker]` names the fragment URL that renders those rows
// (`data-picker-url`) and the element they go in (`data-picker-results`, an id).
(function () {
  "use strict";

  var DELAY_MS = 200;
  var MAX_CHARS = 100;

  function enhance(form) {
    var input = form.querySelector('input[name="q"]');
    var results = document.getElementById(form.getAttribute("data-picker-results"));
    var base = form.getAttribute("data-picker-url");
    if (!input || !results || !base || !window.fetch) {
      return;
    }
    var timer = null;
    var pending = null;
    var last = input.value.trim();

    function load() {
      var q = input.value.trim().slice(0, MAX_CHARS);
      if (q === last) {
        return;
      }
      last = q;
      if (pending) {
        pending.abort();
      }
      pending = window.AbortController ? new AbortController() : null;
      var url = new URL(base, window.location.href);
      url.searchParams.set("q", q);
      fetch(url.toString(), {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
        // A signed-out editor is redirected to sign in: keep the rows rather than show
        // the sign-in page inside them (pressing Search then leads there).
        redirect: "manual",
        signal: pending ? pending.signal : undefined,
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("picker answered " + response.status);
          }
          return response.text();
        })
        .then(function (html) {
          // The fragment is the shop's own escaped template output, same origin.
          results.innerHTML = html;
          // Keep the address in step, so reloading or going back shows the same rows.
          var page = new URL(window.location.href);
          if (q) {
            page.searchParams.set("q", q);
          } else {
            page.searchParams.delete("q");
          }
          window.history.replaceState(null, "", page.toString());
        })
        .catch(function (error) {
          if (error && error.name === "AbortError") {
            return;
          }
          // Leave the rows as they were; pressing Search still works without script.
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(load, DELAY_MS);
    });
  }

  function start() {
    var forms = document.querySelectorAll("form[data-picker]");
    for (var i = 0; i < forms.length; i++) {
      enhance(forms[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
