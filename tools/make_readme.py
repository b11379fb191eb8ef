"""Write README.md from nbs/index.ipynb without Quarto (nbdev_readme needs it).

    python tools/make_readme.py          # write README.md
    python tools/make_readme.py --check  # self-test, then fail if README.md is stale
"""
import sys, re, json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = "<!-- WARNING: generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file -->\n\n"
_DIRECTIVE = re.compile(r'^\s*#\s*\|\s*(\S+)(.*)$')

def _directives(src):
    "The nbdev `#| ...` directives of a cell, as {name: rest}."
    return {m.group(1).rstrip(':'): m.group(2).strip() for l in src.splitlines() if (m := _DIRECTIVE.match(l))}

def _shown(cell):
    d = _directives(''.join(cell['source']))
    return not ('hide' in d or 'include' in d and d['include'].startswith('false') or 'default_exp' in d)

def _code(cell):
    src = '\n'.join(l for l in ''.join(cell['source']).splitlines() if not _DIRECTIVE.match(l)).strip()
    out = []
    for o in cell.get('outputs', []):
        txt = o.get('text') or o.get('data', {}).get('text/markdown') or o.get('data', {}).get('text/plain') or ''
        txt = ''.join(txt).rstrip()
        if txt: out.append(txt)
    res = f"```python\n{src}\n```\n" if src else ''
    return res + ''.join(f"\n    {t.replace(chr(10), chr(10) + '    ')}\n" for t in out)

def render(nb:dict) -> str:
    "Markdown of a notebook as nbdev_readme would show it: hidden cells and directives dropped, outputs indented."
    parts = []
    for c in nb['cells']:
        if not _shown(c): continue
        if c['cell_type'] == 'markdown': parts.append(''.join(c['source']).strip() + '\n')
        elif c['cell_type'] == 'code' and (code := _code(c)): parts.append(code)
    return HEADER + '\n'.join(parts)

def _selftest():
    cell = lambda t, s, outs=(): dict(cell_type=t, source=s, outputs=list(outs), metadata={})
    nb = dict(cells=[cell('markdown', '# Title\n> sub'), cell('code', '#| hide\nsecret()'),
                     cell('code', '#| eval: false\nx = 1', [dict(output_type='stream', text='out\n')]),
                     cell('code', '#| default_exp core\n')])
    got = render(nb)
    assert 'secret' not in got and 'default_exp' not in got and '#|' not in got, got
    assert '# Title\n> sub\n' in got and '```python\nx = 1\n```' in got and '\n    out\n' in got, got

if __name__ == '__main__':
    md = render(json.loads((ROOT/'nbs'/'index.ipynb').read_text()))
    if '--check' in sys.argv:
        _selftest()
        if (ROOT/'README.md').read_text() != md:
            sys.exit("README.md is stale: run `python tools/make_readme.py` and commit README.md")
        print("README.md matches nbs/index.ipynb")
    else:
        (ROOT/'README.md').write_text(md); print("wrote README.md")
