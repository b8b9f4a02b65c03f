"""A Playwright test run whose browser uses vauth as its authenticator.

    python example_playwright.py http://localhost:8000/ /tmp/browser-profile
"""
import subprocess
import sys
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

rp_url, profile = sys.argv[1], sys.argv[2]

with sync_playwright() as p:
    # 1. The suite starts the browser (Debian's chromium; no browser download). With port 0 it
    #    picks a free DevTools port itself and writes it into its profile: no port to collide on.
    context = p.chromium.launch_persistent_context(profile, executable_path="/usr/bin/chromium",
                                                   args=["--remote-debugging-port=0"])
    port = (Path(profile) / "DevToolsActivePort").read_text().split()[0]
    # 2. vauth attaches; its first line says every open page is covered. Later pages are too.
    vauth = subprocess.Popen(["vauth", "attach", "--cdp", f"http://127.0.0.1:{port}"], stderr=subprocess.PIPE, text=True)
    ready = vauth.stderr.readline()
    assert "vauth: attach: serving" in ready, ready
    threading.Thread(target=lambda: sys.stderr.writelines(vauth.stderr), daemon=True).start()
    try:
        # 3. The page's own navigator.credentials.create()/get() now reach vauth's keystore. Each
        #    call settles: at the latest with NotAllowedError when the options' timeout runs out.
        page = context.new_page()
        page.goto(rp_url)
        print(page.evaluate("register('alice')"))
        print(page.evaluate("signIn()"))
    finally:
        # 4. Tear down: stop vauth (SIGTERM: it closes its DevTools connection and exits 0), then the browser.
        vauth.terminate()
        assert vauth.wait(timeout=10) == 0
        context.close()
