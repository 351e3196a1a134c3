#!/usr/bin/env python3
"""Check the built book in a real headless browser (Debian's chromium, driven by Playwright).

For every page in _toc.yml (plus the landing page and search):
  * it loads: HTTP 200 and no uncaught JavaScript errors or console errors;
  * math is typeset: every Sphinx math element (.math) holds a MathJax 3 <mjx-container> and
    there are no MathJax errors (<mjx-merror>);
  * figures show: every <img> finished loading with naturalWidth > 0;
  * notebook pages have an "Open in Colab" launch link, every page the repository button;
  * no markdown table is left unrendered (raw "| --- |" text in the page);
and, by crawling every internal href of those pages: no broken internal links or #anchors.
Screenshots of the landing page and one chapter go to _build/site-check/ (build artefacts), with
report.json listing every check.

Offline MathJax: the site loads MathJax 3 from the jsDelivr CDN (Sphinx's default). This machine
has no internet besides package registries, so the check serves MathJax from the npm package
`mathjax@3` installed locally (`make check-site` runs `npm install mathjax@3` into
.cache/site-check/) by intercepting requests to cdn.jsdelivr.net/npm/mathjax@3/. Every other
external request is blocked and listed in the report (a page must not need it to render).

Chromium is started with --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
--disable-background-networking --disable-component-update --disable-sync and a fresh
--user-data-dir; Playwright never downloads a browser of its own (`playwright install` is never
run).

    python scripts/check_site.py [--html _build/html] [--out _build/site-check]
Exit status 0 when every check passes, 1 with a list of failures otherwise.
"""

from __future__ import annotations

import argparse
import functools
import json
import mimetypes
import shutil
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlparse

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/"


def toc_pages(root: Path = ROOT) -> list[str]:
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part.get("chapters", [])]
    files += [c["file"] for c in toc.get("chapters", [])]
    return [f + ".html" for f in files]


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # the browser closing a connection early (aborted/prefetched requests) is not a failure
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def serve(folder: Path):
    handler = functools.partial(_Quiet, directory=str(folder))
    httpd = _Server(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/"


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("id", "name") and v:
                self.ids.add(v)


class LinkChecker:
    """Fetch internal targets over HTTP (cached) and look up #anchors in them."""

    def __init__(self, base: str):
        self.base = base
        self.cache: dict[str, tuple[int, set[str]]] = {}

    def target(self, url: str) -> tuple[int, set[str]]:
        if url not in self.cache:
            try:
                with urllib.request.urlopen(url, timeout=30) as r:
                    body = r.read()
                    status = r.status
                    ctype = r.headers.get("Content-Type", "")
            except urllib.error.HTTPError as e:
                self.cache[url] = (e.code, set())
                return self.cache[url]
            ids: set[str] = set()
            if "html" in ctype:
                p = _Ids()
                p.feed(body.decode("utf-8", "replace"))
                ids = p.ids
            self.cache[url] = (status, ids)
        return self.cache[url]

    def check(self, page_url: str, href: str) -> str | None:
        absolute = urljoin(page_url, href)
        if not absolute.startswith(self.base):
            return None
        url, frag = urldefrag(absolute)
        status, ids = self.target(url)
        if status != 200:
            return f"broken link {href!r} -> {url} (HTTP {status})"
        if frag and unquote(frag) not in ids:
            return f"broken anchor {href!r}: no id={unquote(frag)!r} in {url[len(self.base) :]}"
        return None


PAGE_JS = """
async () => {
  const imgs = Array.from(document.images);
  for (const img of imgs) { img.loading = 'eager'; }
  await Promise.all(imgs.map(img => img.complete ? null :
      new Promise(r => { img.addEventListener('load', r); img.addEventListener('error', r);
                         setTimeout(r, 10000); })));
  const maths = Array.from(document.querySelectorAll('.math'));
  return {
    title: document.title,
    images: imgs.map(i => ({src: i.getAttribute('src'), w: i.naturalWidth})),
    math: maths.length,
    math_untypeset: maths.filter(m => !m.querySelector('mjx-container'))
        .map(m => m.textContent.slice(0, 60)),
    mjx: document.querySelectorAll('mjx-container').length,
    mjx_errors: Array.from(document.querySelectorAll('mjx-merror'))
        .map(e => e.getAttribute('data-mjx-error') || e.textContent),
    hrefs: Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href')),
    colab: Array.from(document.querySelectorAll('a[href*="colab.research.google.com"]'))
        .map(a => a.href),
    repo: Array.from(document.querySelectorAll('a[href^="https://github.com/"]')).length,
    // a markdown table left as text: "| --- |" (Sphinx smartquotes may turn --- into a dash)
    raw_tables: Array.from(document.querySelectorAll('article p'))
        .filter(e => /\\|\\s*(-{3,}|\u2014|\u2013)\\s*\\|/.test(e.textContent))
        .map(e => e.textContent.slice(0, 80)),
  };
}
"""


def run(html: Path, out: Path, mathjax_dir: Path, chromium: str) -> int:
    from playwright.sync_api import sync_playwright

    failures: list[str] = []
    notes: list[str] = []
    report: dict = {"pages": {}, "blocked_external": []}
    if not (html / "index.html").exists():
        print(
            f"check-site: {html}/index.html not found; build the book first (make book)",
            file=sys.stderr,
        )
        return 1
    if not (mathjax_dir / "es5" / "tex-mml-chtml.js").exists():
        print(
            f"check-site: MathJax 3 not found in {mathjax_dir} "
            f"(npm install --prefix .cache/site-check "
            f"mathjax@3, or `make check-site`)",
            file=sys.stderr,
        )
        return 1
    if not Path(chromium).exists():
        print(f"check-site: {chromium} not found (apt-get install chromium)", file=sys.stderr)
        return 1
    pages = toc_pages()
    out.mkdir(parents=True, exist_ok=True)
    httpd, base = serve(html)
    links = LinkChecker(base)
    blocked: set[str] = set()
    mathjax_served = [0]

    def route(r):
        url = r.request.url
        if url.startswith(base):
            return r.continue_()
        if url.startswith(MATHJAX_CDN):
            rel = urlparse(url).path.split("/mathjax@3/", 1)[1]
            path = (mathjax_dir / rel).resolve()
            if path.is_file() and mathjax_dir.resolve() in path.parents:
                mathjax_served[0] += 1
                ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return r.fulfill(status=200, body=path.read_bytes(), content_type=ctype)
            failures.append(f"MathJax file requested but not in the local package: {url}")
            return r.abort()
        blocked.add(url)
        return r.abort()

    profile = tempfile.mkdtemp(prefix="site-check-profile-")
    try:
        with sync_playwright() as p:
            ctx = p.chromium.launch_persistent_context(
                profile,
                executable_path=chromium,
                headless=True,
                args=CHROMIUM_ARGS,
                viewport={"width": 1280, "height": 900},
            )
            ctx.route("**/*", route)
            page = ctx.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(f"uncaught JS error: {e}"))
            page.on(
                "console",
                lambda m: (
                    errors.append(f"console error: {m.text}")
                    if m.type == "error" and "net::ERR_FAILED" not in m.text
                    else None
                ),
            )

            # the landing page: index.html must lead to the book's root page
            resp = page.goto(base + "index.html", wait_until="load", timeout=60000)
            try:
                page.wait_for_url(base + pages[0], timeout=15000)
                report["pages"]["index.html"] = {
                    "status": resp.status if resp else None,
                    "redirects_to": pages[0],
                }
            except Exception:
                failures.append(
                    f"index.html does not lead to the root page {pages[0]} (at {page.url})"
                )
            shots = {"landing": pages[0], "chapter": None}
            for rel in [*pages, "search.html"]:
                url = base + rel
                errors.clear()
                t0 = time.time()
                resp = page.goto(url, wait_until="load", timeout=60000)
                status = resp.status if resp else None
                entry: dict = {"status": status}
                report["pages"][rel] = entry
                if status != 200:
                    failures.append(f"{rel}: HTTP {status}")
                    continue
                if rel == "search.html":
                    page.goto(url + "?q=MTAdam", wait_until="load")
                    try:
                        page.wait_for_selector("#search-results li, ul.search li", timeout=20000)
                        entry["search_hits"] = page.locator("ul.search li").count()
                    except Exception:
                        failures.append("search.html?q=MTAdam: the search returned no results")
                    continue
                has_math = page.locator(".math").count() > 0
                if has_math:
                    try:
                        page.wait_for_function(
                            "() => window.MathJax && MathJax.startup && MathJax.startup.promise"
                            " && document.querySelectorAll('mjx-container').length > 0",
                            timeout=30000,
                        )
                        page.evaluate("() => MathJax.startup.promise")
                    except Exception:
                        pass
                info = page.evaluate(PAGE_JS)
                entry.update({k: info[k] for k in ("title", "math", "mjx", "mjx_errors")})
                entry["images"] = len(info["images"])
                entry["seconds"] = round(time.time() - t0, 2)
                for e in errors:
                    failures.append(f"{rel}: {e}")
                if info["math_untypeset"]:
                    failures.append(
                        f"{rel}: {len(info['math_untypeset'])} of {info['math']} math elements "
                        f"not typeset by MathJax (first: {info['math_untypeset'][0]!r})"
                    )
                if info["mjx_errors"]:
                    failures.append(f"{rel}: MathJax errors: {info['mjx_errors'][:3]}")
                for img in info["images"]:
                    if not img["w"]:
                        failures.append(f"{rel}: image {img['src']} did not load (naturalWidth 0)")
                for t in info["raw_tables"]:
                    failures.append(f"{rel}: a markdown table was not rendered (raw text {t!r})")
                if rel.startswith("notebooks/") and not info["colab"]:
                    failures.append(f"{rel}: no 'Open in Colab' launch link")
                if not info["repo"]:
                    failures.append(f"{rel}: no repository button/link")
                bad = {links.check(url, h) for h in info["hrefs"]} - {None}
                for b in sorted(bad):
                    failures.append(f"{rel}: {b}")
                entry["links_checked"] = len(info["hrefs"])
                # screenshot the chapter with the most figures (the first one on a tie)
                if rel.startswith("notebooks/") and (
                    shots["chapter"] is None
                    or entry["images"] > report["pages"][shots["chapter"]]["images"]
                ):
                    shots["chapter"] = rel
            for name, rel in shots.items():
                if rel:
                    page.goto(base + rel, wait_until="load")
                    if page.locator(".math").count():
                        try:
                            page.wait_for_function(
                                "() => window.MathJax && MathJax.startup", timeout=20000
                            )
                            page.evaluate("() => MathJax.startup.promise")
                        except Exception:
                            pass
                    shot = out / f"{name}.png"
                    page.screenshot(path=str(shot), full_page=True)
                    notes.append(f"screenshot {shot} ({rel})")
            ctx.close()
    finally:
        httpd.shutdown()
        shutil.rmtree(profile, ignore_errors=True)

    report["blocked_external"] = sorted(blocked)
    report["mathjax_files_served_locally"] = mathjax_served[0]
    report["failures"] = failures
    (out / "report.json").write_text(json.dumps(report, indent=1))
    n = len(report["pages"])
    print(
        f"check-site: {n} pages in chromium, {len(links.cache)} internal link targets crawled, "
        f"{mathjax_served[0]} MathJax files served locally, "
        f"{len(blocked)} external requests blocked"
    )
    for note in notes:
        print("check-site:", note)
    if failures:
        print(f"check-site: FAILED ({len(failures)} problems):", file=sys.stderr)
        for f in failures:
            print("  -", f, file=sys.stderr)
        return 1
    print("check-site: OK")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Check the built book in headless chromium.")
    ap.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    ap.add_argument("--out", type=Path, default=ROOT / "_build" / "site-check")
    ap.add_argument(
        "--mathjax", type=Path, default=ROOT / ".cache" / "site-check" / "node_modules" / "mathjax"
    )
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args(argv)
    return run(args.html, args.out, args.mathjax, args.chromium)


if __name__ == "__main__":
    sys.exit(main())
