// Session form: a new empty point row appears when the last one gets a code, so adding a point is
// always one field. Without JavaScript the form still offers three empty rows.
(function () {
  "use strict";
  const form = document.getElementById("session-form");
  if (!form) return;
  const body = document.querySelector("#point-rows tbody");
  const template = document.getElementById("point-row-template");
  const total = form.querySelector('input[name="points-TOTAL_FORMS"]');
  const max = form.querySelector('input[name="points-MAX_NUM_FORMS"]');

  function addRow() {
    const index = parseInt(total.value, 10);
    if (max && index >= parseInt(max.value, 10)) return;
    const html = template.innerHTML.replace(/__prefix__/g, String(index));
    body.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
  }

  body.addEventListener("input", function (event) {
    if (!event.target.classList.contains("point-code")) return;
    const rows = body.querySelectorAll("tr.point-row");
    const last = rows[rows.length - 1];
    if (last && last.contains(event.target) && event.target.value.trim() !== "") addRow();
  });
})();
