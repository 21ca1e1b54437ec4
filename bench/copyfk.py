"""Where calculate-taxes' PostgreSQL time goes: the COPY of 10,000 simulations, variants.

    taskset -c 1 .venv/bin/python bench/copyfk.py   (on bench/batches.py's database, made by it)

Each variant 5 times, alternated, its own owner row: COPY into simulations in CSV (what
``services.simulations._copy_columns`` sends; since migration 0005 it has no foreign
key, since 0006 no surrogate id: its primary key is (owner, number)) and in binary; in CSV
into tables made like the schema before 0004 (the id, both foreign keys) and before 0006
(the id, no foreign key); and into tables made LIKE simulations (same columns, defaults,
indexes; logged) with both of its former foreign keys (owner -> session_owners, year ->
tax_years), with the owner's only, with the year's only, and with none. The scratch
tables and rows are dropped at the end. Measures only.
"""
import io, statistics, struct, time
import psycopg2
import sys
con = psycopg2.connect(sys.argv[1] if len(sys.argv) > 1 else
                       "dbname=impots_batches user=postgres host=127.0.0.1")
cur = con.cursor()
N = 10_000
cols = "owner, number, married, children, salary, tax, surcharge, discount, reduction, rate, year, rules"
def csv_body(owner):
    return "".join(f"{owner},{i},t,2,55555,2815,0,0,0,0.14,2019,law\n" for i in range(1, N + 1)).encode()
def binary_body(owner):
    o = owner.encode()
    out = [b"PGCOPY\n\xff\r\n\0", struct.pack("!ii", 0, 0)]
    for i in range(1, N + 1):
        out.append(struct.pack("!h", 12) + struct.pack("!i", len(o)) + o + struct.pack("!ii", 4, i)
                   + struct.pack("!i?", 1, True) + struct.pack("!ii", 4, 2)
                   + struct.pack("!iq", 8, 55555) + struct.pack("!iq", 8, 2815) + struct.pack("!iq", 8, 0) * 3
                   + struct.pack("!i", 10) + struct.pack("!hhhhh", 1, -1, 0, 2, 1400)
                   + struct.pack("!ii", 4, 2019) + struct.pack("!i", 3) + b"law")
    out.append(struct.pack("!h", -1))
    return b"".join(out)
LIKE = "LIKE simulations INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES"
cur.execute(f"DROP TABLE IF EXISTS sims_nofk; CREATE TABLE sims_nofk ({LIKE})")
cur.execute(f"DROP TABLE IF EXISTS sims_ownerfk; CREATE TABLE sims_ownerfk ({LIKE}, "
            "FOREIGN KEY (owner) REFERENCES session_owners (key) ON DELETE CASCADE)")
cur.execute(f"DROP TABLE IF EXISTS sims_yearfk; CREATE TABLE sims_yearfk ({LIKE}, "
            "FOREIGN KEY (year) REFERENCES tax_years (tax_year))")
cur.execute(f"DROP TABLE IF EXISTS sims_bothfk; CREATE TABLE sims_bothfk ({LIKE}, "
            "FOREIGN KEY (owner) REFERENCES session_owners (key) ON DELETE CASCADE, "
            "FOREIGN KEY (year) REFERENCES tax_years (tax_year))")
# The id and its unique (owner, number) as before migration 0006, with no foreign key:
cur.execute("DROP TABLE IF EXISTS sims_withid; CREATE TABLE sims_withid (id serial PRIMARY KEY, "
            "LIKE simulations INCLUDING DEFAULTS, UNIQUE (owner, number))")
# The schema before 0004: the id, both foreign keys.
cur.execute("DROP TABLE IF EXISTS sims_before; CREATE TABLE sims_before (id serial PRIMARY KEY, "
            "LIKE simulations INCLUDING DEFAULTS, UNIQUE (owner, number), "
            "FOREIGN KEY (owner) REFERENCES session_owners (key) ON DELETE CASCADE, "
            "FOREIGN KEY (year) REFERENCES tax_years (tax_year))")
TABLES = {"csv, id and both FKs (before 0004)": "sims_before",
          "csv, the id, no FK (before 0006)": "sims_withid",
          # made LIKE simulations now (no id), with keys added:
          "csv, both FKs": "sims_bothfk", "csv, no FK (same table, logged)": "sims_nofk",
          "csv, owner FK only": "sims_ownerfk", "csv, year FK only": "sims_yearfk"}
con.commit()
results = {}
for rep in range(5):
    for name in ("csv", "binary", *TABLES, "csv (again)"):
        owner = f"bench-copy-{rep}-{name[:3]}-{time.time_ns()}"
        cur.execute("INSERT INTO session_owners (key, last_number, last_seen) VALUES (%s, %s, now())", (owner, N))
        con.commit()
        data = binary_body(owner) if name == "binary" else csv_body(owner)
        table = TABLES.get(name, "simulations")
        fmt = "binary" if name == "binary" else "csv"
        t0 = time.perf_counter()
        cur.copy_expert(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT {fmt})", io.BytesIO(data))
        t1 = time.perf_counter()
        con.commit()
        t2 = time.perf_counter()
        results.setdefault(name, []).append((t1 - t0, t2 - t1))
for name, runs in results.items():
    print(f"{name:<28} COPY {statistics.median(r[0] for r in runs)*1e3:6.1f} ms  COMMIT {statistics.median(r[1] for r in runs)*1e3:5.1f} ms")
cur.execute("SELECT rate FROM simulations WHERE owner LIKE 'bench-copy-%-bin-%' LIMIT 1"); print(cur.fetchone())
cur.execute("DROP TABLE sims_nofk, sims_ownerfk, sims_yearfk, sims_bothfk, sims_withid, sims_before")
cur.execute("DELETE FROM simulations WHERE owner LIKE 'bench-copy-%'")
cur.execute("DELETE FROM session_owners WHERE key LIKE 'bench-copy-%'"); con.commit()
