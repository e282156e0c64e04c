// One function per page of the real app; each returns an HTML string.
window.Dumbflix = window.Dumbflix || {};
(function (app) {
  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function list(category) {
    return app.films
      .filter(function (film) { return !category || film.category === category; })
      .map(function (film) {
        return '<li><a href="/detail/' + film.id + '" data-link>' + escapeHtml(film.title) +
          "</a> (" + film.year + ")</li>";
      })
      .join("");
  }

  app.pages = {
    home: function () {
      return "<h2>Home</h2><ul>" + list(null) + "</ul>";
    },
    tvSeries: function () {
      return "<h2>TV Series</h2><ul>" + list("tv-series") + "</ul>";
    },
    movies: function () {
      return "<h2>Movies</h2><ul>" + list("movies") + "</ul>";
    },
    detail: function (id) {
      var film = app.films.filter(function (f) { return String(f.id) === id; })[0];
      if (!film) {
        return "<h2>Not found</h2><p>No film with id " + escapeHtml(id) + ".</p>";
      }
      return "<h2>" + escapeHtml(film.title) + "</h2><p>" + film.year + ", " + film.category + "</p>";
    },
    profile: function () {
      return "<h2>Profile</h2><p>Sign in to see your profile.</p>";
    },
    notFound: function (path) {
      return "<h2>Not found</h2><p>" + escapeHtml(path) + " is not a page of Dumbflix.</p>";
    },
  };
})(window.Dumbflix);
