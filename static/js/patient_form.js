// The weekly questionnaire: a progress bar counting answered questions. The form works without it.
(function () {
  "use strict";
  const form = document.getElementById("questionnaire");
  const bar = document.querySelector("[data-progress-bar]");
  const text = document.querySelector("[data-progress-text]");
  if (!form || !bar || !text) return;
  const names = Array.from(new Set(Array.from(form.querySelectorAll("input[type=radio]")).map(function (input) { return input.name; })));

  function update() {
    const answered = names.filter(function (name) { return form.querySelector('input[name="' + name + '"]:checked'); }).length;
    bar.style.width = Math.round((answered / names.length) * 100) + "%";
    text.textContent = answered + " of " + names.length + " answered";
  }

  form.addEventListener("change", update);
  update();
})();
