"""impots-pyramid: the application factory, shared by pserve, mod_wsgi, scripts and tests."""
from pyramid.config import Configurator

from .settings import normalize


def main(global_config, **settings):
    """The paste entry point: returns the WSGI application."""
    with Configurator(settings=normalize(settings)) as config:
        config.include(".logs")
        config.include(".models")
        config.include(".tax_years")
        config.include(".sessions")
        config.include(".session_flush")
        config.include(".security")
        config.include(".renderers")
        config.include(".xml")
        config.include(".predicates")
        config.include(".encoding")
        config.include(".checks")
        config.include(".throttle")
        config.include(".routes")
        config.include(".action_errors")
        config.include(".read_only_routes")
        config.include(".html")
        config.include(".api")
        config.scan(".views")
    return config.make_wsgi_app()
