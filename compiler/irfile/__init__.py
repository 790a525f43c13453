"""OpenVINO IR files (.xml topology + .bin weights): `read_ir` and `write_ir`.

`vinify.read_model("m.xml")` and `vinify.save_model(graph, "m.xml")` reach these through the
reader and writer tables of `vinify.api`.
"""

from vinify.irfile.reader import read_ir
from vinify.irfile.writer import serialize, write_ir

__all__ = ["read_ir", "write_ir", "serialize"]
