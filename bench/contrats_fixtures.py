#!/usr/bin/env python3
"""The fixtures of bench/load.sh's contract creation: N people with no contract in force and N
vacant posts, paired one to one, so that every `POST /api/v1/contrats` of the run binds a new
person to a new post (a 201 each, no request contending for another's post or person).

    python3 bench/contrats_fixtures.py --pairs 40000 --convention ID --structure ID \
        --departement 93 --pairs-file pairs.tsv > fixtures.sql

The people left on 2021-01-31 (`fin_contrats`, hence `sorti`; no contract row); the posts are advisor posts of the
convention's host `structure`, vacant since 2021-01-04, each with its attribution step, and the
convention's posts and the host's split grow by as many. The SQL
is the same for SQLite and PostgreSQL; the pairs file has one `person<TAB>post` line each.
"""
import argparse
import sys
import uuid

NOW = "2024-06-01T00:00:00Z"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, required=True)
    parser.add_argument("--convention", required=True)
    parser.add_argument("--structure", required=True)
    parser.add_argument("--departement", required=True)
    parser.add_argument("--pairs-file", required=True)
    args = parser.parse_args()
    out = sys.stdout
    out.write("BEGIN;\n")
    pairs = []
    batch = 500
    for start in range(0, args.pairs, batch):
        people, posts, steps = [], [], []
        for n in range(start, min(start + batch, args.pairs)):
            person, post = str(uuid.uuid4()), str(uuid.uuid4())
            pairs.append((person, post))
            people.append(
                f"('{person}', '{args.convention}', '{args.departement}', '{args.structure}', "
                f"'Banc', 'Essai{n}', 'banc.essai{n}.{person[:8]}@example.org', '93001', TRUE, 'cdi', "
                f"'2021-01-04', '2021-01-31', 1, '{NOW}', '{NOW}')"
            )
            posts.append(
                f"('{post}', '{args.convention}', '{args.structure}', '{args.departement}', "
                f"'conseiller', 'vacant', '2021-01-04', NULL, 1, '{NOW}', '{NOW}')"
            )
            steps.append(
                f"('{post}', 1, '2021-01-04', 'attribution', 'vacant', '{args.structure}', NULL)"
            )
        out.write(
            "INSERT INTO conseillers (id, convention_id, departement, structure_id, nom, prenom, "
            "email, commune_residence, recrutement_local, type_contrat, date_recrutement, "
            "fin_contrats, version, cree_le, modifie_le) VALUES\n"
            + ",\n".join(people) + ";\n"
        )
        out.write(
            "INSERT INTO postes (id, convention_id, structure_id, departement, typologie, etat, "
            "depuis, conseiller_id, version, cree_le, modifie_le) VALUES\n"
            + ",\n".join(posts) + ";\n"
        )
        out.write(
            "INSERT INTO postes_historique (poste_id, rang, date, evenement, etat, structure_id, "
            "conseiller_id) VALUES\n" + ",\n".join(steps) + ";\n"
        )
    # The convention attributes these posts too (its filled posts never exceed them).
    out.write(
        f"UPDATE conventions SET postes_attribues = postes_attribues + {args.pairs} "
        f"WHERE id = '{args.convention}';\n"
        f"UPDATE conventions_repartition SET postes = postes + {args.pairs} "
        f"WHERE convention_id = '{args.convention}' AND structure_id = '{args.structure}';\n"
    )
    out.write("COMMIT;\n")
    with open(args.pairs_file, "w") as f:
        for person, post in pairs:
            f.write(f"{person}\t{post}\n")


if __name__ == "__main__":
    main()
