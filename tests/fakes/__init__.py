"""Fake provider servers: real HTTP on 127.0.0.1 that behave like the provider."""
