"""The seam to MLflow's and MLServer's private API (see each module's ``WRITTEN_FOR``).

Each module here names the version it was written against, and ``tests/compat`` checks
that every private target still exists and behaves as assumed, so a version bump fails
there, in seconds, naming the seam:

* ``pyfunc``: a flavor's predict function called past ``PyFuncModel.predict`` (MLflow);
* ``load``: MLflow's environment warnings after the load (MLflow);
* ``loading``: the hook in MLServer's main process when it loads a model (MLServer);
* ``worker_errors``: the runtime's errors in its own words across MLServer's workers;
* ``worker_restarts``: 503 while MLServer restarts a model's worker;
* ``pool_unload``: unloading a pool's last model closes that pool, not the default one;
* ``grpc_requests``: gRPC requests MLServer cannot read answered INVALID_ARGUMENT;
* ``not_ready``: a model that is not ready answers 503 with the reason, not 400.

Older patches (``grpc_stream``, ``placement``, the worker dispatch in ``protocols.routes``)
are not behind it yet.
"""
