"""What model environments (:mod:`..environments`) and model sources (:mod:`..sources`) both
stand on: the content-keyed cache and its eviction (``cache``, ``eviction``), safe archive
extraction (``extract``), the child-process runner (``commands``) and the path containment
check (``paths``). Nothing here knows of MLServer, MLflow, environments or sources."""
