"""``action_view``: a view of the action API registered from its row of the table.

Like ``view_config``, a decorator that ``config.scan`` carries out (venusian); unlike it,
it reads the settings when carried out, since the methods of a state-changing action
depend on ``impots.csrf`` (``table.Action.methods``). Every view it registers gets the
action checks (``checks``) and the action's route.
"""
import venusian

from .table import ACTIONS

JSON_AND_XML = {"json": "json", "xml": "xml"}  # response type -> renderer


def action_view(name, formats=JSON_AND_XML, **options):
    """Register the decorated view for action ``name``, once per response type of
    ``formats`` (response type -> renderer, None for a view that returns its response);
    ``formats=None``: once, with no response type predicate (``options`` choose)."""
    action = ACTIONS[name]

    def decorate(view):
        def register(context, _name, _ob):
            config = context.config.with_package(info.module)
            methods = action.methods(config.get_settings()["impots.csrf"])
            common = dict(route_name=name, request_method=methods, action_checks=action,
                          **options)
            if formats is None:
                config.add_view(view, **common)
                return
            for response_type, renderer in formats.items():
                config.add_view(view, renderer=renderer, response_type=response_type, **common)

        info = venusian.attach(view, register, category="pyramid")
        return view

    return decorate
