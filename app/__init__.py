"""Hinting Lab's server: sessions of core machines streamed over websockets (FastAPI)."""
