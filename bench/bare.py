"""The yardstick: a bare Flask app returning a small page, served like the portal.

`gunicorn bench.bare:app` under the same settings as the portal shows what the machine,
gunicorn and Flask cost before the portal adds anything.
"""

from flask import Flask

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bare Flask</title></head>
<body><main><h1>Bare Flask</h1><p>A small page with nothing behind it.</p></main></body>
</html>
"""

app = Flask(__name__)


@app.get("/")
def page():
    """The small page."""
    return PAGE
