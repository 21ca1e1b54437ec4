"""Hypothesis-generated requests on every action of the action API and every page of the
HTML front end, in json, xml and html sessions, logged in or not, with CSRF on and off,
on cookie and Redis sessions: whatever the method, path, query, headers and body, no
answer is a 5xx; in a json or xml session every action answers the envelope; valid
households are always computed (so that wrongly refused input fails too).

- fuzzing.py: the applications, the server's error log, sessions, requests sent as on
  the wire, and what every answer must be;
- strategies.py: what Hypothesis draws (paths, queries, headers, forms, bodies);
- test_requests.py: whole requests in whole sessions;
- test_inputs.py: one input at a time (a form, a body, credentials, a parameter);
- test_csrf_and_methods.py: the CSRF token and the methods of state-changing actions;
- test_found_by_fuzzing.py: what the fuzzing found, kept as plain cases.
"""
