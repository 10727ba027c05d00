"""pydantic v2 models of the Tensormesh wire protocol (see shared/api/TENSORMESH_API.md)."""
