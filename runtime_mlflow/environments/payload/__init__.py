"""Code that runs inside a model's own environment, on that environment's Python.

Everything here must import with nothing but the standard library, numpy and pandas
(numpy 1 or 2, pandas 1.5 to 3), and parse on Python 3.9: the child process is started
with ``python -I`` on an interpreter the server does not control. Module names carry
the ``rmlf_`` prefix so they cannot shadow a model's own modules.
"""
