"""Which staged party records are the same customer: deterministic keys, then Splink, then guarded clustering.

1. Deterministic: records sharing a valid unified social credit code, or a valid resident
   ID number, are the same customer.
2. Probabilistic: Splink (DuckDB, in process, whatever the warehouse) scores pairs that
   share a blocking key on the standardized parts (the name with the place it carries,
   from the same registered name through pinyin and spelling slips to a shared trade-name
   lead; legal form; street address; date of birth; city, district, phone, e-mail, legal
   representative, industry section, identity document), with parameters trained without
   labels. Pairs at or above the configured match probability are links, unless their
   names carry different places (广州明万运输 is not 成都明万运输) or they are two people
   (no legal form, no place in the name) who share no phone, e-mail address, ID number,
   identity document, date of birth or street address, because namesakes are common.
3. Clustering (``clusters.py``): links are applied strongest first (stewards' must-links, deterministic,
   then by match weight), and a link is refused when it would put in one cluster two
   different valid credit codes, two different valid ID numbers, a branch and a
   non-branch, two records a steward said are not one customer, or (for a probabilistic
   link) names registered in different places. A record a steward split out stands
   alone.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from transforms.resolve.clusters import LINK_COLUMNS, RULE_RESIDENT_ID, RULE_USCC
from transforms.resolve.scratch import scratch_duckdb
from transforms.standardize.places import province_of, same_place

STAGED_COLUMNS = (
    "name_core", "name_romanized", "name_lead", "legal_form", "name_place", "city", "district", "address_detail",
    "phone", "email", "legal_representative", "industry_section", "date_of_birth", "uscc", "resident_id",
    "id_document",
)  # fmt: skip
"""What matching reads of each staged record (``transforms/resolve/pairs.py`` fingerprints the same)."""
_EXACTLY_COMPARED = (
    "city", "district", "phone", "email", "legal_representative", "industry_section", "id_document",
)  # fmt: skip
"""Fields compared on agreement alone."""
_COMPARED = ("name_core", "legal_form", "name_place", "address_detail", "date_of_birth", *_EXACTLY_COMPARED)
"""What explanations show, both values and the weight each added (the name's place weighs within the name)."""
_CORROBORATING = ("phone", "email", "resident_id", "id_document", "date_of_birth")
"""For people, a name is shared by too many: a link also needs one of these to agree, or
the same street address (``_SAME_STREET``)."""
_SAME_STREET = (
    "jaro_winkler_similarity(address_detail_l, address_detail_r) >= 0.9 AND city_l IS NOT DISTINCT FROM city_r"
)
"""The same street address give or take a slip (cabramatta, cabramata), in the same city or both
without one: for people, corroboration as good as a shared phone."""
_KNOWN_BEYOND_NAMES = (
    "coalesce(legal_form_l IS NOT NULL OR legal_form_r IS NOT NULL OR name_place_l IS NOT NULL"
    f" OR name_place_r IS NOT NULL OR {' OR '.join(f'{column}_l = {column}_r' for column in _CORROBORATING)}"
    f" OR ({_SAME_STREET}), false)"
)
"""Per scored pair, whether its score may stand on the names: they are a business's (a legal
form, or a place the name was registered in: 北京市丰台区戴浩颖便利店 is a shop without a legal
form), or two people who also share a phone, e-mail address, ID number, identity document
or date of birth, or live at the same street address."""
_PERSONAL_KEYS = ("uscc", "resident_id", "id_document")
"""Identifiers no two customers share; records holding different ones are strangers to count u on."""


def deterministic_links(records: pd.DataFrame) -> pd.DataFrame:
    """Links (``LINK_COLUMNS``) between records sharing a valid credit code or a valid resident
    ID number: the smallest record of each key to every other.

    Grouped and joined by DuckDB: in Arrow, on one core, it took six times as long at a
    million customers (2.9 s against 0.5).
    """
    keys = pa.table({column: pa.array(records[column], pa.string()) for column in ("record", "uscc", "resident_id")})
    sharing = " UNION ALL ".join(
        f'SELECT smallest.record AS "left", keyed.record AS "right", \'{rule}\' AS rule FROM _keys AS keyed'
        f" JOIN (SELECT {column}, min(record) AS record FROM _keys WHERE {column} IS NOT NULL GROUP BY {column})"
        f" AS smallest ON smallest.{column} = keyed.{column} WHERE keyed.record <> smallest.record"
        for column, rule in (("uscc", RULE_USCC), ("resident_id", RULE_RESIDENT_ID))
    )
    with scratch_duckdb() as duck:
        duck.register("_keys", keys)
        links = duck.sql(sharing).to_arrow_table()
    return pd.DataFrame(
        {
            "left": links["left"].to_pandas(types_mapper=pd.ArrowDtype),
            "right": links["right"].to_pandas(types_mapper=pd.ArrowDtype),
            "rule": links["rule"].to_pandas(types_mapper=pd.ArrowDtype),
            "weight": np.nan,
        }
    )[list(LINK_COLUMNS)]


@dataclass(frozen=True)
class ScoredPair:
    """Two records Splink scored at least as likely as the review floor, with each field's part in the score."""

    left: str
    right: str
    probability: float
    weight: float
    explanation: dict[str, dict[str, object]]
    """Per compared field: both values and the match weight its agreement or disagreement added."""


PAIR_SCHEMA = pa.schema(
    [
        ("left_record", pa.string()),
        ("right_record", pa.string()),
        ("match_probability", pa.float64()),
        ("match_weight", pa.float64()),
        ("explanation", pa.string()),
    ]
)
"""Scored pairs as ``score_pairs`` yields them and ``core.match_pair`` keeps them; explanation is JSON
(null for pairs at or above the match probability)."""


MODEL_RECIPE = "2026.12.10"
"""Names the comparisons, blocking and training below; a saved model of another recipe is retrained."""

_IN_ONE_PLACE = (
    "(coalesce(l.name_place, l.city) IS NULL OR coalesce(r.name_place, r.city) IS NULL"
    " OR coalesce(l.name_place, l.city) = coalesce(r.name_place, r.city)"
    " OR l.name_place = r.name_province OR r.name_place = l.name_province)"
)
"""Blocking on a name asks for one place, by the name's or else the address's city, where both
records' are known. Names registered in different places never link (``_places_agree``);
such pairs are three in four of those sharing a name, its pinyin or its characters at a
million customers. And a name without its place in one city is another business than the
same name in another (夏明农业 in 南京, 夏名农业 in 成都). Asking for the address's city too
left 37,259 of 194,413 comparisons out at a hundred thousand customers (34 of them had
reached the review floor, none of one customer) and 3.5 of 7.4 million at a million, with
the same F1 at both."""
_BLOCKING = (
    # The same characters in order or not: the same trade name is among them, blocked on once.
    f"l.name_sorted = r.name_sorted AND {_IN_ONE_PLACE}",
    # An English name and a Chinese one: the pinyin is all they can share (Zehe Power, 泽合电力).
    # Joined on the script too (one is Latin, the other not): on the pinyin alone, DuckDB
    # paired every two namesakes in Chinese first: 2.1 of blocking's 6.7 CPU-seconds at a million customers.
    f"l.name_romanized = r.name_romanized AND l.name_latin = NOT r.name_latin AND {_IN_ONE_PLACE}",
    "l.phone = r.phone",
    "l.email = r.email",
    "l.id_document = r.id_document",
    "l.date_of_birth = r.date_of_birth AND l.city IS NOT DISTINCT FROM r.city",
    # People and shops: companies sharing a building are many, and their names block them.
    "l.address_detail = r.address_detail AND l.city IS NOT DISTINCT FROM r.city"
    " AND l.legal_form IS NULL AND r.legal_form IS NULL",
)
"""Pairs are scored only when they meet at least one of these.

Two names with the same characters in another order (石斌强, 斌石强) take in every pair of
the same name: blocking on the name too made the same pairs with one more join (0.3 of
1.3 s of scoring at a hundred thousand customers).

Pairs that share less than a name grow with the square of the bank, and at a million
customers two such keys brought more pairs than they were worth. Two names in one script
the same in pinyin only (夏明农业, 夏名农业) brought 1,048,756 pairs no other key did; each
of those of one customer that scored as a link also shared a phone, e-mail address, birth
date or street address, which block it anyway, and of their 6,668 in the review band, not
one was of one customer. A birth date alone brought 591,656; the 538,873 of them in
another city never reached the review floor. Records without a city still block on the
date alone: asking Febrl's for a city took Febrl3's F1 from 0.9969 to 0.9784.

Compared, but not blocked on: the legal representative (with the city), and the trade
name's lead between an English and a Chinese name (凯昌运输, Kaichang Transportation). At a
million customers, the pairs only those keys brought were 910,246 and 777,371 of 9.1
million comparisons. Of the first, 453 reached the review floor and none was one
customer (one person heads several companies in a city). Of the second, none reached it,
so its 3,238 pairs of one customer were never linked or queued anyway. At 100,000
customers: 9,157 and 9,521 pairs, none reaching the floor."""
_EM_BLOCKS = ("name_core", "phone", "date_of_birth")
"""m is estimated by EM on the pairs sharing each of these in turn: a trade name, a phone, a
person's date of birth (one session cannot estimate the field it blocks on)."""
_EM_PAIRS = 300_000
"""Pairs each EM session samples at most: m is a share among matches, which a few hundred
thousand pairs measure as well as more. At a million customers, five million pairs sharing
a trade name took a minute and a quarter; a million per session, 12 s for the three, with
the same F1 as 300,000 (which leave the sessions at a hundred thousand customers whole)."""
_EM_RECORDS = 600_000
"""Records EM samples its pairs among at most (``_em_sample``): at a hundred thousand
customers (two hundred thousand records) all of them."""


def train_model(frame: pd.DataFrame) -> str:
    """Splink's parameters for these records (their ``splink_frame``), trained without labels, as Splink's model JSON.

    The prior comes from the deterministic keys (pairs sharing a credit code or ID number,
    taken as 80% of the matches they could find); m by EM on pairs sharing a trade name,
    a phone or a birth date (among a sample of the records beyond ``_EM_RECORDS``). u,
    how often two *different* customers agree, comes from a million random pairs of
    records holding different credit codes or ID numbers: random pairs of all records
    would count a customer's own records as strangers who agree, and with names as
    distinct as company names that overstates u several-fold and understates what an
    exact name is worth. The rarest name levels' u is counted over all pairs of those
    strangers instead (``_counted_name_u``), and so is the u of every exact agreement
    (``_counted_exact_u``).
    """
    from splink import Linker, block_on
    from splink.backends.duckdb import DuckDBAPI

    # No linker validates the settings: Splink only warns of what it finds, which
    # _quiet_splink silences, and checking took half a second per linker.
    with _quiet_splink():
        with scratch_duckdb() as connection:
            distinct = _one_record_per_key(frame)
            sampled = _settings(exactly_compared=False)
            strangers = Linker(
                DuckDBAPI(connection).register(distinct), sampled, log_level=logging.ERROR, validate_settings=False
            )
            strangers.training.estimate_u_using_random_sampling(max_pairs=_U_PAIRS)
            with_u = _with_counted_u(
                strangers.misc.save_model_to_json(),
                _counted_name_u(connection, distinct),
                _counted_exact_u(connection, distinct),
            )
        with splink_backend() as backend:
            linker = Linker(backend.register(frame), with_u, log_level=logging.ERROR, validate_settings=False)
            linker.training.estimate_probability_two_random_records_match(
                [block_on(key) for key in _PERSONAL_KEYS], recall=0.8
            )
            sampled = _em_sample(frame)
            if len(sampled) < len(frame):  # the prior stays the whole bank's
                linker = Linker(
                    backend.register(sampled), linker.misc.save_model_to_json(), log_level=logging.ERROR,
                    validate_settings=False,
                )  # fmt: skip
            for column in _EM_BLOCKS:
                _expectation_maximisation(linker, column)
            return json.dumps(_floored(linker.misc.save_model_to_json()), ensure_ascii=False, sort_keys=True)


def _em_sample(frame: pd.DataFrame) -> pd.DataFrame:
    """The records EM pairs up: all of them, or beyond ``_EM_RECORDS`` every k-th by id (a
    fixed sample, as random as the ids: a customer's records hold unrelated ids).

    Pairs of sampled records are a sample of the pairs, matches and strangers alike, so m
    is estimated as on all records; but Splink joins each session's pairs to every record
    it was given, and at a million customers the three sessions took 6.2 s on all two
    million records, 2.4 on a quarter.
    """
    step = -(-len(frame) // _EM_RECORDS)
    return frame if step == 1 else frame[frame["unique_id"] % step == 0]


def _with_counted_u(sampled: dict, name_u: dict[str, float], exact_u: dict[str, float | None]) -> dict:
    """The sampled model, with the u of the name levels and of every exact-agreement level
    replaced by the counted ones, and the fields compared on agreement alone added."""
    everything = _settings(exactly_compared=True).get_settings("duckdb").as_dict()["comparisons"]
    sampled_by_name = {comparison["output_column_name"]: comparison for comparison in sampled["comparisons"]}
    comparisons = [sampled_by_name.get(comparison["output_column_name"], comparison) for comparison in everything]
    for comparison in comparisons:
        field = comparison["output_column_name"]
        agreeing = exact_u.get(field)
        for level in comparison["comparison_levels"]:
            if field == "name_core" and level.get("label_for_charts") in name_u:
                level["u_probability"] = name_u[level["label_for_charts"]]
            elif agreeing is not None and level["sql_condition"] == f'"{field}_l" = "{field}_r"':
                level["u_probability"] = agreeing
        if field not in sampled_by_name and agreeing is not None:
            # Agreement alone: the rest disagree. Where every pair agrees, disagreeing is
            # unseen: left for _floored, as sampling leaves it.
            comparison["comparison_levels"][-1]["u_probability"] = (1 - agreeing) or None
    sampled["comparisons"] = comparisons
    return sampled


def _counted_exact_u(connection: object, strangers: pd.DataFrame) -> dict[str, float | None]:
    """u of each field's exact agreement (``_EXACT_LEVEL_COUNTED``): the share of pairs of
    strangers holding it that agree, counted over every such pair (None where fewer than
    two hold it).

    Exact, and cheaper than sampling: each is a count per value. A field no two strangers
    agree on counts as agreed on once.
    """
    connection.register("_strangers", strangers[list(_EXACT_LEVEL_COUNTED)])  # type: ignore[attr-defined]
    per_field = " UNION ALL ".join(
        f"SELECT '{column}' AS field, sum(n * (n - 1) / 2) AS agreeing, sum(n) AS holding"
        f" FROM (SELECT count(*) AS n FROM _strangers WHERE {column} IS NOT NULL GROUP BY {column})"
        for column in _EXACT_LEVEL_COUNTED
    )
    counts = connection.execute(per_field).fetchall()  # type: ignore[attr-defined]
    connection.unregister("_strangers")  # type: ignore[attr-defined]
    return {
        field: max(agreeing, 1) / (holding * (holding - 1) / 2) if holding and holding >= 2 else None
        for field, agreeing, holding in counts
    }


_EXACT_LEVEL_COUNTED = (*_EXACTLY_COMPARED, "legal_form", "address_detail", "date_of_birth")
"""Fields whose u of agreeing exactly is counted: among strangers the same street address or
birth date is as rare as the sample can hardly measure, and it is what a match shows."""
_U_PAIRS = 1_000_000
"""Random pairs of strangers the remaining u are sampled on: levels of near agreement (a name
or an address a few letters apart, a birth date a digit off), common enough among strangers
for a million pairs to measure. Two million gave the same F1 to 0.0002 at ten thousand, a
hundred thousand and a million customers and on Febrl3 and Febrl4, in twice the time (at
a hundred thousand, ten million gave the same clusters as two)."""
_M_FLOOR = 1e-9
_U_FLOOR = 1 / _U_PAIRS
"""Where training saw a level never (m or u of 0, or no u at all): very unlikely, not
impossible, so the saved model loads again and one field cannot outvote all others by an
infinite weight. A level no pair of strangers reached is taken as reached once: as rare as
the sample can tell."""


def _floored(model: dict) -> dict:
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            if level.get("m_probability") is not None:
                level["m_probability"] = max(level["m_probability"], _M_FLOOR)
                level["u_probability"] = level.get("u_probability") or _U_FLOOR
    return model


def _expectation_maximisation(linker: object, column: str) -> None:
    """m by EM on pairs sharing ``column``; skipped, with a warning, where there are none (a
    bank without phones, or without people).

    Splink 5 refuses an m that EM drives to exactly 0, a level the matches of this session
    never reach (a customer's records always agree on the industry, say), and abandons the
    whole session, losing every other estimate in it. Such an m is held at the smallest
    value Splink accepts instead; the saved model floors it anyway (``_M_FLOOR``). Where no
    match of the session holds a field at all, EM divides nothing by nothing: that NaN is
    taken as Splink takes a level it never observed, so it neither enters the saved median
    over sessions nor turns into a weight that no SQL can spell.

    The model has no term-frequency adjustments, so EM iterates on the count of each
    agreement pattern rather than on every sampled pair: the same m (to a relative 4e-12
    at a hundred thousand customers), with the iterations in 2.5 s against 5.2.
    """
    from splink import block_on
    from splink.internals.exceptions import EMTrainingException

    try:
        with _m_kept_trainable():
            linker.training.estimate_parameters_using_expectation_maximisation(  # type: ignore[attr-defined]
                block_on(column), estimate_without_term_frequencies=True, max_pairs=_EM_PAIRS
            )
    except EMTrainingException as error:
        logging.getLogger(__name__).warning(
            "matching model: EM on pairs sharing %s skipped: %s", column, str(error).splitlines()[0]
        )


@contextlib.contextmanager
def _m_kept_trainable() -> Iterator[None]:
    """While it lasts, an m set below Splink's smallest representable value is set to that
    value, and an m of NaN is set to Splink's mark of a level not observed."""
    from splink.internals import comparison_level
    from splink.internals.constants import LEVEL_NOT_OBSERVED_TEXT

    level = comparison_level.ComparisonLevel
    refusing = level.m_probability

    def held(self: object, value: object) -> None:
        if isinstance(value, float) and math.isnan(value):
            value = LEVEL_NOT_OBSERVED_TEXT
        elif isinstance(value, float) and value < comparison_level.M_U_CLAMP_MIN:
            value = comparison_level.M_U_CLAMP_MIN
        refusing.fset(self, value)  # type: ignore[misc]

    level.m_probability = property(refusing.fget, held)
    try:
        yield
    finally:
        level.m_probability = refusing


def _one_record_per_key(frame: pd.DataFrame) -> pd.DataFrame:
    """One record per valid credit code, ID number or identity document, the first of each
    in ``frame``'s order: any two are different customers (all records if too few).

    The first of each key is found on the key alone, then taken in one step: filtering,
    marking and deduplicating the whole frame copied it three times (900 MB at a million
    customers).
    """
    keys = pa.table({column: pa.array(frame[column], pa.string()) for column in _PERSONAL_KEYS})
    keys = keys.append_column("position", pa.array(np.arange(len(frame))))
    key = f"coalesce({', '.join(_PERSONAL_KEYS)})"
    with scratch_duckdb() as duck:  # on two cores: Arrow's grouping took 1.5 s at a million customers
        duck.register("_keys", keys)
        firsts = duck.sql(
            f"SELECT min(position) AS first FROM _keys WHERE {key} IS NOT NULL GROUP BY {key} ORDER BY first"
        ).fetchnumpy()["first"]
    return frame.iloc[firsts] if len(firsts) >= 2 else frame


def score_pairs(
    frame: pd.DataFrame,
    records: pd.Series,
    model_json: str,
    touched: pd.Series,
    review_from: float,
    explain_below: float,
) -> Iterator[pa.Table]:
    """Plausible pairs scoring at least ``review_from`` under the saved model, each with a ``touched`` record.

    ``frame`` is the ``splink_frame`` of the records whose keys ``records`` holds, in order.

    Pairs of two untouched records are not scored again: nothing they are compared on
    has changed, so their score has not either. Yielded in batches (``PAIR_SCHEMA``), so
    a million records' pairs never sit in memory at once.

    Only pairs below ``explain_below`` (the match probability: those a steward may
    review) carry an explanation; a link's is null. At a hundred thousand customers
    3,396 of 127,091 pairs are below it, and explaining all of them made scoring and
    storing take 7.0 s against 4.9.
    """
    from splink import Linker

    if len(records) < 2 or not touched.any():
        return
    model = json.loads(model_json)
    model["blocking_rules_to_generate_predictions"] = [f"{rule} AND (l.touched OR r.touched)" for rule in _BLOCKING]
    model["additional_columns_to_retain"] = [*model.get("additional_columns_to_retain", []), "resident_id"]
    frame = frame.assign(touched=touched.to_numpy(dtype=bool))
    ids = frame["unique_id"].to_numpy()
    position_of_id = np.empty_like(ids)
    position_of_id[ids] = np.arange(len(ids))  # the ids are a permutation: inverted, not sorted again
    record_of_id = pa.array(records, pa.string()).take(position_of_id)
    with _quiet_splink(), splink_backend(predictions_as_view=True) as backend:
        linker = Linker(  # not validated, as in train_model
            backend.register(frame), model, log_level=logging.ERROR, validate_settings=False
        )
        linker.inference.compute_blocked_pairs_for_predict()  # kept for the predictions' view to read
        predictions = linker.inference.predict(threshold_match_probability=review_from).as_duckdbpyrelation()
        reader = predictions.select(
            "unique_id_l, unique_id_r, match_probability, match_weight,"
            f" CASE WHEN match_probability < {float(explain_below)!r}"
            f" THEN CAST(to_json({_explanation_sql(predictions.columns)}) AS VARCHAR) END AS explanation,"
            f" {_KNOWN_BEYOND_NAMES} AS known_beyond_names, name_place_l, name_place_r"
        ).to_arrow_reader(100_000)
        for batch in reader:
            pairs = pa.Table.from_batches([batch])
            places = _places_agree(pairs["name_place_l"], pairs["name_place_r"])
            pairs = pairs.filter(pc.and_(pairs["known_beyond_names"], places))
            yield pa.table(
                {
                    "left_record": record_of_id.take(pairs["unique_id_l"]),
                    "right_record": record_of_id.take(pairs["unique_id_r"]),
                    **{column: pairs[column] for column in PAIR_SCHEMA.names[2:]},
                }
            ).cast(PAIR_SCHEMA)


def _explanation_sql(columns: list[str]) -> str:
    """Per compared field: both values and the match weight it added (none where every level weighs the same).

    One struct, turned into JSON once: nested ``json_object`` calls gave the same text,
    but took 1.05 s where this takes 0.55 to 0.8 (127,091 pairs at a hundred thousand
    customers).
    """
    fields = ", ".join(
        f"'{column}': {{'left': {column}_l, 'right': {column}_r, 'weight': "
        + (f"round(mw_{column}, 2)}}" if f"mw_{column}" in columns else "NULL}")
        for column in _COMPARED
    )
    return f"{{{fields}}}"


def splink_frame(records: pd.DataFrame) -> pd.DataFrame:
    """What Splink trains and scores on: the staged fields under an integer id
    (``_record_ids``), with what the name comparison derives from them: the province of the
    place in the name, the name's characters in order, whether it is written in English.

    Derived a column at a time (Arrow, DuckDB): per record in Python it took ten seconds
    at a million customers. Made once per run, for training and scoring both.
    """
    frame = records[list(STAGED_COLUMNS)].copy()
    frame.insert(0, "unique_id", _record_ids(records["record"]))
    # Asked once per place, then looked up in Arrow: pandas' map took half a second at a million customers.
    places = pa.array(records["name_place"], pa.string())
    distinct = pc.unique(places.drop_null())
    provinces = pa.array([province_of(place) for place in distinct.to_pylist()], pa.string())
    frame["name_province"] = pd.Series(
        pc.take(provinces, pc.index_in(places, value_set=distinct)), index=frame.index, dtype=pd.ArrowDtype(pa.string())
    )
    # As digits, so a slip of one digit is one edit: 19560409 and 19560490.
    born = pa.array(records["date_of_birth"], pa.date32())
    frame["date_of_birth"] = pd.Series(
        pc.strftime(pc.cast(born, pa.timestamp("s")), "%Y%m%d"), index=frame.index, dtype=pd.ArrowDtype(pa.string())
    )
    cores = pa.table({"name_core": pa.array(records["name_core"], pa.string())})
    with scratch_duckdb() as duck:
        duck.register("_cores", cores)
        derived = duck.sql(
            "SELECT array_to_string(list_sort(string_split(name_core, '')), '') AS name_sorted,"
            " strlen(name_core) = length(name_core) AS name_latin FROM _cores"
        ).to_arrow_table()
    for column in ("name_sorted", "name_latin"):
        frame[column] = pd.Series(derived[column], index=frame.index, dtype=pd.ArrowDtype(derived[column].type))
    return frame


def _record_ids(records: pd.Series) -> np.ndarray:
    """Each record's id in Splink: the rank of its key among all records' keys, in byte order.

    Splink joins pairs to their records and orders their sides by id: on integers it
    scored a million customers' pairs in 39 s against 50 on the keys as text (the pairs
    sharing a name alone: 7.6 s against 11.7). Ranked rather
    than numbered as the rows come, a pair's sides are those of its keys (the smaller key
    left) and Splink's samples, drawn by hashing ids, do not depend on the rows' order.
    """
    keys = pa.table({"key": pa.array(records, pa.string()), "position": pa.array(np.arange(len(records)))})
    with scratch_duckdb() as duck:  # sorted on two cores: 0.5 s at a million customers, Arrow's one 0.8
        duck.register("_keys", keys)
        in_order = duck.sql("SELECT position FROM _keys ORDER BY key").fetchnumpy()["position"]
    ids = np.empty(len(in_order), dtype=np.int64)
    ids[in_order] = np.arange(len(in_order))
    return ids


_PLACES_EQUAL = "name_place_l = name_place_r"
_PLACES_AGREE = (
    "(name_place_l IS NULL OR name_place_r IS NULL OR name_place_l = name_place_r"
    " OR name_place_l = name_province_r OR name_place_r = name_province_l)"
)
"""Names registered in one place, or one name carries no place or its province only."""
_ADDRESS_PLACES_EQUAL = "coalesce(name_place_l, city_l) = coalesce(name_place_r, city_r)"
"""The same place, taking the city of a record's address where its name carries none."""


@dataclass(frozen=True)
class _NameLevel:
    label: str
    condition: str
    key: str | None = None
    """The column two names at this level always share: their strangers are counted, not sampled."""


_NAME_LEVELS = (
    _NameLevel("Same name, same place", f"name_core_l = name_core_r AND {_PLACES_EQUAL}", "name_core"),
    # 毅川化工 in 南京 (by its address) and 南京毅川化工: a name without its place, registered where it does business.
    _NameLevel(
        "Same name, same place by address",
        f"name_core_l = name_core_r AND {_PLACES_AGREE} AND {_ADDRESS_PLACES_EQUAL}",
        "name_core",
    ),
    _NameLevel("Same name", f"name_core_l = name_core_r AND {_PLACES_AGREE}", "name_core"),
    # Zehe Power and 泽合电力, both in 武汉: the English name of a company, where homophones are a coincidence.
    _NameLevel(
        "Same name in English and Chinese, same place",
        f"name_romanized_l = name_romanized_r AND name_latin_l <> name_latin_r AND {_PLACES_EQUAL}",
        "name_romanized",
    ),
    # 夏明农业 typed 夏名农业, or Mingneng Chemical for 明能化工.
    _NameLevel(
        "Same name in pinyin, same place",
        f"name_romanized_l = name_romanized_r AND {_PLACES_EQUAL}",
        "name_romanized",
    ),
    _NameLevel("Same name in pinyin", f"name_romanized_l = name_romanized_r AND {_PLACES_AGREE}", "name_romanized"),
    _NameLevel(
        "Jaro-Winkler >= 0.95", f"jaro_winkler_similarity(name_core_l, name_core_r) >= 0.95 AND {_PLACES_AGREE}"
    ),
    _NameLevel(
        "Jaro-Winkler >= 0.88", f"jaro_winkler_similarity(name_core_l, name_core_r) >= 0.88 AND {_PLACES_AGREE}"
    ),
    # 石斌强 typed 斌石强, 祥利 typed 利祥.
    _NameLevel("Same characters in another order", f"name_sorted_l = name_sorted_r AND {_PLACES_AGREE}", "name_sorted"),
    # 孟伟 and 余杭区孟伟五金店: a person and the shop they run under their name.
    _NameLevel(
        "One name holds the other",
        "length(name_core_l) >= 2 AND length(name_core_r) >= 2"
        f" AND (contains(name_core_l, name_core_r) OR contains(name_core_r, name_core_l)) AND {_PLACES_AGREE}",
    ),
    # 凯昌运输 and Kaichang Transportation.
    _NameLevel("Same trade-name lead", f"name_lead_l = name_lead_r AND {_PLACES_AGREE}"),
    _NameLevel("Names registered in different places", f"NOT {_PLACES_AGREE}"),
    # VenVerMa Machinery and 文维玛机械制造: an English name and its transliteration do not compare.
    _NameLevel("One name in English, one in Chinese", "name_latin_l <> name_latin_r"),
)
"""The name comparison's levels, strongest first; a pair takes the first it meets."""
_NAME_COLUMNS = (
    "name_core", "name_romanized", "name_sorted", "name_place", "name_province", "name_lead", "name_latin", "city",
)  # fmt: skip
"""What the name levels read of each record."""


def _settings(*, exactly_compared: bool) -> object:
    """The comparisons: the name with its place (levels from the same registered name to
    nothing in common), the legal form, the street address, the date of birth and, unless
    ``exactly_compared`` is false (their u is counted, not sampled), one per field compared
    on agreement alone.

    Name and place are one comparison because they are not independent: a registry refuses
    a second 北京华信科技, so the same name in the same place all but proves one company,
    while the same name alone is shared by 上海华信科技 and 广州华信科技.
    """
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator

    name = cl.CustomComparison(
        [
            cll.NullLevel("name_core"),
            *(cll.CustomLevel(f"({level.condition})", label_for_charts=level.label) for level in _NAME_LEVELS),
            cll.ElseLevel(),
        ],
        output_column_name="name_core",
    )
    legal_form = cl.CustomComparison(
        [
            cll.NullLevel("legal_form"),
            cll.ExactMatchLevel("legal_form"),
            # English "Co., Ltd." names a 股份有限公司 as often as a 有限公司.
            cll.CustomLevel(
                "name_latin_l <> name_latin_r"
                " AND legal_form_l IN ('limited_company', 'joint_stock_company')"
                " AND legal_form_r IN ('limited_company', 'joint_stock_company')",
                label_for_charts="Co., Ltd. in English, either form in Chinese",
            ),
            cll.ElseLevel(),
        ],
        output_column_name="legal_form",
    )
    address = cl.CustomComparison(
        [
            cll.NullLevel("address_detail"),
            cll.ExactMatchLevel("address_detail"),
            cll.JaroWinklerLevel("address_detail", 0.9),
            cll.JaroWinklerLevel("address_detail", 0.75),
            cll.ElseLevel(),
        ],
        output_column_name="address_detail",
    )
    birth = cl.CustomComparison(
        [
            cll.NullLevel("date_of_birth"),
            cll.ExactMatchLevel("date_of_birth"),
            cll.DamerauLevenshteinLevel("date_of_birth", 1),
            cll.ElseLevel(),
        ],
        output_column_name="date_of_birth",
    )
    others = [cl.ExactMatch(column) for column in _EXACTLY_COMPARED] if exactly_compared else []
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[name, legal_form, address, birth, *others],
        blocking_rules_to_generate_predictions=list(_BLOCKING),
        additional_columns_to_retain=["name_place"],
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
    )


def _counted_name_u(connection: object, strangers: pd.DataFrame) -> dict[str, float]:
    """u of the name levels whose names share a key, counted over every pair of strangers.

    These levels are too rare among strangers for a sample of random pairs to measure (the
    same registered name in the same place, as good as never), and their rarity is exactly
    what sets a match apart once the bank holds a million records. Each pair sharing a key
    is classed by the level it meets first, as Splink classes it; a level no pair meets
    counts as met once among all pairs.
    """
    keyed = [level for level in _NAME_LEVELS if level.key]
    sides = ", ".join(f"{side}.{column} AS {column}_{side}" for column in _NAME_COLUMNS for side in "lr")
    levels = " ".join(f"WHEN {level.condition} THEN '{level.label}'" for level in _NAME_LEVELS)
    # The same name is the same characters: its pairs are name_sorted's.
    keys = [key for key in dict.fromkeys(level.key for level in keyed) if key != "name_core"]
    # One equi-join per key (a join on any of them would compare all pairs), each pair classed
    # where it is joined and counted under the first key it shares: paired by id, made
    # distinct and joined back to its records, the pairs took 3.2-3.9 s at a million customers.
    sharing_a_key = " UNION ALL ".join(
        f"SELECT CASE {levels} END AS level FROM (SELECT {sides} FROM _strangers l JOIN _strangers r"
        f" ON l.{key} = r.{key} AND l.unique_id < r.unique_id"
        + "".join(f" AND coalesce(l.{earlier} <> r.{earlier}, true)" for earlier in keys[:at])
        + ")"
        for at, key in enumerate(keys)
    )
    connection.register("_strangers", strangers[["unique_id", *_NAME_COLUMNS]])  # type: ignore[attr-defined]
    counts = dict(
        connection.execute(f"SELECT level, count(*) FROM ({sharing_a_key}) GROUP BY level").fetchall()  # type: ignore[attr-defined]
    )
    connection.unregister("_strangers")  # type: ignore[attr-defined]
    pairs = len(strangers) * (len(strangers) - 1) / 2
    return {level.label: max(counts.get(level.label, 0), 1) / pairs for level in keyed}


_PREDICTIONS = "__splink__df_predict"
"""The start of the name Splink gives the table of its predictions."""


@contextlib.contextmanager
def splink_backend(*, predictions_as_view: bool = False) -> Iterator[object]:
    """Splink on an in-process DuckDB (see ``scratch_duckdb``); with ``predictions_as_view``,
    its predictions are a view, computed as it is read.

    Splink writes its predictions to a table, every compared field of both records beside
    each field's weight: at a million customers 1.3 million rows, 1.4 GB spilled past the
    memory cap and back, 1.4 to 2.3 s of 11. Read as a view, only what ``score_pairs`` selects
    is kept, a batch at a time. The view reads the blocked pairs, which ``predict`` drops
    unless they were computed beforehand (``compute_blocked_pairs_for_predict``).
    """
    from splink.backends.duckdb import DuckDBAPI

    class PredictionsAsView(DuckDBAPI):
        def _setup_for_execute_sql(self, sql: str, physical_name: str) -> str:
            if not physical_name.startswith(_PREDICTIONS):
                return super()._setup_for_execute_sql(sql, physical_name)
            self.delete_table_from_database(physical_name)
            return f"CREATE VIEW {physical_name} AS\n{sql}"

    with scratch_duckdb() as connection:
        yield (PredictionsAsView if predictions_as_view else DuckDBAPI)(connection)


@contextlib.contextmanager
def _quiet_splink() -> Iterator[None]:
    """Splink narrates every training step; the task log wants the outcome."""
    splink_logger = logging.getLogger("splink")
    level = splink_logger.level
    splink_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        splink_logger.setLevel(level)


def _places_agree(left: pa.ChunkedArray, right: pa.ChunkedArray) -> pa.Array:
    """Per pair, whether the places two names were registered in can be one (广州 is not 成都;
    广东 and 深圳 may be); a name without a place agrees with any.

    ``same_place`` is asked once per distinct pair of places, not once per pair of records.
    """
    asked = pc.fill_null(pc.not_equal(left, right), False)
    keys = pc.binary_join_element_wise(left, right, "\x1f")
    distinct = pc.unique(keys.filter(asked))
    verdicts = pa.array([same_place(*key.split("\x1f")) for key in distinct.to_pylist()], pa.bool_())
    found = pc.take(verdicts, pc.index_in(keys, value_set=distinct))
    return pc.if_else(asked, found, True)
