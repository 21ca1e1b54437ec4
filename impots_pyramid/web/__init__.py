"""HTTP plumbing shared by every interface, with no knowledge of any of them: sessions
(and the Redis flush tween), the security policy, renderers, XML, request bodies and
their encoding, logging, the failure policy, /health, the security headers and Host
check on every answer, memory given back after big requests and start-up's objects set
aside from the garbage collector."""


def includeme(config):
    config.include(".request_class")
    config.include(".headers")
    config.include(".logs")
    config.include(".access_log")
    config.include(".sessions")
    config.include(".session_flush")
    config.include(".security")
    config.include(".renderers")
    config.include(".xml")
    config.include(".encoding")
    config.include(".failures")
    config.include(".openapi")
    config.include(".health")
    config.include(".templating")
    config.include(".memory")
    config.include(".collector")
