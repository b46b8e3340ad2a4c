// The backup codes page: "Print" prints the page (the codes; the buttons are hidden in print).
document.querySelectorAll("[data-print-codes]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
