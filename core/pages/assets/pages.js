// The working pages without JavaScript work as plain forms; this script
// adds the address typeahead, ticking deadlines, Ctrl+Enter to submit and
// the desk's queue counts refreshing themselves.
(function () {
  "use strict";
  // Deadlines: the server wrote the remaining time; keep it ticking, in
  // the words of the page's language (#clock-words, from the catalog).
  var words = document.getElementById("clock-words");
  function word(name, vars) {
    var s = words ? words.getAttribute("data-" + name) : "";
    Object.keys(vars).forEach(function (k) { s = s.split("{" + k + "}").join(vars[k]); });
    return s;
  }
  function span(ms) {
    var m = Math.floor(ms / 60000), d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60), mm = m % 60;
    var pad = (mm < 10 ? "0" : "") + mm;
    if (d > 0) return word("dh", { d: d, h: h });
    if (h > 0) return word("hm", { h: h, m: pad });
    return word("m", { m: mm });
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var left = Date.parse(el.getAttribute("data-due")) - now;
      var late = left < 0;
      var s = span(Math.abs(left));
      if (!words) return;
      el.textContent = word(late ? "overdue" : "left", { s: s });
      var row = el.closest("tr");
      if (late && row) row.classList.add("overdue");
    });
  }
  tick();
  setInterval(tick, 15000);

  // Address typeahead over the buildings registry.
  var box = document.querySelector("[data-addresses]");
  if (box && box.querySelector("#building_id")) {
    var q = box.querySelector("#q"), list = box.querySelector("#q-list"), hidden = box.querySelector("#building_id"),
      chosen = box.querySelector("#building-chosen"), found = {}, timer = null, seq = 0;
    q.addEventListener("input", function () {
      var text = q.value.trim();
      if (found[q.value]) {
        hidden.value = found[q.value];
        chosen.textContent = "✓ " + q.value;
        return;
      }
      hidden.value = "";
      chosen.textContent = "";
      clearTimeout(timer);
      if (text.length < 2) return;
      timer = setTimeout(function () {
        var mine = ++seq;
        fetch(box.getAttribute("data-addresses") + "&q=" + encodeURIComponent(text), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (items) {
            if (mine !== seq) return;
            list.textContent = "";
            found = {};
            items.forEach(function (it) {
              var o = document.createElement("option");
              o.value = it.address;
              list.appendChild(o);
              found[it.address] = String(it.id);
            });
            if (found[q.value]) { hidden.value = found[q.value]; chosen.textContent = "✓ " + q.value; }
          })
          .catch(function () {});
      }, 150);
    });
  }

  // Ctrl+Enter (or Cmd+Enter) submits the request form from any field.
  var form = document.getElementById("request-form");
  if (form) {
    form.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        form.querySelector("#send").click();
      }
    });
  }

  // The desk's queue counts: fetched again every 20 seconds with the page's
  // filters (a reload shows them fresh without the script).
  var tabs = document.getElementById("queues");
  if (tabs && tabs.getAttribute("data-counts")) {
    var total = document.getElementById("total");
    var refresh = function () {
      fetch(tabs.getAttribute("data-counts"), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (counts) {
          if (!counts) return;
          tabs.querySelectorAll("[data-count]").forEach(function (el) {
            var n = counts[el.getAttribute("data-count")];
            if (typeof n === "number") el.textContent = String(n);
          });
          if (total) {
            var n = counts[total.getAttribute("data-queue")];
            if (typeof n === "number") total.querySelectorAll("[data-total]").forEach(function (el) { el.textContent = String(n); });
          }
          tabs.setAttribute("data-refreshed", String(Date.now()));
        })
        .catch(function () {});
    };
    setInterval(refresh, 20000);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
  }
})();
