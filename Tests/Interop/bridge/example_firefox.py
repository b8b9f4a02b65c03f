"""A Firefox test run whose browser uses vauth as its authenticator (WebDriver BiDi).

    python example_firefox.py http://localhost:8000/ /tmp/firefox-profile
"""
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from marionette_driver.marionette import Marionette

rp_url, profile = sys.argv[1], Path(sys.argv[2])

# 1. Debian's firefox-esr, headless, with Marionette and WebDriver BiDi on ports it picks itself
#    and writes into its profile.
profile.mkdir(parents=True, exist_ok=True)
(profile / "user.js").write_text('user_pref("marionette.port", 0);\n')
firefox = subprocess.Popen(["firefox-esr", "--headless", "--marionette", "--remote-debugging-port=0", "--profile", str(profile)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
port_file, deadline = profile / "MarionetteActivePort", time.monotonic() + 90
while not (port_file.exists() and port_file.read_text().strip()):
    assert time.monotonic() < deadline and firefox.poll() is None, "firefox did not start"
    time.sleep(0.1)
# 2. The suite's WebDriver session, with a WebDriver BiDi WebSocket another client may join
#    (with Selenium 4 and geckodriver: driver.capabilities["webSocketUrl"]).
marionette = Marionette(host="127.0.0.1", port=int(port_file.read_text()))
marionette.start_session(capabilities={"webSocketUrl": True})
session = marionette.session_capabilities["webSocketUrl"]
# 3. vauth joins the session; its first line says every open page is covered.
vauth = subprocess.Popen(["vauth", "attach", "--bidi", session], stderr=subprocess.PIPE, text=True)
ready = vauth.stderr.readline()
assert "vauth: attach: serving" in ready, ready
threading.Thread(target=lambda: sys.stderr.writelines(vauth.stderr), daemon=True).start()
try:
    # 4. The page's own navigator.credentials calls reach vauth (Marionette sees the page's
    #    functions through window.wrappedJSObject).
    marionette.navigate(rp_url)
    for call in ("register('alice')", "signIn()"):
        print(json.loads(marionette.execute_async_script(
            "const [call, done] = arguments; const page = window.wrappedJSObject;"
            "page.eval(call).then((v) => done(page.JSON.stringify(v)), (e) => done(JSON.stringify({error: String(e)})));",
            script_args=[call], script_timeout=120_000)))
finally:
    # 5. Tear down: stop vauth (SIGTERM: it removes its script from the session and exits 0), then Firefox.
    vauth.terminate()
    assert vauth.wait(timeout=10) == 0
    marionette.delete_session()
    firefox.terminate()
    firefox.wait(timeout=30)
