"""The JSON API under ``/api/v1``: the inbox's data for scripts and other tools.

Token-authenticated (``Authorization: Bearer unp_...``), described by the
OpenAPI document at ``/api/v1/openapi.json``. It calls the same service
functions as the pages; a reply through the API is still written by the
person whose token it is, one conversation at a time.
"""
