// evallib: a link on every page to the same page in the other edition (nl <-> en), which is
// built side by side (book/_build/html and book/_build/html-en). EVALLIB_EDITION is set by the
// book's Sphinx extension (book/_ext/evallib_frame.py).
document.addEventListener("DOMContentLoaded", () => {
  if (typeof EVALLIB_EDITION === "undefined") return;
  const rootAttr = document.documentElement.dataset.content_root || "./";
  const root = new URL(rootAttr, window.location.href);
  let page = window.location.href.split("#")[0].split("?")[0];
  page = page.startsWith(root.href) ? page.slice(root.href.length) : "index.html";
  const link = document.createElement("a");
  link.className = "evallib-lang-switch btn btn-sm";
  link.href = new URL(EVALLIB_EDITION.root + (page || "index.html"), root).href;
  link.hreflang = EVALLIB_EDITION.lang;
  link.lang = EVALLIB_EDITION.lang;
  link.title = EVALLIB_EDITION.title;
  link.textContent = EVALLIB_EDITION.label;
  const slot = document.querySelector(".article-header-buttons") || document.querySelector(".bd-header-article") ||
    document.querySelector("article");
  if (slot) slot.prepend(link);
});

// evallib: on a phone a figure is not shrunk below 70% of its drawn size (its text would fall
// under about 9 px); a wider figure scrolls sideways inside its own box (see evallib.css).
const EVALLIB_MIN_FIGURE_SCALE = 0.7;
function evallibFitFigures() {
  const phone = window.matchMedia("(max-width: 600px)").matches;
  for (const img of document.querySelectorAll(".bd-article .cell_output img")) {
    const size = () => {
      const box = img.parentElement.clientWidth;
      img.style.width = phone ? Math.max(Math.min(box, img.naturalWidth), Math.round(EVALLIB_MIN_FIGURE_SCALE * img.naturalWidth)) + "px" : "";
      img.style.maxWidth = phone ? "none" : "";
    };
    if (img.complete && img.naturalWidth) size(); else img.addEventListener("load", size, { once: true });
  }
}
document.addEventListener("DOMContentLoaded", evallibFitFigures);
window.addEventListener("resize", evallibFitFigures);

// evallib: search snippets offline. Sphinx fetches each hit's page for its snippet, which a
// browser refuses for a book opened from disk; the texts of all pages are in
// _static/evallib-search-texts.js (written after the build), loaded on the search page only.
(() => {
  if (!/(^|\/)search\.html$/.test(window.location.pathname)) return;
  const root = new URL(document.documentElement.dataset.content_root || "./", window.location.href);
  const texts = new Promise((resolve) => {
    const script = document.createElement("script");
    script.src = new URL("_static/evallib-search-texts.js", root).href;
    script.onload = () => resolve(typeof EVALLIB_SEARCH_TEXTS === "undefined" ? {} : EVALLIB_SEARCH_TEXTS);
    script.onerror = () => resolve({});
    document.head.appendChild(script);
  });
  const escape = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const originalFetch = window.fetch.bind(window);
  window.fetch = (input, init) => {
    const url = new URL(typeof input === "string" ? input : input.url, window.location.href);
    const key = url.href.startsWith(root.href) ? url.href.slice(root.href.length).split("#")[0] : null;
    return texts.then((all) => key !== null && key in all
      ? new Response(`<div role="main">${escape(all[key])}</div>`, { headers: { "Content-Type": "text/html" } })
      : originalFetch(input, init));
  };
})();
