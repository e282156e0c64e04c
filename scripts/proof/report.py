"""The report: index.html (the four pictures with what each page showed and any problem) and proof.json."""

import html
import json
import os

from .browser import VIEWPORT


def alerts_section(shot):
    """A picture of Prometheus's alerts page, with the BackendDown alerts it showed."""
    page = shot["page"]
    shown = "; ".join(f"{' '.join(row['labels'])} {row['state']}" for row in page["rows"]) or "none"
    return f"""
<section>
  <h2>{shot["n"]}. {html.escape(shot["title"])} — {"passed" if not shot["problems"] else "FAILED"}</h2>
  <p>{html.escape(shot["what"])}</p>
  <p class="facts">pm2 on the app hosts: {html.escape(", ".join(f"{h} {s}" for h, s in shot["pm2"].items()))}<br>
  {html.escape(page["url"])}: HTTP {page["status"]} · rule “{html.escape(page["header"])}” · its alerts:
  {html.escape(shown)}<br>
  chromium connected to: {html.escape(", ".join(page["connections"]) or "nothing")}
  {"".join(f"<br><b>problem:</b> {html.escape(p)}" for p in shot["problems"])}</p>
  <img src="{shot["file"]}" width="{VIEWPORT[0]}" height="{VIEWPORT[1]}" alt="{html.escape(shot["title"])}">
</section>"""


def write_report(out, shots, meta):
    """index.html and proof.json in out."""
    rows = []
    for shot in shots:
        if shot.get("kind") == "alerts":
            rows.append(alerts_section(shot))
            continue
        root_text = shot["page"]["root"] or shot["page"]["body"]
        rows.append(f"""
<section>
  <h2>{shot["n"]}. {html.escape(shot["title"])} — {"passed" if not shot["problems"] else "FAILED"}</h2>
  <p>{html.escape(shot["what"])}</p>
  <p class="facts">pm2 on the app hosts: {html.escape(", ".join(f"{h} {s}" for h, s in shot["pm2"].items()))}<br>
  HTTP {shot["page"]["status"]} · title “{html.escape(shot["page"]["title"])}” ·
  rendered text: “{html.escape(root_text[:160])}{"…" if len(root_text) > 160 else ""}”<br>
  chromium connected to: {html.escape(", ".join(shot["page"]["connections"]) or "nothing")}
  {("(and resolved to nothing: " + html.escape(", ".join(shot["page"]["blocked"])) + ")") if shot["page"]["blocked"] else ""}
  {"".join(f"<br><b>problem:</b> {html.escape(p)}" for p in shot["problems"])}</p>
  <img src="{shot["file"]}" width="{VIEWPORT[0]}" height="{VIEWPORT[1]}" alt="{html.escape(shot["title"])}">
</section>""")
    tls_note = ""
    if meta["url"].startswith("https:"):
        tls_note = (
            f" Each load started at http://{html.escape(meta['domain'])}/ and followed the proxy's redirect to "
            f"{html.escape(meta['url'])}"
        )
        tls_note += (
            f"; the browser accepted the proxy's self-signed certificate by its pinned key only "
            f"(sha256/{html.escape(meta['pinned'])})."
            if meta["pinned"]
            else "."
        )
    alerts_note = ""
    if meta.get("prometheus"):
        alerts_note = (
            f" Pictures 2a and 4a are Prometheus's alerts page ({html.escape(meta['prometheus'])}), taken once its "
            "HTTP API showed BackendDown firing for the stopped backend, and again once it had resolved."
        )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>dumbflix.stack proof: {html.escape(meta["domain"])}</title>
<style>body{{font-family:sans-serif;max-width:1340px;margin:1em auto}} section{{display:inline-block;
vertical-align:top;width:48%;margin:0 1% 20px 0}} img{{border:1px solid #999;width:100%;height:auto}} .facts{{font-size:.85em;color:#333}}</style>
</head><body>
<h1>{html.escape(meta["url"])} in four states</h1>
<p>Taken {html.escape(meta["taken"])} by headless {html.escape(meta["browser"])}, which resolved
{html.escape(meta["domain"])} to the proxy {html.escape(meta["proxy"])} at {html.escape(meta["connect"])}
(--host-resolver-rules, no hosts file) and every other name to nothing. Inventory: {html.escape(meta["inventory"])}.
Each picture was checked from the same page load: the app rendered into its &lt;div id="root"&gt;, or nginx's
502 page when every backend is down.{tls_note}{alerts_note}</p>
{"".join(rows)}
</body></html>
"""
    with open(os.path.join(out, "index.html"), "w", encoding="utf-8") as f:
        f.write(page)

    with open(os.path.join(out, "proof.json"), "w", encoding="utf-8") as f:
        json.dump({"meta": meta, "shots": shots}, f, indent=2)
