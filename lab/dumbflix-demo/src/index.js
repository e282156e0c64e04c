// Client-side routing like the real app's react-router BrowserRouter: the
// server sends index.html for every route and this script picks the page.
(function (app) {
  var routes = [
    [/^\/$/, function () { return app.pages.home(); }],
    [/^\/tv-series\/?$/, function () { return app.pages.tvSeries(); }],
    [/^\/movies\/?$/, function () { return app.pages.movies(); }],
    [/^\/detail\/([^/]+)\/?$/, function (m) { return app.pages.detail(decodeURIComponent(m[1])); }],
    [/^\/profile\/?$/, function () { return app.pages.profile(); }],
  ];

  function render() {
    var path = window.location.pathname;
    var body = app.pages.notFound(path);
    for (var i = 0; i < routes.length; i++) {
      var match = path.match(routes[i][0]);
      if (match) {
        body = routes[i][1](match);
        break;
      }
    }
    document.getElementById("root").innerHTML =
      '<header><h1>Dumbflix</h1><nav>' +
      '<a href="/" data-link>Home</a> | <a href="/tv-series" data-link>TV Series</a> | ' +
      '<a href="/movies" data-link>Movies</a> | <a href="/profile" data-link>Profile</a>' +
      "</nav></header><main>" + body + "</main>" +
      "<footer>API: <code>" + app.API.baseURL + "</code></footer>";
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-link]");
    if (link) {
      event.preventDefault();
      window.history.pushState(null, "", link.getAttribute("href"));
      render();
    }
  });
  window.addEventListener("popstate", render);
  render();
})(window.Dumbflix);
