"""What the fuzz tests draw: methods, paths, queries, headers, forms and bodies of every
kind (valid households among them), whole requests, and the session they go in."""
import csv
import io
import json
import re
import urllib.parse
from xml.sax.saxutils import escape

from hypothesis import strategies as st

from impots_pyramid.html import PAGES as VIEW_ROUTES
from tests.actions.fuzz.fuzzing import ALL_ROUTES, Session, WireRequest, open_session
from tests.helpers import TEST_PASSWORD, TEST_USER, basic_authorization


METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
# Half the requests use the method their route takes: the others mostly stop at a 405.
NATURAL_METHOD = {**dict.fromkeys(["init-session", "list-simulations", "get-admindata",
                                   "display-tax-calculation", "home", *VIEW_ROUTES], "GET")}
# Logged-in sessions twice as often: most actions need a login.
SESSION_STATES = [(None, False), ("forged", False), ("json", False), ("json", True),
                  ("xml", False), ("xml", True), ("html", False), ("html", True),
                  ("json", True), ("xml", True), ("html", True)]
FIELD_NAMES = ["married", "children", "salary", "year", "rules", "marié", "marie", "enfants",
               "salaire", "année", "annee", "user", "password", "csrf_token"]
HOUSEHOLD_KEYS = ["married", "children", "salary", "year", "rules", "marié", "enfants",
                  "salaire", "Married", " salary "]
CONTENT_TYPES = [
    "application/json", "application/json; charset=utf-8", "application/ld+json",
    "APPLICATION/JSON", "text/csv", "text/csv; charset=latin-1", "application/xml", "text/xml",
    "application/atom+xml", "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-16",
    "application/x-www-form-urlencoded; charset=no-such-charset",
    "multipart/form-data; boundary=fuzzboundary", "multipart/form-data",
    "multipart/form-data; boundary=", "text/plain", "application/octet-stream", "",
]
ACCEPTS = ["*/*", "application/json", "application/xml", "text/html",
           "text/html;q=0.1, application/json", "text/*", "", "garbage;;q=x", "image/png",
           "text/html, application/xhtml+xml, */*;q=0.8"]
YEARS = range(2019, 2027)
FORM_TYPE = "application/x-www-form-urlencoded"

# Header values travel as latin-1 text, without control characters.
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF,
                                    exclude_characters="\x7f"), max_size=40)
numbers_as_text = st.one_of(
    st.integers(min_value=-10**40, max_value=10**40).map(str),
    st.floats().map(str),
    st.floats().map(lambda number: f"{number:e}" if number == number else "nan"),
    st.text(alphabet="0123456789٠١٢٣ -+.,eE_", max_size=15),
)
field_values = st.one_of(
    st.sampled_from(["yes", "no", "oui", "non", "Yes", " non ", "true", "0", "1", "", "2019",
                     "law", "course", "1000000000", "1000000001", "20", "21", "-0"]),
    numbers_as_text,
    st.text(max_size=30),
)
# Form values as bytes: UTF-8 text, or anything (often not UTF-8).
value_bytes = st.one_of(field_values.map(str.encode), st.binary(max_size=12))
name_bytes = st.one_of(st.sampled_from(FIELD_NAMES).map(str.encode),
                       st.text(max_size=8).map(str.encode), st.binary(max_size=4))
path_params = st.one_of(
    st.sampled_from(["json", "xml", "html", "JSON", " json", "1", "0", "-1", "01", "",
                     "99999999999", "1.0"]),
    st.integers(min_value=-10**20, max_value=10**20).map(str),
    st.text(max_size=20),
)
queries = st.one_of(
    st.just(""),
    field_values.map(lambda year: urllib.parse.urlencode({"year": year})),
    value_bytes.map(lambda year: "year=" + urllib.parse.quote_from_bytes(year)),
    st.lists(st.tuples(st.sampled_from(["year", "format", "csrf_token"]) | st.text(max_size=6),
                       field_values), max_size=4).map(urllib.parse.urlencode),
    st.lists(st.tuples(name_bytes, value_bytes), max_size=3).map(
        lambda pairs: "&".join(urllib.parse.quote_from_bytes(k) + "="
                               + urllib.parse.quote_from_bytes(v) for k, v in pairs)),
)


authorizations = st.one_of(
    st.none(), st.none(),
    st.just(basic_authorization(TEST_USER, TEST_PASSWORD)),
    st.builds(basic_authorization, st.text(max_size=8), st.text(max_size=8)),
    header_text,
)


@st.composite
def form_bodies(draw, token_field=None):
    """An urlencoded or multipart form of arbitrary fields (repeated, missing, unicode,
    huge or not UTF-8), possibly carrying the CSRF token."""
    pairs = draw(st.lists(st.tuples(name_bytes, value_bytes), max_size=8))
    if token_field is not None:
        pairs.insert(draw(st.integers(0, len(pairs))), (b"csrf_token", token_field.encode()))
    encoding = draw(st.sampled_from(["urlencoded", "urlencoded", "raw", "multipart"]))
    if encoding == "multipart":  # now and then a field sent as a file
        parts = [b"--fuzzboundary\r\nContent-Disposition: form-data; name=\"" + name + b"\""
                 + (b'; filename="f.txt"' if draw(st.integers(0, 4)) == 0 else b"")
                 + b"\r\n\r\n" + value + b"\r\n" for name, value in pairs]
        body = b"".join(parts) + b"--fuzzboundary--\r\n"
        return "multipart/form-data; boundary=fuzzboundary", body
    if encoding == "raw":  # not percent-encoded: '&', '=' and bytes as they come
        body = b"&".join(name + b"=" + value for name, value in pairs)
    else:
        body = "&".join(urllib.parse.quote_from_bytes(name) + "="
                        + urllib.parse.quote_from_bytes(value) for name, value in pairs).encode()
    return "application/x-www-form-urlencoded", body


json_scalars = st.one_of(st.none(), st.booleans(),
                         st.integers(min_value=-10**30, max_value=10**30),
                         st.floats(), st.text(max_size=15), field_values)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=8)
junk_households = st.dictionaries(st.sampled_from(HOUSEHOLD_KEYS) | st.text(max_size=8),
                                  json_values, max_size=6)


def splice(text: str, data) -> str:
    """The text cut somewhere, with junk put there: malformed, most of the time."""
    cut = data.draw(st.integers(0, len(text)))
    return text[:cut] + data.draw(st.text(max_size=4)) + text[cut + data.draw(st.integers(0, 3)):]


@st.composite
def json_bodies(draw):
    value = draw(st.one_of(st.lists(junk_households, max_size=5), json_values))
    text = json.dumps(value, ensure_ascii=draw(st.booleans()))
    if draw(st.booleans()):
        text = splice(text, draw(st.data()))
    return text.encode()


@st.composite
def csv_bodies(draw):
    header = draw(st.lists(st.sampled_from(HOUSEHOLD_KEYS) | st.text(max_size=8), max_size=5))
    rows = draw(st.lists(st.lists(field_values, max_size=6), max_size=5))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    if draw(st.booleans()):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator=newline)
        writer.writerow(header)
        writer.writerows(rows)
        text = out.getvalue()
    else:  # as typed by hand: unquoted commas, quotes and line breaks in cells
        text = newline.join(",".join(line) for line in [header, *rows])
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text.encode()


xml_tags = st.one_of(
    st.sampled_from(["taxpayers", "taxpayer", "married", "children", "salary", "year",
                     "rules", "item", "root"]),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,8}", fullmatch=True),
)
xml_texts = st.one_of(field_values, st.text(max_size=12)).map(escape)
xml_trees = st.recursive(
    xml_texts,
    lambda children: st.tuples(xml_tags, st.lists(children, max_size=4)),
    max_leaves=15)


def render_xml(tree) -> str:
    if isinstance(tree, str):
        return tree
    tag, children = tree
    return f"<{tag}>{''.join(render_xml(child) for child in children)}</{tag}>"


taxpayers = st.lists(st.tuples(st.just("taxpayer"), st.lists(
    st.tuples(st.sampled_from(HOUSEHOLD_KEYS[:5]) | xml_tags, st.lists(xml_texts, max_size=1)),
    max_size=5)), max_size=4).map(lambda taxpayer_list: ("taxpayers", taxpayer_list))


@st.composite
def xml_bodies(draw):
    text = render_xml(draw(st.one_of(taxpayers, xml_trees)))
    if draw(st.booleans()):
        text = '<?xml version="1.0" encoding="utf-8"?>' + text
    if draw(st.booleans()):
        text = splice(text, draw(st.data()))
    return text.encode()


@st.composite
def hostile_xml_bodies(draw):
    """Well-formed XML that declares entities: nested ones (the billion laughs), external
    ones (a local file, a URL), parameter ones; defusedxml must refuse them all."""
    names = draw(st.lists(st.from_regex(r"[a-z][a-z0-9]{0,5}", fullmatch=True),
                          min_size=1, max_size=4, unique=True))
    first_value = draw(st.sampled_from(["lol", "x" * 1000, "a"]))
    declarations = [f'<!ENTITY {names[0]} "{first_value}">']
    for previous, name in zip(names, names[1:]):
        repeated = f"&{previous};" * draw(st.integers(2, 20))
        declarations.append(f'<!ENTITY {name} "{repeated}">')
    last = names[-1]
    kind = draw(st.sampled_from(["nested", "system", "public", "parameter", "doctype-only"]))
    used = last
    if kind == "system":
        target = draw(st.sampled_from(["file:///etc/passwd", "http://127.0.0.1:1/x", "/dev/zero"]))
        declarations.append(f'<!ENTITY {last}x SYSTEM "{target}">')
        used = last + "x"
    elif kind == "public":
        declarations.append(f'<!ENTITY {last}x PUBLIC "-//X//Y" "http://127.0.0.1:1/y.dtd">')
        used = last + "x"
    elif kind == "parameter":
        declarations.append(f"<!ENTITY % {last}p \"<!ENTITY {last}q '&{last};'>\"> %{last}p;")
        used = last + "q"
    subset = "" if kind == "doctype-only" else " [" + "".join(declarations) + "]"
    usage = "" if kind == "doctype-only" else f"&{used};"
    field = draw(st.sampled_from(["married", "children", "salary"]))
    return (f'<?xml version="1.0"?><!DOCTYPE taxpayers{subset}><taxpayers><taxpayer>'
            f"<{field}>{usage}</{field}></taxpayer></taxpayers>").encode()


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">'
              for i in range(1, 10))
    + "]><taxpayers><taxpayer><married>&lol9;</married></taxpayer></taxpayers>").encode()


valid_married = st.sampled_from(["yes", "no", "oui", "non"])
valid_children = st.integers(min_value=0, max_value=20)
valid_salaries = st.integers(min_value=0, max_value=1_000_000_000)


@st.composite
def valid_households(draw):
    """(form as sent, what the simulation must say): the course's or English field names,
    an optional tax year."""
    married, children, salary = draw(valid_married), draw(valid_children), draw(valid_salaries)
    names = draw(st.sampled_from([("married", "children", "salary"),
                                  ("marié", "enfants", "salaire")]))
    form = dict(zip(names, (married, str(children), str(salary))))
    year = draw(st.none() | st.sampled_from(YEARS))
    if year is not None:
        form["year"] = str(year)
    expected = {"married": "yes" if married in ("yes", "oui") else "no",
                "children": children, "salary": salary, "year": year or 2019}
    return form, expected


def batch_body(households, kind) -> tuple:
    fields = ("married", "children", "salary", "year")
    if kind == "json":
        items = [{**{k: expected[k] for k in fields[:3]},
                  **({"year": int(form["year"])} if "year" in form else {})}
                 for form, expected in households]
        return "application/json", json.dumps(items).encode()
    if kind == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(fields)
        for form, expected in households:
            writer.writerow([expected["married"], expected["children"], expected["salary"],
                             form.get("year", "")])
        return "text/csv", out.getvalue().encode()
    items = "".join(
        "<taxpayer>" + "".join(f"<{k}>{v}</{k}>" for k, v in zip(
            fields, (expected["married"], expected["children"], expected["salary"],
                     form.get("year", "")))) + "</taxpayer>"
        for form, expected in households)
    return "application/xml", f"<taxpayers>{items}</taxpayers>".encode()


# Random kinds, and valid ones: those reach the calculation and the database.
BODY_KINDS = ["form", "form", "valid-form", "json", "json-list", "json-list", "valid-batch",
              "csv", "xml", "hostile-xml", "bytes", "none"]


@st.composite
def bodies(draw, token_field=None):
    """(content type, body) of any kind: a form, a batch in any format, random bytes;
    with a content type that matches it, most of the time."""
    kind = draw(st.sampled_from(BODY_KINDS))
    if kind == "form":
        content_type, body = draw(form_bodies(token_field))
    elif kind == "valid-form":
        form, _ = draw(valid_households())
        if token_field is not None:
            form["csrf_token"] = token_field
        content_type = "application/x-www-form-urlencoded"
        body = urllib.parse.urlencode(form).encode()
    elif kind == "valid-batch":
        households = draw(st.lists(valid_households(), min_size=1, max_size=3))
        content_type, body = batch_body(households, draw(st.sampled_from(["json", "csv", "xml"])))
    elif kind == "json-list":
        text = json.dumps(draw(st.lists(junk_households, min_size=1, max_size=4)),
                          ensure_ascii=draw(st.booleans()))
        content_type, body = "application/json", text.encode()
    elif kind == "json":
        content_type, body = "application/json", draw(json_bodies())
    elif kind == "csv":
        content_type, body = "text/csv", draw(csv_bodies())
    elif kind in ("xml", "hostile-xml"):
        content_type = "application/xml"
        body = draw(xml_bodies() if kind == "xml" else hostile_xml_bodies())
    elif kind == "bytes":
        content_type, body = None, draw(st.binary(max_size=40))
    else:
        content_type, body = None, b""
    if draw(st.integers(0, 3)) == 0:  # a content type that says something else
        content_type = draw(st.one_of(st.sampled_from(CONTENT_TYPES), header_text, st.none()))
    if body and draw(st.integers(0, 5)) == 0:  # bytes that are not UTF-8, somewhere
        cut = draw(st.integers(0, len(body)))
        not_utf8 = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80"]))
        body = body[:cut] + not_utf8 + body[cut:]
    return content_type, body


def quote_param(text: str) -> str:
    return urllib.parse.quote(text, safe="")


@st.composite
def paths(draw):
    """(route, percent-encoded path, decoded path parameter) of any route, or an unknown
    one; parameters of any text, or bytes that are not UTF-8."""
    route = draw(st.sampled_from(sorted(ALL_ROUTES)))
    pattern = ALL_ROUTES[route]
    if "{" not in pattern:
        return route, pattern, None
    if draw(st.integers(0, 9)) == 0:
        raw = draw(st.binary(min_size=1, max_size=6))
        try:
            param = raw.decode("utf-8")
        except UnicodeDecodeError:
            param = None  # undecodable: no route can match
        path = re.sub(r"\{\w+\}", urllib.parse.quote_from_bytes(raw, safe=""), pattern)
        return route, path, param
    param = draw(path_params)
    return route, re.sub(r"\{\w+\}", quote_param(param), pattern), param


@st.composite
def wire_requests(draw, session: Session):
    route, path, param = draw(paths())
    csrf = draw(st.sampled_from(["header", "field", "absent", "wrong-header", "wrong-field"]))
    token_field = session.token if csrf == "field" and session.token else None
    if csrf == "wrong-field":
        token_field = draw(st.text(max_size=45))
    content_type, body = draw(bodies(token_field))
    headers = {
        "Content-Type": content_type,
        "Accept": draw(st.one_of(st.none(), st.sampled_from(ACCEPTS), header_text)),
        "Accept-Language": draw(st.one_of(st.none(), st.sampled_from(["en", "fr", "de, en;q=0.5"]),
                                          header_text)),
        "Authorization": draw(authorizations),
    }
    if csrf == "header" and session.token:
        headers["X-CSRF-Token"] = session.token
    elif csrf == "wrong-header":
        headers["X-CSRF-Token"] = draw(header_text)
    method = draw(st.one_of(st.just(NATURAL_METHOD.get(route, "POST")), st.sampled_from(METHODS)))
    wire = WireRequest(method=method, route=route, path=path,
                       query=draw(queries), headers=headers, body=body, path_param=param)
    if param is None and "{" in ALL_ROUTES[route]:
        wire.route = None  # an undecodable parameter: no route matches
    return wire


def session_for(draw, variant, states=SESSION_STATES) -> Session:
    session_type, logged_in = draw(st.sampled_from(states))
    if session_type == "forged":
        cookie = draw(st.from_regex(r"[A-Za-z0-9_=.!-]{0,60}", fullmatch=True))
        return open_session(variant, None, False, forged_cookie=cookie)
    return open_session(variant, session_type, logged_in)
