"""Gunicorn settings of the two baselines: docker/gunicorn.conf.py without its access log.

``gunicorn -c docker/gunicorn.conf.py -c bench/baseline_gunicorn.conf.py ...``
(gunicorn reads the last ``-c``): every setting of the app's server (workers,
worker class, keep-alive, max_requests, preload, limits, hooks) comes from the
app's own file, so the baselines differ from the app only in what they serve
and in writing no access line per request, which is the app's cost, not the
server's (the issue's bare view has none).
"""

import runpy
from pathlib import Path

_APP = runpy.run_path(str(Path(__file__).resolve().parent.parent / "docker" / "gunicorn.conf.py"))
globals().update({name: value for name, value in _APP.items() if not name.startswith("__")})

# gunicorn writes no access line at all when neither a log file nor a logging
# configuration is set (glogging.Logger.access returns at once).
accesslog = None
logconfig_dict: dict = {}
