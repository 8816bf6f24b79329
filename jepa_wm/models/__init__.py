"""World models: a patch-token encoder and a V-JEPA 2-AC action-conditioned predictor."""
