"""tritonclient.grpc calls, run in their own process: tritonclient.grpc and mlserver
register the same protobuf messages and cannot be imported into one process.

stdin: a JSON list of calls {"model", "inputs": [{"name", "datatype", "data", "shape"}],
"outputs": [names] | null, "parameters": {} | null, "metadata": bool}; stdout: a JSON
list of {"outputs": {name: {"data", "shape", "datatype"}}} or {"error": {"code", "message"}}.
"""

import json
import sys

import numpy as np
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException


def call(client, spec):
    if spec.get("metadata"):
        meta = client.get_model_metadata(spec["model"], as_json=True)
        return {"metadata": meta}
    inputs = []
    for item in spec["inputs"]:
        array = np.array(item["data"], dtype=object if item["datatype"] == "BYTES" else None).reshape(item["shape"])
        if item["datatype"] != "BYTES":
            array = array.astype(grpcclient.triton_to_np_dtype(item["datatype"]))
        tensor = grpcclient.InferInput(item["name"], list(array.shape), item["datatype"])
        tensor.set_data_from_numpy(array)
        inputs.append(tensor)
    outputs = [grpcclient.InferRequestedOutput(n) for n in spec["outputs"]] if spec.get("outputs") else None
    try:
        result = client.infer(spec["model"], inputs, outputs=outputs, parameters=spec.get("parameters"))
    except InferenceServerException as exc:
        return {"error": {"code": exc.status(), "message": exc.message()}}
    response = result.get_response(as_json=True)
    answered = {}
    for out in response["outputs"]:
        array = result.as_numpy(out["name"])
        if array.dtype == object:
            data = [v.decode() if isinstance(v, bytes) else v for v in array.ravel().tolist()]
        else:
            data = array.ravel().tolist()
        answered[out["name"]] = {"data": data, "shape": list(array.shape), "datatype": out["datatype"]}
    return {"outputs": answered}


def main():
    client = grpcclient.InferenceServerClient(sys.argv[1])
    print(json.dumps([call(client, spec) for spec in json.load(sys.stdin)]))


if __name__ == "__main__":
    main()
