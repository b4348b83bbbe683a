"""multipathnet's loaders/ (COCO-format JSON datasets, their concatenations and slices)."""
