"""Sphinx extension for the frame of evallib's book (staged by ``evallib.book.build``).

* **Unique page titles**: ``evallib_titles`` maps a page (docname) to the title it has in the
  navigation, the search results, the browser tab and the prev/next links (the page's own heading
  is unchanged): the pilot's sections ("De participatieladder") carry the pilot's name, a pilot's
  summary does not share its chapter's title.
* **Prev/next within a pilot**: ``evallib_groups`` maps a page to its group (a pilot's chapter
  and its sections); a prev/next link that would leave a group, or enter one from outside, is
  dropped.
* **Language switch**: ``evallib_edition`` (``{"root": "../html-en/", "label": "English",
  "lang": "en", "title": ...}``) is handed to ``_static/evallib-edition.js``, which links every
  page to the same page in the other edition (built side by side).
"""

from __future__ import annotations

import json

from docutils import nodes


def _retitle(app, doctree) -> None:
    docname = app.env.docname
    title = app.config.evallib_titles.get(docname)
    if title:  # "{title}" stands for the page's own title
        own = app.env.titles[docname].astext() if docname in app.env.titles else ""
        title = title.replace("{title}", own)
        app.env.titles[docname] = nodes.title(text=title)
        app.env.longtitles[docname] = nodes.title(text=title)


def _keep_within_group(app, pagename, templatename, context, doctree) -> None:
    groups = app.config.evallib_groups
    relations = app.env.collect_relations().get(pagename)
    if not relations:
        return
    for key, other in (("prev", relations[1]), ("next", relations[2])):
        if other is not None and groups.get(pagename) != groups.get(other):
            context[key] = None


def _edition_script(app, config) -> None:
    # added before the builder exists (config-inited): an inline script added later goes both to
    # the registry and to the builder, which re-reads the registry, so it appears twice on every
    # page -- the cause of sphinx_thebe's "THEBE_JS_URL has already been declared"
    if config.evallib_edition:
        app.add_js_file(None, body=f"const EVALLIB_EDITION = {json.dumps(config.evallib_edition)};", priority=100)


def setup(app):
    app.add_config_value("evallib_titles", {}, "env")
    app.add_config_value("evallib_groups", {}, "html")
    app.add_config_value("evallib_edition", {}, "html")
    app.connect("doctree-read", _retitle, priority=900)  # after Sphinx's own title collector
    app.connect("html-page-context", _keep_within_group)
    app.connect("config-inited", _edition_script)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
