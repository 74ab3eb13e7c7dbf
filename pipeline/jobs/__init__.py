"""Jobs: a small queue interface (`JobQueue`) with an embedded SQLite engine, and the worker process that claims
one job at a time and runs it through `pipeline.run`. May import core, asr (a loaded recogniser kept between jobs)
and run. A distributed engine (Celery + Redis) is meant to plug in behind `JobQueue` later.
"""
