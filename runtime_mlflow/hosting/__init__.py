"""Where models run: model processes forked from warm templates, or this process.

MLServer keeps every model of this runtime in its main process, which parses requests and
encodes answers; the model itself runs where :mod:`.placement` puts it:

* :mod:`.templates`: one template per Python environment (the server's, and each model
  environment's), which has imported numpy, pandas and MLflow and forks model processes, so
  each one shares those pages and starts in milliseconds (``payload/rmlf_template.py``);
* :mod:`.process`: one model process, spoken to over a socket of raw-buffer frames
  (:mod:`.channel`; ``payload/rmlf_child.py`` on the other end);
* :mod:`.group`: the processes that hold one set of models (one model by default), restarted
  with back-off when they die;
* :mod:`.hosts`: a loaded model as the rest of the runtime asks it, here or in its process;
* :mod:`.interpreter`: what the runtime knows of an environment's Python.

``payload/`` runs in a model's own environment too (Python 3.9+, no MLServer, none of this
package): the frames and values on the wire, the model as it is served (``rmlf_host``), the
lean path's MLflow internals (``rmlf_pyfunc``) and the ``method`` parameter (``rmlf_methods``).
"""
