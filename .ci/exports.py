"""Loads a small Seine-Saint-Denis dataset through the API of a running server, then downloads the
open-data exports into a folder, for `frictionless validate` (see `.ci/run`, stage
"exports: frictionless").

Usage: python3 .ci/exports.py PORT OUT_DIR   (env ADMIN_TOKEN: an admin bearer token)

The dataset gives the exports real rows of every kind: commitments to hosts of a split (one with
a comma and quotes in its name), commitments to signatories before a split exists, staggered and
single payments, a cancelled payment, an annulled commitment with a
paid part and one without; lieux with every list filled (several values joined by `|`) and a bare
one; the posts of the validated split, a coordinator's among them. Standard library only.
"""

import csv
import json
import os
import sys
import urllib.error
import urllib.request
import uuid

port, out_dir = sys.argv[1], sys.argv[2]
base = f"http://127.0.0.1:{port}"
token = os.environ["ADMIN_TOKEN"]


def call(method, path, body=None, headers=None, auth=True):
    request = urllib.request.Request(base + path, method=method)
    if auth:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, data) as response:
            return response.read(), response.headers
    except urllib.error.HTTPError as error:
        sys.exit(f"{method} {path}: {error.code} {error.read().decode()}")


def post(path, body, **kwargs):
    return json.loads(call("POST", path, body, **kwargs)[0])


def luhn(digits):
    total = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def siret_for(siren):
    return next(
        f"{siren}{nic:05d}"
        for nic in range(1, 100000)
        if luhn([int(c) for c in f"{siren}{nic:05d}"])
    )


def structure(siren, nom, kind, commune):
    body = {"siret": siret_for(siren), "nom": nom, "type": kind, "code_insee": commune}
    return post("/api/v1/structures", body)["id"]


def convention(signataires, split):
    conv = post(
        "/api/v1/conventions",
        {"departement": "93", "intitule": "Conseillers numériques France Services, 93",
         "signataires": signataires, "postes_attribues": sum(split) if split else 10},
    )
    uri = f"/api/v1/conventions/{conv['id']}"
    post(f"{uri}/signature", {"date_signature": "2021-02-08"})
    if split:
        # The first host's first post is a coordinator's (postes.csv shows both typologies).
        repartition = [{"structure_id": s, "postes": n, "postes_coordinateur": int(i == 0)}
                       for i, (s, n) in enumerate(zip(signataires, split))]
        post(f"{uri}/projet-accueil", {"repartition": repartition, "date_depot": "2021-03-01"})
        post(f"{uri}/validation", {"date_validation": "2021-03-15"})
    return conv["id"]


def engager(enveloppe, convention_id, beneficiaire, montant, objet):
    body = {"convention_id": convention_id, "beneficiaire_id": beneficiaire,
            "montant_centimes": montant, "objet": objet, "date_engagement": "2021-03-20"}
    return post(f"/api/v1/enveloppes/{enveloppe}/engagements", body,
                headers={"Idempotency-Key": str(uuid.uuid4())})["id"]


def verser(engagement, montant, date):
    body = {"montant_centimes": montant, "date_versement": date, "reference": f"MANDAT-{date}"}
    return post(f"/api/v1/engagements/{engagement}/versements", body)["id"]


aubervilliers = structure("219300019", "Ville d'Aubervilliers", "commune", "93001")
montreuil = structure("219300480", "Ville de Montreuil", "commune", "93048")
centre = structure("775672272", 'Centre social "La Passerelle", Bobigny', "association", "93008")

split = convention([aubervilliers, montreuil, centre], [5, 3, 2])
unsplit = convention([aubervilliers, montreuil], None)
national = post("/api/v1/enveloppes", {
    "libelle": "Plan de relance — conseillers numériques", "financeur": "DGCL — Plan de relance",
    "programme_budgetaire": "364", "nature": "postes_conseillers",
    "montant_centimes": 20_000_000_000, "date_debut": "2021-01-01", "date_fin": "2023-12-31",
    "objectif_postes": 4000, "baremes": [
        {"categorie": categorie, "territoire_prioritaire": prioritaire,
         "montant_par_poste_centimes": 5_000_000, "duree_mois": 24,
         "tranches": [{"rang": 1, "montant_centimes": 5_000_000, "mois_apres_debut": 0}]}
        for categorie in ("public", "prive") for prioritaire in (False, True)]})["id"]
ville = post("/api/v1/enveloppes", {
    "libelle": "Ville 93 — matériel, connexion, formation", "financeur": "Ministère de la Ville",
    "nature": "mixte", "montant_centimes": 100_000_000, "date_debut": "2021-01-01",
    "date_fin": "2023-12-31", "perimetre_departement": "93"})["id"]

# The centre's 2 posts × 50,000 € (its name needs quoting in the file).
postes = engager(national, split, centre, 10_000_000, "Postes de conseillers numériques, 2021-2023")
verser(postes, 4_000_000, "2021-04-01")
cancelled = verser(postes, 1_000_000, "2021-05-03")
post(f"/api/v1/versements/{cancelled}/annulation", {"motif": "Erreur de mandat."})
verser(postes, 4_000_000, "2021-10-01")
engager(national, split, aubervilliers, 25_000_000, "Postes de conseillers numériques, 2021-2023")
materiel = engager(ville, unsplit, montreuil, 100_001, "Matériel informatique")
verser(materiel, 100_001, "2021-06-15")
connexion = engager(ville, unsplit, aubervilliers, 50_000, "Connexion")
verser(connexion, 12_001, "2021-07-01")
post(f"/api/v1/engagements/{connexion}/annulation", {"motif": "Projet abandonné."})
formation = engager(ville, unsplit, aubervilliers, 70_000, "Formation")
post(f"/api/v1/engagements/{formation}/annulation", {"motif": "Doublon."})

post("/api/v1/lieux", {
    "structure_id": aubervilliers, "nom": 'Médiathèque "André Breton", annexe',
    "adresse": "1 rue Édouard Poisson", "code_postal": "93300", "code_insee": "93001",
    "latitude": 48.9146, "longitude": 2.3821,
    "horaires": "Mo-Fr 09:00-12:00,14:00-18:00; Sa 09:00-12:00", "telephone": "+33148392000",
    "courriels": ["mediatheque@example.org", "accueil@example.org"],
    "site_web": ["https://mediatheque.example.org/", "https://www.example.org/numerique"],
    "itinerance": ["Fixe", "Itinérant"],
    "services": ["Aide aux démarches administratives", "Compréhension du monde numérique"],
    "modalites_acces": ["Se présenter", "Téléphoner", "Prendre un RDV en ligne"],
    "publics_specifiquement_adresses": ["Seniors", "Familles et/ou enfants"]})
post("/api/v1/lieux", {
    "structure_id": montreuil, "nom": "Espace public numérique", "adresse": "2 place Jean Jaurès",
    "code_postal": "93100", "code_insee": "93048"})
post("/api/v1/lieux", {
    "structure_id": centre, "nom": "Centre social, salle informatique",
    "adresse": "12 rue de la République", "code_postal": "93000", "code_insee": "93008",
    "itinerance": ["Itinérant"], "services": ["Accès internet et matériel informatique"]})

# Anonymous downloads: the exports are public.
# One row per commitment with something to publish (the annulled one never paid has none).
expected = {"subventions.csv": 4, "lieux.csv": 3, "postes.csv": 5 + 3 + 2}
for name, rows in expected.items():
    body, headers = call("GET", f"/api/v1/exports/{name}", auth=False)
    assert headers["Content-Type"] == "text/csv; charset=utf-8", headers["Content-Type"]
    with open(os.path.join(out_dir, name), "wb") as file:
        file.write(body)
    records = list(csv.reader(body.decode().splitlines()))
    assert len(records) == 1 + rows, f"{name}: {len(records) - 1} rows, {rows} expected"
    print(f"{name}: {len(records) - 1} rows")

# The statistics of every département, flattened: one row per département of the référentiel.
body, headers = call("GET", "/api/v1/exports/statistiques-departements.csv", auth=False)
assert headers["Content-Type"] == "text/csv; charset=utf-8", headers["Content-Type"]
with open(os.path.join(out_dir, "statistiques-departements.csv"), "wb") as file:
    file.write(body)
records = list(csv.reader(body.decode().splitlines()))
departements = json.loads(call("GET", "/api/v1/departements", auth=False)[0])["items"]
assert len(records) == 1 + len(departements), f"{len(records) - 1} rows"
row_93 = dict(zip(records[0], next(r for r in records[1:] if r[0] == "93")))
assert int(row_93["financement_postes_conseillers_engage_centimes"]) > 0, row_93
print(f"statistiques-departements.csv: {len(records) - 1} rows")
