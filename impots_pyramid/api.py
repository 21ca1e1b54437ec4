"""The resource API under /api (traversal, content negotiation): see issue 7."""


def includeme(config):
    pass
