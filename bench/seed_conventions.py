#!/usr/bin/env python3
"""Prints SQL that seeds a migrated cnfs-api database with conventions, for bench/load.sh.

    sqlite3 -tabs DB "SELECT c.departement, c.code_insee FROM communes c JOIN departements d
        ON d.code = c.departement WHERE c.actuelle AND d.zone = 'metro' ORDER BY 2" \
      | python3 bench/seed_conventions.py --conventions 5000 | sqlite3 DB

Reads the current communes of the départements to fill (tab-separated `département code_insee`,
one a line) on stdin. Writes portable SQL (one transaction of multi-row INSERTs) that SQLite and
PostgreSQL both run: structures (Luhn-valid SIRETs, seated in a current commune of their
département), conventions spread over those départements with a large share in --heavy (93 by
default), 1 to 3 signatories of the same département each, the hosting split once a project is
filed, statuses and dates that satisfy the CHECKs of the migration, numbers `CNFS-<dép>-<year>-<seq>`
and the per-département counters (after those of --numeros, for a database that already has
conventions, such as the national dataset). Ids are UUID v7 text whose time is the row's creation time, as
the API writes them. Deterministic (--seed).
"""

import argparse
import datetime as dt
import json
import random
import sys

TODAY = dt.date(2026, 11, 28)
FIRST = dt.datetime(2021, 1, 4, 9, 0, tzinfo=dt.timezone.utc)
LAST = dt.datetime(2026, 10, 30, 18, 0, tzinfo=dt.timezone.utc)
STATUSES = ["brouillon", "signee", "projet_depose", "en_execution", "terminee", "resiliee"]
WEIGHTS = [10, 25, 15, 35, 10, 5]
TYPES = ["association", "autre_public", "autre_prive", "association"]
NAMES = ["Association", "Centre social", "Maison France services", "Tiers-lieu", "Régie de quartier"]
CHUNK = 500


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def with_check_digit(payload: str) -> str:
    return next(payload + d for d in "0123456789" if luhn_ok(payload + d))


def uuid7(rng: random.Random, when: dt.datetime) -> str:
    ms = int(when.timestamp() * 1000)
    rand = rng.getrandbits(74)
    rand_a, rand_b = rand >> 62, rand & ((1 << 62) - 1)
    value = (ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def instant(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def quote(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def search_key(text: str) -> str:
    # The names generated here are ASCII but for 'é'; enough of the API's search_key for them.
    lowered = text.lower().replace("é", "e")
    return " ".join("".join(c if c.isalnum() else " " for c in lowered).split())


def inserts(out, table: str, columns: list, rows: list) -> None:
    for start in range(0, len(rows), CHUNK):
        values = ",\n".join(
            "(" + ", ".join(quote(v) for v in row) + ")" for row in rows[start : start + CHUNK]
        )
        out.write(f"INSERT INTO {table} ({', '.join(columns)}) VALUES\n{values};\n")


def timeline(rng: random.Random, created: dt.datetime, delai: int):
    """The dates of each step after a creation, None once a step would be after TODAY."""
    day = created.date()
    signature = day + dt.timedelta(days=rng.randint(7, 60))
    limite = signature + dt.timedelta(days=30 * delai)
    depot = signature + dt.timedelta(days=rng.randint(10, 30 * delai - 1))
    validation = depot + dt.timedelta(days=rng.randint(5, 45))
    cloture = validation + dt.timedelta(days=rng.randint(365, 730))
    return signature, limite, depot, validation, cloture


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conventions", type=int, default=5000)
    parser.add_argument("--heavy", default="93", help="the département holding a large share")
    parser.add_argument("--heavy-share", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument(
        "--numeros",
        help="a file of `département<TAB>dernier` lines: the numbers already given (conventions_numeros),"
        " after which this seed numbers its own",
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)

    communes: dict = {}
    for line in sys.stdin:
        line = line.strip()
        if line:
            departement, code_insee = line.split("\t")
            communes.setdefault(departement, []).append(code_insee)
    taken = {}
    if args.numeros:
        with open(args.numeros, encoding="utf-8") as given:
            for line in given:
                if line.strip():
                    departement, dernier = line.split("\t")
                    taken[departement] = int(dernier)
    for seats in communes.values():
        seats.sort()  # the same seats whatever order the database listed them in
    departements = sorted(communes)
    if args.heavy not in communes:
        sys.exit(f"no current commune for département {args.heavy}")
    others = [d for d in departements if d != args.heavy]

    # How many conventions each département gets.
    heavy_count = int(args.conventions * args.heavy_share)
    per_departement = {d: 0 for d in departements}
    per_departement[args.heavy] = heavy_count
    for index in range(args.conventions - heavy_count):
        per_departement[others[index % len(others)]] += 1

    # Structures: a little fewer than conventions per département (some sign several), at least 3.
    structures, by_departement = [], {}
    siren_serial = 100_000
    seat_time = dt.datetime(2020, 6, 1, 8, 0, tzinfo=dt.timezone.utc)
    for departement in departements:
        count = max(3, int(per_departement[departement] * 0.8))
        for serial in range(1, count + 1):
            siren_serial += 1
            siren = with_check_digit(f"8{siren_serial:07d}")
            siret = with_check_digit(siren + "0000")  # NIC 0000x: the first that passes Luhn
            seat_time += dt.timedelta(seconds=rng.randint(60, 3600))
            nom = f"{rng.choice(NAMES)} {departement}-{serial:04d}"
            sid = uuid7(rng, seat_time)
            stamp = instant(seat_time)
            structures.append(
                (sid, siret, siren, nom, search_key(nom), rng.choice(TYPES),
                 rng.choice(communes[departement]), departement, 1, stamp, stamp)
            )
            by_departement.setdefault(departement, []).append(sid)

    # Conventions in creation order (ids time-ordered), their départements shuffled.
    order = [d for d in departements for _ in range(per_departement[d])]
    rng.shuffle(order)
    span = (LAST - FIRST) / max(1, len(order))
    conventions, signataires, repartition, sequences = [], [], [], {}
    for index, departement in enumerate(order):
        created = FIRST + span * index + dt.timedelta(microseconds=rng.randint(0, 999_999))
        sequences[departement] = sequences.get(departement, taken.get(departement, 0)) + 1
        numero = f"CNFS-{departement}-{created.year}-{sequences[departement]:04d}"
        cid = uuid7(rng, created)
        postes = rng.choice([1, 1, 2, 2, 3, 4, 6])
        delai = rng.choice([6, 6, 12, 12, 18, 24])
        signature, limite, depot, validation, cloture = timeline(rng, created, delai)
        # The furthest status its dates allow as of TODAY, at most the drawn one.
        drawn = rng.choices(STATUSES, WEIGHTS)[0]
        reached = ["brouillon"] + [s for s, d in (("signee", signature), ("projet_depose", depot),
                   ("en_execution", validation), ("terminee", cloture)) if d <= TODAY]
        if drawn == "resiliee":
            statut = "resiliee"
            last_step = rng.randint(0, min(3, len(reached) - 1))
        else:
            statut = drawn if drawn in reached else reached[-1]
            last_step = STATUSES.index(statut)
        dates = {"signature": None, "limite": None, "depot": None, "validation": None,
                 "cloture": None, "resiliation": None}
        if last_step >= 1:
            dates["signature"], dates["limite"] = signature, limite
        if last_step >= 2:
            dates["depot"] = depot
        if last_step >= 3:
            dates["validation"] = validation
        if statut == "terminee":
            dates["cloture"] = cloture
        motif = None
        if statut == "resiliee":
            since = max([d for k, d in dates.items() if d and k != "limite"] + [created.date()])
            dates["resiliation"] = min(TODAY, since + dt.timedelta(days=rng.randint(10, 120)))
            motif = "Résiliation à la demande de la structure."
        modifie = max([created] + [
            dt.datetime.combine(d, dt.time(12, 0), dt.timezone.utc)
            for k, d in dates.items() if d and k != "limite"
        ])
        filed = dates["depot"] is not None
        pool = by_departement[departement]
        signers = sorted(rng.sample(pool, k=min(len(pool), rng.choice([1, 1, 2, 2, 3]))))
        signataires.extend((cid, s) for s in signers)
        split = []
        if filed:  # the hosting split: every post to a host, each host at least one
            hosts = signers[:postes]
            shares = [1] * len(hosts)
            for _ in range(postes - len(hosts)):
                shares[rng.randrange(len(hosts))] += 1
            repartition.extend((cid, h, n) for h, n in zip(hosts, shares))
            split = [{"structure_id": h, "postes": n} for h, n in zip(hosts, shares)]
        conventions.append((
            cid, numero, departement, f"Conseillers numériques — {numero}", postes,
            rng.randint(0, postes) if statut == "en_execution" else 0, delai, statut,
            dates["signature"] and dates["signature"].isoformat(),
            dates["limite"] and dates["limite"].isoformat(),
            dates["depot"] and dates["depot"].isoformat(),
            rng.randint(1, postes) if filed else None,
            dates["validation"] and dates["validation"].isoformat(),
            dates["cloture"] and dates["cloture"].isoformat(),
            dates["resiliation"] and dates["resiliation"].isoformat(), motif,
            json.dumps(signers), json.dumps(split),
            1 + last_step + (statut == "resiliee"), instant(created), instant(modifie),
        ))

    out = sys.stdout
    out.write("BEGIN;\n")
    inserts(out, "structures", ["id", "siret", "siren", "nom", "nom_recherche", "type",
                                "code_insee", "departement", "version", "cree_le", "modifie_le"],
            structures)
    inserts(out, "conventions", ["id", "numero", "departement", "intitule", "postes_attribues",
                                 "postes_pourvus", "delai_projet_mois", "statut", "date_signature",
                                 "date_limite_projet", "date_depot", "lieux_prevus",
                                 "date_validation", "date_cloture", "date_resiliation",
                                 "motif_resiliation", "signataires", "repartition", "version",
                                 "cree_le", "modifie_le"],
            conventions)
    inserts(out, "conventions_signataires", ["convention_id", "structure_id"], signataires)
    inserts(out, "conventions_repartition", ["convention_id", "structure_id", "postes"],
            repartition)
    numeros = ",\n".join(f"({quote(d)}, {n})" for d, n in sorted(sequences.items()))
    out.write(
        f"INSERT INTO conventions_numeros (departement, dernier) VALUES\n{numeros}\n"
        "ON CONFLICT (departement) DO UPDATE SET dernier = excluded.dernier;\n"
    )
    out.write("COMMIT;\n")
    print(f"seeded {len(structures)} structures, {len(conventions)} conventions "
          f"({per_departement[args.heavy]} in {args.heavy}), {len(signataires)} signatories, "
          f"{len(repartition)} hosting parts", file=sys.stderr)


if __name__ == "__main__":
    main()
