#!/usr/bin/env python3
"""Builds the compact référentiel extract shipped in data/referentiel/.

Source: Etalab's @etalab/decoupage-administratif 6.0.0 data (the npm package; MIT, see
data/referentiel/LICENSE): its regions.json, departements.json, communes.json, epci.json and
ept.json, as found in the package's data/ folder.

Usage: python3 data/extract.py SOURCE_DIR

SOURCE_DIR is the folder holding those JSON files, e.g.
node_modules/@etalab/decoupage-administratif/data after
`npm install @etalab/decoupage-administratif@6.0.0`.

The output is tab-separated, UTF-8, one header row; multi-valued fields are
space-separated. Only *current* communes are kept (type "commune-actuelle"):
the source also lists delegated and associated communes under the same codes.
The output is deterministic (sorted), so that a re-run without source change
leaves git clean.
"""
import json
import os
import sys

if len(sys.argv) != 2:
    raise SystemExit("usage: python3 data/extract.py SOURCE_DIR (the package's data/ folder)")
src = sys.argv[1]
out = os.path.join(os.path.dirname(__file__), "referentiel")


def load(name):
    with open(os.path.join(src, name + ".json"), encoding="utf-8") as f:
        return json.load(f)


def clean(value):
    value = "" if value is None else str(value)
    if "\t" in value or "\n" in value:
        raise SystemExit(f"unexpected separator in {value!r}")
    return value


def write(name, header, rows):
    with open(os.path.join(out, name), "w", encoding="utf-8", newline="\n") as f:
        f.write("\t".join(header) + "\n")
        for row in rows:
            f.write("\t".join(clean(v) for v in row) + "\n")


regions = sorted(load("regions"), key=lambda r: r["code"])
departements = sorted(load("departements"), key=lambda d: d["code"])
communes = sorted((c for c in load("communes") if c.get("type") == "commune-actuelle"),
                  key=lambda c: c["code"])
region_codes = {r["code"] for r in regions}
departement_codes = {d["code"] for d in departements}
commune_codes = {c["code"] for c in communes}
assert len(commune_codes) == len(communes), "duplicate current commune code"
assert all(d["region"] in region_codes for d in departements)
assert all(c["departement"] in departement_codes and c["region"] in region_codes for c in communes)

write("regions.tsv", ["code", "nom", "chef_lieu", "zone"],
      ([r["code"], r["nom"], r.get("chefLieu"), r["zone"]] for r in regions))
write("departements.tsv", ["code", "nom", "region", "chef_lieu", "zone"],
      ([d["code"], d["nom"], d["region"], d.get("chefLieu"), d["zone"]] for d in departements))
write("communes.tsv",
      ["code_insee", "nom", "departement", "region", "siren", "population", "codes_postaux"],
      ([c["code"], c["nom"], c["departement"], c["region"], c.get("siren"), c.get("population"),
        " ".join(sorted(set(c.get("codesPostaux", []))))] for c in communes))

groupements = sorted(load("epci") + load("ept"), key=lambda e: e["code"])
dropped = 0
rows = []
for e in groupements:
    membres = sorted({m["code"] for m in e["membres"]})
    kept = [m for m in membres if m in commune_codes]
    dropped += len(membres) - len(kept)
    population = e.get("populationTotale")
    if population is None:  # the EPT file gives only member populations
        population = sum(m.get("populationTotale") or 0 for m in e["membres"])
    rows.append([e["code"], e["nom"], e["type"], population, " ".join(kept)])
write("epci.tsv", ["siren", "nom", "type", "population", "membres"], rows)
print(f"{len(regions)} régions, {len(departements)} départements, {len(communes)} communes, "
      f"{len(rows)} EPCI/EPT ({dropped} members dropped: not current communes)")
