"""The service layer: plain functions over the database, the session and the engine, used
alike by the action API, the browser pages and the resource API (and the console
commands). No view, no renderer: what a request asks is decided above, what it does here.

- ``users``: find a user, check credentials through the failed-login throttle, log in
  (session rotation), save a user;
- ``simulations``: record a session's calculations, list, delete, end the session;
- ``tax_years``: the tax years of the database, read once per process.
"""


def includeme(config):
    config.include(".tax_years")
    config.include(".throttle")
    config.include(".users")
