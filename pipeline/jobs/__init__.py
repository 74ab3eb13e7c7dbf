"""Jobs: a small queue interface (`JobQueue`) with an embedded SQLite engine, and the worker process that claims
one job at a time and runs it through `pipeline.run`. May import core, models (the kind of worker: model names, a
CUDA GPU), asr (a loaded recogniser kept between jobs) and run. With a broker configured, `CeleryQueue` runs the
same jobs on Celery + Redis across machines, each on a worker of the kind (model, precision) its session needs;
Celery and Redis (the `queue` extra) are imported only here, and only then.
"""
