"""Build the documentation website from the committed notebooks, without Quarto (nbdev_docs needs it).

    python tools/make_docs.py            # write _docs/: open _docs/index.html, or `python -m http.server -d _docs`
    python tools/make_docs.py --check    # self-test on a made-up notebook, then build and check the build's own index

The notebooks are read as committed, with their saved outputs; nothing is executed. One page per notebook (`nbs/`
in order, then sub-folders such as `nbs/tutorials/`), `index.ipynb` as the home page, nbdev's page names
(`01_prior.ipynb` -> `prior.html`) and anchors (`prior.html#gmmprior.sample`, as in `_modidx.py`). nbdev's
directives are honoured: `#| hide` / `#| include: false` / `#| default_exp` cells are left out, `#| echo: false`
shows only the output, `#| output: false` only the code, `#| export` cells are shown as code followed by an API entry
(signature with docments, docstring, source link) for each public function/class they define, and directive lines
never appear. Math (`$...$`, `$$...$$`, `\\begin{..}`) is protected from the Markdown parser and typeset in the
browser by MathJax 3 (SVG output, so no web fonts) from the copy the `django-static-mathjax` package ships: no CDN.
Output images are embedded as data URIs, images linked from Markdown are copied, so the site works from `file://`.
"""
import sys, re, json, ast, html, shutil, tempfile, configparser, subprocess
from pathlib import Path

import mistune
from pygments import highlight
from pygments.lexers import get_lexer_by_name
from pygments.formatters import HtmlFormatter
from pygments.util import ClassNotFound

ROOT = Path(__file__).resolve().parent.parent
_DIRECTIVE = re.compile(r'^\s*#\s*\|\s*([\w-]+)\s*:?\s*(.*?)\s*$')
_ANSI = re.compile(r'\x1b\[[0-9;?]*[A-Za-z]')
_NAMES_PAGE = 'names.html'

# ---------------------------------------------------------------- settings and pages
def settings(root=ROOT):
    "settings.ini's [DEFAULT] section, interpolated."
    cp = configparser.ConfigParser(); cp.read(root/'settings.ini')
    return dict(cp['DEFAULT'])

def page_name(nb:Path, nbs:Path) -> str:
    "nbdev's page name: `nbs/01_prior.ipynb` -> `prior.html`, `nbs/tutorials/02_x.ipynb` -> `tutorials/x.html`."
    rel = nb.relative_to(nbs)   # as nbdev.doclinks._nbpath2html, so that _modidx.py's links land here
    return (rel.parent/re.sub(r'^\d+[a-zA-Z0-9]*_', '', rel.name.lower())).with_suffix('.html').as_posix()

def _ignored(paths, root):
    "The paths git ignores (none when git is unavailable)."
    try:
        r = subprocess.run(['git', 'check-ignore', '--stdin'], cwd=root, input='\n'.join(map(str, paths)),
                           capture_output=True, text=True)
        return {Path(l).resolve() for l in r.stdout.splitlines()}
    except OSError: return set()

def notebooks(nbs:Path, root=ROOT):
    "index.ipynb, the top-level notebooks in name order, then each sub-folder's (tutorials/...) in name order."
    nbs_all = [p for p in nbs.rglob('*.ipynb')
               if not any(part.startswith(('.', '_')) for part in p.relative_to(nbs).parts)]
    ign = _ignored(nbs_all, root)
    nbs_all = [p for p in nbs_all if p.resolve() not in ign]
    key = lambda p: (p.name != 'index.ipynb' or p.parent != nbs, len(p.relative_to(nbs).parts) > 1,
                     p.relative_to(nbs).parent.as_posix(), p.name)
    return sorted(nbs_all, key=key)

# ---------------------------------------------------------------- cells and directives
def directives(src:str) -> dict:
    "The nbdev `#| ...` directives of a cell, as {name: value}."
    return {m.group(1): m.group(2) for l in src.splitlines() if (m := _DIRECTIVE.match(l))}

def strip_directives(src:str) -> str:
    return '\n'.join(l for l in src.splitlines() if not _DIRECTIVE.match(l)).strip('\n')

def _false(v): return v.strip().lower().startswith('false')

def cell_view(cell) -> tuple:
    "(show the source?, show the outputs?) for a cell, from its directives."
    src = ''.join(cell['source'])
    if cell['cell_type'] != 'code': return (True, False)
    d = directives(src)
    if 'hide' in d or 'default_exp' in d or _false(d.get('include', 'true')): return (False, False)
    echo = not ('hide_input' in d or _false(d.get('echo', 'true')))
    out = not ('hide_output' in d or _false(d.get('output', 'true')))
    if _is_show_doc(strip_directives(src)): echo = False
    return (echo, out)

_SHOW_DOC = re.compile(r'^\s*show_doc\(\s*([\w.]+)')
def _is_show_doc(src): return bool(src.strip()) and all(_SHOW_DOC.match(l) for l in src.strip().splitlines())

def shown_doc_names(nb) -> set:
    "Names whose `show_doc(name)` cell shows a saved output: those replace the entry built from the source."
    res = set()
    for c in nb['cells']:
        code = strip_directives(''.join(c['source']))
        if c['cell_type'] != 'code' or not _is_show_doc(code) or not cell_view(c)[1]: continue
        outs = [o for o in c.get('outputs', []) if o['output_type'] in ('display_data', 'execute_result')]
        res |= {_SHOW_DOC.match(l).group(1) for l in code.strip().splitlines()[:len(outs)]}
    return res

# ---------------------------------------------------------------- API entries, from the exported source
def slug(text:str) -> str:
    "An HTML id from a heading's text, the way Quarto/nbdev make them."
    s = re.sub(r'[^\w\s.-]', '', html.unescape(re.sub(r'<[^>]+>', '', text)).lower()).strip()
    return re.sub(r'\s+', '-', s) or 'section'

def _patched_class(fn):
    "`Cls` for a `@patch`ed `def f(self:Cls, ...)`, else None."
    if not any((ast.unparse(d).split('(')[0].split('.')[-1] in ('patch', 'patch_to')) for d in fn.decorator_list):
        return None
    args = fn.args.posonlyargs + fn.args.args
    return ast.unparse(args[0].annotation) if args and args[0].annotation is not None else None

def _header(lines, node):
    "The source lines of a def/class header (decorators excluded), with their docments comments."
    body0 = node.body[0]
    start, end = node.lineno - 1, body0.lineno - 1
    if end <= start: return [lines[start][:body0.col_offset].rstrip()]
    hdr = lines[start:end]
    while hdr and not hdr[-1].strip(): hdr.pop()
    return hdr

def _dedent(ls):
    ind = min((len(l) - len(l.lstrip()) for l in ls if l.strip()), default=0)
    return [l[ind:] for l in ls]

def api_entries(src:str) -> list:
    "One dict (name, signature, doc) per public function/class/patched method defined by exported code `src`."
    code = '\n'.join('' if l.lstrip().startswith(('%', '!')) else l for l in src.splitlines())
    try: tree = ast.parse(code)
    except SyntaxError: return []
    lines, res = code.splitlines(), []
    for n in tree.body:
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            cls = _patched_class(n)
            name = f'{cls.strip("()")}.{n.name}' if cls else n.name
            if any(part.startswith('_') for part in name.split('.')): continue
            if cls and ',' in cls: name = n.name
            sig = _header(lines, n)
        elif isinstance(n, ast.ClassDef):
            name = n.name
            if name.startswith('_'): continue
            sig = _header(lines, n)
            init = next((b for b in n.body if isinstance(b, ast.FunctionDef) and b.name == '__init__'), None)
            fields = [b for b in n.body if isinstance(b, ast.AnnAssign)]
            if init is not None: sig += _header(lines, init)
            elif fields: sig += [l for f in fields for l in lines[f.lineno-1:f.end_lineno]]
            res.append(dict(name=name, signature='\n'.join(_dedent(sig)), doc=ast.get_docstring(n) or ''))
            res += [dict(name=f'{name}.{b.name}', signature='\n'.join(_dedent(_header(lines, b))), doc=ast.get_docstring(b) or '',
                         method=True)
                    for b in n.body if isinstance(b, (ast.FunctionDef, ast.AsyncFunctionDef)) and not b.name.startswith('_')]
            continue
        else: continue
        res.append(dict(name=name, signature='\n'.join(_dedent(sig)), doc=ast.get_docstring(n) or ''))
    return res

def source_lines(pyfile:Path) -> dict:
    "{qualified name: line} of the top-level functions/classes (and patched methods) of a module file."
    try: tree = ast.parse(pyfile.read_text())
    except (OSError, SyntaxError): return {}
    res = {}
    for n in tree.body:
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            cls = _patched_class(n) if not isinstance(n, ast.ClassDef) else None
            res.setdefault(f'{cls.strip("()")}.{n.name}' if cls else n.name, n.lineno)
            if isinstance(n, ast.ClassDef):
                for b in n.body:
                    if isinstance(b, (ast.FunctionDef, ast.AsyncFunctionDef)): res.setdefault(f'{n.name}.{b.name}', b.lineno)
    return res

# ---------------------------------------------------------------- Markdown with math protected
_MATH = re.compile(r'''(?P<fence>^[ \t]*(?P<f>`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]*(?P=f)[ \t]*$|\Z))
  |(?P<code>(?P<tick>`+).+?(?<!`)(?P=tick)(?!`))
  |(?P<display>\$\$.+?\$\$)
  |(?P<env>\\begin\{(?P<env_name>[a-zA-Z*]+)\}.*?\\end\{(?P=env_name)\})
  |(?P<esc>\\\$)
  |(?P<inline>(?<!\$)\$(?![\s$])(?:[^$\n\\]|\\.|\n(?![ \t]*\n))+?(?<!\s)\$(?![\d$]))''', re.S | re.M | re.X)
# (inline math follows Pandoc: `$` then no space, no space before the closing `$`, and no digit right after it)

def protect_math(md:str):
    "Markdown with each formula replaced by a placeholder the parser leaves alone, and the formulas."
    maths = []
    def sub(m):
        if m.group('fence') or m.group('code') or m.group('esc'): return m.group(0)
        t = m.group(0)
        if m.group('display'): maths.append(('display', t[2:-2].strip()))
        elif m.group('env'): maths.append(('display', t))
        else: maths.append(('inline', t[1:-1]))
        return f'MATHXPHX{len(maths)-1}X'
    return _MATH.sub(sub, md), maths

def restore_math(h:str, maths) -> str:
    def sub(m):
        kind, tex = maths[int(m.group(1))]
        o, c = ('\\[', '\\]') if kind == 'display' else ('\\(', '\\)')
        return f'<span class="math {kind}">{o}{html.escape(tex, quote=False)}{c}</span>'
    return re.sub(r'MATHXPHX(\d+)X', sub, h)

def highlight_code(code:str, lang='python') -> str:
    try: lexer = get_lexer_by_name(lang or 'text')
    except ClassNotFound: lexer = get_lexer_by_name('text')
    return f'<pre class="highlight"><code>{highlight(code, lexer, HtmlFormatter(nowrap=True))}</code></pre>\n'

class Renderer(mistune.HTMLRenderer):
    "HTML renderer: unique heading ids, `##` sections recorded, Pygments code, `name` linked to its API entry."
    def __init__(self, page):
        super().__init__(escape=False); self.page = page
    def heading(self, text, level, **attrs):
        label = restore_math(text, self.page._maths)
        i = self.page.new_id(slug(re.sub(r'\\[a-zA-Z]+', ' ', label)))
        if level == 2: self.page.sections.append((label, i))
        return f'<h{level} id="{i}" class="anchored">{text}<a class="anchor" href="#{i}" aria-label="link to this section">#</a></h{level}>\n'
    def block_code(self, code, info=None):
        return highlight_code(code, (info or '').split(' ')[0] or 'text')
    def sanitize_url(self, url):
        return url if url.startswith('attachment:') else super().sanitize_url(url)
    def codespan(self, text):
        inner = '<code>' + html.escape(text, quote=False) + '</code>'
        tgt = self.page.site.link_for(text, self.page)
        return f'<a class="api-link" href="{tgt}">{inner}</a>' if tgt else inner

# ---------------------------------------------------------------- pages
class Page:
    def __init__(self, site, nb_path:Path):
        self.site, self.nb_path = site, nb_path
        self.name = page_name(nb_path, site.nbs)
        self.depth = self.name.count('/')
        self.prefix = '../' * self.depth
        self.nb = json.loads(nb_path.read_text())
        self.ids, self.sections, self.title, self.description, self._maths, self.reserved = set(), [], None, '', [], set()
        self.mod = next((v.split()[0] for c in self.nb['cells'] if c['cell_type'] == 'code'
                         for k, v in directives(''.join(c['source'])).items() if k == 'default_exp' and v), None)

    def new_id(self, base, entry=False):
        "A unique id; an API entry's anchor (as in _modidx.py) has precedence over a heading's."
        taken = self.ids if entry else self.ids | self.reserved
        i, n = base, 1
        while i in taken: n += 1; i = f'{base}-{n}'
        self.ids.add(i); return i

    def md(self, text:str, attachments=None) -> str:
        "Markdown to HTML, math protected, links/images fixed for the site."
        text = re.sub(r'\[source\]\(([^)\s]+)\)\{[^}\n]*\}', r'<a class="source-link" href="\1">source</a>', text)
        text = re.sub(r'(\]\([^)\s]+\))\{[^}\n]*\}', r'\1', text)   # other Quarto {attrs} after links
        prot, maths = protect_math(text)
        self._maths = maths
        out = mistune.create_markdown(renderer=Renderer(self), plugins=['table', 'strikethrough', 'footnotes', 'url'])(prot)
        return self.fix_urls(restore_math(out, maths), attachments)

    def md_inline(self, text:str) -> str:
        "One line of Markdown to HTML without the enclosing paragraph."
        return re.sub(r'^<p>(.*)</p>\s*$', r'\1', self.md(text).strip(), flags=re.S)

    def fix_urls(self, h:str, attachments=None) -> str:
        "Notebook links -> page links; relative images copied into the site (attachments embedded)."
        def href(m):
            url = html.unescape(m.group(2))
            if re.match(r'^[a-z][\w+.-]*:|^#|^/', url): return m.group(0)
            path, _, frag = url.partition('#')
            tgt = (self.nb_path.parent/path).resolve()
            if path.endswith('.ipynb'):
                if tgt in self.site.by_nb:
                    url = self.prefix + self.site.by_nb[tgt].name + (f'#{frag}' if frag else '')
            elif path and tgt.is_file() and self.site.git_url and not tgt.is_relative_to(self.site.nbs.resolve()):
                rel = tgt.relative_to(self.site.root.resolve()).as_posix()    # a repository file outside nbs/, e.g. bench/README.md
                url = f'{self.site.git_url}/blob/{self.site.branch}/{rel}' + (f'#{frag}' if frag else '')
            return f'{m.group(1)}"{html.escape(url)}"'
        def src(m):
            url = html.unescape(m.group(2))
            if url.startswith('attachment:') and attachments:
                (mime, data), = attachments[url[11:]].items()
                return f'{m.group(1)}"data:{mime};base64,{"".join(data).strip()}"'
            if re.match(r'^[a-z][\w+.-]*:|^/', url): return m.group(0)
            f = (self.nb_path.parent/url.split('#')[0]).resolve()
            if not f.is_file(): return m.group(0)   # left broken on purpose: tools/check_docs.py reports it
            try: rel = f.relative_to(self.site.nbs.resolve()).as_posix(); new = url
            except ValueError: rel = f'assets/files/{f.name}'; new = self.prefix + rel
            self.site.copy(f, rel)
            return f'{m.group(1)}"{html.escape(new)}"'
        h = re.sub(r'(<a\b[^>]*?\bhref=)"([^"]*)"', href, h)
        return re.sub(r'(<img\b[^>]*?\bsrc=)"([^"]*)"', src, h)

    def output(self, o) -> str:
        t = o['output_type']
        if t == 'stream':
            txt = _ANSI.sub('', ''.join(o['text'])).rstrip('\n')
            return f'<pre class="output stream {o.get("name", "")}">{html.escape(txt)}</pre>\n' if txt.strip() else ''
        if t == 'error':
            tb = _ANSI.sub('', '\n'.join(o.get('traceback', [])) or f"{o['ename']}: {o['evalue']}")
            return f'<pre class="output error">{html.escape(tb)}</pre>\n'
        d = o.get('data', {})
        for mime in ('image/png', 'image/jpeg', 'image/gif'):
            if mime in d:
                return f'<div class="output image"><img src="data:{mime};base64,{"".join(d[mime]).strip()}" alt="output image"></div>\n'
        if 'image/svg+xml' in d: return f'<div class="output image">{"".join(d["image/svg+xml"])}</div>\n'
        if 'text/html' in d: return f'<div class="output html">{"".join(d["text/html"])}</div>\n'
        if 'text/markdown' in d: return f'<div class="output markdown">{self.md("".join(d["text/markdown"]))}</div>\n'
        if 'text/latex' in d: return f'<div class="output markdown">{self.md("".join(d["text/latex"]))}</div>\n'
        if 'text/plain' in d:
            return f'<pre class="output plain">{html.escape(_ANSI.sub("", "".join(d["text/plain"])))}</pre>\n'
        return ''

    def entry(self, e:dict, mod=None) -> str:
        "An API entry: anchor as in _modidx.py, source link, signature, docstring."
        i = self.new_id(e['name'].lower(), entry=True)
        self.site.names[e['name']] = (self, i)
        mod = mod or self.mod
        line = self.site.source_line(mod, e['name'])
        src = (f'<a class="source-link" href="{self.site.git_url}/blob/{self.site.branch}/{self.site.lib_path}/'
               f'{mod.replace(".", "/")}.py{f"#L{line}" if line else ""}">source</a>') if mod else ''
        doc = f'<div class="docstring">{self.md(e["doc"])}</div>' if e['doc'] else ''
        h, cls = ('h4', 'doc-entry method') if e.get('method') else ('h3', 'doc-entry')
        return (f'<div class="{cls}" id="{i}">{src}<{h} class="doc-name">{html.escape(e["name"])}</{h}>\n'
                f'{highlight_code(e["signature"])}{doc}</div>\n')

    def render(self) -> str:
        "The page's main content."
        parts, shown_docs = [], shown_doc_names(self.nb)
        self.reserved = {n.lower() for n in shown_docs} | {i for p, i in self.site.planned.values() if p is self}
        for idx, c in enumerate(self.nb['cells']):
            src = ''.join(c['source'])
            if c['cell_type'] == 'markdown':
                if idx == 0 or not self.title: src = self._title(src)
                if src.strip(): parts.append(f'<div class="cell markdown">{self.md(src, c.get("attachments"))}</div>\n')
            elif c['cell_type'] == 'raw':
                continue
            elif c['cell_type'] == 'code':
                echo, out = cell_view(c)
                if not (echo or out): continue
                code = strip_directives(src)
                d = directives(src)
                html_ = highlight_code(code) if echo and code.strip() else ''
                if out:
                    docs = [_SHOW_DOC.match(l).group(1) for l in code.strip().splitlines()] if _is_show_doc(code) else []
                    for o in c.get('outputs', []):
                        if docs and o['output_type'] in ('display_data', 'execute_result'):
                            name = docs.pop(0); i = self.new_id(name.lower(), entry=True); self.site.names[name] = (self, i)
                            html_ += f'<div class="doc-entry" id="{i}">{self.output(o)}</div>\n'
                        else: html_ += self.output(o)
                if {'export', 'exports'} & set(d):
                    mod = (d.get('export') or d.get('exports') or '').split()[:1]   # `#| export other_module`
                    html_ += ''.join(self.entry(e, mod[0] if mod else None) for e in api_entries(code) if e['name'] not in shown_docs)
                if html_: parts.append(f'<div class="cell code">{html_}</div>\n')
        if not self.title: self.title = self.nb_path.stem
        return ''.join(parts)

    def _title(self, src):
        "Take the notebook's `# Title` and `> description` (nbdev's front matter) out of its first markdown cell."
        m = re.match(r'\s*#\s+(.+)\n?((?:\s*>.*\n?)*)', src)
        if not m: return src
        self.title = m.group(1).strip()
        self.description = ' '.join(l.strip()[1:].strip() for l in m.group(2).splitlines() if l.strip())
        return src[m.end():]

# ---------------------------------------------------------------- the site
CSS = """
*{box-sizing:border-box} html{scroll-padding-top:1em}
body{margin:0;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1f2328;background:#fff}
#sidebar{position:fixed;top:0;left:0;bottom:0;width:290px;overflow-y:auto;padding:1em 1em 2em;background:#f6f8fa;border-right:1px solid #d0d7de;font-size:14px}
#sidebar .site-title{display:block;font-size:1.3em;font-weight:700;color:#1f2328;text-decoration:none;margin-bottom:.6em}
#sidebar ul{list-style:none;margin:0;padding:0} #sidebar li{margin:.15em 0}
#sidebar .sections{padding-left:1em;font-size:.92em;display:none} #sidebar li.current>.sections{display:block}
#sidebar li.current>a{font-weight:700} #sidebar a{color:#0550ae;text-decoration:none} #sidebar a:hover{text-decoration:underline}
#sidebar .group{margin-top:.8em;font-weight:600;color:#57606a;text-transform:uppercase;font-size:.8em}
#search{width:100%;padding:.4em .5em;border:1px solid #d0d7de;border-radius:6px;font:inherit;margin-bottom:.5em}
#search-results{margin-bottom:.8em} #search-results a{display:block;padding:.15em .3em;border-radius:4px}
#search-results a:hover{background:#ddf4ff} #search-results .kind{color:#57606a;font-size:.85em}
main{margin-left:290px;padding:1.5em 3em 4em;max-width:1100px}
main header h1{margin:.2em 0 .2em;font-size:2.1em} main header .description{color:#57606a;font-size:1.1em;margin:.2em 0}
main header .source{font-size:.85em} h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:1.6em}
.anchor{margin-left:.35em;color:#afb8c1;text-decoration:none;font-weight:400;visibility:hidden}
.anchored:hover .anchor{visibility:visible}
pre{background:#f6f8fa;border:1px solid #e4e8ec;border-radius:6px;padding:.7em .9em;overflow-x:auto;font-size:13.5px;line-height:1.45}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:.92em}
p code,li code,td code{background:#eff1f3;padding:.1em .3em;border-radius:4px}
pre.output{background:#fff;border-style:dashed;margin-top:-.3em} pre.output.stderr,pre.output.error{background:#fff5f5}
.output.image img{max-width:100%;height:auto} .cell.markdown img{max-width:100%}
table{border-collapse:collapse;margin:1em 0;display:block;overflow-x:auto} th,td{border:1px solid #d0d7de;padding:.3em .6em} th{background:#f6f8fa}
.math.display{display:block;overflow-x:auto;overflow-y:hidden;margin:.8em 0}
.doc-entry{border-top:2px solid #d0d7de;margin:1.4em 0 1.8em;padding-top:.3em}
.doc-entry.method{border-top:1px dashed #d0d7de;margin:.8em 0 1em 1.5em}
.doc-entry h3,.doc-entry h4{font-family:ui-monospace,Menlo,Consolas,monospace;margin:.3em 0}
.doc-entry .docstring{font-style:italic} .doc-entry hr{display:none}
.source-link{float:right;font-size:.85em} a.api-link{text-decoration:none}
nav.pager{display:flex;justify-content:space-between;margin-top:3em;border-top:1px solid #d0d7de;padding-top:1em}
table.names td:first-child{white-space:nowrap}
@media (max-width:800px){#sidebar{position:static;width:auto;border-right:0}main{margin-left:0;padding:1em}}
"""

SEARCH_JS = r"""
(function(){
  const box = document.getElementById('search'), out = document.getElementById('search-results');
  if (!box || !window.SEARCH_INDEX) return;
  const root = document.body.dataset.root || '';
  box.addEventListener('input', () => {
    const q = box.value.trim().toLowerCase(); out.textContent = '';
    if (!q) return;
    const hits = window.SEARCH_INDEX.filter(e => e.t.toLowerCase().includes(q))
      .sort((a, b) => (b.t.toLowerCase().startsWith(q)) - (a.t.toLowerCase().startsWith(q)) || a.t.length - b.t.length).slice(0, 25);
    for (const e of hits) {
      const a = document.createElement('a'); a.href = root + e.u; a.textContent = e.t + ' ';
      const k = document.createElement('span'); k.className = 'kind'; k.textContent = e.k; a.appendChild(k); out.appendChild(a);
    }
    if (!hits.length) out.textContent = 'no match';
  });
})();
"""

MATHJAX_CONFIG = """window.MathJax = {
  tex: {inlineMath: [['\\\\(', '\\\\)']], displayMath: [['\\\\[', '\\\\]']], processEscapes: false, tags: 'none',
        packages: {'[-]': ['noundefined']},
        formatError: (jax, err) => { console.error('TeX error: ' + err.message); return jax.formatError(err); }},
  options: {ignoreHtmlClass: 'tex2jax_ignore', processHtmlClass: 'math', enableMenu: false},
  svg: {fontCache: 'global'}
};"""

def mathjax_file() -> Path:
    "MathJax 3's single-file TeX-to-SVG bundle, from the django-static-mathjax package (a dev requirement)."
    from importlib import metadata
    try: files = metadata.files('django-static-mathjax') or []
    except metadata.PackageNotFoundError: files = []
    for f in files:
        if str(f).endswith('es5/tex-svg-full.js'): return Path(f.locate())
    sys.exit("MathJax not found: `pip install django-static-mathjax` (in settings.ini's dev_requirements)")

class Site:
    def __init__(self, root=ROOT, out=None, nbs=None):
        cfg = settings(root)
        self.root = root
        self.nbs = (nbs or root/cfg.get('nbs_path', 'nbs')).resolve()
        self.out = Path(out or root/cfg.get('doc_path', '_docs'))
        self.title = cfg.get('title', 'docs'); self.git_url = cfg.get('git_url', '').rstrip('/')
        self.branch = cfg.get('branch', 'main'); self.lib_path = cfg.get('lib_path', '')
        self.description = cfg.get('description', '')
        self.pages = [Page(self, p) for p in notebooks(self.nbs, root)]
        names = [p.name for p in self.pages]
        if _NAMES_PAGE in names or len(set(names)) != len(names):
            sys.exit(f"page names collide: {sorted(names)} (two notebooks with the same name once the number is dropped?)")
        self.by_nb = {p.nb_path.resolve(): p for p in self.pages}
        self.lines = {}
        self.names, self.copied = {}, {}
        # every public name an exported cell defines, known before any page renders, for `name` links
        self.planned = {}
        for p in self.pages:
            for c in p.nb['cells']:
                src = ''.join(c['source'])
                if c['cell_type'] == 'code' and {'export', 'exports'} & set(directives(src)):
                    for e in api_entries(strip_directives(src)): self.planned.setdefault(e['name'], (p, e['name'].lower()))

    def link_for(self, text, page):
        "The href of the API entry of `text` (a name, maybe with `()`), relative to `page`, or None."
        name = re.sub(r'\(.*\)$', '', text.strip())
        if (pg := next((p for p in self.pages if p.nb_path.stem == name or p.nb_path.name == name), None)):
            return page.prefix + pg.name   # `01_prior` or `01_prior.ipynb`: the notebook's page
        if not re.fullmatch(r'[A-Za-z_][\w.]*', name): return None
        hit = self.planned.get(name) or next((v for k, v in self.planned.items() if k.split('.')[-1] == name and '.' in name), None)
        return f'{page.prefix}{hit[0].name}#{hit[1]}' if hit else None

    def source_line(self, mod, name):
        "The line of `name` in the exported module `mod` (for the source link), or None."
        if mod not in self.lines: self.lines[mod] = source_lines(self.root/self.lib_path/(mod.replace('.', '/') + '.py'))
        return self.lines[mod].get(name)

    def copy(self, f:Path, rel:str):
        self.copied[rel] = f

    def sidebar(self, cur:Page) -> str:
        items, group = [], None
        for p in self.pages:
            g = p.name.rsplit('/', 1)[0] if '/' in p.name else None
            if g != group:
                group = g; items.append(f'<li class="group">{html.escape(g)}</li>')
            secs = ''.join(f'<li><a href="{cur.prefix if cur else ""}{p.name}#{i}">{_unlinked(t)}</a></li>'
                           for t, i in p.sections)
            items.append(f'<li class="page{" current" if p is cur else ""}"><a href="{cur.prefix if cur else ""}{p.name}">'
                         f'{_unlinked(p.md_inline(p.title))}</a>{f"<ul class=sections>{secs}</ul>" if secs else ""}</li>')   # `code` rendered
        items.append(f'<li class="group">Reference</li><li class="page{" current" if cur is None else ""}">'
                     f'<a href="{cur.prefix if cur else ""}{_NAMES_PAGE}">Index of names</a></li>')
        return (f'<nav id="sidebar"><a class="site-title" href="{cur.prefix if cur else ""}index.html">{html.escape(self.title)}</a>'
                f'<input id="search" type="search" placeholder="Search names, pages, sections" aria-label="search">'
                f'<div id="search-results"></div><ul>{"".join(items)}</ul></nav>')

    def html_page(self, page, title, body, prefix) -> str:
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} – {html.escape(self.title)}</title>
<link rel="icon" href="data:,"><link rel="stylesheet" href="{prefix}assets/style.css">
<script>{MATHJAX_CONFIG}</script>
<script defer id="MathJax-script" src="{prefix}assets/mathjax/tex-svg-full.js"></script>
<script defer src="{prefix}assets/search_index.js"></script><script defer src="{prefix}assets/search.js"></script>
</head><body class="tex2jax_ignore" data-root="{prefix}">
{self.sidebar(page)}
<main>{body}</main>
</body></html>
"""

    def build(self):
        if self.out.exists(): shutil.rmtree(self.out)
        (self.out/'assets'/'mathjax').mkdir(parents=True)
        bodies = [(p, p.render()) for p in self.pages]
        for k, (p, body) in enumerate(bodies):
            head = (f'<header><h1>{p.md_inline(p.title)}</h1>'
                    f'{f"<div class=description>{p.md(p.description)}</div>" if p.description else ""}'
                    f'<p class="source"><a href="{self.git_url}/blob/{self.branch}/{p.nb_path.relative_to(self.root).as_posix()}">source</a>'
                    f' · <a href="{p.prefix}notebooks/{p.nb_path.relative_to(self.nbs).as_posix()}">notebook file</a></p></header>\n')
            prev = bodies[k-1][0] if k else None; nxt = bodies[k+1][0] if k + 1 < len(bodies) else None
            pager = (f'<nav class="pager"><span>{f"<a href={chr(34)}{p.prefix}{prev.name}{chr(34)}>← {_unlinked(prev.md_inline(prev.title))}</a>" if prev else ""}</span>'
                     f'<span>{f"<a href={chr(34)}{p.prefix}{nxt.name}{chr(34)}>{_unlinked(nxt.md_inline(nxt.title))} →</a>" if nxt else ""}</span></nav>')
            f = self.out/p.name; f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(self.html_page(p, _plain_label(p.title), head + body + pager, p.prefix))
            nbf = self.out/'notebooks'/p.nb_path.relative_to(self.nbs); nbf.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p.nb_path, nbf)
        (self.out/_NAMES_PAGE).write_text(self.html_page(None, 'Index of names', self.names_body(), ''))
        for rel, f in self.copied.items():
            (self.out/rel).parent.mkdir(parents=True, exist_ok=True); shutil.copyfile(f, self.out/rel)
        (self.out/'assets'/'style.css').write_text(CSS + HtmlFormatter().get_style_defs('.highlight'))
        (self.out/'assets'/'search.js').write_text(SEARCH_JS)
        (self.out/'assets'/'search_index.js').write_text('window.SEARCH_INDEX = ' + json.dumps(self.search_index(), indent=0) + ';\n')
        shutil.copyfile(mathjax_file(), self.out/'assets'/'mathjax'/'tex-svg-full.js')
        (self.out/'.nojekyll').write_text('')
        return self

    def names_body(self) -> str:
        rows = ''.join(f'<tr><td><a href="{p.name}#{i}"><code>{html.escape(n)}</code></a></td><td>{html.escape(p.title)}</td></tr>'
                       for n, (p, i) in sorted(self.names.items(), key=lambda kv: kv[0].lower()))
        return (f'<header><h1>Index of names</h1><div class="description">Every public name the notebooks export, '
                f'linked to its entry.</div></header><table class="names"><tr><th>name</th><th>page</th></tr>{rows}</table>')

    def search_index(self):
        idx = [dict(t=_plain_label(p.title), u=p.name, k='page') for p in self.pages]
        idx += [dict(t=_plain_label(t), u=f'{p.name}#{i}', k=_plain_label(p.title)) for p in self.pages for t, i in p.sections]
        idx += [dict(t=n, u=f'{p.name}#{i}', k=f'API · {p.name}') for n, (p, i) in self.names.items()]
        return idx

def _unlinked(h:str) -> str:
    "A heading's HTML without its links (a sidebar entry is a link itself)."
    return re.sub(r'</?a\b[^>]*>', '', re.sub(r'<a class="anchor".*?</a>', '', h))

def _plain_label(h:str) -> str:
    "Rendered heading HTML as a plain label (math shown as its TeX-free text, tags dropped), escaped."
    t = re.sub(r'<span class="math[^"]*">\\[(\[](.*?)\\[)\]]</span>', lambda m: html.unescape(m.group(1)), h)
    t = re.sub(r'MATHXPHX\d+X', '', t)
    t = html.unescape(re.sub(r'<[^>]+>', '', t)).replace('#', '').strip()
    t = re.sub(r'\\(mathcal|mathbb|mathrm|operatorname)\s*\{?\s*(\w)\}?', r'\2', t).replace('\\', '').replace('$', '')
    return html.escape(re.sub(r'[{}]', '', t))

# ---------------------------------------------------------------- self-test and main
def _selftest():
    "Render a made-up notebook and check the directives, math protection, entries and links."
    cell = lambda t, s, outs=(), **kw: dict(cell_type=t, source=s, outputs=list(outs), metadata={}, **kw)
    nb = dict(cells=[
        cell('markdown', '# Demo page\n> A $p(y)$ description'),
        cell('code', '#| default_exp demo'),
        cell('code', '#| hide\nsecret_hidden_call()', [dict(output_type='stream', name='stdout', text='hidden out\n')]),
        cell('markdown', '## `public_fn`'),   # a heading named like an entry: the entry keeps the anchor
        cell('markdown', '## Sec $a_1 * b_2$ one\nText $x_1*y_1 + x_2*y_2$ and `$not math$` and \\$5.\n\n'
                         '$$\\frac{a}{b}\\\\ c_{1}*d_{2}\\tag{3}$$\n\n```python\nx = "$y$"\n```\nSee [other](02_other.ipynb#top), `02_other` and `public_fn()`.'),
        cell('code', '#| export\ndef public_fn(a:int=1, # the a\n              b=2): # the b\n    "Add `a` and $b$."\n    return a+b\n'
                     'def _private(): pass\nclass Thing:\n    "A thing."\n    def __init__(self, n:int): self.n = n\n'
                     '    def size(self): "Its size."; return self.n\n    def _hid(self): pass\n'
                     '@patch\ndef grow(self:Thing, k=1): "Grow it."; return k'),
        cell('code', '#| echo: false\nprint("only out")', [dict(output_type='stream', name='stdout', text='only the output\n')]),
        cell('code', '#| output: false\nprint("only code")', [dict(output_type='stream', name='stdout', text='never shown\n')]),
        cell('code', 'show_doc(Thing.grow)', [dict(output_type='display_data', metadata={}, data={
            'text/markdown': '---\n\n[source](https://x/y.py#L1){target="_blank" style="float:right"}\n\n### Thing.grow\n\n*Grow it.*',
            'text/plain': '<x>'})]),
        cell('code', 'show_doc(public_fn)'),   # never run: the entry from the source stays
        cell('markdown', '![pic](pic.png) ![att](attachment:a.png)', attachments={'a.png': {'image/png': 'iVBORw0KGgo='}}),
    ])
    with tempfile.TemporaryDirectory() as d:
        d = Path(d); (d/'nbs').mkdir()
        (d/'settings.ini').write_text('[DEFAULT]\ntitle = demo\ngit_url = https://example.org/demo\nlib_path = demo\n')
        (d/'nbs'/'01_demo.ipynb').write_text(json.dumps(nb)); (d/'nbs'/'02_other.ipynb').write_text(json.dumps(dict(cells=[cell('markdown', '# The `Other` page')])))
        (d/'nbs'/'pic.png').write_bytes(b'\x89PNG')
        site = Site(d, d/'_docs').build()
        got = (d/'_docs'/'demo.html').read_text()
        main = got.split('<main>')[1]
        for bad in ('secret_hidden_call', 'hidden out', '#|', 'default_exp', 'only out', 'never shown', 'id="_private"', 'MATHXPHX', '{target'):
            assert bad not in main, bad
        for good in ('only the output', '<h1>Demo page</h1>', '\\(a_1 * b_2\\)', '\\(x_1*y_1 + x_2*y_2\\)', '\\[\\frac{a}{b}\\\\ c_{1}*d_{2}\\tag{3}\\]',
                     '<code>$not math$</code>', '$5', 'href="other.html#top"', '<a class="api-link" href="other.html"><code>02_other</code>', '<div class="doc-entry" id="public_fn">', 'id="public_fn-2"', 'id="thing"', 'id="thing.grow"',
                     'href="demo.html#public_fn"', '# the a', 'class="source-link" href="https://x/y.py#L1"', 'src="pic.png"',
                     'src="data:image/png;base64,iVBORw0KGgo="', 'print</span>', '\\(p(y)\\)', 'notebooks/01_demo.ipynb'):
            assert good in main, (good, main)
        assert main.count('id="thing.grow"') == 1, 'explicit show_doc replaces the automatic entry'
        assert (d/'_docs'/'pic.png').exists() and (d/'_docs'/'assets'/'mathjax'/'tex-svg-full.js').stat().st_size > 1e6
        assert [p.name for p in site.pages] == ['demo.html', 'other.html'], site.pages
        assert set(site.names) == {'public_fn', 'Thing', 'Thing.grow', 'Thing.size'}, site.names
        assert 'sections' in got and 'href="demo.html#sec-a_1-b_2-one"' in got, got.split('<main>')[0]
        side = got.split('<main>')[0]
        assert 'The <code>Other</code> page</a>' in side and '`' not in side, side   # inline code in the sidebar, no backticks
    assert protect_math('a $x$ b $$y$$ `$z$` $5 and $6, $\\beta$s')[1] == [('inline', 'x'), ('display', 'y'), ('inline', '\\beta')]
    assert page_name(Path('nbs/05a_runs.ipynb'), Path('nbs')) == 'runs.html'
    assert page_name(Path('nbs/tutorials/01_quick.ipynb'), Path('nbs')) == 'tutorials/quick.html'
    print("make_docs self-test passed")

def _check_modidx(site):
    "Every public symbol of _modidx.py (nbdev's doc links) lands on its own API entry: page and anchor."
    f = site.root/site.lib_path/'_modidx.py'
    if not f.exists(): return
    ns = {}; exec(f.read_text(), ns)
    missing, internal = [], set()   # names from `#| exporti` cells: exported, not documented (as nbdev)
    for p in site.pages:
        for c in p.nb['cells']:
            src = ''.join(c['source'])
            if c['cell_type'] == 'code' and 'exporti' in directives(src):
                internal |= {e['name'] for e in api_entries(strip_directives(src))}
    anchors = {f'{p.name}#{i}' for p, i in site.names.values()}
    for mod, syms in ns['d']['syms'].items():
        for q, (link, _) in syms.items():
            name = q[len(mod)+1:]
            if any(part.startswith('_') for part in name.split('.')) or name in internal: continue
            if link not in anchors: missing.append(f'{q} ({link})')
    if missing: sys.exit(f"no API entry for: {', '.join(missing)}: is _modidx.py stale (run nbdev_export)?")

if __name__ == '__main__':
    import time; t0 = time.time()
    if '--check' in sys.argv: _selftest()
    site = Site().build()
    if '--check' in sys.argv: _check_modidx(site)
    n = sum(1 for _ in site.out.rglob('*.html'))
    print(f"wrote {site.out.relative_to(ROOT) if site.out.is_relative_to(ROOT) else site.out}/: {n} pages, "
          f"{len(site.names)} API entries, in {time.time()-t0:.1f} s")
