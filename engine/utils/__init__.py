"""``torch.utils``: ``data`` (datasets and loaders) is its own package."""

__all__: list[str] = []
