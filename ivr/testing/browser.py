"""A real headless browser for tests: Debian's chromium driven through /usr/bin/chromedriver (Selenium).

Nothing is downloaded: Selenium's own driver manager is bypassed by naming the driver binary.
"""
from __future__ import annotations

import shutil
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage")


class Browser:
    """One browser with its own fresh profile; `close()` removes the profile."""

    def __init__(self):
        missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not shutil.which(path)]
        if missing:
            raise RuntimeError(f"{', '.join(missing)} missing: apt-get install chromium chromium-driver (make setup)")
        self.profile = tempfile.mkdtemp(prefix="ivr-browser-")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={self.profile}")
        self.driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
        self.driver.set_page_load_timeout(20)

    def close(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)
