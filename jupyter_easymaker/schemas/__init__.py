"""pydantic request/response models: the OpenAPI document is built from them."""
