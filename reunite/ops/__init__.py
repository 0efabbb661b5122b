"""Running the service: health checks (health.py) and Prometheus metrics (metrics.py).

It sits above both apps (it reads their tables to answer operators) and below the URLconf.
"""
