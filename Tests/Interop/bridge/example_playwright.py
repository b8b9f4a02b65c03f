"""A Playwright test run whose browser uses vauth as its authenticator.

    python example_playwright.py http://localhost:8000/ 9222
"""
import subprocess
import sys
import threading

from playwright.sync_api import sync_playwright

rp_url, port = sys.argv[1], int(sys.argv[2])

with sync_playwright() as p:
    # 1. The suite starts the browser with a DevTools port (Debian's chromium; no browser download).
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[f"--remote-debugging-port={port}"])
    # 2. vauth attaches; its first line says every open page is covered. Later pages are too.
    vauth = subprocess.Popen(["vauth", "attach", "--cdp", f"http://127.0.0.1:{port}"], stderr=subprocess.PIPE, text=True)
    ready = vauth.stderr.readline()
    assert "vauth: attach: serving" in ready, ready
    threading.Thread(target=lambda: sys.stderr.writelines(vauth.stderr), daemon=True).start()
    try:
        # 3. The page's own navigator.credentials.create()/get() now reach vauth's keystore.
        page = browser.new_page()
        page.goto(rp_url)
        print(page.evaluate("register('alice')"))
        print(page.evaluate("signIn()"))
    finally:
        # 4. Tear down: stop vauth (SIGTERM: it closes its DevTools connection and exits 0), then the browser.
        vauth.terminate()
        assert vauth.wait(timeout=10) == 0
        browser.close()
