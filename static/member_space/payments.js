/* Copy buttons of the payments page (the code, the amount, the IBAN, the wallet address...). The buttons are rendered
   hidden and shown here: without JavaScript the page shows no dead button, and every value stays selectable text.
   The radio cards of the checkout are also marked when chosen (browsers without :has()). */
(function () {
  "use strict";
  var status = document.getElementById("copy-status");
  var RESET_MS = 2500;

  function copyBySelection(text) {
    // Where navigator.clipboard is missing or refused: a hidden textarea and the older copy command.
    var buffer = document.createElement("textarea");
    buffer.value = text;
    buffer.setAttribute("readonly", "");
    buffer.className = "copy-buffer";
    document.body.appendChild(buffer);
    buffer.select();
    var done = false;
    try { done = document.execCommand("copy"); } catch (error) { done = false; }
    document.body.removeChild(buffer);
    return done;
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(
        function () { return true; },
        function () { return copyBySelection(text); }
      );
    }
    return Promise.resolve(copyBySelection(text));
  }

  function selectValue(button) {
    // Copying failed: the value is selected, so the member copies it with the system's own menu.
    var row = button.closest(".copy-row");
    var value = row && row.querySelector(".copy-value");
    if (!value) { return; }
    var range = document.createRange();
    range.selectNodeContents(value);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var label = button.textContent;
    var timer = null;
    button.hidden = false;
    button.addEventListener("click", function () {
      copy(button.dataset.copy).then(function (done) {
        button.textContent = done ? "Copié !" : "Sélectionné : copiez-le";
        button.classList.toggle("copied", done);
        if (!done) { selectValue(button); }
        if (status) {
          status.textContent = (button.dataset.copyName || "Valeur") + (done ? " copié." : " sélectionné.");
        }
        clearTimeout(timer);
        timer = setTimeout(function () {
          button.textContent = label;
          button.classList.remove("copied");
        }, RESET_MS);
      });
    });
  });

  var cards = document.querySelectorAll(".method-card");
  function markChosen() {
    cards.forEach(function (card) {
      var radio = card.querySelector("input[type=radio]");
      card.classList.toggle("selected", Boolean(radio && radio.checked));
    });
  }
  cards.forEach(function (card) { card.addEventListener("change", markChosen); });
})();
