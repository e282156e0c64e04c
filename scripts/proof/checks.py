"""What must be true of each state's page: the app rendered, or nginx's 502 page; and the browser
connected to the proxy only."""

import re

APP_TITLE = re.compile(r"^Dumbflix( - .+)?$")


def page_problems(page, expect, site):
    """What's wrong with the page for this state (an empty list when it is right)."""
    problems = []
    if page["url"] != site.url:
        problems.append(f"the browser ended on {page['url']}, not {site.url}")
    if expect == "app":
        if page["status"] != 200:
            problems.append(f"HTTP status {page['status']}, expected 200")
        if not APP_TITLE.match(page["title"]):
            problems.append(f"title {page['title']!r} is not the app's ('Dumbflix' or 'Dumbflix - <author>')")
        if not page["hasRoot"]:
            problems.append('no <div id="root">: this is not the app\'s page')
        elif not page["root"] or not page["rootElements"]:
            problems.append('the app\'s <div id="root"> is empty: its script did not render')
    else:
        if page["status"] != 502:
            problems.append(f"HTTP status {page['status']}, expected 502")
        if "502 Bad Gateway" not in page["title"] or "502 Bad Gateway" not in page["body"]:
            problems.append(f"not nginx's 502 page (title {page['title']!r})")
        if page["hasRoot"]:
            problems.append('the app\'s <div id="root"> is on the page')
    strays = [c for c in page["connections"] if c not in site.allowed_connections()]
    if strays:
        problems.append(
            f"chromium connected to {', '.join(strays)}, not only to the proxy {', '.join(site.allowed_connections())}"
        )
    if not page["connections"]:
        problems.append("chromium's net log shows no connection to the proxy at all")
    return problems
