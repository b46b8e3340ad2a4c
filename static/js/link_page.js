// The link page (a new patient link, shown once): Copy puts the link on the clipboard, Print prints the
// handout (css/link_handout.css hides the rest of the page). The buttons show only when this script runs;
// without it the browser's own copy and print still work.
(function () {
  "use strict";
  const input = document.getElementById("link-url");
  const copy = document.getElementById("copy-link");
  const print = document.getElementById("print-handout");
  const status = document.getElementById("copy-status");
  if (!input || !copy || !print || !status) return;

  function say(text) {
    // Cleared first, so a second copy is announced again by screen readers.
    status.textContent = "";
    window.setTimeout(function () {
      status.textContent = text;
    }, 50);
  }

  // Where the clipboard API is missing or refused (an http:// address, an old browser): select the
  // link and try the older copy command; failing that, the link stays selected for Ctrl+C.
  function fallback() {
    input.focus();
    input.select();
    let copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    say(copied ? "Link copied." : "The link is selected: press Ctrl+C (⌘C on a Mac) to copy it.");
  }

  copy.addEventListener("click", function () {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(function () {
        say("Link copied.");
      }, fallback);
    } else {
      fallback();
    }
  });
  print.addEventListener("click", function () {
    window.print();
  });
  copy.hidden = false;
  print.hidden = false;
})();
