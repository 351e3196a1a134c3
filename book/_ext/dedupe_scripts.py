"""Sphinx extension: drop repeated <script> entries from every HTML page.

With jupyter-book 1.0.4, Sphinx 7.4 registers the inline scripts of sphinx-thebe and
sphinx-togglebutton twice, so each page declares ``const THEBE_JS_URL`` twice and the browser
throws "Identifier 'THEBE_JS_URL' has already been declared" (found by scripts/check_site.py).
Keeping the first of identical entries fixes it without changing anything else.
"""


def _key(script):
    # the same inline script is registered once with filename None and once with '' (its body
    # is in the attributes), so compare filename-or-empty plus attributes
    attrs = getattr(script, "attributes", {}) or {}
    name = getattr(script, "filename", script) or ""
    return (str(name), tuple(sorted((k, str(v)) for k, v in attrs.items())))


def _dedupe(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for s in scripts:
        k = _key(s)
        if k not in seen:
            seen.add(k)
            kept.append(s)
    context["script_files"] = kept


def setup(app):
    app.connect("html-page-context", _dedupe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
