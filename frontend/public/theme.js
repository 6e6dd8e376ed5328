// Runs before the app: applies the stored theme (light, dark or system) so the first paint has the right colours.
(function () {
  var choice = "system";
  try {
    choice = localStorage.getItem("kronos.theme") || "system";
  } catch (e) {}
  var dark = choice === "dark" || (choice === "system" && window.matchMedia("(prefers-color-scheme: dark)").matches);
  document.documentElement.dataset.theme = dark ? "dark" : "light";
})();
