"""The batch page: a person uploads a CSV of households and downloads their taxes, the
bytes impots-batch writes for the same file (both call ``tax.csvbatch``).

- GET ``display-batch-view``: the form (a file, the tax year of the rows without one,
  the rules), for a logged-in html session like the other pages.
- POST ``calculate-batch-csv``: ``taxes.csv`` as an attachment (a row that is wrong gets
  its message in its ``error`` column, as impots-batch writes it); a file that cannot be
  read as a whole (too big, not UTF-8, not CSV, a missing column, no household, more than
  ``impots.batch_max`` households) gets the page again with the message, 400 or 413.
  Nothing is stored: the households are computed, not recorded as simulations.

The POST is no row of the action table (it answers a file, in html sessions only), so
it is not registered with ``action_view``; it makes the same checks itself, in the same
order: the html session and the login (else the redirects of the pages), the body size
before parsing, a UTF-8 form, then ``actions.checks.check_csrf`` (the session's token,
no Origin/Referer of another site) when ``impots.csrf`` is on: a refusal is the errors
page in place, 403, as for every html form.
"""
import csv

from pyramid.i18n import TranslationStringFactory
from pyramid.renderers import render_to_response
from pyramid.view import view_config

from ..actions.checks import check_csrf
from ..actions.envelope import ActionFailure
from ..tax import csvbatch
from ..tax.vocabulary import COURSE_TAX_YEAR, DEFAULT_RULES, RULE_NAMES
from ..web.bodies import BodyError, read_body
from ..web.echo import shorten
from ..web.renderers import csv_response
from . import BATCH_CSV, page_values, template
from .failures import error_page
from .formatting import decimal, grouped
from .pages import guarded, redirect_unless_allowed

_ = TranslationStringFactory("impots_pyramid")

FILE_FIELD = "households"
DOWNLOAD_NAME = "taxes.csv"
MAX_QUOTED = 100  # characters of a column name or a parser's message shown
NOT_THE_FORM = _("Send the form of this page (a file, multipart/form-data, UTF-8).")


class Refused(Exception):
    """The upload cannot be computed: the page again, with ``message`` and ``status``."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.message, self.status = message, status


def size_text(request, size: int) -> str:
    """A size for a person: "8 Mo" / "8 MB", "600 octets" / "600 bytes"."""
    translate = request.localizer.translate
    for unit, message in ((1 << 20, _("${size} MB")), (1 << 10, _("${size} KB"))):
        if size >= unit:
            return translate(_(message, mapping={"size": decimal(size / unit)}))
    return translate(_("${size} bytes", mapping={"size": size}))


def _limits(request) -> dict:
    settings = request.registry.settings
    return {"max_households": grouped(settings["impots.batch_max"]),
            "max_size": size_text(request, settings["impots.max_body_bytes"])}


def batch_values(request, typed=None, message=None) -> dict:
    years = sorted(request.tax_years, reverse=True)
    typed = typed or {}
    return page_values(request, current="batch", tax_years=years,
                       chosen_year=typed.get("year") or str(years[0]),
                       chosen_rules=typed.get("rules") or DEFAULT_RULES,
                       rule_names=RULE_NAMES, course_year=COURSE_TAX_YEAR,
                       message=message, file_field=FILE_FIELD, **_limits(request))


@view_config(route_name="display-batch-view", request_method="GET",
             renderer=template("batch"), decorator=guarded())
def batch_page(request):
    return batch_values(request)


def read_upload(request, typed):
    """(the file's bytes, its year, its rules) or Refused; ``typed`` gets the year and
    rules as sent, for the form shown again. The body's size is checked before the form
    is parsed, the CSRF token before anything of it is used."""
    settings = request.registry.settings
    limit = settings["impots.max_body_bytes"]
    too_big = Refused(_("The file is too large: at most ${size}.",
                        mapping={"size": _limits(request)["max_size"]}), 413)
    try:
        request.body = read_body(request, limit)  # refused past the limit, unread beyond
    except BodyError:
        raise too_big from None
    if request.content_type != "multipart/form-data" or request.charset != "UTF-8":
        raise Refused(NOT_THE_FORM)
    try:
        form = request.POST
    except ValueError:  # e.g. no boundary
        raise Refused(NOT_THE_FORM) from None
    if settings["impots.csrf"]:
        check_csrf(request)  # ActionFailure: the errors page, 403
    texts = {name: form.get(name) for name in ("year", "rules")}
    if any(value is not None and not isinstance(value, str) for value in texts.values()):
        raise Refused(NOT_THE_FORM)
    typed.update((name, value[:MAX_QUOTED]) for name, value in texts.items() if value)
    upload = form.get(FILE_FIELD)
    if upload is None or isinstance(upload, str) or not hasattr(upload, "file"):
        raise Refused(_("Choose a CSV file of households."))
    rules = texts["rules"] or DEFAULT_RULES
    if rules not in RULE_NAMES:
        raise Refused(_("Choose the rules: law or course."))
    years = sorted(request.tax_years)
    year_text = (texts["year"] or "").strip()
    plain = year_text.isascii() and year_text.isdigit() and len(year_text) == 4
    year = int(year_text) if plain else None
    if year not in request.tax_years:
        raise Refused(_("Choose a tax year from ${first} to ${last}.",
                        mapping={"first": years[0], "last": years[-1]}))
    if rules == "course" and year != COURSE_TAX_YEAR:
        raise Refused(_("The course's rules exist for tax year ${year} only.",
                        mapping={"year": COURSE_TAX_YEAR}))
    return upload.file.read(), year, rules


def compute(request, data, year, rules) -> bytes:
    """The output CSV, or Refused saying why the file cannot be read."""
    max_rows = request.registry.settings["impots.batch_max"]
    try:
        output, batch = csvbatch.convert(data, year, rules, request.tax_years, max_rows=max_rows)
    except csvbatch.MissingColumns as exc:
        if not exc.header or not any(name.strip() for name in exc.header):
            raise Refused(_("The file is empty.")) from None
        raise Refused(_("The file has no column ${missing} (its columns: ${found}).", mapping={
            "missing": shorten(", ".join(exc.missing), MAX_QUOTED),
            "found": shorten(", ".join(exc.header), MAX_QUOTED)})) from None
    except csvbatch.TooManyRows:
        raise Refused(_("The file has more than ${max} households: at most ${max} per file.",
                        mapping={"max": grouped(max_rows)}), 413) from None
    except UnicodeDecodeError as exc:
        raise Refused(_("The file is not UTF-8 text (${detail}): save it as CSV UTF-8.",
                        mapping={"detail": shorten(exc, MAX_QUOTED)})) from None
    except csv.Error as exc:
        raise Refused(_("The file is not readable CSV: ${detail}.",
                        mapping={"detail": shorten(exc, MAX_QUOTED)})) from None
    if batch.rows == 0:
        raise Refused(_("The file has no household: one per line after the header."))
    return output


@view_config(route_name=BATCH_CSV[0], request_method="POST")
def calculate_batch_csv(request):
    redirect = redirect_unless_allowed(request)
    if redirect is not None:
        return redirect
    typed = {}
    try:
        data, year, rules = read_upload(request, typed)
        output = compute(request, data, year, rules)
    except ActionFailure as failure:  # the CSRF checks: nothing read, nothing written
        request.tm.doom()
        return error_page(request, failure.response, failure.http_status, failure.headers)
    except Refused as refused:
        values = batch_values(request, typed, request.localizer.translate(refused.message))
        answer = render_to_response(template("batch"), values, request=request)
        answer.status = refused.status
        return answer
    return csv_response(output, DOWNLOAD_NAME, attachment=True)

