"""The seam to MLflow's and MLServer's private API (see each module's ``WRITTEN_FOR``).

Each module here names the version it was written against, and ``tests/compat`` checks
that every private target still exists and behaves as assumed, so a version bump fails
there, in seconds, naming the seam. Older patches (``unavailable``, ``grpc_stream``,
``placement``, the worker dispatch in ``protocols.routes``) are not behind it yet.
"""
