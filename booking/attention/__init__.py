"""The attention queue: urgent intakes wait here until a clinician acknowledges them."""
