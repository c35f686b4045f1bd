/* Copy buttons of the payments page (the code, the amount, the IBAN, the wallet address...). The buttons are rendered
   hidden and shown here: without JavaScript the page shows no dead button, and every value stays selectable text.
   The radio cards of the checkout are also marked when chosen (browsers without :has()). While a card payment is
   pending, the page asks its state (a small JSON answer) every few seconds and, once Stripe's webhook has settled it,
   goes where the answer says: the dashboard with its countdown and access when confirmed. */
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

  var pendingCard = document.querySelector("[data-state-url]");
  var FIRST_POLL_MS = 2000;
  var LONGEST_POLL_MS = 10000;
  var GIVE_UP_MS = 30 * 60 * 1000; // a tab left open does not ask forever: "Actualiser la page" is there
  if (pendingCard) {
    var stateUrl = pendingCard.dataset.stateUrl;
    var delay = FIRST_POLL_MS;
    var started = Date.now();
    var again = function () {
      if (Date.now() - started < GIVE_UP_MS) { setTimeout(poll, delay); }
      delay = Math.min(Math.round(delay * 1.5), LONGEST_POLL_MS);
    };
    var poll = function () {
      fetch(stateUrl, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (state) {
          if (state && state.next) { window.location.assign(state.next); } else { again(); }
        }, again);
    };
    again();
  }
})();
