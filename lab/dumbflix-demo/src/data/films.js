// A few titles so the list and detail pages have something to show
// (the real app fetches them from its backend).
window.Dumbflix = window.Dumbflix || {};
window.Dumbflix.films = [
  { id: 1, title: "The Witcher", year: 2019, category: "tv-series" },
  { id: 2, title: "Money Heist", year: 2017, category: "tv-series" },
  { id: 3, title: "Joker", year: 2019, category: "movies" },
  { id: 4, title: "Parasite", year: 2019, category: "movies" },
];
