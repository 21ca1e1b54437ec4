"""Figures as a reader expects them: "2 815 €" and "14 %" in French, "€2,815" and "14%"
in English; never the float's noise ("14.000000000000002 %")."""
from pyramid.threadlocal import get_current_request


def _locale():
    request = get_current_request()
    return request.locale_name if request is not None else "fr"


def _grouped(number: int, locale: str) -> str:
    text = f"{number:,}"
    return text.replace(",", " ") if locale == "fr" else text


def grouped(number) -> str:
    """A whole number with its thousands grouped: "100 000" in French, "100,000" in English."""
    return _grouped(int(number), _locale())


def euros(amount) -> str:
    locale = _locale()
    text = _grouped(int(amount), locale)
    return f"{text} €" if locale == "fr" else f"€{text}"


def percent(rate) -> str:
    """A fraction (0.14) as a percentage with at most two decimals (14 %, 45,5 %)."""
    value = round(float(rate) * 100, 2)
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    if _locale() == "fr":
        return text.replace(".", ",") + " %"
    return text + "%"


def decimal(number) -> str:
    """A number with at most two decimals, in the reader's notation (2.5 -> "2,5")."""
    text = f"{round(float(number), 2):.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if _locale() == "fr" else text
