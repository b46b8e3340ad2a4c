// The patient's forms. Everything here is an extra: each form works without it.
// - Urgent advice shown the moment an answer calls for it ([data-reveal-box]: the radios named in
//   data-reveal-for with a value in data-reveal-values), not only after the form is sent.
// - On the warning-sign step ([data-send-on-yes]), a "yes" is sent to the clinic at once, so it is
//   saved even if the page is closed before "Next" is tapped.
(function () {
  "use strict";

  function reveal(box) {
    const names = (box.getAttribute("data-reveal-for") || "").split(" ");
    const values = (box.getAttribute("data-reveal-values") || "").split(" ");
    function matches() {
      return names.some(function (name) {
        const checked = document.querySelector('input[name="' + name + '"]:checked');
        return checked && values.indexOf(checked.value) !== -1;
      });
    }
    // Once shown it stays: the answer has been (or is being) sent, and the advice still holds. It is
    // brought into view, since it may sit below the question just answered.
    function update() {
      if (!matches() || !box.hidden) return;
      box.hidden = false;
      box.scrollIntoView({ behavior: "smooth", block: "nearest" });
    }
    document.addEventListener("change", update);
    if (matches()) box.hidden = false;
  }

  function sendOnYes(form) {
    const status = form.querySelector("[data-reveal-status]");
    const notSent = "Your answer could not be sent yet: tap “Next” below to send it.";
    form.addEventListener("change", function (event) {
      if (!event.target.matches("input[type=radio]") || event.target.value !== "True") return;
      if (status) status.textContent = "Sending your answer to the clinic…";
      fetch(form.action, { method: "POST", body: new FormData(form), headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
        .then(function (response) {
          if (!status) return;
          status.textContent = response.status === 204
            ? "Your answer has reached the clinic, and the clinical team has been alerted."
            : notSent;
        })
        .catch(function () {
          if (status) status.textContent = notSent;
        });
    });
  }

  document.querySelectorAll("[data-reveal-box]").forEach(reveal);
  document.querySelectorAll("form[data-send-on-yes]").forEach(sendOnYes);
})();
