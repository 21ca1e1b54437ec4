"""Jinja2 for every interface's pages, with the engine's bounds as globals, so that a
template's form says what the service accepts (``max="{{ MAX_CHILDREN }}"``) without
restating it."""
from ..tax.vocabulary import MAX_CHILDREN, MAX_SALARY


def includeme(config):
    config.include("pyramid_jinja2")

    def add_globals():
        config.get_jinja2_environment().globals.update(
            MAX_CHILDREN=MAX_CHILDREN, MAX_SALARY=MAX_SALARY)

    config.action(None, add_globals, order=999)  # once the environment exists
