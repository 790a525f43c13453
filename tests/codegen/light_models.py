"""The light models with seeded random weights: re-exported from vinify.tools.light_models."""

from vinify.tools.light_models import (  # noqa: F401
    LIGHT_MODELS,
    light_input,
    light_model_path,
    randomized_light_model,
)
