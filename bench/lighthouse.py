"""Lighthouse mobile scores (performance, accessibility), when Lighthouse is installed.

Lighthouse is looked for in bench/.lighthouse (where `--lighthouse` installs it with npm),
in the project's node_modules, on PATH, and through `npx --no` (never downloading). Without
it the scores are "skipped". Chromium comes from CHROME_PATH (default /usr/bin/chromium);
pages behind sign-in get the session cookie through --extra-headers.

A single Lighthouse run varies by a few performance points with whatever else the machine
is doing (Total Blocking Time above all), so each page is run several times and the run
with the median performance score is reported, next to every run's score: the method
Lighthouse's own documentation on variability recommends.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from bench.load import median_item

ROOT = Path(__file__).resolve().parent.parent
LOCAL = Path(__file__).resolve().parent / ".lighthouse"
CATEGORIES = ("performance", "accessibility")
METRICS = ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time",
           "cumulative-layout-shift", "speed-index")


def _works(command: list[str]) -> bool:
    try:
        done = subprocess.run([*command, "--version"], capture_output=True, text=True,
                              timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and done.stdout.strip()[:1].isdigit()


def find_lighthouse() -> list[str] | None:
    """The command that runs an installed Lighthouse, or None."""
    for binary in (LOCAL / "node_modules/.bin/lighthouse",
                   ROOT / "node_modules/.bin/lighthouse"):
        if binary.exists() and _works([str(binary)]):
            return [str(binary)]
    on_path = shutil.which("lighthouse")
    if on_path and _works([on_path]):
        return [on_path]
    if shutil.which("npx") and _works(["npx", "--no", "--", "lighthouse"]):
        return ["npx", "--no", "--", "lighthouse"]
    return None


def _package_spec() -> str:
    """Lighthouse 13 needs Node 22; 12 runs on the Node 18 and 20 of older servers."""
    try:
        version = subprocess.run(["node", "--version"], capture_output=True, text=True,
                                 timeout=30).stdout.strip().lstrip("v")
        major = int(version.split(".")[0])
    except (OSError, ValueError, subprocess.TimeoutExpired):
        major = 0
    return "lighthouse@13" if major >= 22 else "lighthouse@12"


def install() -> list[str] | None:
    """`npm install` Lighthouse into bench/.lighthouse (ignored by git); the command or None."""
    if not shutil.which("npm"):
        return None
    LOCAL.mkdir(exist_ok=True)
    done = subprocess.run(["npm", "install", "--prefix", str(LOCAL), "--no-audit", "--no-fund",
                           "--loglevel=error", _package_spec()], capture_output=True, text=True)
    if done.returncode != 0:
        print(f"Lighthouse could not be installed: {done.stderr.strip()[-500:]}")
        return None
    return find_lighthouse()


def score(command: list[str], url: str, cookie: str | None, out: Path,
          chrome: str) -> dict:
    """Run Lighthouse (mobile, its default) on `url`; scores 0-100 and the main metrics."""
    args = [*command, url, "--quiet", "--output=json", f"--output-path={out}",
            "--form-factor=mobile", "--only-categories=" + ",".join(CATEGORIES),
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"]
    if cookie:
        args.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
    done = subprocess.run(args, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "CHROME_PATH": chrome})
    if done.returncode != 0 or not out.exists():
        return {"error": (done.stderr or done.stdout).strip()[-800:]}
    report = json.loads(out.read_text())
    final = report.get("finalDisplayedUrl") or report.get("finalUrl") or ""
    if urlsplit(final).path != urlsplit(url).path:
        return {"error": f"Lighthouse ended at {final}, not {url} (signed out?)"}
    result = {"final_url": final}
    for category in CATEGORIES:
        value = report["categories"][category]["score"]
        result[category] = None if value is None else round(value * 100)
    result["metrics"] = {name: report["audits"][name].get("displayValue")
                         for name in METRICS if name in report["audits"]}
    result["failed_audits"] = sorted(
        f"{category}: {report['audits'][ref['id']]['title']}"
        for category in CATEGORIES for ref in report["categories"][category]["auditRefs"]
        if ref.get("weight") and report["audits"][ref["id"]].get("score") not in (None, 1))
    return result


def median_run(runs: list[dict]) -> dict:
    """The run with the median performance score, with every run's scores under "runs".

    Runs that gave no score are left out of the median; with none left, the first run's
    error is the result. An even number of scored runs takes the lower middle one.
    """
    scored = [run for run in runs if run.get("performance") is not None]
    if not scored:
        return {**(runs[0] if runs else {"error": "Lighthouse did not run"}),
                "runs": [None] * len(runs)}
    return {**median_item(scored, "performance"),
            "runs": [run.get("performance") for run in runs]}
