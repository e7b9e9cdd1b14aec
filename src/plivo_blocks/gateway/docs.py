"""The ``/docs`` page: one self-contained HTML document (inline CSS and JS, no CDN, works offline)
listing every block with its arguments, generated from the catalog."""

from __future__ import annotations

import json
from functools import lru_cache
from html import escape
from typing import Any

from plivo_blocks.catalog import BLOCKS, Block
from plivo_blocks.catalog.examples import example_args
from plivo_blocks.gateway.metadata import CREDENTIAL_ARGS, PACKAGE

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d2327;background:#f6f7f7}
header{background:#323b44;color:#fff;padding:1em 2em}header h1{margin:0;font-size:1.4em}
header p{margin:.3em 0 0;opacity:.85}header a{color:#a8d1ff}main{padding:1em 2em;max-width:70em}
#filter{width:100%;font-size:1em;padding:.5em;margin:.5em 0 1em;box-sizing:border-box}
h2{border-bottom:2px solid #ccc;margin-top:1.5em}
details{background:#fff;border:1px solid #ddd;border-radius:4px;margin:.4em 0;padding:.4em .8em}
summary{cursor:pointer;font-weight:600}summary code{font-weight:400;color:#555;margin-left:.6em}
summary code,p code{overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;margin:.6em 0;font-size:.92em}
td,th{border:1px solid #e2e4e7;padding:.3em .5em;text-align:left;vertical-align:top}
td:nth-child(4),td:nth-child(5){overflow-wrap:anywhere}th:nth-child(4){width:20%}th:nth-child(5){width:40%}
th{background:#f0f0f1}.req{color:#b32d2e;font-weight:600}code{font-family:ui-monospace,monospace}
textarea{width:100%;min-height:7em;font-family:ui-monospace,monospace;box-sizing:border-box}
pre{background:#1d2327;color:#e2e4e7;padding:.6em;overflow:auto;max-height:25em}pre:empty{display:none}
@media (max-width:48em){
header,main{padding-left:1em;padding-right:1em}details{padding:.4em .6em}
thead{display:none}table,tbody,tr,td{display:block}
tr{border-top:1px solid #e2e4e7;padding:.4em 0}td{border:0;padding:.1em 0;overflow-wrap:anywhere}
td::before{content:attr(data-label) ": ";color:#555}td:first-child::before{content:none}
td:first-child{font-weight:600}
}
"""

# Posts the textarea's args to the block and shows the answer; relative to the gateway's root.
_SCRIPT = """
const base = document.body.dataset.base;
// Hides the blocks that do not match, the headings of groups left empty, and says when none match.
document.getElementById('filter').addEventListener('input', (e) => {
  const q = e.target.value.trim().toLowerCase();
  let shown = 0;
  for (const group of document.querySelectorAll('section[data-group]')) {
    let inGroup = 0;
    for (const d of group.querySelectorAll('details[data-name]')) {
      d.hidden = !d.dataset.search.includes(q);
      inGroup += d.hidden ? 0 : 1;
    }
    group.hidden = inGroup === 0;
    shown += inGroup;
  }
  document.getElementById('no-match').hidden = shown > 0;
});
for (const form of document.querySelectorAll('form[data-block]')) {
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const out = form.querySelector('pre');
    let args;
    try { args = JSON.parse(form.querySelector('textarea').value); }
    catch (err) { out.textContent = 'Not valid JSON: ' + err.message; return; }
    out.textContent = '...';
    try {
      const r = await fetch(base + 'api/PKG/' + form.dataset.block, {
        method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify({args})});
      out.textContent = 'HTTP ' + r.status + '\\n' + JSON.stringify(await r.json(), null, 2);
    } catch (err) { out.textContent = 'Request failed: ' + err.message; }
  });
}
""".replace("PKG", PACKAGE)


def _example_args(block: Block) -> str:
    example: dict[str, Any] = {name: "" for name, _ in CREDENTIAL_ARGS}
    example.update(example_args(block, required_only=True))
    return json.dumps(example, indent=2)


def _block_html(block: Block) -> str:
    rows = "".join(
        f"<tr><td><code>{escape(name)}</code></td><td data-label=type>credentials</td>"
        "<td data-label=required class=req>yes</td>"
        f"<td data-label=constraint>your Plivo {escape(name)}</td>"
        f"<td data-label=description>{escape(info)}</td><td data-label=Plivo>(Basic auth)</td></tr>"
        for name, info in CREDENTIAL_ARGS
    )
    for arg in block.args:
        required = (
            "<td data-label=required class=req>yes</td>"
            if arg.required
            else "<td data-label=required>no</td>"
        )
        rows += (
            f"<tr><td><code>{escape(arg.name)}</code></td><td data-label=type>{escape(arg.datatype)}</td>{required}"
            f"<td data-label=constraint>{escape(arg.type.describe())}</td>"
            f"<td data-label=description>{escape(arg.info)}</td>"
            f"<td data-label=Plivo><code>{escape(arg.param)}</code></td></tr>"
        )
    call = f"{block.method} /v1/Account/{{auth_id}}/{block.path}"
    fixed = ", ".join(f"{k}={v}" for k, v in block.fixed_params.items())
    search = f"{block.name} {block.group} {block.description}".lower()
    return (
        f'<details data-name="{escape(block.name)}" data-search="{escape(search)}">'
        f"<summary>{escape(block.name)}<code>{escape(call)}</code></summary>"
        f"<p>{escape(block.description)}</p>"
        f"<p>Plivo call: <code>{escape(call)}</code>{escape(' (adds ' + fixed + ')') if fixed else ''};"
        f" success status {block.status}.</p>"
        "<table><thead><tr><th>argument</th><th>type</th><th>required</th><th>constraint</th>"
        f"<th>description</th><th>Plivo parameter</th></tr></thead><tbody>{rows}</tbody></table>"
        f'<form data-block="{escape(block.name)}"><p>Try it: <code>POST /api/{PACKAGE}/{escape(block.name)}</code>'
        f' with these <code>args</code></p><textarea aria-label="args">{escape(_example_args(block))}</textarea>'
        "<p><button type=submit>Send</button></p><pre></pre></form></details>"
    )


@lru_cache(maxsize=8)
def render_docs(base: str = "/") -> str:
    """The page, for a gateway served under ``base`` (its root path, ending in ``/``)."""
    groups: dict[str, list[Block]] = {}
    for block in BLOCKS:
        groups.setdefault(block.group, []).append(block)
    sections = "".join(
        f'<section data-group="{escape(group)}"><h2>{escape(group)}</h2>'
        + "".join(_block_html(b) for b in blocks)
        + "</section>"
        for group, blocks in groups.items()
    )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{PACKAGE} blocks</title><style>{_STYLE}</style></head>"
        f'<body data-base="{escape(base)}"><header><h1>{PACKAGE} blocks: {len(BLOCKS)} blocks</h1>'
        f'<p>POST <code>/api/{PACKAGE}/&lt;block&gt;</code> with <code>{{"args": {{...}}}}</code>; '
        f'metadata at <a href="{escape(base)}api/{PACKAGE}">/api/{PACKAGE}</a>, '
        f'OpenAPI at <a href="{escape(base)}openapi.json">/openapi.json</a>.</p></header><main>'
        '<input id=filter type=search placeholder="Filter blocks by name, group or description" autofocus>'
        f"<p id=no-match hidden>No block matches this filter.</p>{sections}</main><script>{_SCRIPT}</script></body></html>"
    )
