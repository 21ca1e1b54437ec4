"""The HTML front end's views: the four pages (pages.py) and the actions of an html
session, each answering 303 to the page that shows its outcome (actions.py)."""
