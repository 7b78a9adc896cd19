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
