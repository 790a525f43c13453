"""`vinify info MODEL`: inputs, outputs and the op histogram of a model."""


def add_arguments(parser) -> None:
    parser.add_argument("model", help="model file (.onnx, .xml, .vir)")


def run(args) -> int:
    from vinify.api import read_model

    graph = read_model(args.model)
    print(f"model: {graph.name}")
    for title, values in (("inputs", graph.inputs), ("outputs", graph.outputs)):
        print(f"{title}:")
        for value in values:
            print(f"  {value.name or value.node.name}: {value.type}")
    histogram = graph.op_histogram()
    print(f"ops ({sum(histogram.values())} nodes):")
    for key, count in sorted(histogram.items(), key=lambda item: (-item[1], item[0])):
        print(f"  {count:6d}  {key}")
    return 0
