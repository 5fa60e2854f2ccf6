// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // "Copy" buttons on code snippets and digests.
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var target = document.getElementById(button.getAttribute("data-copy-target"));
      if (!target || !navigator.clipboard) return;
      navigator.clipboard.writeText(target.textContent).then(function () {
        var label = button.textContent;
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = label; }, 1500);
      });
    });
  });

  // The sort menu applies itself on change; its submit button stays for keyboard and no-JS users.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // On phones the filter panel starts folded, so the results come first.
  var filters = document.querySelector("details.filters");
  if (filters && window.matchMedia("(max-width: 860px)").matches) filters.open = false;

  // Compare: count the ticked models, and never let more than four be ticked.
  var compare = document.getElementById("compare-form");
  if (compare) {
    var boxes = document.querySelectorAll("input[name=models][form=compare-form]");
    var counter = document.getElementById("compare-count");
    var update = function () {
      var ticked = document.querySelectorAll("input[name=models][form=compare-form]:checked").length;
      if (counter) counter.textContent = ticked + " of 4 selected";
      boxes.forEach(function (box) { box.disabled = !box.checked && ticked >= 4; });
    };
    boxes.forEach(function (box) { box.addEventListener("change", update); });
    update();
  }
})();
