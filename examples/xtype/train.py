"""Save the receiver model, without a signature: what it gets is up to the server's settings.

    python examples/xtype/train.py [OUTPUT]     # default: examples/xtype/model
"""

import sys
from pathlib import Path

import mlflow.pyfunc

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import receiver  # noqa: E402


def save(output: Path) -> Path:
    mlflow.pyfunc.save_model(str(output), python_model=receiver.Receiver(), code_paths=[str(HERE / "receiver.py")])
    return output


if __name__ == "__main__":
    print(save(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "model"))
