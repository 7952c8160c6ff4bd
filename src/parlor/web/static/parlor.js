// parlor roulette: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  var KEY = "parlor-scroll";

  // A form sent twice by a double click would ask for a second bet or spin:
  // after the first submit, further submits of the same form are ignored.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.sent) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    // Come back to the same place after the redirect (the layout is long on a phone).
    if (form.id === "bet-form" || form.closest("#open-bets")) {
      try { sessionStorage.setItem(KEY, String(window.scrollY)); } catch (e) { /* private mode */ }
    }
  });

  // The back/forward cache may show a page whose forms were already sent: re-arm them.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      delete form.dataset.sent;
    });
  });

  var saved = null;
  try {
    saved = sessionStorage.getItem(KEY);
    sessionStorage.removeItem(KEY);
  } catch (e) { /* private mode */ }
  if (saved !== null && document.body.classList.contains("table")) {
    window.scrollTo(0, parseInt(saved, 10) || 0);
  }
})();
