"""A Selenium test run whose browser uses vauth as its authenticator.

    python example_selenium.py http://localhost:8000/
"""
import subprocess
import sys
import threading

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

rp_url = sys.argv[1]

# 1. Debian's chromium and chromium-driver. chromedriver lets the browser pick its DevTools port
#    and reports it as the session's debuggerAddress.
options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for argument in ("--headless=new", "--no-sandbox"):
    options.add_argument(argument)
driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
devtools = driver.capabilities["goog:chromeOptions"]["debuggerAddress"]
# 2. vauth attaches; its first line says every open page is covered.
vauth = subprocess.Popen(["vauth", "attach", "--cdp", f"http://{devtools}"], stderr=subprocess.PIPE, text=True)
ready = vauth.stderr.readline()
assert "vauth: attach: serving" in ready, ready
threading.Thread(target=lambda: sys.stderr.writelines(vauth.stderr), daemon=True).start()
try:
    # 3. The page's own navigator.credentials calls reach vauth.
    driver.get(rp_url)
    print(driver.execute_script("return register('alice')"))
    print(driver.execute_script("return signIn()"))
finally:
    # 4. Tear down: stop vauth, then the browser.
    vauth.terminate()
    assert vauth.wait(timeout=10) == 0
    driver.quit()
