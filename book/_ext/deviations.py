"""Sphinx extension: the book's "Deviations from the paper" page, collected from the chapters.

The house convention (every departure from the paper is one admonition of one class)::

    ```{admonition} Deviation: <short title>
    :class: deviation
    :name: dev-<chapter-slug>-<short-slug>

    <what we do differently from the paper, and why>
    ```

While Sphinx reads each page, :func:`collect` takes every admonition whose classes include
``deviation`` from the page's doctree (so it sees exactly what the page renders, whatever fence
or directive spelling the source used): its anchor (the ``:name:``), its title and its first
sentence. The directive ``{deviation-list}`` (used by book/deviations.md) is replaced, once every
page has been read, by those entries grouped by chapter in table-of-contents order, each a link to
its admonition. A page that holds the directive is re-read whenever any page changes, so an
incremental build never shows a stale list. Admonitions that break the convention (no ``:name:``,
a title without "Deviation:") are reported as build warnings at their source line.

The extension also adds ``static/mtbook.css`` (the colour of deviation admonitions; tables that
wrap their cells instead of scrolling sideways) to every HTML page.

:func:`deviations_in_markdown` runs :func:`collect` on MyST text with docutils alone (no Sphinx),
which is how tests/test_frame_voice.py checks that the list holds exactly the chapters' deviations.

A box that only shows what a deviation looks like (on the list page, in the reading guide) adds
the class ``deviation-example``: it is styled like a deviation but not listed.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from docutils import nodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import make_refnode

CLASS = "deviation"
EXAMPLE_CLASS = "deviation-example"  # a box that shows what a deviation looks like: not listed
TITLE_PREFIX = "Deviation:"
NAME_PREFIX = "dev-"
STATIC = Path(__file__).resolve().parent / "static"
CSS_FILE = "mtbook.css"

logger = logging.getLogger(__name__)

# words after which a period does not end a sentence ("Sec. 3", "e.g. the", "Fig. 1")
_ABBREVIATIONS = {
    "e.g",
    "i.e",
    "cf",
    "vs",
    "sec",
    "secs",
    "fig",
    "figs",
    "eq",
    "eqs",
    "alg",
    "tab",
    "al",
    "approx",
    "resp",
    "ch",
    "no",
    "ref",
    "ca",
    "etc",
}
_END = re.compile(r"""[.!?]['")\]]*(\s+|$)""")


class deviation_list(nodes.General, nodes.Element):
    """Placeholder for the list; replaced in ``doctree-resolved``."""


# ----------------------------------------------------------------------- collecting (docutils only)


def _inline_copy(node: nodes.Node) -> list[nodes.Node]:
    """A copy of an inline node that is safe to show on another page.

    Links are replaced by their text (their targets are relative to the page they came from),
    diagnostics are dropped; text, math, code and emphasis are kept.
    """
    if isinstance(node, nodes.system_message):
        return []
    if isinstance(node, nodes.Text):
        return [nodes.Text(str(node))]
    if isinstance(node, (nodes.math, nodes.literal)):
        return [node.deepcopy()]
    children = [c for child in node.children for c in _inline_copy(child)]
    if isinstance(node, (nodes.emphasis, nodes.strong)):
        return [type(node)("", "", *children)]
    return [nodes.inline("", "", *children)] if children else []


def _sentence_end(text: str, last: bool) -> int | None:
    """Index just after the first sentence end in ``text`` (None when it has none).

    ``last``: ``text`` is the paragraph's last piece, so a period at its very end ends the
    sentence; elsewhere a period followed by whitespace ends it only before a capital letter, an
    opening bracket or quote, or at the end of ``text`` (the next node, e.g. math, starts the next
    sentence).
    """
    for m in _END.finditer(text):
        before = re.search(r"([\w.]+)$", text[: m.start()])
        if before and before.group(1).lower() in _ABBREVIATIONS:
            continue
        if (
            before
            and re.fullmatch(r"\d+", before.group(1))
            and m.end() < len(text)
            and text[m.end()].isdigit()
        ):
            continue  # "1. 2" in a list of numbers
        rest = text[m.end() :]
        if rest:
            if rest[0].isupper() or rest[0] in "(\"'“‘[":
                return m.start() + len(m.group(0).rstrip())
            continue
        if last or m.group(1):
            return m.start() + len(m.group(0).rstrip())
    return None


def first_sentence(admonition: nodes.Element) -> list[nodes.Node]:
    """The first sentence of the admonition's first paragraph, as inline nodes."""
    para = next((c for c in admonition.children if isinstance(c, nodes.paragraph)), None)
    if para is None:
        return []
    pieces = [c for child in para.children for c in _inline_copy(child)]
    out: list[nodes.Node] = []
    for k, piece in enumerate(pieces):
        if isinstance(piece, nodes.Text):
            cut = _sentence_end(str(piece), last=k == len(pieces) - 1)
            if cut is not None:
                out.append(nodes.Text(str(piece)[:cut]))
                return out
        out.append(piece)
    return out


def _strip_prefix(title_nodes: list[nodes.Node]) -> list[nodes.Node]:
    if title_nodes and isinstance(title_nodes[0], nodes.Text):
        text = str(title_nodes[0])
        if text.startswith(TITLE_PREFIX):
            rest = text[len(TITLE_PREFIX) :].lstrip()
            return ([nodes.Text(rest)] if rest else []) + title_nodes[1:]
    return title_nodes


def collect(doctree: nodes.Node) -> list[dict]:
    """Every deviation admonition in ``doctree``, in document order.

    Each entry: ``name`` (the ``:name:``, or None), ``anchor`` (the HTML id the name became, or
    None), ``title`` (plain text, with the "Deviation:" prefix), ``line``, ``short`` (title nodes
    without the prefix) and ``sentence`` (inline nodes of the first sentence).
    """
    found = []
    for node in doctree.findall(nodes.Admonition):
        classes = node.get("classes", [])
        if CLASS not in classes or EXAMPLE_CLASS in classes:
            continue
        title = next((c for c in node.children if isinstance(c, nodes.title)), None)
        title_nodes = [
            c
            for child in (title.children if title is not None else [])
            for c in _inline_copy(child)
        ]
        found.append(
            dict(
                name=node["names"][0] if node.get("names") else None,
                anchor=node["ids"][0] if node.get("ids") else None,
                title=title.astext() if title is not None else "",
                line=node.line,
                short=_strip_prefix(title_nodes),
                sentence=first_sentence(node),
            )
        )
    return found


def deviations_in_markdown(text: str) -> list[dict]:
    """:func:`collect` on MyST markdown parsed by docutils alone (roles it does not know are
    dropped); for tests and scripts."""
    from docutils.core import publish_doctree
    from myst_parser.parsers.docutils_ import Parser

    settings = {
        "myst_enable_extensions": ["dollarmath", "amsmath", "colon_fence"],
        "report_level": 5,
        "halt_level": 5,
        "warning_stream": False,
    }
    return collect(publish_doctree(text, parser=Parser(), settings_overrides=settings))


def deviations_in_notebook(path: str | Path) -> list[dict]:
    """:func:`deviations_in_markdown` on the markdown cells of a notebook (.ipynb)."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "markdown"]
    return deviations_in_markdown("\n\n".join(cells))


# ----------------------------------------------------------------------------- Sphinx side


class DeviationListDirective(SphinxDirective):
    """``{deviation-list}``: the list of every deviation admonition of the book."""

    has_content = False

    def run(self):
        pages = self.env.__dict__.setdefault("mtbook_deviation_pages", set())
        pages.add(self.env.docname)
        return [deviation_list("")]


def _store(env) -> dict:
    return env.__dict__.setdefault("mtbook_deviations", {})


def _on_doctree_read(app, doctree):
    env = app.env
    has_list = any(doctree.findall(deviation_list))
    if has_list:
        # the list's math arrives after reading, when Sphinx has already decided which pages
        # load MathJax: ask for it here
        env.get_domain("math").data["has_equations"][env.docname] = True
    entries = collect(doctree)
    store = _store(env)
    store.pop(env.docname, None)
    if entries:
        store[env.docname] = entries
    for e in entries:
        loc = (env.docname, e["line"])
        if not e["name"]:
            logger.warning(
                f"deviation admonition {e['title']!r} has no :name: "
                "(dev-<chapter>-<slug>); the deviations page cannot link to it",
                location=loc,
            )
        elif not e["name"].startswith(NAME_PREFIX):
            logger.warning(
                f"deviation admonition name {e['name']!r} does not start with {NAME_PREFIX!r}",
                location=loc,
            )
        if not e["title"].startswith(TITLE_PREFIX):
            logger.warning(
                f"deviation admonition title {e['title']!r} does not start with {TITLE_PREFIX!r}",
                location=loc,
            )


def _on_purge(app, env, docname):
    _store(env).pop(docname, None)
    env.__dict__.setdefault("mtbook_deviation_pages", set()).discard(docname)


def _on_merge(app, env, docnames, other):
    _store(env).update({d: e for d, e in _store(other).items() if d in docnames})
    mine = env.__dict__.setdefault("mtbook_deviation_pages", set())
    mine |= {d for d in other.__dict__.get("mtbook_deviation_pages", set()) if d in docnames}


def _on_outdated(app, env, added, changed, removed):
    """Re-read the list page(s) whenever any page changes, or the CSS does (Sphinx copies static
    files only in a build that writes at least one page)."""
    css = hashlib.sha256((STATIC / CSS_FILE).read_bytes()).hexdigest()
    css_changed = env.__dict__.get("mtbook_css_sha256") != css
    env.__dict__["mtbook_css_sha256"] = css
    if not (added or changed or removed or css_changed):
        return []
    return sorted(env.__dict__.get("mtbook_deviation_pages", set()) - set(removed))


def toc_order(env, root: str) -> list[str]:
    """Docnames in table-of-contents order (depth first from ``root``)."""
    order, seen = [], set()

    def visit(doc):
        if doc in seen:
            return
        seen.add(doc)
        order.append(doc)
        for child in env.toctree_includes.get(doc, []):
            visit(child)

    visit(root)
    return order


def _chapter_label(env, docname: str) -> list[nodes.Node]:
    title = env.titles.get(docname)
    text = title.astext() if title is not None else docname
    number = env.toc_secnumbers.get(docname, {}).get("")
    prefix = ".".join(map(str, number)) + ". " if number else ""
    return [nodes.Text(prefix + text)]


def build_list(store: dict, order: list[str], link, label) -> list[nodes.Node]:
    """The list's nodes: per page (in ``order``, then the rest by name) a heading linking to the
    page and one item per deviation. ``link(docname, anchor, child_node)`` makes each link,
    ``label(docname)`` the page's heading (inline nodes)."""
    pages = [d for d in order if store.get(d)]
    pages += sorted(d for d in store if store[d] and d not in order)
    total = sum(len(store[d]) for d in pages)
    if not total:
        return [nodes.paragraph("", "No chapter documents a deviation from the paper yet.")]
    out: list[nodes.Node] = [
        nodes.paragraph(
            "",
            f"{total} deviation{'s' if total != 1 else ''} in {len(pages)} "
            f"chapter{'s' if len(pages) != 1 else ''}:",
        )
    ]
    for doc in pages:
        heading = nodes.rubric("", "", classes=["deviation-chapter"])
        heading += link(doc, "", nodes.inline("", "", *label(doc)))
        items = nodes.bullet_list(classes=["deviation-list"])
        for e in store[doc]:
            para = nodes.paragraph()
            strong = nodes.strong("", "", *[n.deepcopy() for n in e["short"]])
            para += link(doc, e["anchor"] or "", strong)
            if e["sentence"]:
                para += nodes.Text(": ")
                para += [n.deepcopy() for n in e["sentence"]]
            items += nodes.list_item("", para)
        out += [heading, items]
    return out


def _on_doctree_resolved(app, doctree, fromdocname):
    placeholders = list(doctree.findall(deviation_list))
    if not placeholders:
        return
    env = app.env

    def link(doc, anchor, child):
        return make_refnode(app.builder, fromdocname, doc, anchor, child)

    store = _store(env)
    order = toc_order(env, app.config.root_doc)
    for ph in placeholders:
        ph.replace_self(build_list(store, order, link, lambda doc: _chapter_label(env, doc)))


def _add_static(app, config):
    config.html_static_path = [*config.html_static_path, str(STATIC)]


def setup(app):
    app.add_node(deviation_list)
    app.add_directive("deviation-list", DeviationListDirective)
    app.connect("config-inited", _add_static)
    app.connect("doctree-read", _on_doctree_read)
    app.connect("env-purge-doc", _on_purge)
    app.connect("env-merge-info", _on_merge)
    app.connect("env-get-outdated", _on_outdated)
    app.connect("doctree-resolved", _on_doctree_resolved)
    app.add_css_file(CSS_FILE)
    return {
        "version": "1",
        "env_version": 1,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
