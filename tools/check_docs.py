"""Check the built documentation site (_docs/, from tools/make_docs.py) in headless Chromium.

    python tools/check_docs.py                     # check _docs/ from file:// and from a local http.server
    python tools/check_docs.py --check             # first prove the checker catches broken pages, then check _docs/
    python tools/check_docs.py --screenshots /tmp  # also save index.png and prior.png there

Chromium is driven through its DevTools protocol with `websocket-client` (no browser download, no driver binary).
Every page reachable from index.html (and every .html file in the site must be reachable) is loaded, and must show:
no console error, no uncaught exception, no failed or non-local request; every formula of the notebook typeset by
MathJax (as many `mjx-container`s in the page's main part as the notebook has formulas; no TeX error; no raw `$$`,
`\\frac`, ... left in the text); every image with a non-zero natural size; every internal link to an existing file
and anchor; no `#|` directive line and no line of a hidden cell's source.
"""
import sys, os, re, json, time, shutil, signal, tempfile, threading, subprocess, functools, http.server
from pathlib import Path
from urllib.parse import unquote

import websocket

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_docs as md   # only for its notebook list, page names and directive parsing

FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-extensions',
         '--mute-audio', '--hide-scrollbars', '--window-size=1280,900', '--remote-debugging-port=0']

def find_chromium():
    "The browser: $CHROMIUM, else chromium / chromium-browser / google-chrome on the PATH."
    for c in [os.environ.get('CHROMIUM')] + ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']:
        if c and (p := shutil.which(c)): return p
    sys.exit("no Chromium found: `apt-get install chromium` (Debian), or set CHROMIUM=/path/to/chrome")

class Browser:
    "Headless Chromium and one tab, over the DevTools protocol (flattened session on the browser's websocket)."
    def __init__(self, exe=None, timeout=60):
        self.tmp = tempfile.mkdtemp(prefix='check_docs_')
        self.log = open(Path(self.tmp)/'chromium.log', 'w')
        self.proc = subprocess.Popen([exe or find_chromium(), *FLAGS, f'--user-data-dir={self.tmp}/profile', 'about:blank'],
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        port_file, t0 = Path(self.tmp)/'profile'/'DevToolsActivePort', time.time()
        while not (port_file.exists() and len(port_file.read_text().split()) >= 2):
            if self.proc.poll() is not None or time.time() - t0 > timeout:
                self.close(); sys.exit(f"Chromium did not start: see its log:\n{(Path(self.tmp)/'chromium.log').read_text()[-2000:]}")
            time.sleep(0.05)
        port, path = port_file.read_text().split()[:2]
        self.ws = websocket.create_connection(f'ws://127.0.0.1:{port}{path}', timeout=timeout, suppress_origin=True)
        self.timeout, self.n, self.events = timeout, 0, []
        tid = self.send('Target.createTarget', url='about:blank')['targetId']
        self.session = self.send('Target.attachToTarget', targetId=tid, flatten=True)['sessionId']
        for m in ('Page.enable', 'Runtime.enable', 'Log.enable', 'Network.enable'): self.send(m, session=True)
        self.send('Emulation.setDeviceMetricsOverride', session=True, width=1280, height=900, deviceScaleFactor=1, mobile=False)

    def send(self, method, session=False, **params):
        self.n += 1; msg = dict(id=self.n, method=method, params=params)
        if session: msg['sessionId'] = self.session
        self.ws.send(json.dumps(msg))
        while True:
            r = json.loads(self.ws.recv())
            if r.get('id') == self.n:
                if 'error' in r: raise RuntimeError(f"{method}: {r['error']}")
                return r.get('result', {})
            if 'method' in r: self.events.append(r)

    def wait_event(self, name, timeout=None):
        t0 = time.time()
        while True:
            for i, e in enumerate(self.events):
                if e['method'] == name: return self.events.pop(i)
            if time.time() - t0 > (timeout or self.timeout): raise TimeoutError(name)
            r = json.loads(self.ws.recv())
            if 'method' in r: self.events.append(r)

    def load(self, url):
        "Navigate, wait for the load event and for MathJax; return the events (console, requests) the page caused."
        self.events.clear()
        self.send('Page.navigate', session=True, url=url)
        self.wait_event('Page.loadEventFired')
        self.eval('window.MathJax && MathJax.startup && MathJax.startup.promise ? MathJax.startup.promise.then(() => 1) : 0')
        self.eval('Promise.all([...document.images].filter(i => !i.complete).map(i => i.decode().catch(() => 0))).then(() => 1)')
        self.send('Runtime.evaluate', session=True, expression='1')   # drain late events
        evs, self.events = self.events, []
        return evs

    def eval(self, js):
        r = self.send('Runtime.evaluate', session=True, expression=js, awaitPromise=True, returnByValue=True, timeout=self.timeout*1000)
        if 'exceptionDetails' in r: raise RuntimeError(f"page script failed: {r['exceptionDetails'].get('text')} {r['exceptionDetails'].get('exception', {}).get('description', '')}")
        return r['result'].get('value')

    def screenshot(self, path, full=False):
        import base64
        p = dict(format='png')
        if full:
            h = min(self.eval('document.documentElement.scrollHeight'), 6000)
            p.update(captureBeyondViewport=True, clip=dict(x=0, y=0, width=1280, height=h, scale=1))
        Path(path).write_bytes(base64.b64decode(self.send('Page.captureScreenshot', session=True, **p)['data']))

    def close(self):
        try: self.ws.close()
        except Exception: pass
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try: self.proc.wait(10)
            except subprocess.TimeoutExpired: os.killpg(self.proc.pid, signal.SIGKILL); self.proc.wait()
        self.log.close(); shutil.rmtree(self.tmp, ignore_errors=True)

PAGE_JS = r"""(() => {
  const main = document.querySelector('main') || document.body;
  const skip = 'pre, code, mjx-container, script, style, svg, .output.html';   // (a clone would re-request images)
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT), prose = [];
  while (walk.nextNode()) if (!walk.currentNode.parentElement.closest(skip)) prose.push(walk.currentNode.textContent);
  return {
    title: document.title,
    math: main.querySelectorAll('mjx-container').length,
    math_errors: document.querySelectorAll('mjx-container [data-mml-node="merror"], mjx-merror').length,
    prose: prose.join(''),
    text: document.body.innerText,
    pre: [...main.querySelectorAll('pre')].map(e => e.textContent),
    images: [...document.images].map(i => ({src: i.getAttribute('src').slice(0, 80), w: i.naturalWidth, h: i.naturalHeight})),
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
    ids: [...document.querySelectorAll('[id]')].map(e => e.id),
  };
})()"""

SEARCH_TERM = 'prior'
SEARCH_JS = r"""(() => { const box = document.getElementById('search');
  if (!box) return [];
  box.value = %s; box.dispatchEvent(new Event('input'));
  return [...document.querySelectorAll('#search-results a')].map(a => a.href); })()"""

_RAW_TEX = re.compile(r'\$\$|\\(frac|begin|end|mathbb|mathcal|mathrm|sum|prod|log|tag|left|right|sigma|mu|pi|cdot|le|ge)\b|\\\(|\\\[|(?<![\w$])\$[^$\s][^$\n]*\$')
_DIRECTIVE_LINE = re.compile(r'^\s*#\s?\|\s*[\w-]+', re.M)

def expected(nb_path:Path):
    "What the notebook says its page must show: formula count and the hidden cells' distinctive lines."
    nb = json.loads(nb_path.read_text())
    formulas, hidden, shown, prose = 0, set(), set(), []
    docs = md.shown_doc_names(nb)
    for c in nb['cells']:
        src = ''.join(c['source'])
        echo, out = md.cell_view(c)
        if c['cell_type'] == 'markdown':
            formulas += _count_math(src); prose.append(src)
        elif c['cell_type'] == 'code':
            lines = {l.strip() for l in src.splitlines() if not md._DIRECTIVE.match(l)}
            (shown if echo else hidden).update(lines)
            if out:
                for o in c.get('outputs', []):
                    d = o.get('data', {})
                    if 'text/markdown' in d and not any(k.startswith('image/') for k in d):
                        formulas += _count_math(''.join(d['text/markdown']))
            if {'export', 'exports'} & set(md.directives(src)):   # docstrings of the entries (unless show_doc'd)
                formulas += sum(_count_math(e['doc']) for e in md.api_entries(md.strip_directives(src)) if e['name'] not in docs)
    prose = '\n'.join(prose)   # a hidden line that the prose quotes may show
    return formulas, {l for l in hidden - shown if len(l) >= 16 and l not in prose}

def _count_math(s):
    "Formulas in Markdown: `$$..$$`, `\\begin..\\end` and `$..$` outside code (an independent, simpler count)."
    s = re.sub(r'^[ \t]*(```|~~~).*?^[ \t]*\1[ \t]*$', '', s, flags=re.S | re.M)
    s = re.sub(r'(`+).+?\1', '', s, flags=re.S).replace('\\$', '')
    n = len(re.findall(r'\$\$.+?\$\$', s, flags=re.S)); s = re.sub(r'\$\$.+?\$\$', '', s, flags=re.S)
    n += len(re.findall(r'\\begin\{([a-zA-Z*]+)\}.*?\\end\{\1\}', s, flags=re.S))
    s = re.sub(r'\\begin\{([a-zA-Z*]+)\}.*?\\end\{\1\}', '', s, flags=re.S)
    return n + len(re.findall(r'(?<!\$)\$(?=[^\s$])[^$]+?(?<=\S)\$(?![\d$])', s))   # Pandoc's rule for $..$

class Server:
    "python -m http.server for the site, on a free loopback port, in a thread."
    def __init__(self, site):
        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *a): pass
        h = functools.partial(Quiet, directory=str(site))
        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), h)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.base = f'http://127.0.0.1:{self.httpd.server_address[1]}/'
    def close(self): self.httpd.shutdown(); self.httpd.server_close()

def check_site(br, site:Path, base:str, expect:dict, shots=None):
    "Crawl the site from base + index.html; return ({page: [problems]}, number of pages)."
    site = site.resolve()
    todo, seen, info, problems = ['index.html'], set(), {}, {}
    while todo:
        rel = todo.pop(0)
        if rel in seen: continue
        seen.add(rel); url = base + rel; bad = problems.setdefault(rel, [])
        t0 = time.time()
        try: evs = br.load(url)
        except TimeoutError as e: bad.append(f"page did not finish loading in {br.timeout} s (waiting for {e})"); continue
        for e in evs:
            m, p = e['method'], e['params']
            if m == 'Runtime.exceptionThrown': bad.append(f"uncaught exception: {p['exceptionDetails'].get('exception', {}).get('description') or p['exceptionDetails'].get('text')}")
            elif m == 'Runtime.consoleAPICalled' and p['type'] in ('error', 'assert'):
                bad.append('console error: ' + ' '.join(str(a.get('value', a.get('description', ''))) for a in p['args'])[:300])
            elif m == 'Log.entryAdded' and p['entry']['level'] == 'error':
                bad.append(f"console error: {p['entry']['text'][:200]} {p['entry'].get('url', '')}")
            elif m == 'Network.loadingFailed' and not p.get('canceled'):
                bad.append(f"failed request: {p.get('errorText')} (request {p['requestId']})")
            elif m == 'Network.responseReceived' and p['response']['status'] >= 400:
                bad.append(f"failed request: HTTP {p['response']['status']} {p['response']['url']}")
            elif m == 'Network.requestWillBeSent':
                u = p['request']['url']
                if not (u.startswith(base) or u.startswith(('data:', 'blob:', 'about:'))): bad.append(f"request outside the site: {u[:120]}")
        r = br.eval(PAGE_JS)
        r['seconds'] = time.time() - t0
        info[rel] = r
        if shots and rel in ('index.html', 'prior.html'):
            br.screenshot(Path(shots)/rel.replace('.html', '.png'))
            if rel == 'prior.html': br.screenshot(Path(shots)/'prior-full.png', full=True)
        if rel == 'index.html' and expect:   # the search box finds a page, a section and an API name
            r['links'] += (hits := br.eval(SEARCH_JS % json.dumps(SEARCH_TERM)))
            if not hits: bad.append(f"search box: nothing found for {SEARCH_TERM!r}")
        if r['math_errors']: bad.append(f"{r['math_errors']} TeX errors (MathJax merror)")
        if (m := _RAW_TEX.search(r['prose'])): bad.append(f"raw TeX in the text: ...{r['prose'][max(0, m.start()-40):m.end()+40]!r}...")
        if rel in expect:
            n, hidden = expect[rel]
            if r['math'] != n: bad.append(f"{r['math']} typeset formulas, the notebook has {n}")
            for l in hidden:
                if l in r['text']: bad.append(f"hidden cell's source shown: {l!r}")
        if (m := _DIRECTIVE_LINE.search('\n'.join(r['pre']))): bad.append(f"directive shown: {m.group(0)!r}")
        for i in r['images']:
            if not (i['w'] and i['h']): bad.append(f"image with no size (not loaded?): {i['src']}")
        for href in r['links']:
            if not href.startswith(base): continue
            path, _, frag = href[len(base):].partition('#')
            path = unquote(path.split('?')[0]) or 'index.html'
            if not (site/path).is_file(): bad.append(f"broken link: {href[len(base):]}"); continue
            if path.endswith('.html'):
                todo.append(path)
                if frag: info.setdefault('_anchors', []).append((rel, path, unquote(frag)))
    for rel, path, frag in info.pop('_anchors', []):
        if path in info and frag not in info[path]['ids']: problems[rel].append(f"broken anchor: {path}#{frag}")
    for rel in problems: problems[rel] = list(dict.fromkeys(problems[rel]))
    for f in site.rglob('*.html'):
        rel = f.relative_to(site).as_posix()
        if rel not in seen: problems.setdefault(rel, []).append("page not reachable from index.html")
    return problems, info

def check(site:Path, shots=None, quiet=False):
    "Check the site from file:// and over http; return the number of problems."
    site = site.resolve()
    expect = {}
    nbs = ROOT/md.settings(ROOT).get('nbs_path', 'nbs')
    for nb in md.notebooks(nbs.resolve(), ROOT):
        expect[md.page_name(nb, nbs.resolve())] = expected(nb)
    br, srv, total, n_checks = Browser(), Server(site), 0, 0
    try:
        for mode, base in (('file', site.as_uri() + '/'), ('http', srv.base)):
            t0 = time.time()
            problems, info = check_site(br, site, base, expect, shots if mode == 'http' else None)
            for rel in sorted(problems):
                n_checks += 1
                for p in problems[rel]: print(f"FAIL [{mode}] {rel}: {p}")
                total += bool(problems[rel])
            if not quiet:
                maths = sum(v['math'] for v in info.values()); imgs = sum(len(v['images']) for v in info.values())
                links = sum(len(v['links']) for v in info.values())
                slow = max(info.items(), key=lambda kv: kv[1]['seconds'])
                print(f"[{mode}] {len(info)} pages, {maths} formulas typeset, {imgs} images, {links} links checked "
                      f"in {time.time()-t0:.1f} s (slowest {slow[0]} {slow[1]['seconds']:.1f} s)")
    finally:
        br.close(); srv.close()
    return total, n_checks

def _selftest():
    "Build a small broken site and check that each planted fault is reported."
    with tempfile.TemporaryDirectory() as d:
        d = Path(d); (d/'assets'/'mathjax').mkdir(parents=True)
        shutil.copyfile(md.mathjax_file(), d/'assets'/'mathjax'/'tex-svg-full.js')
        head = f'<link rel="icon" href="data:,"><script>{md.MATHJAX_CONFIG}</script><script src="assets/mathjax/tex-svg-full.js"></script>'
        (d/'index.html').write_text(f'<html><head>{head}</head><body class="tex2jax_ignore"><main>'
            '<span class="math inline">\\(\\frac{a}{b}\\)</span> <span class="math inline">\\(\\badmacro\\)</span> raw $$x$$'
            '<pre>#| hide\nx</pre><img src="missing.png"><a href="nope.html">x</a><a href="ok.html#nosuch">y</a>'
            '<script>console.error("boom")</script></main></body></html>')
        (d/'ok.html').write_text('<html><head><link rel="icon" href="data:,"></head><body><main><p id="here">ok</p><a href="index.html">back</a></main></body></html>')
        (d/'orphan.html').write_text('<html><head><link rel="icon" href="data:,"></head><body>unlinked</body></html>')
        br, srv = Browser(), Server(d)
        try:
            for base in (d.resolve().as_uri() + '/', srv.base):
                problems, info = check_site(br, d, base, {})
                got = '\n'.join(p for ps in problems.values() for p in ps)
                for want in ('TeX errors', 'raw TeX', 'directive shown', 'image with no size', 'broken link: nope.html',
                             'broken anchor: ok.html#nosuch', 'console error: boom', 'not reachable', 'failed request'):
                    assert want in got, (base, want, got)
                assert info['index.html']['math'] == 2 and not problems['ok.html'], (info['index.html']['math'], problems)
        finally:
            br.close(); srv.close()
    assert _count_math('a $x$ and $$y$$ `$no$` \\$5 \\begin{align}z\\end{align}\n```\n$q$\n```') == 3
    print("check_docs self-test passed: every planted fault was reported")

if __name__ == '__main__':
    args = sys.argv[1:]
    shots = args[args.index('--screenshots') + 1] if '--screenshots' in args else None
    t0, load0 = time.time(), os.getloadavg()
    if '--check' in args: _selftest()
    site = ROOT/md.settings(ROOT).get('doc_path', '_docs')
    if not (site/'index.html').exists(): sys.exit(f"{site}/index.html missing: run `python tools/make_docs.py` first")
    failed, n = check(site, shots)
    print(f"browser check: {time.time()-t0:.1f} s, load average {' '.join(f'{x:.2f}' for x in load0)} -> "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"docs: {n - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
