"""The ONNX frontend: ModelProto (path, bytes or object) -> vinify IR."""

from vinify.frontends.onnx.registry import converter, register_converter

__all__ = ["converter", "register_converter", "read_onnx_model"]


def read_onnx_model(model, *args, **options):
    from vinify.frontends.onnx.importer import read_onnx_model as read

    return read(model, *args, **options)
