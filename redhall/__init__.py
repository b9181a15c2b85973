"""The `redhall` command: one entry point for the pipeline, engine and server."""

__all__: list[str] = []
