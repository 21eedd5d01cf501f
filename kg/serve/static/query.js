// The /query page: YASGUI pointed at this server's /sparql, with the example queries one click away.
(function () {
  "use strict";
  var el = document.getElementById("yasgui");
  if (!el || !window.Yasgui) return;
  var examples = JSON.parse(document.getElementById("examples").textContent);
  var endpoint = new URL("/sparql", window.location.href).href;
  var yasgui = new Yasgui(el, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    persistenceId: null,
    populateFromUrl: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    yasqe: { autocompleters: ["prefixes", "variables"] },
  });
  // Result IRIs the server answers link to its own pages ({base}id/X -> /page/X), the full IRI kept as title.
  var base = el.dataset.base, ontology = el.dataset.ontology;
  function localise(a) {
    var iri = a.getAttribute("href") || "";
    var local = iri.indexOf(base + "id/") === 0 ? "/page/" + iri.substring(base.length + 3)
      : iri.indexOf(ontology) === 0 ? "/ontology" + iri.substring(ontology.length) : null;
    if (local) { a.setAttribute("href", local); a.setAttribute("title", iri); }
  }
  new MutationObserver(function () { el.querySelectorAll(".yasr a.iri").forEach(localise); })
    .observe(el, { childList: true, subtree: true });
  var tab = yasgui.getTab();
  tab.setEndpoint(endpoint);
  tab.setQuery(el.dataset.query);
  if (el.dataset.run) tab.query();
  document.querySelectorAll("a[data-example]").forEach(function (a) {
    a.addEventListener("click", function (event) {
      event.preventDefault();
      tab.setQuery(examples[a.dataset.example]);
      tab.query();
      window.history.replaceState(null, "", a.href);
    });
  });
})();
