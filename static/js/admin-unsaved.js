/* Warn before leaving a staff form with unsaved changes (progressive enhancement).
 *
 * A <form data-warn-unsaved> is watched: once one of its fields changes, leaving the page by
 * anything but submitting that form (a link, the back button, closing the tab) makes the
 * browser ask first. data-warn-unsaved="typed" marks a page shown with typed values that are
 * not saved yet (a preview, refused values, a conflict): it asks from the start. Without
 * JavaScript the form works the same, without the question.
 */
(function () {
  "use strict";

  function watch(form) {
    var dirty = form.getAttribute("data-warn-unsaved") === "typed";
    function changed() {
      dirty = true;
    }
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    form.addEventListener("submit", function () {
      dirty = false;
    });
    window.addEventListener("beforeunload", function (event) {
      if (dirty) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  }

  function start() {
    var forms = document.querySelectorAll("form[data-warn-unsaved]");
    for (var i = 0; i < forms.length; i += 1) {
      watch(forms[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
