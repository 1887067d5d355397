"""The embedded demo: a realistic, deliberately flawed AWS organisation on a local moto
server (``seed.py``)."""
