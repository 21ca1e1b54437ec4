"""The request's added properties (``request.dbsession``, ``request.tm``,
``request.tax_years``, ``request.response_type``, the identities) on one request class made
once at start-up, instead of on a class Pyramid makes for every request.

Pyramid applies ``add_request_method(..., reify=True)`` to each request by creating a new
subclass of the request's class holding them (``InstancePropertyHelper.apply_properties``):
a ``type()`` call per request, about 20-40 µs here. The properties are the same for every
request of the application, so this makes that subclass once, when the configuration is
committed (after every ``add_request_method`` of the application and its add-ons), registers
it as the request factory and leaves Pyramid no property to apply. Requests made by the
request factory (the router, ``pyramid.scripting.prepare``, ``pshell``) have the same
properties as before; methods (none today) are still applied per request by Pyramid.
"""
import sys

from pyramid.interfaces import IRequestExtensions, IRequestFactory
from pyramid.request import Request


def bake_request_properties(registry) -> None:
    extensions = registry.queryUtility(IRequestExtensions)
    if extensions is None or not extensions.descriptors:
        return
    base = registry.queryUtility(IRequestFactory, default=Request)
    attributes = dict(extensions.descriptors, __module__=base.__module__)
    registry.registerUtility(type(base.__name__, (base,), attributes), IRequestFactory)
    extensions.descriptors = {}


def includeme(config):
    # Last of all the configuration's actions: every request property is registered by then.
    config.action(None, bake_request_properties, args=(config.registry,), order=sys.maxsize)
