"""impots-pyramid: the application factory, shared by pserve, mod_wsgi, scripts and tests.

Layers, imports going down only (tests/test_layers.py keeps it so):
    html -> actions -> web, services -> models, tax
    api -> web, services -> models, tax
``web`` is the HTTP plumbing every interface shares (sessions, security, renderers, the
failure policy); ``services`` the plain functions they call; ``tax`` the engine, which
imports nothing of the application.
"""
from pyramid.config import Configurator

from .settings import normalize


def main(global_config, **settings):
    """The paste entry point: returns the WSGI application."""
    with Configurator(settings=normalize(settings)) as config:
        config.include(".models")
        config.include(".services")
        config.include(".web")
        config.include(".actions")
        config.include(".html")
        config.include(".api")
    return config.make_wsgi_app()
