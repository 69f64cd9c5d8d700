"""Packaging for runtime_mlflow.

``codecs/`` sits at the top of the repository but installs as
``runtime_mlflow.codecs``: a top-level package named ``codecs`` would be shadowed
by the standard library's ``codecs``, which the interpreter imports at start-up.
"""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
# What a feature adds to the install (runtime_mlflow/extras.py names the extra when it is missing).
FEATURES = {
    # s3:// model URIs and MLflow artifact stores on S3, read with the cloud's own SDK;
    # botocore: its exceptions are read directly
    "s3": ["boto3>=1.28", "botocore>=1.31"],
    # gs:// model URIs and MLflow artifact stores on GCS
    "gcs": ["google-cloud-storage>=2.10"],
    # `environment: build` and `runtime-mlflow pack`: uv builds environments from a model's
    # requirements, conda-pack packs them in the format the runtime unpacks
    "build": ["uv>=0.5", "conda-pack>=0.8"],
    # Parquet bodies on /invocations (pandas reads them with pyarrow)
    "parquet": ["pyarrow>=16"],  # 16: the first built for numpy 2
    # models:/ and runs:/ from a database tracking store (sqlite:, postgresql:, ... tracking URIs,
    # MLflow 3's default): MLflow's SQL store needs these, which only its full package brings
    "tracking-db": ["sqlalchemy>=1.4,<3", "alembic>=1.11,<2"],
}
ALL = [requirement for requirements in FEATURES.values() for requirement in requirements]

version: dict[str, str] = {}
exec((HERE / "runtime_mlflow" / "version.py").read_text(), version)

setup(
    name="runtime-mlflow",
    version=version["__version__"],
    description="An MLServer runtime serving MLflow models over the V2 inference protocol",
    long_description=(HERE / "README.md").read_text(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    # every package under runtime_mlflow/ (hosting.payload runs inside a model's own
    # environment: Python 3.9+, no mlserver there), plus codecs/ as runtime_mlflow.codecs
    packages=[*find_packages(include=["runtime_mlflow", "runtime_mlflow.*"]), "runtime_mlflow.codecs"],
    package_dir={"runtime_mlflow.codecs": "codecs"},
    install_requires=[
        # The runtime is written against MLServer 1.7.1's MLModel, codec and
        # parallel-worker internals; 1.7.1 is MLServer's last release.
        "mlserver==1.7.1",
        # pyfunc, signatures, the scoring protocol and the tracking client are all in MLflow's
        # skinny package; the full `mlflow` adds its tracking server, UI and their libraries
        # (pyarrow, matplotlib, flask, sqlalchemy, gunicorn, ...), which serving never imports.
        # 3.17 is the newest installable here (3.18.0 has no matching mlflow-skinny).
        "mlflow-skinny>=3.17,<4",
        "numpy>=2,<3",
        "pandas>=3.1,<4",  # 3.0.0 cannot compare a pyarrow string index with a range (MLflow does, saving an example)
        # the flavor library of most MLflow models, and of this README's: MLflow's full install
        # brought it, so an sklearn model keeps serving with a plain install (other flavors'
        # libraries come with the model's own environment, or are installed beside the runtime).
        # 1.7: older versions pickle a ColumnTransformer with a type skops does not trust, so
        # MLflow 3 can neither save nor load such a pipeline in its default format
        "scikit-learn>=1.7",
        # MLflow 3 saves scikit-learn models in skops' format by default: loading one needs it
        "skops>=0.13,<1",
        # uvloop 0.22+ makes every MLServer 1.7.1 inference worker die at start
        # ("There is no current event loop"); 0.21 works.
        "uvloop>=0.21,<0.22",
        # MLServer 1.7.1 is incompatible with FastAPI 0.116+ and protobuf 7; the lower bounds
        # here and below are the lowest `make test-lowest` runs the unit tests with
        "fastapi>=0.115,<0.116",
        # uvicorn's C HTTP parser: without it MLServer's uvicorn parses HTTP with the
        # pure-Python h11 (measured: about 20% more requests per second at batch 1 with it).
        "httptools>=0.6",
        "protobuf>=5.27.2,<7",  # MLServer 1.7.1's own lower bound
        # imported directly (not only through mlserver or mlflow): declared so that a change in
        # their dependencies cannot take them away
        "grpcio>=1.67.1",  # gRPC status codes (compat/)
        "orjson>=3.9",  # V2 bodies
        "prometheus-client>=0.17",  # the runtime's metrics
        "pydantic>=2.10,<3",  # MLServer's types, as the runtime builds them; 2.10: MLflow 3.17's models warn on older
        "PyYAML>=6.0.1",  # MLmodel and python_env.yaml
        "requests>=2.31",  # http(s) model archives
        "starlette>=0.40",  # the protocol routes
        # reads a large V2 body's numbers straight into arrays (protocols/v2_body.py):
        # 10,000 rows parse and decode in a third of orjson's time. 7.x: the typed
        # as_buffer and the parser-reuse rule the module is written against.
        "pysimdjson>=7,<8",
        # Swagger UI 5 (OpenAPI 3.1) for the per-model docs page, served from its static
        # files so the page works offline; only those files are used, not its API.
        "fastapi-offline>=1.7,<2",
    ],
    entry_points={"console_scripts": ["runtime-mlflow = runtime_mlflow.cli:main"]},
    extras_require={
        **FEATURES,
        "all": ALL,
        "test": [
            *ALL,
            # MLflow's tracking server (tests/e2e/test_sources.py starts one) is in the full package
            "mlflow>=3.17,<4",
            "pytest>=8",
            "hypothesis>=6",
            "httpx>=0.27",
            "requests>=2.31",
            "tritonclient[http,grpc]>=2.50",
            # S3 and GCS servers for the model-source tests, run on 127.0.0.1
            "moto[server]>=5",
            "gcp-storage-emulator>=2024.0",
            # the flavor zoo served in tests/e2e/test_flavors.py; xgboost-cpu, not xgboost,
            # whose wheel pulls NVIDIA's NCCL (hundreds of MB) onto a CPU machine
            "xgboost-cpu>=2",
            "lightgbm>=4",
            "catboost>=1.2",
            "statsmodels>=0.14",
            "onnx>=1.16",
            "onnxruntime>=1.18",
            "skl2onnx>=1.17",
            # validates the manifests' core Kubernetes parts offline (schemas ship with it)
            "kubernetes-validate>=1.30",
            # fuzzes the V2 routes from MLServer's OpenAPI document; <5: the 4.x API
            # (openapi.from_dict, APIOperation.as_strategy, GenerationMode)
            "schemathesis>=4,<5",
            # checks the per-model OpenAPI 3.1 documents (tests/protocols/test_openapi.py)
            "openapi-spec-validator>=0.7",
            # the lint gate (make test); <0.18: rules change between minor versions
            "ruff>=0.17,<0.18",
            # the type gate (tests/test_typing.py, strict); <2.5: checks change between minor versions
            "mypy>=2.4,<2.5",
            # drives Debian's Chromium through Debian's chromedriver (tests/e2e/test_docs_browser.py);
            # given the driver's path, it downloads nothing
            "selenium>=4.20",
        ],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
