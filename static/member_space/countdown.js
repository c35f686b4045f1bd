/* Live countdown on the dashboard. The server renders ends_at and its own time (epoch seconds) into data
   attributes (epoch milliseconds); the offset between the server clock and this device's clock is measured once at load, so a
   wrong device clock does not change what the member sees. */
(function () {
  "use strict";
  var box = document.getElementById("countdown");
  if (!box) { return; }
  var endsAt = Number(box.dataset.endsAt);
  var offset = Number(box.dataset.serverTime) - Date.now();
  var cells = {};
  box.querySelectorAll("[data-unit]").forEach(function (cell) { cells[cell.dataset.unit] = cell; });

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function render() {
    var left = Math.max(0, Math.floor((endsAt - (Date.now() + offset)) / 1000));
    var days = Math.floor(left / 86400);
    var hours = Math.floor((left % 86400) / 3600);
    var minutes = Math.floor((left % 3600) / 60);
    var seconds = left % 60;
    cells.days.textContent = String(days);
    cells.hours.textContent = pad(hours);
    cells.minutes.textContent = pad(minutes);
    cells.seconds.textContent = pad(seconds);
    box.dataset.remaining = String(left);
    if (left === 0) {
      box.classList.add("expired");
      return false;
    }
    return true;
  }

  if (render()) {
    var timer = setInterval(function () { if (!render()) { clearInterval(timer); } }, 1000);
  }
})();
