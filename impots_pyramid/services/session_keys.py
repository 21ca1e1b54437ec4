"""What a session holds, named once. Session data stays small and JSON-only, so that
cookie and Redis sessions are interchangeable (web.sessions)."""

RESPONSE_TYPE = "type"      # json, xml or html: how the action API answers this session
USER = "user"               # the logged-in user's name
OWNER = "owner"             # the key of the session's simulations in the database
SEEN = "seen"               # when the session's activity was last noted (impots-purge)

# The browser pages' notices, each read once by the page it is meant for (then forgotten).
LOGIN_NOTICE = "html_login"         # {"messages": [...], "user": typed name}
FORM = "html_form"                  # {"typed", "errors": {field: message}, "messages"}
ERRORS = "html_errors"              # [messages] for the errors page
LAST_SIMULATION = "html_last"       # the number of the simulation the calculation page shows
