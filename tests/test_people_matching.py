"""People known without a resident ID or phone: matched on name, date of birth, identity document and address.

Two exports of a private-banking book, onboarded by configuration alone (``files``
sources), run through extract, standardize and resolve on each warehouse: every person's
two records become one customer although each copy carries one slip, and namesakes born
on other days at other addresses stay apart.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

import pandas as pd
import pytest
import yaml

from c360.pipeline import run_stage
from c360.settings import PROJECT_ROOT, Settings
from transforms.resolve.evaluate import evaluate
from transforms.standardize.party import derive_party
from warehouse import connect

GIVEN = ("olivia", "james", "chloe", "lachlan", "matilda", "hamish", "isla", "angus", "harper", "declan",
         "ruby", "fergus", "ivy", "callum", "zara", "finlay", "maeve", "rory", "tessa", "brodie")  # fmt: skip
SURNAMES = ("mcallister", "thornbury", "wakefield", "pemberton", "ashcroft", "blackwood", "kingsley", "fairweather",
            "holloway", "lockhart", "merriweather", "radcliffe", "sinclair", "whitlock", "yarborough")  # fmt: skip
STREETS = ("wallaby place", "goodwin street", "salkauskas crescent", "pinkerton circuit", "blamey crescent",
           "theodore street", "wright place", "cobar place", "solomon crescent", "booroondara street")  # fmt: skip
SUBURBS = ("cleveland 2119 sa", "dulwich hill 2153 qld", "richlands 4560 vic", "padstow 6004 vic", "dapto 4566 nsw")
PEOPLE = 120
EXPORT = ("client_no", "client_name", "home_address", "born", "passport")


def _people(rng: random.Random) -> list[dict[str, str]]:
    people, names = [], set()
    while len(people) < PEOPLE:
        name = f"{rng.choice(GIVEN)} {rng.choice(SURNAMES)}"
        if name in names:
            continue
        names.add(name)
        born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(25_000))
        address = f"{rng.randrange(1, 300)} {rng.choice(STREETS)}, {rng.choice(SUBURBS)}"
        people.append({"name": name, "born": born.strftime("%Y%m%d"), "passport": f"PA{rng.randrange(10**7):07d}",
                       "address": address})  # fmt: skip
    return people


def _slip(person: dict[str, str], rng: random.Random, kind: int) -> dict[str, str]:
    """The same person as another system keeps them, with one slip of the kind real exports have."""
    copy = dict(person)
    if kind == 0:  # a typing slip in the name: two letters swapped
        at = rng.randrange(1, len(copy["name"]) - 2)
        name = copy["name"]
        copy["name"] = name[:at] + name[at + 1] + name[at] + name[at + 2 :]
    elif kind == 1:  # the day of birth typed one digit off
        copy["born"] = copy["born"][:-1] + str((int(copy["born"][-1]) + 1) % 10)
    elif kind == 2:  # no passport on file
        copy["passport"] = ""
    elif kind == 3:  # the street written without its house number
        copy["address"] = copy["address"].split(" ", 1)[1]
    else:  # given name and surname the other way round
        copy["name"] = " ".join(reversed(copy["name"].split()))
    return copy


def _write(path: Path, prefix: str, people: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(EXPORT)
        for number, person in enumerate(people):
            writer.writerow((f"{prefix}{number:05d}", person["name"], person["address"], person["born"],
                             person["passport"]))  # fmt: skip


def _settings(tmp_path: Path, warehouse_url: str) -> Settings:
    config, silos = tmp_path / "config", tmp_path / "silos"
    config.mkdir()
    sources = {
        system: {
            "kind": "files",
            "description": description,
            "entities": {
                "clients": {
                    "path": f"{system}/clients*.csv",
                    "canonical": "party",
                    "mapping": {
                        "source_id": "client_no",
                        "name": "client_name",
                        "address": "home_address",
                        "date_of_birth": "born",
                        "id_document": "passport",
                    },
                }
            },
        }
        for system, description in (("wealth", "Private banking book"), ("cards", "Card issuing"))
    }
    (config / "sources.yml").write_text(yaml.safe_dump({"sources": sources}), encoding="utf-8")
    matching = yaml.safe_load((PROJECT_ROOT / "config" / "matching.yml").read_text(encoding="utf-8"))
    matching["survivorship"]["source_priority"] = ["wealth", "cards"]
    (config / "matching.yml").write_text(yaml.safe_dump(matching), encoding="utf-8")
    return Settings(warehouse_url=warehouse_url, config_dir=config, silos_dir=silos, data_docs_dir=tmp_path / "docs")


def test_people_link_on_birth_date_document_and_address_and_namesakes_stay_apart(
    tmp_path: Path, warehouse_url: str
) -> None:
    rng = random.Random(11)
    people = _people(rng)
    copies = [_slip(person, rng, number % 5) for number, person in enumerate(people)]
    # Namesakes: the first ten people's names, borne by others born elsewhere and on other days.
    namesakes = [
        {
            "name": person["name"],
            "born": "19" + person["born"][2:4] + "0615",
            "passport": f"PB{number:07d}",
            "address": f"{number + 400} {STREETS[number]}, hobart 7000 tas",
        }
        for number, person in enumerate(people[:10])
    ]
    _write(tmp_path / "silos" / "wealth" / "clients.csv", "W", people)
    _write(tmp_path / "silos" / "cards" / "clients.csv", "C", copies + namesakes)
    settings = _settings(tmp_path, warehouse_url)

    for stage in ("extract", "standardize"):
        for source in ("wealth", "cards"):
            run_stage(settings, stage, source)
    run_stage(settings, "resolve")

    truth = {("wealth", f"W{number:05d}"): f"P{number}" for number in range(PEOPLE)}
    truth |= {("cards", f"C{number:05d}"): f"P{number}" for number in range(PEOPLE)}
    truth |= {("cards", f"C{PEOPLE + number:05d}"): f"N{number}" for number in range(len(namesakes))}
    warehouse = connect(warehouse_url)
    try:
        assigned = [tuple(row) for row in warehouse.fetch_all(
            "SELECT source_system, source_id, customer_id FROM core.customer_xref")]  # fmt: skip
        written = " ".join(
            str(value)
            for query in ("SELECT explanation FROM core.match_pair", "SELECT settings_json FROM meta.match_model")
            for (value,) in warehouse.fetch_all(query)
        )
    finally:
        warehouse.dispose()
    result = evaluate(assigned, truth)
    assert result.records == len(truth), "every record is resolved"
    assert result.over_merged_clusters == 0, "a namesake born elsewhere on another day is another customer"
    assert result.under_merged_customers == 0, "one slip per copy does not keep a person's records apart"
    assert not [person["passport"] for person in people if person["passport"] in written], (
        "identity documents are compared through keyed hashes only"
    )


@pytest.mark.parametrize(
    ("given", "resident_id", "expected"),
    [
        (None, "11010519491231002X", dt.date(1949, 12, 31)),  # read from the resident ID
        (dt.date(1949, 12, 30), "11010519491231002X", dt.date(1949, 12, 30)),  # the source's own date stands
        (None, "110105194912310021", None),  # a bad checksum gives nothing
        (None, None, None),
    ],
)
def test_a_valid_resident_id_gives_the_date_of_birth_a_source_left_out(
    given: dt.date | None, resident_id: str | None, expected: dt.date | None
) -> None:
    fields = ("uscc", "resident_id", "certificate_type", "certificate_number", "date_of_birth", "name", "address",
              "industry_code")  # fmt: skip
    canonical = pd.DataFrame(
        [dict.fromkeys(fields) | {"resident_id": resident_id, "date_of_birth": given, "name": "吴华英"}], dtype=object
    )
    assert derive_party(canonical, ["吴华英"])["date_of_birth"].tolist() == [expected]
