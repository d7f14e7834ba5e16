"""The HTTP face of the overlap guard (``licenselens serve``)."""
