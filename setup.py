import os

from setuptools import find_namespace_packages, setup

here = os.path.abspath(os.path.dirname(__file__))
with open(os.path.join(here, "README.md"), encoding="utf-8") as f:
    README = f.read()

requires = [
    "alembic",
    "cryptography",        # the cookie session's encryption (Fernet)
    "defusedxml",          # XML bodies, hardened against entity expansion
    "libpass",             # the maintained fork of passlib (same `passlib` import)
    "numpy",               # the vectorised tax engine
    "plaster_pastedeploy",
    "psycopg2-binary",     # PostgreSQL without a compiler (see README for psycopg2)
    "pymysql",             # MySQL / MariaDB
    "pyramid>=2.0,<2.2",   # web/request_class.py: IRequestExtensions.descriptors
    "pyramid_debugtoolbar",
    "pyramid_jinja2",
    "pyramid_retry",
    # Upper bounds: libraries whose internals we rely on (tests/test_library_internals.py
    # says which); raise one once that file passes with the new release.
    "pyramid_session_redis>=1.8,<1.9",  # web/session_flush.py: RedisSession._session_state
    "pyramid_tm",
    "redis[hiredis]",      # hiredis: the C reply parser, half the client's cost per command
    # pyramid imports pkg_resources (part of setuptools): from 80.9 that import prints a
    # deprecation UserWarning on every command and Apache start; 82 removes pkg_resources.
    "setuptools<80.9",
    "SQLAlchemy>=2.0,<2.2",  # models/committed.py: the pool's _recycle
    "tqdm",                # progress bar of impots-batch
    "transaction<6",       # models/transactions.py: the status string "Committing"
    "waitress",
    "zope.sqlalchemy<5",   # models/transactions.py: ZopeTransactionEvents, join_transaction
]

tests_require = [
    "WebTest",
    "hypothesis",
    "openfisca-france",    # the independent reference model the engine is checked against
    "openapi-spec-validator",
    "pytest>=7",
    "pytest-cov",
    "schemathesis",
    "selenium",
]

setup(
    name="impots_pyramid",
    version="0.1.0",
    description="French income-tax calculation web service on Pyramid",
    long_description=README,
    long_description_content_type="text/markdown",
    classifiers=[
        "Programming Language :: Python",
        "Framework :: Pyramid",
        "Topic :: Internet :: WWW/HTTP",
        "Topic :: Internet :: WWW/HTTP :: WSGI :: Application",
    ],
    python_requires=">=3.10",
    # Every folder of the package, data-only ones (static, locale, ...) included: setuptools
    # warns that it will stop installing those unless they are listed.
    packages=find_namespace_packages(include=["impots_pyramid", "impots_pyramid.*"],
                                     exclude=["*.__pycache__"]),
    include_package_data=True,
    package_data={"impots_pyramid": ["data/*.csv"]},
    zip_safe=False,
    extras_require={"testing": tests_require},
    install_requires=requires,
    entry_points={
        "paste.app_factory": [
            "main = impots_pyramid:main",
        ],
        "console_scripts": [
            "impots-batch = impots_pyramid.scripts.batch_start:console",
            "initialize_impots_db = impots_pyramid.scripts.initialize_db:main",
            "impots-add-user = impots_pyramid.scripts.add_user:main",
            "impots-purge = impots_pyramid.scripts.purge:main",
        ],
    },
)
