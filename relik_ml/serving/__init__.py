"""Serving a model directory: the HTTP service (micro-batched `/annotate`, GERBIL's NIF `/gerbil`)
and the spaCy component."""
