"""Code that also runs in a model process, on that process's Python.

Everything here must import with nothing but the standard library, numpy and pandas
(numpy 1 or 2, pandas 1.5 to 3; MLflow 2.x or 3.x where it is imported, inside functions),
and parse on Python 3.9: a model environment's process is started with ``python -I`` on an
interpreter the server does not control. Module names carry the ``rmlf_`` prefix so they
cannot shadow a model's own modules.
"""
