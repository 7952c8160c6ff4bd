// parlor chess: the game page live, and moves by clicking. The page works without this file
// (a form to type a move, a meta refresh inside <noscript> while waiting).
(function () {
  "use strict";
  var page = document.getElementById("chess-game");
  if (!page) { return; }
  var url = page.dataset.stateUrl;
  var PAUSE = 3000;      // after an answer with nothing new (a server that cannot hold a poll)
  var RETRY = 10000;     // after a failure
  var selected = null;

  function board() { return document.getElementById("chess-board"); }

  function legal() {
    var found = board();
    return found && found.dataset.legal ? found.dataset.legal.split(" ") : [];
  }

  // The square under a point: python-chess draws each as <rect class="square light e4">.
  function squareAt(x, y) {
    var hits = document.elementsFromPoint(x, y);
    for (var i = 0; i < hits.length; i++) {
      var names = hits[i].classList;
      if (names && names.contains("square")) {
        for (var j = 0; j < names.length; j++) {
          if (/^[a-h][1-8]$/.test(names[j])) { return names[j]; }
        }
      }
    }
    return null;
  }

  function mark(name, squares) {
    board().querySelectorAll("rect." + name).forEach(function (rect) {
      rect.classList.remove(name);
    });
    squares.forEach(function (square) {
      var rect = board().querySelector("rect.square." + square);
      if (rect) { rect.classList.add(name); }
    });
  }

  function select(square, moves) {
    selected = square;
    mark("selected", square ? [square] : []);
    mark("target", moves.map(function (move) { return move.slice(2, 4); }));
  }

  // A move the form can send: the click's from and to, a promotion made a queen.
  function moveFor(from, to, moves) {
    var plain = from + to;
    if (moves.indexOf(plain) >= 0) { return plain; }
    return moves.indexOf(plain + "q") >= 0 ? plain + "q" : null;
  }

  function play(move) {
    var form = document.getElementById("move-form");
    if (!form) { return; }
    form.elements.move.value = move;
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  page.addEventListener("click", function (event) {
    var found = board();
    if (!found || !found.contains(event.target)) { return; }
    var moves = legal();
    var square = squareAt(event.clientX, event.clientY);
    if (!moves.length || !square) { return; }
    var move = selected ? moveFor(selected, square, moves) : null;
    if (move) { play(move); return; }
    var from = moves.filter(function (m) { return m.slice(0, 2) === square; });
    select(from.length ? square : null, from);
  });

  // The live part of the page, replaced when the game changes; what is typed is kept.
  function update(state) {
    var typed = document.getElementById("move-text");
    var text = typed ? typed.value : "";
    document.getElementById("live").innerHTML = state.live;
    selected = null;
    typed = document.getElementById("move-text");
    if (typed && text) { typed.value = text; }
  }

  function poll() {
    var current = board();
    if (!current || current.dataset.over === "1") { return; }
    var since = current.dataset.version;
    fetch(url + "?since=" + encodeURIComponent(since), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (answer) {
      if (!answer.ok) { throw new Error("HTTP " + answer.status); }
      return answer.json();
    }).then(function (state) {
      var changed = String(state.version) !== since;
      if (changed) { update(state); }
      if (!state.over) { window.setTimeout(poll, changed ? 0 : PAUSE); }
    }).catch(function () {
      window.setTimeout(poll, RETRY);
    });
  }

  poll();
})();
