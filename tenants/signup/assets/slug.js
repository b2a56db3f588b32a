// Checks the wanted city address as it is typed. The form works without it:
// the server checks the address again on submit.
(function () {
  var input = document.getElementById("slug");
  var out = document.getElementById("slug-error");
  var script = document.currentScript;
  if (!input || !out || !window.fetch) return;
  var timer;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var slug = input.value.trim();
    if (!slug) { out.textContent = ""; return; }
    timer = setTimeout(function () {
      fetch("/signup/api/slug?lang=" + script.dataset.lang + "&slug=" + encodeURIComponent(slug))
        .then(function (r) { return r.json(); })
        .then(function (a) {
          if (input.value.trim() !== slug) return;
          out.textContent = a.available ? script.dataset.free : a.message;
          out.className = a.available ? "ok" : "error";
          input.setAttribute("aria-invalid", a.available ? "false" : "true");
        })
        .catch(function () {});
    }, 250);
  });
})();
