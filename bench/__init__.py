"""`make bench`: how fast and how small the portal is, measured on this machine.

A benchmark, not a test: it prints numbers and whether they meet the targets of issue 9;
it never fails a build. `python -m bench.run --help` lists the options.
"""
