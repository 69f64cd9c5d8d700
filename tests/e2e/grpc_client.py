"""tritonclient.grpc calls, run in their own process: tritonclient.grpc and mlserver
register the same protobuf messages and cannot be imported into one process.

stdin: a JSON list of calls {"model", "inputs": [{"name", "datatype", "data", "shape"}],
"outputs": [names] | null, "parameters": {} | null, "metadata": bool, "stream": bool,
"gate": folder | null} or {"ready": true} (ServerReady); stdout: a JSON list of {"outputs": {name: {"data", "shape", "datatype"}}}
or {"error": {"code", "message"}}; a stream call answers {"chunks": [that, ...]}.

A call with "raw": [hex, ...] sends its inputs' raw_input_contents exactly as given, with a
ModelInferRequest built by hand (tritonclient would refuse a wrong size before sending):
{"ok": true} or {"error": {"code", "message"}}. A call with "typed": true sends each input's
"data" as typed contents instead ("contents": the InferTensorContents field, default the
datatype's), with no raw contents; it answers {"outputs": {name: data}} or the error.

With ``--parallel``, each call runs at once in a thread of its own, with a client of its own,
and answers also say when they came (``"at"``: seconds since the process started). A call's
``"client_timeout"`` is its gRPC deadline in seconds.

A stream call goes through ModelStreamInfer. With a ``gate`` folder, the callback creates
``gate/<i>`` when response i arrives (the streaming test model waits for it before its
next chunk, so chunks must arrive as they are yielded).
"""

import json
import os
import sys

import numpy as np
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException


def call(client, spec, target):
    if "raw" in spec or spec.get("typed"):
        return by_hand(spec, target)
    if spec.get("ready"):
        return {"ready": client.is_server_ready()}
    if spec.get("metadata"):
        meta = client.get_model_metadata(spec["model"], as_json=True)
        return {"metadata": meta}
    if spec.get("stream"):
        return stream(client, spec)
    try:
        result = client.infer(spec["model"], inputs_of(spec), outputs=outputs_of(spec), parameters=spec.get("parameters"),
                              client_timeout=spec.get("client_timeout"))
    except InferenceServerException as exc:
        return {"error": {"code": exc.status(), "message": exc.message()}}
    return answer(result)


CONTENTS = {"BOOL": "bool_contents", "INT8": "int_contents", "INT16": "int_contents", "INT32": "int_contents",
            "INT64": "int64_contents", "UINT8": "uint_contents", "UINT16": "uint_contents",
            "UINT32": "uint_contents", "UINT64": "uint64_contents", "FP32": "fp32_contents",
            "FP64": "fp64_contents", "BYTES": "bytes_contents"}


def by_hand(spec, target):
    import grpc
    from tritonclient.grpc import service_pb2, service_pb2_grpc

    request = service_pb2.ModelInferRequest(model_name=spec["model"])
    for item in spec["inputs"]:
        tensor = request.inputs.add(name=item["name"], datatype=item["datatype"], shape=item["shape"])
        if spec.get("typed") and "data" in item:
            field = item.get("contents") or CONTENTS.get(item["datatype"], "fp64_contents")
            data = [v.encode() if isinstance(v, str) else v for v in item["data"]]
            getattr(tensor.contents, field).extend(data)
    request.raw_input_contents.extend(bytes.fromhex(h) for h in spec.get("raw", []))
    with grpc.insecure_channel(target) as channel:
        try:
            response = service_pb2_grpc.GRPCInferenceServiceStub(channel).ModelInfer(request, timeout=60)
        except grpc.RpcError as exc:
            return {"error": {"code": exc.code().name, "message": exc.details()}}
    if not spec.get("typed"):
        return {"ok": True}
    outputs = {}
    for i, out in enumerate(response.outputs):
        if response.raw_output_contents:
            dtype = grpcclient.triton_to_np_dtype(out.datatype)
            outputs[out.name] = np.frombuffer(response.raw_output_contents[i], dtype=dtype).tolist()
        else:
            outputs[out.name] = list(getattr(out.contents, CONTENTS[out.datatype]))
    return {"outputs": outputs}


def stream(client, spec):
    chunks = []

    def callback(result, error):
        if error is not None:
            chunks.append({"error": {"code": error.status(), "message": error.message()}})
        else:
            chunks.append(answer(result))
        if spec.get("gate"):
            open(os.path.join(spec["gate"], str(len(chunks) - 1)), "w").close()

    client.start_stream(callback)
    client.async_stream_infer(spec["model"], inputs_of(spec), outputs=outputs_of(spec), parameters=spec.get("parameters"))
    client.stop_stream()  # closes the request side and waits for the last response
    return {"chunks": chunks}


def inputs_of(spec):
    inputs = []
    for item in spec["inputs"]:
        array = np.array(item["data"], dtype=object if item["datatype"] == "BYTES" else None).reshape(item["shape"])
        if item["datatype"] != "BYTES":
            array = array.astype(grpcclient.triton_to_np_dtype(item["datatype"]))
        tensor = grpcclient.InferInput(item["name"], list(array.shape), item["datatype"])
        tensor.set_data_from_numpy(array)
        inputs.append(tensor)
    return inputs


def outputs_of(spec):
    return [grpcclient.InferRequestedOutput(n) for n in spec["outputs"]] if spec.get("outputs") else None


def answer(result):
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
    target, specs = sys.argv[1], json.load(sys.stdin)
    if "--parallel" not in sys.argv:
        client = grpcclient.InferenceServerClient(target)
        print(json.dumps([call(client, spec, target) for spec in specs]))
        return
    import threading
    import time

    started, answers = time.monotonic(), [None] * len(specs)

    def one(i, spec):
        try:
            answers[i] = call(grpcclient.InferenceServerClient(target), spec, target)
        except Exception as exc:  # the server went away: what the client saw
            answers[i] = {"error": {"code": type(exc).__name__, "message": str(exc)}}
        answers[i]["at"] = time.monotonic() - started

    threads = [threading.Thread(target=one, args=(i, spec)) for i, spec in enumerate(specs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps(answers))


if __name__ == "__main__":
    main()
