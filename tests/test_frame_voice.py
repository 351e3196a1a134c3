"""The book's voice: deviations in one admonition class, listed on one page; the paper's words
quoted exactly; code shown as code.

* Every admonition of class ``deviation`` in a chapter is written as the house convention says
  (title "Deviation: ...", ``:name: dev-<chapter-slug>-<slug>``), names are unique in the book, and
  the generator of the "Deviations from the paper" page (book/_ext/deviations.py) lists exactly the
  deviations a plain reading of the notebook source finds (two independent parsers must agree).
* The extension, in a real Sphinx build, links every entry to its admonition and updates the list
  when a chapter changes.
* Every ``>`` quote in a chapter is the paper's text (either version in the shared paper folder).
* Every ``{literalinclude}`` in a chapter points at a file, markers and objects that exist; chapters
  1 and 2 show code with it rather than printing source.
"""

from __future__ import annotations

import ast
import glob
import re
import sys
import textwrap
from collections import Counter
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import deviations as ext  # noqa: E402

NAME_RE = re.compile(r"^dev-[a-z0-9]+(-[a-z0-9]+)+$")
PAPER_DIRS = [ROOT.parent / "shared" / "paper", Path("/work/shared/paper")]


def markdown_of(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


# ----------------------------------------------------------------- a plain reading of the source

FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,}|:{3,})\{(?P<directive>[\w:-]+)\}[ \t]*(?P<arg>.*)$")
OPTION = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")


def directives(markdown: str) -> list[dict]:
    """Every MyST directive opened by a fence line, with its argument and ``:key:`` options."""
    out = []
    lines = markdown.splitlines()
    for k, line in enumerate(lines):
        m = FENCE.match(line.strip())
        if not m:
            continue
        options = {}
        for opt_line in lines[k + 1 :]:
            o = OPTION.match(opt_line.strip())
            if not o:
                break
            value = o["value"].strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            options[o["key"]] = value
        out.append(
            dict(directive=m["directive"], arg=m["arg"].strip(), options=options, line=k + 1)
        )
    return out


def source_deviations(markdown: str) -> list[dict]:
    """Deviation boxes (class ``deviation``), not the examples (class ``deviation-example`` too)."""
    classes = [(d, d["options"].get("class", "").split()) for d in directives(markdown)]
    return [d for d, c in classes if "deviation" in c and "deviation-example" not in c]


def convention_problems(markdown: str, where: str) -> list[str]:
    """What breaks the deviation convention in one chapter's markdown."""
    problems = []
    devs = source_deviations(markdown)
    for d in devs:
        at = f"{where}, markdown line {d['line']} ({d['arg']!r})"
        if d["directive"] != "admonition":
            problems.append(
                f"{at}: a deviation must be an {{admonition}}, not {{{d['directive']}}}"
            )
        if not re.match(r"^Deviation: \S", d["arg"]):
            problems.append(f"{at}: the title must start with 'Deviation: ' and say what deviates")
        name = d["options"].get("name")
        if not name:
            problems.append(f"{at}: no :name: (dev-<chapter-slug>-<short-slug>)")
        elif not NAME_RE.match(name):
            problems.append(
                f"{at}: :name: {name!r} is not dev-<chapter-slug>-<short-slug> "
                "(lower case, digits, hyphens)"
            )
    for d in directives(markdown):
        if (
            d["directive"] == "admonition"
            and d["arg"].lower().startswith("deviation")
            and "deviation" not in d["options"].get("class", "").split()
        ):
            problems.append(
                f"{where}, markdown line {d['line']}: {d['arg']!r} lacks ':class: deviation'"
            )
    slugs = {
        d["options"]["name"].split("-")[1]
        for d in devs
        if NAME_RE.match(d["options"].get("name", ""))
    }
    if len(slugs) > 1:
        found = ", ".join(sorted(slugs))
        problems.append(f"{where}: one chapter, one chapter slug; found dev-{{{found}}}-...")
    return problems


GOOD = """
```{admonition} Deviation: a smaller run
:class: deviation
:name: dev-toy-small

We run fewer steps than the paper. Because a CPU is slow.
```
"""


def test_the_convention_checker_can_fail():
    assert convention_problems(GOOD, "x") == []
    no_name = GOOD.replace(":name: dev-toy-small\n", "")
    assert any("no :name:" in p for p in convention_problems(no_name, "x"))
    bad_name = GOOD.replace("dev-toy-small", "toy_small")
    assert any("is not dev-" in p for p in convention_problems(bad_name, "x"))
    bad_title = GOOD.replace("Deviation: a smaller run", "Smaller run")
    assert any("must start with 'Deviation: '" in p for p in convention_problems(bad_title, "x"))
    no_class = GOOD.replace(":class: deviation\n", "")
    assert any("lacks ':class: deviation'" in p for p in convention_problems(no_class, "x"))
    two_slugs = GOOD + GOOD.replace("dev-toy-small", "dev-mnist-small")
    assert any("one chapter slug" in p for p in convention_problems(two_slugs, "x"))
    colon = GOOD.replace("```{admonition}", ":::{admonition}").replace("```\n", ":::\n")
    assert [d["options"]["name"] for d in source_deviations(colon)] == ["dev-toy-small"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_deviations_follow_the_convention(path):
    problems = convention_problems(markdown_of(path), path.name)
    assert not problems, "\n".join(problems)


def test_deviation_names_are_unique_in_the_book():
    names, slugs = Counter(), {}
    for path in NOTEBOOKS:
        for d in source_deviations(markdown_of(path)):
            name = d["options"].get("name", "")
            names[name] += 1
            if NAME_RE.match(name):
                slugs.setdefault(name.split("-")[1], set()).add(path.name)
    assert not [n for n, k in names.items() if k > 1 and n], f"duplicate names: {names}"
    shared = {s: sorted(p) for s, p in slugs.items() if len(p) > 1}
    assert not shared, f"chapters sharing a chapter slug: {shared}"


def test_chapters_1_and_2_document_their_deviations():
    """The two chapters this file was written with must keep their deviations (the list would
    silently shrink otherwise)."""
    names = {
        p.stem: [d["options"]["name"] for d in source_deviations(markdown_of(p))] for p in NOTEBOOKS
    }
    assert {"dev-toy-lr", "dev-toy-settings"} <= set(names["01_polynomial_toy"])
    assert {
        "dev-derivation-norm-init",
        "dev-derivation-layer",
        "dev-derivation-weight-decay",
        "dev-derivation-absent-terms",
    } <= set(names["02_derivation"])


# ------------------------------------------------------------------------------- the generator


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_generator_lists_exactly_the_notebooks_deviations(path):
    """book/_ext/deviations.collect, on the notebook's doctree, finds what a plain reading finds."""
    from_source = [
        (d["options"].get("name"), d["arg"]) for d in source_deviations(markdown_of(path))
    ]
    listed = ext.deviations_in_notebook(path)
    assert [(e["name"], e["title"].strip()) for e in listed] == [
        (n, re.sub(r"[`$*]", "", t)) for n, t in from_source
    ]
    for e in listed:
        assert e["anchor"] == e["name"], f"{e['name']}: the HTML id would be {e['anchor']!r}"
        assert "".join(n.astext() for n in e["sentence"]).strip(), f"{e['name']}: no first sentence"


def _sentence(markdown_body: str) -> str:
    entries = ext.deviations_in_markdown(
        "```{admonition} Deviation: t\n:class: deviation\n:name: dev-t-x\n\n"
        + markdown_body
        + "\n```\n"
    )
    return "".join(n.astext() for n in entries[0]["sentence"])


def test_first_sentence():
    assert _sentence("One. Two.") == "One."
    assert (
        _sentence("See Fig. 1 and Sec. 3, e.g. here. Next.") == "See Fig. 1 and Sec. 3, e.g. here."
    )
    assert (
        _sentence("With $\\alpha = 0.1$ it matches. Then more.") == "With \\alpha = 0.1 it matches."
    )
    assert _sentence("Ends with math $x$. $y$ starts the next.") == "Ends with math x."
    assert (
        _sentence("A rate of 0.001 is used; fine. (An aside.)") == "A rate of 0.001 is used; fine."
    )
    assert _sentence("No period at all") == "No period at all"
    assert _sentence("Two lines\nof one sentence. Second.") == "Two lines\nof one sentence."
    # links are kept as text only (their targets are relative to the chapter)
    entries = ext.deviations_in_markdown(
        "```{admonition} Deviation: t\n:class: deviation\n:name: dev-t-x\n\n"
        "See [the code](https://example.org). More.\n```\n"
    )
    assert not any(n.tagname == "reference" for s in entries[0]["sentence"] for n in s.findall())


SPHINX_PAGES = {
    "index.md": "# Book\n\n```{toctree}\n:numbered:\na\nb\nlist\n```\n",
    "a.md": "# Chapter A\n\n"
    + GOOD.replace("dev-toy-small", "dev-a-small")
    + "\n```{admonition} Deviation: unnamed\n:class: deviation\n\nNo name, $x^2$.\n```\n"
    + "\n```{admonition} A note\n\nNot a deviation.\n```\n",
    "b.md": "# Chapter B\n\nNothing deviates here.\n",
    "list.md": "# Deviations\n\n```{admonition} Deviation: example\n"
    ":class: deviation deviation-example\n\nx\n```\n\n"
    "```{deviation-list}\n```\n",
}


def _build(src: Path, out: Path):
    from io import StringIO

    from sphinx.application import Sphinx

    warnings = StringIO()
    app = Sphinx(
        str(src),
        str(src),
        str(out),
        str(out / ".doctrees"),
        "html",
        status=None,
        warning=warnings,
        freshenv=False,
    )
    app.build()
    return warnings.getvalue()


def test_extension_in_a_sphinx_build(tmp_path):
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    (src / "conf.py").write_text(
        textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT / "book" / "_ext")!r})
        extensions = ["myst_parser", "deviations"]
        myst_enable_extensions = ["dollarmath", "colon_fence"]
    """)
    )
    for name, text in SPHINX_PAGES.items():
        (src / name).write_text(text)
    warnings = _build(src, out)
    assert "has no :name:" in warnings and "a.md" in warnings
    page = (out / "list.html").read_text()
    assert 'href="a.html#dev-a-small"' in page
    assert "We run fewer steps than the paper." in page and "Because a CPU" not in page
    assert "2 deviations in 1 chapter:" in page  # the example box is not listed
    listing = page.split("deviations in")[1].split("</section>")[0]
    assert "Not a deviation" not in listing and "b.html" not in listing
    assert 'id="dev-a-small"' in (out / "a.html").read_text()  # the link's anchor exists
    assert (out / "_static" / ext.CSS_FILE).exists() and ext.CSS_FILE in page
    assert "tex-mml-chtml" in page, "the list shows math: its page must load MathJax"

    # a chapter gains a deviation: an incremental build updates the list page
    (src / "b.md").write_text("# Chapter B\n\n" + GOOD.replace("dev-toy-small", "dev-b-later"))
    _build(src, out)
    page = (out / "list.html").read_text()
    assert 'href="b.html#dev-b-later"' in page and "3 deviations in 2 chapters:" in page


def test_the_book_has_the_deviations_page():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["sphinx"]["local_extensions"].get("deviations") == "book/_ext"
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    results = next(p for p in toc["parts"] if p.get("caption") == "Results")
    assert "book/deviations" in [c["file"] for c in results["chapters"]]
    page = directives((ROOT / "book" / "deviations.md").read_text())
    assert [d["directive"] for d in page].count("deviation-list") == 1
    css = (ext.STATIC / ext.CSS_FILE).read_text()
    assert "div.admonition.deviation" in css and "white-space: normal" in css


# ------------------------------------------------------------------------- the paper's words


def _paper_text() -> str | None:
    for folder in PAPER_DIRS:
        files = sorted(glob.glob(str(folder / "*.txt")))
        if files:
            return "\n".join(Path(f).read_text() for f in files)
    return None


def _letters(text: str) -> str:
    """Letters and digits only, lower case, line-end hyphenation undone: what a quote must keep."""
    return re.sub(r"\W+", "", re.sub(r"-\n", "", text).lower())


def blockquotes(markdown: str) -> list[str]:
    out, cur = [], []
    for line in markdown.splitlines() + [""]:
        m = re.match(r"^\s*>\s?(.*)$", line)
        if m:
            cur.append(m.group(1))
        elif cur:
            out.append(" ".join(cur))
            cur = []
    return out


def misquoted(quote: str, paper_letters: str) -> list[str]:
    """The clauses (of three words or more, outside math and ellipses) of ``quote`` that are not
    in the paper. Clauses, not the whole quote: the extracted text interleaves tables and figure
    captions with sentences."""
    pieces = re.split(r"\$\$.*?\$\$|\$[^$]*\$|\[\.\.\.\]|\.\.\.|…|[.;:,()](?=\s|$)", quote)
    return [p.strip() for p in pieces if len(p.split()) >= 3 and _letters(p) not in paper_letters]


@pytest.fixture(scope="module")
def paper_letters():
    text = _paper_text()
    if text is None:
        pytest.skip(f"the paper's text is not here ({', '.join(map(str, PAPER_DIRS))})")
    return _letters(text)


def test_the_quote_checker_can_fail(paper_letters):
    exact = "As shown in Fig. 1 (log scale), the L2 loss converges to a lower loss than L1"
    assert misquoted(exact, paper_letters) == []
    assert misquoted(exact.replace("converges to", "reaches"), paper_letters) == [
        "the L2 loss reaches a lower loss than L1"
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_quotes_are_the_papers_words(path, paper_letters):
    bad = {q[:80]: m for q in blockquotes(markdown_of(path)) if (m := misquoted(q, paper_letters))}
    assert not bad, (
        f"{path.name}: '>' quotes must be the paper's exact words; not in the paper: {bad}"
    )


# ---------------------------------------------------------------------------- code as code


def _marker_problems(text: str, opts: dict) -> list[str]:
    problems = []
    for key in ("start-after", "start-at"):
        if key in opts and opts[key] not in text:
            problems.append(f":{key}: {opts[key]!r} is not in the file")
    starts = [text.index(opts[k]) for k in ("start-after", "start-at") if opts.get(k, "\0") in text]
    start = starts[0] if starts else 0
    for key in ("end-before", "end-at"):
        if key in opts and opts[key] not in text[start:]:
            problems.append(f":{key}: {opts[key]!r} is not in the file after the start marker")
    return problems


def _has_pyobject(source: str, dotted: str) -> bool:
    body = ast.parse(source).body
    for part in dotted.split("."):
        node = next(
            (
                n
                for n in body
                if getattr(n, "name", None) == part
                and isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            ),
            None,
        )
        if node is None:
            return False
        body = node.body
    return True


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_literalincludes_resolve(path):
    problems = []
    for d in directives(markdown_of(path)):
        if d["directive"] != "literalinclude":
            continue
        target = (path.parent / d["arg"]).resolve()
        at = f"{path.name}, markdown line {d['line']} ({d['arg']})"
        if not target.is_file():
            problems.append(f"{at}: no such file")
            continue
        text = target.read_text()
        problems += [f"{at}: {p}" for p in _marker_problems(text, d["options"])]
        obj = d["options"].get("pyobject")
        if obj and not _has_pyobject(text, obj):
            problems.append(f"{at}: :pyobject: {obj} is not defined in the file")
    assert not problems, "\n".join(problems)


def test_chapter_2_shows_algorithm_1_from_the_module_docstring():
    """The include's markers select exactly the 15 numbered lines of Algorithm 1 (one copy of it,
    in mtadam/mtadam.py), and the chapter does not retype them."""
    path = ROOT / "notebooks" / "02_derivation.ipynb"
    md = markdown_of(path)
    inc = [
        d
        for d in directives(md)
        if d["directive"] == "literalinclude"
        and d["arg"] == "../mtadam/mtadam.py"
        and "start-after" in d["options"]
    ]
    assert len(inc) == 1, "chapter 2 includes Algorithm 1 from the module docstring once"
    text = (ROOT / "mtadam" / "mtadam.py").read_text()
    start = text.index(inc[0]["options"]["start-after"])
    start = text.index("\n", start) + 1
    end = text.index(inc[0]["options"]["end-before"], start)
    block = text[start:end].rsplit("\n", 1)[0]
    numbers = [int(m.group(1)) for m in re.finditer(r"^\s*(\d+)\s", block, re.M)]
    assert numbers == list(range(1, 16)), f"the include selects lines {numbers}"
    assert "theta_t <- theta_{t-1}" not in md, "Algorithm 1 is retyped in chapter 2"


@pytest.mark.parametrize("stem", ["01_polynomial_toy", "02_derivation"])
def test_code_is_shown_as_code_not_printed(stem):
    nb = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "getsource" not in code, (
        f"{stem}: show code with {{literalinclude}}, not inspect.getsource"
    )
    md = markdown_of(ROOT / "notebooks" / f"{stem}.ipynb")
    assert any(d["directive"] == "literalinclude" for d in directives(md))
