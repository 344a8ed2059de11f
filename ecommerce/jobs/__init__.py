"""Background jobs: enqueueing after commit (RQ or inline), the worker class, and
the periodic schedule (``manage.py rqcron ecommerce.jobs.cron``)."""
