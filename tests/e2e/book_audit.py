"""Audit of a built book against issue 14 ("Done means" / "What to build"), on the HTML files.

Usage: ``python tests/e2e/book_audit.py BOOK_BUILD_DIR`` (the folder holding ``html`` and
``html-en``). Prints one line per check (OK / FAIL with examples) and exits 1 if a check fails.
It reads only the published HTML, CSV and JSON files; the browser checks (overflow at 390 px,
console errors) are in tests/e2e/test_browser*.py. Also run by tests/e2e/test_book_audit.py (on the
demo project of the end-to-end tests).
"""

from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from bs4 import BeautifulSoup

SKIP = {"genindex.html", "search.html"}  # Sphinx's generated index and search pages
# English words that never occur in Dutch prose (the catalogue's misses show as these)
ENGLISH = re.compile(r"\b(the|and|which|with|without|between|people|participants|months after|"
                     r"effect on|share of|not available|estimate|of whom|took part|rate)\b", re.IGNORECASE)
DUTCH_EXCEPTIONS = re.compile(r"Justice Data Lab|Employment Data Lab|QuantEcon|Callaway|Sant.Anna|Roth|"
                              r"Wooldridge|Cameron|Gelbach|Miller|MacKinnon|Webb|Rambachan|difference.in.differences|"
                              r"Journal|Econometrics|Review|Economics|Statistics|Press|Working Paper|"
                              r"Inference|Estimation|Treatment|Effects|with Multiple|Time Periods|Data Lab|"
                              r"The Effect",  # Huntington-Klein's book, cited by its title
                              re.IGNORECASE)


def pages(html: Path) -> list[Path]:
    return sorted(p for p in html.rglob("*.html") if not any(part.startswith("_") for part in p.relative_to(html).parts)
                  and p.name not in SKIP and "editions" not in p.relative_to(html).parts[:1]
                  and p.read_text(encoding="utf-8", errors="replace")[:200].find("http-equiv=\"Refresh\"") < 0)


# section, equation and example numbers of a cited source (13.3, (13.7), 18.2) are not decimals
REFERENCE_NUMBER = re.compile(r"(eq\. \(|Example |ch\. |vgl\. \(|voorbeeld |hfst\. )$")


def main_text(soup: BeautifulSoup, *, details: bool = True) -> str:
    """The page's article text without code; ``details=False`` also without collapsed
    ``<details>`` blocks (an input file shown verbatim, labelled as such)."""
    main = soup.find("main") or soup
    for tag in main.find_all(["script", "style", "code", "pre", *([] if details else ["details"])]):
        tag.decompose()
    return " ".join(main.get_text(" ").split())


def audit(build: Path) -> dict[str, list[str]]:
    fails: dict[str, list[str]] = defaultdict(list)
    checked: Counter = Counter()
    for lang, folder in (("nl", "html"), ("en", "html-en")):
        html = build / folder
        titles: Counter = Counter()
        for page in pages(html):
            rel = f"{lang}:{page.relative_to(html)}"
            raw = page.read_text(encoding="utf-8")
            soup = BeautifulSoup(raw, "lxml")
            checked["pages"] += 1
            # 1. demo banner on every page
            if not soup.select(".bd-header-announcement"):
                fails["demo banner on every page"].append(rel)
            # 2. language switch on every page
            # (the link is made by _static/evallib-edition.js from EVALLIB_EDITION: the page must
            # carry it, and the same page must exist in the other edition)
            other = build / ("html-en" if lang == "nl" else "html") / page.relative_to(html)
            if "EVALLIB_EDITION" not in raw or "evallib-edition.js" not in raw or not other.is_file():
                fails["language switch on every page"].append(rel)
            title = soup.title.get_text(strip=True) if soup.title else ""
            titles[title] += 1
            text = main_text(BeautifulSoup(raw, "lxml"), details=False)
            # the Dutch edition links to the benchmarks' English reports (labelled as English)
            # instead of showing them; only an input file shown verbatim may be collapsed
            if lang == "nl" and BeautifulSoup(raw, "lxml").select("main details:not(.evallib-verbatim)"):
                fails["no English technical reports in the Dutch edition"].append(rel)
            # prev/next stay within a pilot: a pilot's pages link only to pages of that pilot
            parts = page.relative_to(html).parts
            if parts[0] == "pilots":
                pilot = parts[1].removesuffix(".html")
                for a in soup.select("a.left-prev, a.right-next"):
                    target = (page.parent / a["href"]).resolve().relative_to(html.resolve()).as_posix()
                    # (the first page's "previous" may leave the pilots; never to another pilot)
                    if target.startswith("pilots/") and not target.startswith((f"pilots/{pilot}/",
                                                                                f"pilots/{pilot}.html")):
                        fails["prev/next within a pilot"].append(f"{rel} -> {target}")
            # 3. no "(en)" / "(s)" placeholders
            for m in re.finditer(r"\w\((en|s|n)\)", text):
                fails['no "(en)"/"(s)" placeholders'].append(f"{rel}: …{text[max(0, m.start() - 30):m.end() + 10]}…")
            # 4. no raw markup
            for m in re.finditer(r"```|:::|\{(admonition|note|warning|glue|doc|ref)[}:]|\]\(|\*\*\w|</?\w+>", text):
                fails["no raw markup"].append(f"{rel}: …{text[max(0, m.start() - 30):m.end() + 20]}…")
            if lang == "nl":
                # 5. decimal comma: a point between digits that is not a thousands separator
                # (versions, dates and hashes live in code spans, removed above)
                for m in re.finditer(r"(?<![\w.])[−-]?\d+\.\d{1,2}(?![\d.])(?!\s*(MB|GB|KB))", text):
                    before = text[max(0, m.start() - 14):m.start()]
                    if re.search(r"[a-z]{3,} $", before) and page.name != "validation.html" \
                            or page.name == "reproducibility.html" or REFERENCE_NUMBER.search(before):
                        continue  # versions of packages, equation and section numbers of references
                    fails["no decimal points in Dutch numbers"].append(
                        f"{rel}: …{text[max(0, m.start() - 40):m.end() + 20]}…")
                # 6. no English text in the Dutch edition
                # (the reference list cites English titles as published)
                stripped = "" if page.name == "references.html" else DUTCH_EXCEPTIONS.sub(" ", text)
                for m in ENGLISH.finditer(stripped):
                    fails["no English in the Dutch edition"].append(
                        f"{rel}: …{stripped[max(0, m.start() - 40):m.end() + 40]}…")
            # 7. a hyphen-minus before a number where a real minus belongs
            for m in re.finditer(r"(?<![\w\-])-\d+[,.]\d", text):
                fails["real minus sign"].append(f"{rel}: …{text[max(0, m.start() - 30):m.end() + 10]}…")
            # 8. € never breaks from its number: a no-break space after it in Dutch
            if lang == "nl":
                for m in re.finditer(r"€ \d", raw):
                    fails["no-break space after € (nl)"].append(f"{rel}: …{raw[max(0, m.start() - 20):m.end() + 10]}…")
            # 9. figures carry alt text
            for img in soup.select("main img"):
                if not (img.get("alt") or "").strip():
                    fails["alt text on every figure"].append(f"{rel}: {img.get('src')}")
        dup = {t: n for t, n in titles.items() if n > 1}
        if dup:
            fails["unique page titles"].append(f"{lang}: {dup}")
    return fails, checked


def content_checks(build: Path) -> dict[str, list[str]]:
    """Pages that must say particular things (issue 14's "What to build")."""
    fails: dict[str, list[str]] = defaultdict(list)
    words = {
        "nl": {"nf": "van elke 100", "can": "Wat u op basis van dit onderzoek kunt zeggen",
               "cannot": "Wat u er niet mee kunt zeggen", "cost_prob": "kans", "meta": ("extractie", "contact")},
        "en": {"nf": "of every 100", "can": "What you can say", "cannot": "What you cannot say",
               "cost_prob": "probability", "meta": ("extract", "contact")},
    }
    for lang, folder in (("nl", "html"), ("en", "html-en")):
        html = build / folder
        w = words[lang]
        summaries = sorted(p for p in (html / "summary").glob("*.html") if p.name != "index.html")
        for s in summaries:
            text = main_text(BeautifulSoup(s.read_text(encoding="utf-8"), "lxml"))
            rel = f"{lang}:summary/{s.name}"
            if w["nf"] not in text:
                fails["natural frequencies in every summary"].append(rel)
            if w["can"] not in text or w["cannot"] not in text:
                fails["what you can / cannot say box"].append(rel)
            if not all(k in text.lower() for k in w["meta"]):
                fails["publication metadata (extract date, contact)"].append(rel)
        decision = main_text(BeautifulSoup((html / "decision" / "synthesis.html").read_text(encoding="utf-8"), "lxml"))
        if not re.search(r"€\s?50[.,]000", decision) or w["cost_prob"] not in decision.lower():
            fails["cost rule applied with its probability"].append(f"{lang}:decision/synthesis.html")
        if {"nl": "Voorlopige waarde", "en": "Placeholder"}[lang] not in decision:
            fails["placeholders in params shown as placeholders"].append(f"{lang}:decision/synthesis.html")
        downloads = html / "downloads.html"
        if not downloads.is_file():
            fails["downloads page"].append(lang)
        else:
            soup = BeautifulSoup(downloads.read_text(encoding="utf-8"), "lxml")
            links = [a.get("href", "") for a in soup.select("main a")]
            for ext in (".csv", ".json", ".ipynb"):
                found = [h for h in links if h.split("#")[0].endswith(ext)]
                if not found:
                    fails["downloads: results JSON, tables CSV, executed notebooks"].append(f"{lang}: no {ext}")
                for h in found:
                    if not (downloads.parent / h.split("#")[0]).is_file():
                        fails["downloads resolve to files"].append(f"{lang}: {h}")
        refs = html / "references.html"
        if not refs.is_file() or len(BeautifulSoup(refs.read_text(encoding="utf-8"), "lxml").select("main li")) < 3:
            fails["reference list"].append(lang)
        for page in ("editions.html", "rerun.html", "validation.html", "reproducibility.html"):
            if not (html / page).is_file():
                fails["pages: editions, rerun, validation, reproducibility"].append(f"{lang}: {page}")
        rerun = (html / "rerun.html")
        if rerun.is_file() and "evallib run" not in " ".join(BeautifulSoup(rerun.read_text(encoding="utf-8"),
                                                                          "lxml").get_text(" ").split()):
            fails["rerun page gives the commands"].append(lang)
        flow = {"nl": "waarvan deelnemers aan de pilot", "en": "of whom took part in the pilot"}[lang]
        for s in summaries:
            if flow not in main_text(BeautifulSoup(s.read_text(encoding="utf-8"), "lxml")):
                fails["flow of persons"].append(f"{lang}:summary/{s.name}")
        vsoup = BeautifulSoup((html / "validation.html").read_text(encoding="utf-8"), "lxml")
        # the benchmarks' own reports are offered for download (in Dutch: labelled as English)
        reports = [a for a in vsoup.select("main a") if a.get("href", "").split("#")[0].endswith(".md")]
        if not reports:
            fails["validation appendix offers the technical reports"].append(lang)
        for a in vsoup.select("main a"):
            href = a.get("href", "").split("#")[0]
            if href and "://" not in href and not (html / href).is_file():
                fails["validation appendix's downloads resolve"].append(f"{lang}: {href}")
        if lang == "nl":
            for a in reports:
                if "Engels" not in a.get_text():
                    fails["validation appendix offers the technical reports"].append(
                        f"nl: {a.get_text(strip=True)} (not labelled as English)")
        validation = main_text(vsoup)
        for m in re.finditer(r"No module named|Traceback|Error:", validation):
            fails["validation appendix runs (no raw errors)"].append(f"{lang}: …{validation[m.start():m.end() + 60]}…")
    return fails


def main(argv: list[str]) -> int:
    build = Path(argv[1]) if len(argv) > 1 else Path("book/_build")
    fails, checked = audit(build)
    fails.update(content_checks(build))
    print(f"{checked['pages']} pages checked in {build}")
    names = ["demo banner on every page", "language switch on every page", 'no "(en)"/"(s)" placeholders',
             "no raw markup", "no decimal points in Dutch numbers", "no English in the Dutch edition",
             "real minus sign", "no-break space after € (nl)", "alt text on every figure", "unique page titles",
             "prev/next within a pilot", "placeholders in params shown as placeholders",
             "natural frequencies in every summary", "what you can / cannot say box",
             "publication metadata (extract date, contact)", "cost rule applied with its probability",
             "downloads page", "downloads: results JSON, tables CSV, executed notebooks", "downloads resolve to files",
             "reference list", "pages: editions, rerun, validation, reproducibility", "rerun page gives the commands",
             "flow of persons", "validation appendix runs (no raw errors)",
             "validation appendix offers the technical reports", "validation appendix's downloads resolve",
             "no English technical reports in the Dutch edition"]
    for name in names + sorted(set(fails) - set(names)):
        found = fails.get(name, [])
        print(("FAIL " if found else "OK   ") + name + (f" ({len(found)})" if found else ""))
        for item in found[:8]:
            print("       " + item[:220])
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
