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

// A long note outlives the 15-minute idle timeout: while the form is being typed into, tell the server
// so, at most every 5 minutes. If the sign-in has already ended, say so before the note is sent and lost.
(function () {
  "use strict";
  const form = document.getElementById("session-form");
  if (!form || !form.dataset.staySignedInUrl) return;
  const csrf = form.querySelector('input[name="csrfmiddlewaretoken"]');
  const warning = document.getElementById("signed-out-warning");
  let last = Date.now();

  form.addEventListener("input", function () {
    const every = Number(form.dataset.staySignedInSeconds || 300) * 1000;
    if (Date.now() - last < every) return;
    last = Date.now();
    fetch(form.dataset.staySignedInUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrf ? csrf.value : "" },
      credentials: "same-origin",
    })
      .then(function (response) {
        if ((response.redirected || !response.ok) && warning) warning.hidden = false;
      })
      .catch(function () {});
  });
})();
