"""Reliability tests: the service as a real waitress server in a subprocess, on private
Redis and PostgreSQL instances that the tests stop and restart under load."""
