// Search-as-you-type for the prescribing form's drug field (no inline script: the CSP forbids it).
// Without this file the form still works: the typed name is matched to the formulary by the server.
(function () {
  "use strict";
  var input = document.querySelector("input[data-formulary-search]");
  if (!input) { return; }
  var hidden = document.getElementById("formulary_drug");
  var list = document.getElementById("formulary-results");
  var strengths = document.getElementById("formulary-strengths");
  var timer = null;
  var latest = 0;

  function close() { list.hidden = true; input.setAttribute("aria-expanded", "false"); }

  function choose(drug) {
    input.value = drug.name;
    hidden.value = String(drug.id);
    strengths.textContent = "";
    drug.strengths.forEach(function (strength) {
      var option = document.createElement("option");
      option.value = strength;
      strengths.appendChild(option);
    });
    close();
  }

  function show(results) {
    list.textContent = "";
    results.forEach(function (drug) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.setAttribute("role", "option");
      button.textContent = drug.name + " \u2014 " + drug.drug_class;
      button.addEventListener("click", function () { choose(drug); input.focus(); });
      item.appendChild(button);
      list.appendChild(item);
    });
    list.hidden = results.length === 0;
    input.setAttribute("aria-expanded", results.length ? "true" : "false");
  }

  function search() {
    var query = input.value.trim();
    var asked = ++latest;
    if (query.length < 2) { show([]); return; }
    fetch(input.dataset.formularySearch + "?q=" + encodeURIComponent(query), {
      credentials: "same-origin", headers: { Accept: "application/json" }
    }).then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) { if (asked === latest) { show(data.results); } })
      .catch(function () { show([]); });
  }

  input.addEventListener("input", function () {
    hidden.value = "";  // typed again: the server matches the name, unless a drug is picked
    window.clearTimeout(timer);
    timer = window.setTimeout(search, 200);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { close(); }
    if (event.key === "ArrowDown" && !list.hidden) {
      var first = list.querySelector("button");
      if (first) { event.preventDefault(); first.focus(); }
    }
  });
  list.addEventListener("keydown", function (event) {
    var current = document.activeElement;
    if (!current || current.tagName !== "BUTTON") { return; }
    var item = current.parentElement;
    if (event.key === "ArrowDown" && item.nextElementSibling) {
      event.preventDefault(); item.nextElementSibling.firstElementChild.focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (item.previousElementSibling) { item.previousElementSibling.firstElementChild.focus(); } else { input.focus(); }
    } else if (event.key === "Escape") { close(); input.focus(); }
  });
})();
