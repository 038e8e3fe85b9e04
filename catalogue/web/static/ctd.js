/* ctd — amélioration progressive des pages (les pages fonctionnent sans ce script).

   Un élément portant un id et l'attribut data-refresh="<millisecondes>" (une analyse ou un
   moissonnage en cours) est remis à jour à partir de la même page, rechargée en arrière-plan,
   jusqu'à ce que la nouvelle version n'ait plus cet attribut (l'opération est finie).
   Le contenu est remplacé dans l'élément lui-même, pour que sa région aria-live annonce
   l'avancement aux lecteurs d'écran. Au plus une heure de suivi. */
(function () {
  "use strict";
  var LIMIT = 3600 * 1000;

  function follow(element) {
    var started = Date.now();
    var delay = parseInt(element.getAttribute("data-refresh"), 10) || 1000;

    function tick() {
      if (Date.now() - started > LIMIT) return;
      fetch(window.location.href, {headers: {"Accept": "text/html"}, credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html === null) { window.setTimeout(tick, delay * 2); return; }
          var fresh = new DOMParser().parseFromString(html, "text/html")
            .getElementById(element.id);
          if (!fresh) return;
          element.innerHTML = fresh.innerHTML;
          Array.prototype.forEach.call(fresh.attributes, function (a) {
            element.setAttribute(a.name, a.value);
          });
          if (fresh.hasAttribute("data-refresh")) {
            window.setTimeout(tick, delay);
          } else {
            element.removeAttribute("data-refresh");
            element.setAttribute("data-refreshed", "done");
          }
        })
        .catch(function () { window.setTimeout(tick, delay * 2); });
    }
    window.setTimeout(tick, delay);
  }

  document.querySelectorAll("[data-refresh][id]").forEach(follow);
})();
