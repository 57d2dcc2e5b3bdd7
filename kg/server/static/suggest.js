// Type-ahead for the search box: suggests DOID and CL terms by label or synonym.
(function () {
  const input = document.getElementById("q");
  const list = document.getElementById("suggestions");
  if (!input || !list) return;
  let timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    const q = input.value.trim();
    if (q.length < 2) return;
    timer = setTimeout(async function () {
      const response = await fetch("/api/suggest?q=" + encodeURIComponent(q));
      if (!response.ok) return;
      const terms = await response.json();
      list.replaceChildren(...terms.map(function (t) {
        const option = document.createElement("option");
        option.value = t.label;
        option.label = t.curie + (t.matched !== t.label ? " — " + t.matched : "");
        return option;
      }));
    }, 150);
  });
})();
