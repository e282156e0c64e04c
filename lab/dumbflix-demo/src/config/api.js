// The real app hard-codes its backend here (axios.create({ baseURL: ... })).
// dumbflix.stack's dumbflix_api_url rewrites the URL below before the build.
window.Dumbflix = window.Dumbflix || {};
window.Dumbflix.API = {
  baseURL: "http://localhost:5000/api/v1",
};
