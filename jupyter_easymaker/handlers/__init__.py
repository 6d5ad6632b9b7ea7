"""Thin tornado handlers: parse, authorize, call a service, answer."""
