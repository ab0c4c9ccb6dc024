"""Clustering guards, deterministic keys and evaluation, on hand-made records (no warehouse needed)."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pandas as pd
import pyarrow as pa

from transforms.resolve.clusters import (
    RULE_PROBABILISTIC,
    RULE_SINGLE,
    RULE_USCC,
    Link,
    _clustered,
    cluster,
    links_frame,
)
from transforms.resolve.evaluate import evaluate
from transforms.resolve.match import (
    _EXACT_LEVEL_COUNTED,
    _KNOWN_BEYOND_NAMES,
    _SAME_STREET,
    _counted_exact_u,
    _counted_name_u,
    _places_agree,
    _settings,
    _with_counted_u,
    deterministic_links,
)
from transforms.resolve.pii import hash_identifiers
from transforms.resolve.scratch import scratch_duckdb
from transforms.standardize.names import romanize

COLUMNS = ("record", "uscc", "resident_id", "is_branch", "name_place")


def _records(*rows: tuple) -> pd.DataFrame:
    """Records from (record, credit code, ID number, is branch[, the place its name carries])."""
    return pd.DataFrame([dict(zip(COLUMNS, (*row, None)[:5], strict=True)) for row in rows], dtype=object)


def _links(*parts: pd.DataFrame | Link) -> pd.DataFrame:
    """Deterministic links' frames and single links, as one frame of links."""
    frames = [part if isinstance(part, pd.DataFrame) else links_frame([part]) for part in parts]
    return pd.concat(frames, ignore_index=True)


def _clusters(records: pd.DataFrame, links: pd.DataFrame) -> set[frozenset[str]]:
    return set(cluster(records, links).groupby("cluster")["record"].agg(frozenset))


def test_records_sharing_a_valid_credit_code_or_id_number_link_directly() -> None:
    records = _records(
        ("a", "91110105MA00000001", None, False),
        ("b", "91110105MA00000001", None, False),
        ("c", None, "110101199003074477", False),
        ("d", None, "110101199003074477", False),
        ("e", None, None, False),
    )
    assert _clusters(records, deterministic_links(records)) == {
        frozenset("ab"), frozenset("cd"), frozenset("e"),
    }  # fmt: skip


def test_a_probabilistic_link_never_joins_two_different_credit_codes() -> None:
    records = _records(("a", "91110105MA00000001", None, False), ("b", "91310115MA00000002", None, False))
    assert _clusters(records, _links(Link("a", "b", RULE_PROBABILISTIC, 12.0))) == {frozenset("a"), frozenset("b")}


def test_a_branch_never_merges_into_its_parent() -> None:
    records = _records(("parent", None, None, False), ("branch", None, None, True))
    assert _clusters(records, _links(Link("branch", "parent", RULE_PROBABILISTIC, 20.0))) == {
        frozenset({"parent"}), frozenset({"branch"}),
    }  # fmt: skip


def test_a_weak_chain_does_not_glue_two_strong_clusters_together() -> None:
    records = _records(
        ("a1", "91110105MA00000001", None, False),
        ("a2", "91110105MA00000001", None, False),
        ("b1", "91310115MA00000002", None, False),
        ("b2", "91310115MA00000002", None, False),
        ("x", None, None, False),
    )
    links = _links(
        deterministic_links(records),
        Link("a2", "x", RULE_PROBABILISTIC, 9.0),
        Link("b1", "x", RULE_PROBABILISTIC, 7.0),  # weaker: would put both codes in one cluster
    )
    assert _clusters(records, links) == {frozenset({"a1", "a2", "x"}), frozenset({"b1", "b2"})}


def test_a_chain_of_name_matches_does_not_join_names_registered_in_different_places() -> None:
    # 上海夏鼎建设工程 and 北京夏鼎建设工程 are two companies; 夏鼎建设工程 without a city looks like both.
    records = _records(
        ("beijing", None, None, False, "北京市"), ("no_place", None, None, False, None),
        ("shanghai", None, None, False, "上海市"), ("guangdong", None, None, False, "广东省"),
        ("shenzhen", None, None, False, "深圳市"),
    )  # fmt: skip
    links = _links(
        Link("beijing", "no_place", RULE_PROBABILISTIC, 12.0),
        Link("no_place", "shanghai", RULE_PROBABILISTIC, 11.0),
        Link("guangdong", "shenzhen", RULE_PROBABILISTIC, 10.0),  # a province and a city in it may be one
    )
    assert _clusters(records, links) == {
        frozenset({"beijing", "no_place"}), frozenset({"shanghai"}), frozenset({"guangdong", "shenzhen"}),
    }  # fmt: skip


def test_a_shared_credit_code_outweighs_a_name_written_with_another_city() -> None:
    records = _records(
        ("before_moving", "91110105MA00000001", None, False, "北京市"),
        ("after_moving", "91110105MA00000001", None, False, "上海市"),
    )
    assert _clusters(records, deterministic_links(records)) == {frozenset({"before_moving", "after_moving"})}


def test_each_record_names_the_rule_that_placed_it() -> None:
    records = _records(
        ("a", "91110105MA00000001", None, False), ("b", "91110105MA00000001", None, False), ("c", None, None, False),
        ("d", None, None, False),
    )  # fmt: skip
    links = _links(deterministic_links(records), Link("b", "c", RULE_PROBABILISTIC, 8.5))
    assignments = cluster(records, links).set_index("record")
    assert (assignments.at["a", "rule"], assignments.at["b", "rule"]) == (RULE_USCC, RULE_USCC)
    assert (assignments.at["c", "rule"], assignments.at["c", "weight"]) == (RULE_PROBABILISTIC, 8.5)
    assert assignments.at["d", "rule"] == RULE_SINGLE
    assert assignments.loc[list("abc"), "cluster"].nunique() == 1
    assert cluster(records, links)["record"].tolist() == list("abcd"), "in the records' order"


def test_identifiers_are_matched_through_keyed_hashes_only() -> None:
    records = pd.DataFrame(
        {
            "record": ["a", "b", "c", "d"],
            "resident_id": ["110101199003074477", "110101199003074477", None, "110101199003075477"],
            "phone": ["+8613800138000", None, "+8613800138000", "+8613900139000"],
            "id_document": ["E12345678", "E12345678", None, None],
        },
        dtype=object,
    )
    hashed = hash_identifiers(records, key=b"k" * 32)
    assert hashed["resident_id"][0] == hashed["resident_id"][1] != hashed["resident_id"][3]
    assert hashed["phone"][0] == hashed["phone"][2] != hashed["phone"][3]
    assert hashed["id_document"][0] == hashed["id_document"][1] and pd.isna(hashed["id_document"][2])
    assert pd.isna(hashed["resident_id"][2]) and pd.isna(hashed["phone"][1])
    clear = {"110101199003074477", "+8613800138000", "E12345678"}
    assert not clear & (set(hashed["resident_id"]) | set(hashed["phone"]) | set(hashed["id_document"]))
    again = hash_identifiers(records)
    assert again["resident_id"][0] != hashed["resident_id"][0], "each run draws its own key"
    assert records["phone"][0] == "+8613800138000", "the caller's frame is left alone"


def test_identifier_hashes_are_hmac_sha256_under_the_runs_key() -> None:
    values = ["110101199003074477", "E12345678", "+86 138\\x00 示例"]  # a backslash is a character, not an escape
    records = pd.DataFrame({"resident_id": values, "phone": values, "id_document": values}, dtype=object)
    for key in (b"k" * 32, b"long" * 20):
        expected = [hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32] for value in values]
        assert hash_identifiers(records, key=key)["phone"].tolist() == expected


def test_evaluation_counts_golden_customers_holding_a_branch_and_its_parent() -> None:
    truth = {("los", "1"): "PARENT", ("crm", "2"): "BRANCH", ("los", "3"): "OTHER", ("crm", "4"): "OTHER"}
    merged = [("los", "1", "C1"), ("crm", "2", "C1"), ("los", "3", "C2"), ("crm", "4", "C2")]
    apart = [("los", "1", "C1"), ("crm", "2", "C3"), ("los", "3", "C2"), ("crm", "4", "C2")]
    assert evaluate(merged, truth, {"BRANCH": "PARENT"}).branches_in_parent == 1
    assert evaluate(apart, truth, {"BRANCH": "PARENT"}).branches_in_parent == 0


def test_a_name_alone_links_businesses_but_two_people_need_something_else_in_common() -> None:
    fields = ("name_place", "legal_form", "phone", "email", "resident_id", "id_document", "date_of_birth",
              "address_detail", "city")  # fmt: skip
    left = pd.DataFrame(
        [
            ("北京市", "limited_company", None, None, None, None, None, None, None),  # 北京华信科技有限公司
            ("北京市", None, None, None, None, None, None, None, None),  # 北京市丰台区戴浩颖便利店: a shop
            (None, None, None, None, None, None, None, None, None),  # 吴华英
            (None, None, "+8613800138000", None, None, None, None, None, None),  # 吴华英, with her phone
            (None, None, None, None, None, "E12345678", None, None, None),  # with her passport
            (None, None, None, None, None, None, "19560409", None, None),  # born the same day
            (None, None, None, None, None, None, "19560409", None, None),  # born another day
            (None, None, None, None, None, None, None, "中山路18号", "南京市"),  # at the same street address
        ],
        columns=fields,
        dtype=object,
    )
    right = left.copy()
    right.loc[6, "date_of_birth"] = "19560410"
    right.loc[7, "address_detail"] = "中山路18號"
    pairs = pd.concat([left.add_suffix("_l"), right.add_suffix("_r")], axis=1)
    with scratch_duckdb() as connection:
        connection.register("pairs", pairs)
        known = [row[0] for row in connection.execute(f"SELECT {_KNOWN_BEYOND_NAMES} FROM pairs").fetchall()]
    assert known == [True, True, False, True, True, True, False, True]


def test_names_registered_in_places_that_cannot_be_one_do_not_agree() -> None:
    left = pa.chunked_array([["北京市", "广东省", "北京市", None, "上海市", "北京市"]])
    right = pa.chunked_array([["上海市", "深圳市", "北京市", "上海市", None, "上海市"]])
    assert _places_agree(left, right).to_pylist() == [False, True, True, True, True, False]


def test_people_at_the_same_street_address_are_those_in_one_city_give_or_take_a_slip() -> None:
    pairs = [
        ("中山路18号", "南京市", "中山路18号", "南京市", True),
        ("中山路18号", "南京市", "中山路18号", "苏州市", False),  # the same street in another city
        ("77 kingsmill street, cabramatta 2035 vic", None, "77 kingsmill street, cabramata 2035 vic", None, True),
        ("77 kingsmill street, cabramatta 2035 vic", None, "3 wagga street, port broughton 3977 nsw", None, False),
        (None, None, "中山路18号", None, False),
    ]
    with scratch_duckdb() as connection:
        found = [
            connection.execute(
                f"SELECT coalesce({_SAME_STREET}, false) FROM (SELECT ? AS address_detail_l, ? AS city_l,"
                " ? AS address_detail_r, ? AS city_r)",
                list(pair[:4]),
            ).fetchone()[0]
            for pair in pairs
        ]
    assert found == [pair[4] for pair in pairs]


def test_u_of_the_rarest_name_levels_is_counted_over_every_pair_of_strangers() -> None:
    def record(key: str, core: str, place: str | None, city: str) -> dict[str, object]:
        return {
            "unique_id": key, "name_core": core, "name_romanized": romanize(core), "name_sorted": "".join(sorted(core)),
            "name_place": place, "name_province": place, "name_lead": romanize(core[:2]), "name_latin": False,
            "city": city,
        }  # fmt: skip

    strangers = pd.DataFrame(
        [
            record("a", "华信科技", "北京市", "北京市"),
            record("b", "华信科技", "北京市", "北京市"),  # with a: the same name in the same place
            record("c", "华信科技", "上海市", "上海市"),  # with a and b: registered elsewhere, not counted
            record("d", "华信科技", None, "北京市"),  # with a and b: in 北京 by its address; with c: the name only
            record("e", "明达物流", None, "广州市"),
        ],
        dtype=object,
    )
    with scratch_duckdb() as connection:
        counted = _counted_name_u(connection, strangers)
    pairs = 10
    assert counted["Same name, same place"] == 1 / pairs
    assert counted["Same name, same place by address"] == 2 / pairs
    assert counted["Same name"] == 1 / pairs
    assert counted["Same name in pinyin, same place"] == 1 / pairs, "no pair: counted as one"
    assert "Jaro-Winkler >= 0.95" not in counted, "names that share no key are sampled"


def test_u_of_exact_agreement_is_counted_over_every_pair_of_strangers() -> None:
    strangers = pd.DataFrame({column: [None] * 5 for column in _EXACT_LEVEL_COUNTED}, dtype=object)
    strangers["city"] = ["北京市", "北京市", "北京市", "上海市", None]  # 4 hold it: 6 pairs, 3 agree
    strangers["phone"] = ["a", "b", "c", "d", "e"]  # 10 pairs, none agree: counted as one
    strangers["email"] = ["x@example.com", None, None, None, None]  # one holds it: no pair to count on
    strangers["address_detail"] = ["中山路1号", "中山路1号", "中山路2号", None, None]  # 3 pairs, 1 agrees
    with scratch_duckdb() as connection:
        counted = _counted_exact_u(connection, strangers)
    assert counted["city"] == 3 / 6
    assert counted["address_detail"] == 1 / 3, "compared on more than agreement: its exact level is counted"
    assert counted["phone"] == 1 / 10
    assert counted["email"] is None and counted["district"] is None


def test_counted_u_replaces_the_sampled_u_of_exact_levels_only() -> None:
    sampled = _settings(exactly_compared=False).get_settings("duckdb").as_dict()
    for comparison in sampled["comparisons"]:
        for level in comparison["comparison_levels"][1:]:
            level["u_probability"] = 0.25  # as sampling left it
    counted = {"address_detail": 1e-6, "phone": 1e-7, "email": None}
    model = _with_counted_u(sampled, {"Same name": 1e-8}, counted)
    levels = {
        comparison["output_column_name"]: {
            level["label_for_charts"]: level.get("u_probability") for level in comparison["comparison_levels"]
        }
        for comparison in model["comparisons"]
    }
    assert levels["address_detail"]["Exact match on address_detail"] == 1e-6
    assert levels["address_detail"]["Jaro-Winkler distance of address_detail >= 0.9"] == 0.25, (
        "near agreement stays sampled"
    )
    assert levels["name_core"]["Same name"] == 1e-8
    assert levels["name_core"]["Jaro-Winkler >= 0.95"] == 0.25
    assert levels["phone"]["Exact match on phone"] == 1e-7
    assert levels["phone"]["All other comparisons"] == 1 - 1e-7
    assert levels["email"]["Exact match on email"] is None, "no pair to count on: left for the floor"


def test_clustering_in_bulk_equals_applying_every_link_in_turn() -> None:
    # Groups without a contradiction are clustered as connected components, the rest link by
    # link: the outcome must be the one applying every link in turn gives.
    rng = np.random.default_rng(5)
    count = 3_000
    codes = np.array(["91110105MA00000001", "91310115MA00000002", None, None, None], dtype=object)
    places = np.array(["北京市", "上海市", "广东省", "深圳市", None, None, None], dtype=object)
    records = pd.DataFrame(
        {
            "record": [f"r{index:05d}" for index in range(count)],
            "uscc": rng.choice(codes, count),
            "resident_id": rng.choice(np.array(["110101199003074477", None, None, None, None], dtype=object), count),
            "is_branch": rng.choice(np.array([True, False, None], dtype=object), count, p=[0.05, 0.5, 0.45]),
            "name_place": rng.choice(places, count),
        }
    )
    ends = rng.integers(0, count, size=(2_500, 2))
    rules = rng.choice(np.array(["exact_uscc", "exact_resident_id", "probabilistic", "steward_must_link"]), 2_500)
    links = pd.DataFrame(
        {
            "left": records["record"].to_numpy()[ends[:, 0]],
            "right": records["record"].to_numpy()[ends[:, 1]],
            "rule": rules,
            "weight": np.where(rules == "probabilistic", rng.integers(1, 6, 2_500).astype(float), np.nan),
        }
    )
    cannot_link = [(links["left"][at], links["right"][at]) for at in range(0, 2_500, 97)]
    split = records["record"].iloc[::211].tolist()
    in_bulk = _clustered(records, links, cannot_link, split, in_bulk=True)
    in_turn = _clustered(records, links, cannot_link, split, in_bulk=False)
    assert in_bulk["rule"].value_counts().to_dict() == in_turn["rule"].value_counts().to_dict()
    pd.testing.assert_frame_equal(in_bulk, in_turn)
    sizes = in_bulk["cluster"].value_counts()
    assert (sizes > 1).sum() > 100 and len(sizes) < count, "the links make clusters"
